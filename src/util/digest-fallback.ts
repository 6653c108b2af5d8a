/**
 * SHA-2 and HMAC-SHA-256 for pages without WebCrypto (see digest.ts), from @noble/hashes
 * (audited, no dependencies). Loaded only there, as a chunk of its own.
 */
import { hmac } from '@noble/hashes/hmac.js';
import { sha256, sha384, sha512 } from '@noble/hashes/sha2.js';
import type { HashName, MacKey } from './digest.js';

const HASHES = { 'SHA-256': sha256, 'SHA-384': sha384, 'SHA-512': sha512 } as const;

export function digest(hash: HashName, data: Uint8Array): Uint8Array<ArrayBuffer> {
  return new Uint8Array(HASHES[hash](data));
}

/** Equal bytes, in a time that does not depend on where they differ. */
function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

export function hmacKey(raw: Uint8Array): MacKey {
  const key = raw.slice();
  return {
    sign: async (data) => new Uint8Array(hmac(sha256, key, data)),
    verify: async (tag, data) => equal(hmac(sha256, key, data), tag),
  };
}
