/**
 * Frame keys and chat sealed under the room secret. In a room with a secret they travel over
 * data channels whose far end proved it knows the secret, but a data channel is only as safe as
 * its DTLS link. So each is also AEAD-sealed (AES-GCM, WebCrypto) under a key derived from the
 * secret, with the sender's and receiver's ids, both DTLS fingerprints as each side sees them and
 * a sequence number as associated data: whoever breaks or sits in the middle of a link without
 * the secret reads nothing, and cannot move a sealed message to another link or play it again.
 */
import { fromBase64Any, toBase64, type Bytes } from '../signalling/protocol.js';
import { deriveSealKey } from './keys.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });
const IV_BYTES = 12;

/** Who a sealed message goes from and to, on which link (fingerprints as `fingerprintText` writes them). */
export interface SealContext {
  from: string;
  to: string;
  fromFingerprint: string;
  toFingerprint: string;
  seq: number;
}

function associatedData(context: SealContext): Bytes {
  const { from, to, fromFingerprint, toFingerprint, seq } = context;
  return encoder.encode(`video-room/v1/sealed\n${from}\n${to}\n${fromFingerprint}\n${toFingerprint}\n${seq}`);
}

/** Seals `text`; returns base64 of the IV and the ciphertext with its tag. */
export async function seal(key: CryptoKey, context: SealContext, text: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const box = await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: associatedData(context) }, key, encoder.encode(text));
  const out = new Uint8Array(IV_BYTES + box.byteLength);
  out.set(iv);
  out.set(new Uint8Array(box), IV_BYTES);
  return toBase64(out);
}

/** Seals and opens under one room's key (what a link needs; loaded with frame encryption). */
export interface Sealer {
  seal(context: SealContext, text: string): Promise<string>;
  unseal(context: SealContext, box: string): Promise<string | null>;
}

/** The sealer of a room with a secret. */
export async function createSealer(room: string, secret: string): Promise<Sealer> {
  const key = await deriveSealKey(room, secret);
  return { seal: (context, text) => seal(key, context, text), unseal: (context, box) => unseal(key, context, box) };
}

/** Opens a sealed box; null when it does not open under `key` and `context` (forged, moved or altered). */
export async function unseal(key: CryptoKey, context: SealContext, box: string): Promise<string | null> {
  const bytes = fromBase64Any(box);
  if (!bytes || bytes.length < IV_BYTES + 16) return null;
  try {
    const plain = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: bytes.slice(0, IV_BYTES), additionalData: associatedData(context) },
      key,
      bytes.slice(IV_BYTES),
    );
    return decoder.decode(plain);
  } catch {
    return null;
  }
}
