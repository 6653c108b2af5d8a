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

const encoder = new TextEncoder();

function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Normalises a room name so that visually equal names meet in the same room. */
export function normaliseRoomName(room: string): string {
  return room.normalize('NFC').trim();
}

/** HKDF salt of every key derived from a room secret. */
export const SECRET_SALT = 'video-room/v1';

/** A secret of the form `generateSecret()` makes (128 random bits in base64url), used as HKDF key material as it is. */
export const GENERATED_SECRET_PATTERN = /^[A-Za-z0-9_-]{22}$/;
/** PBKDF2-SHA-256 iterations that stretch any other (person-chosen) secret (OWASP's 2023 figure). */
export const PBKDF2_ITERATIONS = 600_000;
/** How many (room, secret) key materials are kept, so that one join stretches its secret once. */
const MATERIAL_CACHE_SIZE = 4;
const materials = new Map<string, Promise<CryptoKey>>();

async function stretchedMaterial(secret: string, name: string): Promise<CryptoKey> {
  const password = await crypto.subtle.importKey('raw', encoder.encode(secret), 'PBKDF2', false, ['deriveBits']);
  const bits = await crypto.subtle.deriveBits(
    { name: 'PBKDF2', hash: 'SHA-256', salt: encoder.encode(`video-room/v1/pbkdf2/${name}`), iterations: PBKDF2_ITERATIONS },
    password,
    256,
  );
  return crypto.subtle.importKey('raw', bits, 'HKDF', false, ['deriveBits', 'deriveKey']);
}

/**
 * The HKDF key material of `secret` in `room`, which every key derived from the secret starts
 * from: a generated secret as it is; any other one stretched first with PBKDF2-SHA-256
 * (600,000 iterations, salt "video-room/v1/pbkdf2/<room>", 256 bits), so that each guess of a
 * person-chosen secret costs the broker that much, per room. The last few are memoized.
 */
export function secretKeyMaterial(secret: string, room: string): Promise<CryptoKey> {
  const name = normaliseRoomName(room);
  // JSON keeps (room, secret) pairs apart whatever characters either holds.
  const key = JSON.stringify([name, secret]);
  let material = materials.get(key);
  if (material) {
    materials.delete(key); // re-inserted below: most recently used last
  } else {
    material = GENERATED_SECRET_PATTERN.test(secret)
      ? crypto.subtle.importKey('raw', encoder.encode(secret), 'HKDF', false, ['deriveBits', 'deriveKey'])
      : stretchedMaterial(secret, name);
    const pending = material;
    pending.catch(() => materials.get(key) === pending && materials.delete(key));
  }
  materials.set(key, material);
  for (const oldest of materials.keys()) {
    if (materials.size <= MATERIAL_CACHE_SIZE) break;
    materials.delete(oldest);
  }
  return material;
}

/** HKDF-SHA-256 parameters for `info`, salted with SECRET_SALT. */
export function hkdfParams(info: string): HkdfParams {
  return { name: 'HKDF', hash: 'SHA-256', salt: encoder.encode(SECRET_SALT), info: encoder.encode(info) };
}

/**
 * The rendezvous ids of `room`: `vr-` followed by 128 bits in hex, of
 * SHA-256("video-room/v1/rendezvous/<index>/<room>") without a secret, or of
 * HKDF-SHA-256(secretKeyMaterial(secret, room), salt "video-room/v1", info "rendezvous/<index>/<room>") with one.
 */
export async function rendezvousIds(room: string, secret?: string | null, count = RENDEZVOUS_COUNT): Promise<string[]> {
  const name = normaliseRoomName(room);
  if (!name) throw new RangeError('room must not be empty');
  const material = secret ? await secretKeyMaterial(secret, name) : null;
  const ids: string[] = [];
  for (let index = 0; index < count; index++) {
    const bits = material
      ? await crypto.subtle.deriveBits(hkdfParams(`rendezvous/${index}/${name}`), material, 128)
      : await crypto.subtle.digest('SHA-256', encoder.encode(`video-room/v1/rendezvous/${index}/${name}`));
    ids.push(`vr-${toHex(new Uint8Array(bits).slice(0, 16))}`);
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
