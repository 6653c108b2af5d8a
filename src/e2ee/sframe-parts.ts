/**
 * The parts of the SFrame codec (sframe.ts, RFC 9605): byte helpers, the header, the cipher
 * suites, the key schedule, the AEADs, and message and media-frame encryption.
 *
 * Each part is a factory that uses only its arguments, globals and types (which vanish at compile
 * time): never another name of this module or of any other, because `sframeCodecSource()` sends
 * their source text (`toString()`) to a Blob worker, where nothing else exists. The parts they
 * need come as arguments, from `assembleSFrameCodec` (sframe.ts).
 */
import type { SFrameAeadKey, SFrameHeader, SFrameKey, SFrameKeyLookup, SFrameOpened, SFrameSuite } from './sframe.js';

/**
 * Byte helpers every other part uses: concatenation, the 64-bit range check of KIDs and CTRs,
 * and the per-frame nonce. Self-contained: uses only its (no) arguments and globals.
 */
export function sframeBytes() {
  const MAX_U64 = (1n << 64n) - 1n;

  /** The bytes of `parts` one after the other, in a new array. */
  function concat(...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
    const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
    let at = 0;
    for (const part of parts) {
      out.set(part, at);
      at += part.length;
    }
    return out;
  }

  /** Throws a RangeError unless `value` is a bigint in 0..2^64-1 (a KID or CTR). */
  function checkU64(name: string, value: bigint): void {
    if (typeof value !== 'bigint' || value < 0n || value > MAX_U64) throw new RangeError(`${name} out of range`);
  }

  /** §4.4.3: nonce = sframe_salt XOR CTR, the counter as a big-endian integer of Nn bytes. */
  function nonce(salt: Uint8Array, ctr: bigint): Uint8Array<ArrayBuffer> {
    checkU64('CTR', ctr);
    const out = new Uint8Array(salt);
    let c = ctr;
    for (let i = out.length - 1; i >= 0 && c > 0n; i--, c >>= 8n) out[i] ^= Number(c & 0xffn);
    return out;
  }

  return { concat, checkU64, nonce };
}

/** What `sframeBytes` returns. */
export type SFrameBytes = ReturnType<typeof sframeBytes>;

/** The SFrame header (§4.3): encoding and strict decoding. Self-contained: uses only `bytes` and globals. */
export function sframeHeaders(bytes: SFrameBytes) {
  const { concat, checkU64 } = bytes;

  /** Big-endian bytes of `value` in as few bytes as possible (value > 0). */
  function minimalBytes(value: bigint): Uint8Array<ArrayBuffer> {
    const out: number[] = [];
    for (let v = value; v > 0n; v >>= 8n) out.unshift(Number(v & 0xffn));
    return Uint8Array.from(out);
  }

  /** §4.3: config byte X|K(3)|Y|C(3), then KID, then CTR, each in minimal big-endian bytes. */
  function encodeHeader(kid: bigint, ctr: bigint): Uint8Array<ArrayBuffer> {
    checkU64('KID', kid);
    checkU64('CTR', ctr);
    const kidBytes = kid < 8n ? null : minimalBytes(kid);
    const ctrBytes = ctr < 8n ? null : minimalBytes(ctr);
    const config =
      (kidBytes ? 0x80 | ((kidBytes.length - 1) << 4) : Number(kid) << 4) |
      (ctrBytes ? 0x08 | (ctrBytes.length - 1) : Number(ctr));
    return concat(Uint8Array.of(config), kidBytes ?? new Uint8Array(0), ctrBytes ?? new Uint8Array(0));
  }

  /**
   * Reads an extended field; null when truncated or not minimal (a value below 8 or a leading
   * zero byte), which RFC 9605 §4.3 forbids ("MUST be encoded with the minimum number of bytes").
   */
  function readField(data: Uint8Array, at: number, length: number): bigint | null {
    if (at + length > data.length) return null;
    if (length > 1 && data[at] === 0) return null;
    let value = 0n;
    for (let i = 0; i < length; i++) value = (value << 8n) | BigInt(data[at + i]);
    return value < 8n ? null : value;
  }

  /** Decodes the header at `offset`; null when it is truncated or not minimally encoded. */
  function decodeHeader(data: Uint8Array, offset = 0): SFrameHeader | null {
    if (offset < 0 || offset >= data.length) return null;
    const config = data[offset];
    let at = offset + 1;
    let kid = BigInt((config >> 4) & 7);
    if (config & 0x80) {
      const length = ((config >> 4) & 7) + 1;
      const value = readField(data, at, length);
      if (value === null) return null;
      kid = value;
      at += length;
    }
    let ctr = BigInt(config & 7);
    if (config & 0x08) {
      const length = (config & 7) + 1;
      const value = readField(data, at, length);
      if (value === null) return null;
      ctr = value;
      at += length;
    }
    return { kid, ctr, length: at - offset };
  }

  return { encodeHeader, decodeHeader };
}

/** The cipher suites of §4.5 (Table 1). Self-contained: uses nothing but globals. */
export function sframeSuites() {
  const SUITES: Record<number, SFrameSuite> = {
    0x0001: { id: 1, name: 'AES_128_CTR_HMAC_SHA256_80', hash: 'SHA-256', gcm: false, nh: 32, nka: 16, nk: 48, nn: 12, nt: 10 },
    0x0002: { id: 2, name: 'AES_128_CTR_HMAC_SHA256_64', hash: 'SHA-256', gcm: false, nh: 32, nka: 16, nk: 48, nn: 12, nt: 8 },
    0x0003: { id: 3, name: 'AES_128_CTR_HMAC_SHA256_32', hash: 'SHA-256', gcm: false, nh: 32, nka: 16, nk: 48, nn: 12, nt: 4 },
    0x0004: { id: 4, name: 'AES_128_GCM_SHA256_128', hash: 'SHA-256', gcm: true, nh: 32, nka: 0, nk: 16, nn: 12, nt: 16 },
    0x0005: { id: 5, name: 'AES_256_GCM_SHA512_128', hash: 'SHA-512', gcm: true, nh: 64, nka: 0, nk: 32, nn: 12, nt: 16 },
  };

  /** The suite with IANA number `id`; throws a RangeError for any other. */
  function suite(id: number): SFrameSuite {
    const found = SUITES[id];
    if (!found) throw new RangeError(`unsupported SFrame cipher suite ${id}`);
    return found;
  }

  return { suites: SUITES, suite };
}

/**
 * The key schedule (§4.4.2, §4.5.1): derivation labels, HKDF, and the import of non-extractable
 * AEAD keys. Self-contained: uses only its arguments and globals.
 */
export function sframeKeys(bytes: SFrameBytes, suites: ReturnType<typeof sframeSuites>) {
  const { checkU64 } = bytes;
  const { suite } = suites;
  const subtle = crypto.subtle;

  /** §4.4.2 labels: "SFrame 1.0 Secret key " / "SFrame 1.0 Secret salt " || KID (8 B) || suite (2 B). */
  function derivationLabels(suiteId: number, kid: bigint): { key: Uint8Array<ArrayBuffer>; salt: Uint8Array<ArrayBuffer> } {
    checkU64('KID', kid);
    const label = (prefix: string) => {
      const text = new TextEncoder().encode(prefix);
      const out = new Uint8Array(text.length + 10);
      out.set(text);
      const view = new DataView(out.buffer);
      view.setBigUint64(text.length, kid);
      view.setUint16(text.length + 8, suiteId);
      return out;
    };
    return { key: label('SFrame 1.0 Secret key '), salt: label('SFrame 1.0 Secret salt ') };
  }

  /**
   * §4.4.2: sframe_secret = HKDF-Extract("", base_key), then HKDF-Expand with each label.
   * WebCrypto's HKDF with an empty salt is exactly that (RFC 5869: no salt = HashLen zeros).
   */
  async function deriveKeySalt(
    suiteId: number,
    kid: bigint,
    baseKey: Uint8Array,
  ): Promise<{ key: Uint8Array<ArrayBuffer>; salt: Uint8Array<ArrayBuffer> }> {
    const s = suite(suiteId);
    const labels = derivationLabels(suiteId, kid);
    const ikm = await subtle.importKey('raw', new Uint8Array(baseKey), 'HKDF', false, ['deriveBits']);
    const expand = async (info: Uint8Array<ArrayBuffer>, length: number) =>
      new Uint8Array(await subtle.deriveBits({ name: 'HKDF', hash: s.hash, salt: new Uint8Array(0), info }, ikm, length * 8));
    return { key: await expand(labels.key, s.nk), salt: await expand(labels.salt, s.nn) };
  }

  /** Imports a raw `sframe_key` (Nk bytes) as non-extractable AEAD key(s) (§4.5.1 splits CTR+HMAC keys). */
  async function importAeadKey(suiteId: number, key: Uint8Array): Promise<SFrameAeadKey> {
    const s = suite(suiteId);
    if (key.length !== s.nk) throw new RangeError(`sframe_key must be ${s.nk} bytes`);
    const raw = new Uint8Array(key);
    if (s.gcm) return { gcm: await subtle.importKey('raw', raw, 'AES-GCM', false, ['encrypt', 'decrypt']) };
    return {
      enc: await subtle.importKey('raw', raw.subarray(0, s.nka), 'AES-CTR', false, ['encrypt', 'decrypt']),
      auth: await subtle.importKey('raw', raw.subarray(s.nka), { name: 'HMAC', hash: s.hash }, false, ['sign']),
    };
  }

  /** Derives and imports the key for (`kid`, `baseKey`); the raw key bytes are wiped afterwards. */
  async function importKey(suiteId: number, kid: bigint, baseKey: Uint8Array): Promise<SFrameKey> {
    const s = suite(suiteId);
    const { key, salt } = await deriveKeySalt(suiteId, kid, baseKey);
    try {
      return { suite: s, kid, salt, aead: await importAeadKey(suiteId, key) };
    } finally {
      key.fill(0);
    }
  }

  return { derivationLabels, deriveKeySalt, importAeadKey, importKey };
}

/**
 * The AEAD of each suite: AES-GCM, or AES-CTR + HMAC (§4.5.1). Self-contained: uses only `bytes`
 * and globals.
 */
export function sframeAead(bytes: SFrameBytes) {
  const { concat } = bytes;
  const subtle = crypto.subtle;

  /** §4.5.1 compute_tag: HMAC(auth_key, len(aad) || len(ct) || Nt || nonce || aad || ct), truncated to Nt. */
  async function ctrTag(s: SFrameSuite, auth: CryptoKey, iv: Uint8Array, aad: Uint8Array, ct: Uint8Array): Promise<Uint8Array> {
    const lengths = new Uint8Array(24);
    const view = new DataView(lengths.buffer);
    view.setBigUint64(0, BigInt(aad.length));
    view.setBigUint64(8, BigInt(ct.length));
    view.setBigUint64(16, BigInt(s.nt));
    const mac = new Uint8Array(await subtle.sign('HMAC', auth, concat(lengths, iv, aad, ct)));
    return mac.subarray(0, s.nt);
  }

  /** AEAD.Encrypt of the suite: ciphertext with the tag appended (RFC 5116 convention). */
  async function aeadEncrypt(
    s: SFrameSuite,
    key: SFrameAeadKey,
    iv: Uint8Array<ArrayBuffer>,
    aad: Uint8Array<ArrayBuffer>,
    plaintext: Uint8Array<ArrayBuffer>,
  ): Promise<Uint8Array<ArrayBuffer>> {
    if (s.gcm) {
      return new Uint8Array(await subtle.encrypt({ name: 'AES-GCM', iv, additionalData: aad, tagLength: s.nt * 8 }, key.gcm!, plaintext));
    }
    const counter = concat(iv, new Uint8Array(4));
    const ct = new Uint8Array(await subtle.encrypt({ name: 'AES-CTR', counter, length: 32 }, key.enc!, plaintext));
    return concat(ct, await ctrTag(s, key.auth!, iv, aad, ct));
  }

  /** AEAD.Decrypt of the suite; null when the tag does not verify. */
  async function aeadDecrypt(
    s: SFrameSuite,
    key: SFrameAeadKey,
    iv: Uint8Array<ArrayBuffer>,
    aad: Uint8Array<ArrayBuffer>,
    ciphertext: Uint8Array<ArrayBuffer>,
  ): Promise<Uint8Array<ArrayBuffer> | null> {
    if (ciphertext.length < s.nt) return null;
    if (s.gcm) {
      try {
        return new Uint8Array(await subtle.decrypt({ name: 'AES-GCM', iv, additionalData: aad, tagLength: s.nt * 8 }, key.gcm!, ciphertext));
      } catch {
        return null;
      }
    }
    const inner = ciphertext.subarray(0, ciphertext.length - s.nt);
    const tag = ciphertext.subarray(ciphertext.length - s.nt);
    const expected = await ctrTag(s, key.auth!, iv, aad, inner);
    // Compare every byte whatever the first difference (§4.5.1 constant_time_equal).
    let diff = 0;
    for (let i = 0; i < s.nt; i++) diff |= expected[i] ^ tag[i];
    if (diff !== 0) return null;
    const counter = concat(iv, new Uint8Array(4));
    return new Uint8Array(await subtle.decrypt({ name: 'AES-CTR', counter, length: 32 }, key.enc!, inner));
  }

  return { aeadEncrypt, aeadDecrypt };
}

/**
 * SFrame encryption of whole messages (§4.4.3, §4.4.4, the RFC form) and of media frames (the
 * wire form at the top of sframe.ts). Self-contained: uses only its arguments and globals.
 */
export function sframeFrames(bytes: SFrameBytes, headers: ReturnType<typeof sframeHeaders>, aead: ReturnType<typeof sframeAead>) {
  const { concat, nonce } = bytes;
  const { encodeHeader, decodeHeader } = headers;
  const { aeadEncrypt, aeadDecrypt } = aead;
  /** Clear bytes at the front of a frame (see the layout at the top of sframe.ts). */
  const CLEAR_BYTES = { videoKey: 10, videoDelta: 3, audio: 1 };

  /** §4.4.3 encrypt: header || AEAD.Encrypt(sframe_key, nonce, header || metadata, plaintext). */
  async function encrypt(key: SFrameKey, ctr: bigint, metadata: Uint8Array, plaintext: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
    const header = encodeHeader(key.kid, ctr);
    const sealed = await aeadEncrypt(key.suite, key.aead, nonce(key.salt, ctr), concat(header, metadata), new Uint8Array(plaintext));
    return concat(header, sealed);
  }

  /** §4.4.4 decrypt of an RFC-form SFrame ciphertext. */
  async function decrypt(lookup: SFrameKeyLookup, metadata: Uint8Array, ciphertext: Uint8Array): Promise<SFrameOpened> {
    const header = decodeHeader(ciphertext);
    if (!header) return { ok: false, error: 'malformed' };
    const key = lookup(header.kid);
    if (!key) return { ok: false, error: 'no-key' };
    const data = new Uint8Array(ciphertext);
    const aad = concat(data.subarray(0, header.length), metadata);
    const plaintext = await aeadDecrypt(key.suite, key.aead, nonce(key.salt, header.ctr), aad, data.subarray(header.length));
    return plaintext ? { ok: true, plaintext, kid: header.kid, ctr: header.ctr } : { ok: false, error: 'auth' };
  }

  /** How many leading bytes of a frame stay in clear (see the layout at the top of sframe.ts). */
  function clearBytes(kind: 'audio' | 'video', keyFrame: boolean): number {
    if (kind === 'audio') return CLEAR_BYTES.audio;
    return keyFrame ? CLEAR_BYTES.videoKey : CLEAR_BYTES.videoDelta;
  }

  /**
   * Encrypts one media frame into the wire form: prefix || ciphertext+tag || header || P || H.
   * `vp8`: the frame tag in the clear prefix says its first partition is as long as it can be,
   * so a decoder without the key refuses every frame (it would decode ciphertext into noise);
   * the true tag travels encrypted, before the rest.
   */
  async function protectFrame(key: SFrameKey, ctr: bigint, frame: Uint8Array<ArrayBuffer>, clear: number, vp8 = false): Promise<Uint8Array<ArrayBuffer>> {
    const p = Math.max(0, Math.min(clear, frame.length, 255));
    const moved = vp8 && p >= 3;
    const prefix = moved ? concat(Uint8Array.of(frame[0]! | 0xe0, 0xff, 0xff), frame.subarray(3, p)) : frame.subarray(0, p);
    const header = encodeHeader(key.kid, ctr);
    const plaintext = moved ? concat(frame.subarray(0, 3), frame.subarray(p)) : frame.subarray(p);
    const sealed = await aeadEncrypt(key.suite, key.aead, nonce(key.salt, ctr), concat(header, prefix), plaintext);
    return concat(prefix, sealed, header, Uint8Array.of(p, header.length));
  }

  /** Opens a frame in the wire form; never returns anything but the authenticated plaintext. */
  async function unprotectFrame(lookup: SFrameKeyLookup, frame: Uint8Array<ArrayBuffer>, vp8 = false): Promise<SFrameOpened> {
    const n = frame.length;
    if (n < 2) return { ok: false, error: 'malformed' };
    const headerLength = frame[n - 1];
    const p = frame[n - 2];
    const headerAt = n - 2 - headerLength;
    // A header is 1 to 17 bytes; the ciphertext between prefix and header holds at least a tag.
    if (headerLength < 1 || headerLength > 17 || headerAt < p) return { ok: false, error: 'malformed' };
    const header = decodeHeader(frame.subarray(0, n - 2), headerAt);
    if (!header || header.length !== headerLength) return { ok: false, error: 'malformed' };
    const key = lookup(header.kid);
    if (!key) return { ok: false, error: 'no-key' };
    if (headerAt - p < key.suite.nt) return { ok: false, error: 'malformed' };
    const prefix = frame.subarray(0, p);
    const aad = concat(frame.subarray(headerAt, n - 2), prefix);
    const plaintext = await aeadDecrypt(key.suite, key.aead, nonce(key.salt, header.ctr), aad, frame.subarray(p, headerAt));
    if (!plaintext) return { ok: false, error: 'auth' };
    // VP8: the true frame tag came first in the ciphertext (see protectFrame).
    if (vp8 && p >= 3) {
      if (plaintext.length < 3) return { ok: false, error: 'malformed' };
      return { ok: true, plaintext: concat(plaintext.subarray(0, 3), prefix.subarray(3), plaintext.subarray(3)), kid: header.kid, ctr: header.ctr };
    }
    return { ok: true, plaintext: concat(prefix, plaintext), kid: header.kid, ctr: header.ctr };
  }

  return { encrypt, decrypt, clearBytes, protectFrame, unprotectFrame };
}
