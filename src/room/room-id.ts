/**
 * Broker-visible ids. The PeerServer only ever sees random participant ids and rendezvous ids
 * derived from the room name: by SHA-256 without a room secret, by HKDF from the room name
 * *and* the secret with one, so that the broker can neither learn the room name nor link two
 * rooms of the same name with different secrets.
 */

/** PeerJS accepts ids matching this pattern (peerjs lib/utils/validateId.ts). */
export const PEER_ID_PATTERN = /^[A-Za-z0-9]+(?:[ _-][A-Za-z0-9]+)*$/;

/** How many rendezvous ids a room has; joiners try them in order. */
export const RENDEZVOUS_COUNT = 1;

import { digest } from '../util/digest.js';
import { normaliseRoomName } from './room-name.js';

export { normaliseRoomName };

const encoder = new TextEncoder();

/** Bytes in lower-case hex. */
export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * The rendezvous ids of `room`: `vr-` followed by 128 bits in hex, of
 * SHA-256("video-room/v1/rendezvous/<index>/<room>") without a secret, or of
 * HKDF-SHA-256(secretKeyMaterial(secret, room), salt "video-room/v1", info "rendezvous/<index>/<room>") with one.
 */
export async function rendezvousIds(room: string, secret?: string | null, count = RENDEZVOUS_COUNT): Promise<string[]> {
  const ids: string[] = [];
  for (let index = 0; index < count; index++) ids.push(await derivedId(room, secret, `rendezvous/${index}`));
  return ids;
}

/**
 * An id of `room` for a server (`label`: what for): `vr-` and 128 bits in hex, of
 * SHA-256("video-room/v1/<label>/<room>") without a secret, or HKDF under the secret with one
 * (see rendezvousIds). The server that sees it learns neither the room name nor the secret.
 */
export async function derivedId(room: string, secret: string | null | undefined, label: string): Promise<string> {
  const name = normaliseRoomName(room);
  if (!name) throw new RangeError('room must not be empty');
  // The keys of a room secret load only with one (a chunk of their own, shared with its encryption).
  const keys = secret ? await import('../e2ee/keys.js') : null;
  const bits = keys && secret
    ? await crypto.subtle.deriveBits(keys.hkdfParams(`${label}/${name}`), await keys.secretKeyMaterial(secret, name), 128)
    : await digest('SHA-256', encoder.encode(`video-room/v1/${label}/${name}`));
  return `vr-${toHex(new Uint8Array(bits).slice(0, 16))}`;
}

/** A fresh random participant id (`vr-` and 128 random bits in hex); it says nothing about the room. */
export function randomParticipantId(): string {
  return `vr-${toHex(crypto.getRandomValues(new Uint8Array(16)))}`;
}

/** Whether `id` is one that video-room itself would generate or derive. */
export function isVideoRoomId(id: unknown): id is string {
  return typeof id === 'string' && /^vr-[0-9a-f]{32}$/.test(id);
}
