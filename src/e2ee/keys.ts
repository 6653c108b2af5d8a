/**
 * Every key derived from the room secret, in one place. All start from `secretKeyMaterial`
 * (the secret itself when generated, stretched with PBKDF2 when a person chose it) and go
 * through HKDF-SHA-256 with salt "video-room/v1" and an info string naming the use:
 * - "rendezvous/<index>/<room>": the broker-visible rendezvous ids (room/room-id.ts);
 * - "auth/<room>": the HMAC key of the verification proofs (verification.ts);
 * - "seal/<room>": the AES-GCM key that seals frame keys and chat (sealed.ts).
 * Frame keys are random per sender (frame-keys.ts); SFrame derives its per-key material inside
 * the worker (sframe.ts, RFC 9605 §4.4.2) because the worker's code must be self-contained.
 */

import { normaliseRoomName } from '../room/room-name.js';

const encoder = new TextEncoder();

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

/** The HMAC key that proves knowledge of the room secret: HKDF(secret, info "auth/<room>"). */
export async function deriveAuthKey(room: string, secret: string): Promise<CryptoKey> {
  return crypto.subtle.deriveKey(
    hkdfParams(`auth/${normaliseRoomName(room)}`),
    await secretKeyMaterial(secret, room),
    { name: 'HMAC', hash: 'SHA-256', length: 256 },
    false,
    ['sign', 'verify'],
  );
}

/** The sealing key of a room: HKDF(secret, info "seal/<room>") as an AES-GCM-256 key. */
export async function deriveSealKey(room: string, secret: string): Promise<CryptoKey> {
  return crypto.subtle.deriveKey(
    hkdfParams(`seal/${normaliseRoomName(room)}`),
    await secretKeyMaterial(secret, room),
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt', 'decrypt'],
  );
}
