/**
 * Broker-visible ids. The PeerServer only ever sees ids derived from a SHA-256 hash of the
 * room name (rendezvous ids) or random ids (participants): never the room name itself.
 */

/** PeerJS accepts ids matching this pattern (peerjs lib/utils/validateId.ts). */
export const PEER_ID_PATTERN = /^[A-Za-z0-9]+(?:[ _-][A-Za-z0-9]+)*$/;

/** How many rendezvous ids a room has; joiners try them in order. */
export const RENDEZVOUS_COUNT = 1;

const encoder = new TextEncoder();

function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Normalises a room name so that visually equal names meet in the same room. */
export function normaliseRoomName(room: string): string {
  return room.normalize('NFC').trim();
}

/**
 * The rendezvous ids of `room`: `vr-` followed by 128 bits of
 * SHA-256("video-room/v1/rendezvous/<index>/<room>") in hex.
 */
export async function rendezvousIds(room: string, count = RENDEZVOUS_COUNT): Promise<string[]> {
  const name = normaliseRoomName(room);
  if (!name) throw new RangeError('room must not be empty');
  const ids: string[] = [];
  for (let index = 0; index < count; index++) {
    const digest = await crypto.subtle.digest(
      'SHA-256',
      encoder.encode(`video-room/v1/rendezvous/${index}/${name}`),
    );
    ids.push(`vr-${toHex(new Uint8Array(digest).slice(0, 16))}`);
  }
  return ids;
}

/** A fresh random participant id (`vr-` and 128 random bits in hex); it says nothing about the room. */
export function randomParticipantId(): string {
  return `vr-${toHex(crypto.getRandomValues(new Uint8Array(16)))}`;
}

/** Whether `id` is one that video-room itself would generate or derive. */
export function isVideoRoomId(id: unknown): id is string {
  return typeof id === 'string' && /^vr-[0-9a-f]{32}$/.test(id);
}
