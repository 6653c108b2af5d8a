/**
 * The hashes and the HMAC a call without a room secret needs (room ids, short codes, relay MACs,
 * certificate fingerprints): WebCrypto where the page has it. A page that is not a secure context
 * (plain `http://` elsewhere than localhost) has no `crypto.subtle`; there a lazily loaded chunk
 * of an audited library (@noble/hashes) computes the same values, so that the page can still join
 * receive-only. Every other page never loads it. A room with a secret needs WebCrypto (its key
 * derivation and frame encryption): it does not join on such a page (see the element's join).
 */
export type HashName = 'SHA-256' | 'SHA-384' | 'SHA-512';

/** A key for HMAC-SHA-256. */
export interface MacKey {
  sign(data: Uint8Array): Promise<Uint8Array<ArrayBuffer>>;
  verify(tag: Uint8Array, data: Uint8Array): Promise<boolean>;
}

/** WebCrypto, or null on a page that is not a secure context. */
const subtle = (): SubtleCrypto | null => globalThis.crypto?.subtle ?? null;

let fallback: Promise<typeof import('./digest-fallback.js')> | null = null;
const loadFallback = () => (fallback ??= import('./digest-fallback.js'));

/** The `hash` of `data`. */
export async function digest(hash: HashName, data: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
  const webCrypto = subtle();
  if (webCrypto) return new Uint8Array(await webCrypto.digest(hash, data as Uint8Array<ArrayBuffer>));
  return (await loadFallback()).digest(hash, data);
}

/** An HMAC-SHA-256 key of the bytes `raw`. */
export async function hmacKey(raw: Uint8Array): Promise<MacKey> {
  const webCrypto = subtle();
  if (!webCrypto) return (await loadFallback()).hmacKey(raw);
  const key = await webCrypto.importKey('raw', raw as Uint8Array<ArrayBuffer>, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
  return {
    sign: async (data) => new Uint8Array(await webCrypto.sign('HMAC', key, data as Uint8Array<ArrayBuffer>)),
    verify: (tag, data) => webCrypto.verify('HMAC', key, tag as Uint8Array<ArrayBuffer>, data as Uint8Array<ArrayBuffer>),
  };
}
