/**
 * SFrame (RFC 9605, https://www.rfc-editor.org/rfc/rfc9605) with WebCrypto only, and the frame
 * format our encoded transforms put on the wire.
 *
 * RFC form (`encrypt` / `decrypt`, checked against Appendix C):
 *
 *     SFrame header || AEAD.Encrypt(sframe_key, nonce, header || metadata, plaintext)
 *
 * Wire form of a media frame (`protectFrame` / `unprotectFrame`), one SFrame per encoded frame.
 * A header at the front of a frame breaks Chrome's VP8 and Opus packetizers, so, as Jitsi does
 * (https://github.com/jitsi/lib-jitsi-meet/blob/master/modules/e2ee/Context.js), the codec's
 * first bytes stay in clear and the SFrame header moves to a trailer. This can go once browsers
 * packetize SFrame natively (SFrameTransform, https://w3c.github.io/webrtc-encoded-transform/):
 *
 *     +--------------+--------------------+---------------+--------+--------+
 *     | clear prefix | ciphertext + tag   | SFrame header | P (1B) | H (1B) |
 *     |   P bytes    | (Nt = 16 for GCM)  |   H bytes     |        |        |
 *     +--------------+--------------------+---------------+--------+--------+
 *
 * - P: VP8 key frame 10 bytes (frame tag, start code, size), VP8 delta frame 3 (frame tag),
 *   Opus 1 (the TOC byte); fewer when the frame is shorter.
 * - VP8: the clear frame tag's first-partition size is set to its largest value, and the true
 *   tag goes first into the ciphertext. A selective forwarding unit reads only the key-frame bit,
 *   start code and size it needs; a decoder without the key refuses every frame rather than
 *   decode ciphertext into noise (a subscriber at the SFU without keys decodes 0 frames).
 * - The clear prefix is the SFrame *metadata*: AAD = SFrame header || clear prefix.
 * - A receiver reads H and P from the last two bytes, decodes the header at n - 2 - H and requires
 *   it to be exactly H bytes long, then opens the AEAD. Nothing unauthenticated is trusted: the
 *   header and prefix are AAD, and a forged P moves the AAD/ciphertext boundary, which the tag
 *   covers (GCM hashes both lengths; the CTR+HMAC suites put both lengths into the MAC).
 * - Replays (an authentic frame whose CTR was seen) are refused by frame-crypto-worker.ts.
 *
 * The codec is built from self-contained parts (sframe-parts.ts), factories that use only their
 * arguments, globals and types (which vanish at compile time); `assembleSFrameCodec` gives each
 * the parts it needs. So the same codec runs on this thread (`createSFrameCodec`) and, from the
 * parts' source text (`sframeCodecSource`, built with `toString()`), in the Blob worker that
 * frame-crypto.ts starts from a single bundled file.
 */
import { sframeAead, sframeBytes, sframeFrames, sframeHeaders, sframeKeys, sframeSuites } from './sframe-parts.js';

/** An RFC 9605 cipher suite (§4.5, Table 1). */
export interface SFrameSuite {
  /** The IANA cipher suite number. */
  readonly id: number;
  /** The RFC's name, e.g. AES_128_GCM_SHA256_128. */
  readonly name: string;
  /** The hash of HKDF (and of HMAC for the CTR suites). */
  readonly hash: 'SHA-256' | 'SHA-512';
  /** AES-GCM (0x0004, 0x0005) or the AES-CTR + HMAC construction of §4.5.1 (0x0001–0x0003). */
  readonly gcm: boolean;
  /** Hash output size in bytes. */
  readonly nh: number;
  /** AES key size inside a CTR+HMAC key (0 for GCM). */
  readonly nka: number;
  /** AEAD key size in bytes. */
  readonly nk: number;
  /** Nonce size in bytes. */
  readonly nn: number;
  /** Tag size in bytes. */
  readonly nt: number;
}

/** A key ready for frame encryption: the imported AEAD key(s) and the salt of one KID. */
export interface SFrameKey {
  /** The cipher suite it was derived for. */
  readonly suite: SFrameSuite;
  /** Its key id. */
  readonly kid: bigint;
  /** sframe_salt (Nn bytes). */
  readonly salt: Uint8Array<ArrayBuffer>;
  /** sframe_key, imported non-extractable. */
  readonly aead: SFrameAeadKey;
}

/** Imported AEAD key material: one AES-GCM key, or AES-CTR + HMAC subkeys. */
export interface SFrameAeadKey {
  /** The AES-GCM key (suites 0x0004, 0x0005). */
  readonly gcm?: CryptoKey;
  /** The AES-CTR subkey (suites 0x0001–0x0003). */
  readonly enc?: CryptoKey;
  /** The HMAC subkey (suites 0x0001–0x0003). */
  readonly auth?: CryptoKey;
}

/** A decoded SFrame header and the number of bytes it took. */
export interface SFrameHeader {
  /** Key id. */
  readonly kid: bigint;
  /** Counter. */
  readonly ctr: bigint;
  /** Encoded length in bytes (1 to 17). */
  readonly length: number;
}

/** Why a frame was not decrypted. */
export type SFrameError = 'malformed' | 'no-key' | 'auth';

/** The result of opening a frame. */
export type SFrameOpened =
  | { readonly ok: true; readonly plaintext: Uint8Array<ArrayBuffer>; readonly kid: bigint; readonly ctr: bigint }
  | { readonly ok: false; readonly error: SFrameError };

/** Finds the key for a KID (a receiver's keyring for one sender). */
export type SFrameKeyLookup = (kid: bigint) => SFrameKey | undefined;

/** The codec `createSFrameCodec` returns (and `sframeCodecSource()` builds in a worker). */
export type SFrameCodec = ReturnType<typeof assembleSFrameCodec>;

/** The codec's parts, as `assembleSFrameCodec` takes them: each a self-contained factory. */
export interface SFrameParts {
  /** Byte helpers. */
  readonly bytes: typeof sframeBytes;
  /** The header. */
  readonly headers: typeof sframeHeaders;
  /** The cipher suites. */
  readonly suites: typeof sframeSuites;
  /** The key schedule. */
  readonly keys: typeof sframeKeys;
  /** The AEADs. */
  readonly aead: typeof sframeAead;
  /** Message and media-frame encryption. */
  readonly frames: typeof sframeFrames;
}

/** The parts of the codec, by the names `assembleSFrameCodec` and `sframeCodecSource` use. */
const SFRAME_PARTS: SFrameParts = {
  bytes: sframeBytes,
  headers: sframeHeaders,
  suites: sframeSuites,
  keys: sframeKeys,
  aead: sframeAead,
  frames: sframeFrames,
};

/**
 * Puts the codec together from its parts, each factory given the parts it needs. Self-contained
 * (it gets the factories as its argument) so that its source text runs in a Blob worker too.
 */
export function assembleSFrameCodec(parts: SFrameParts) {
  const bytes = parts.bytes();
  const headers = parts.headers(bytes);
  const suites = parts.suites();
  const keys = parts.keys(bytes, suites);
  const aead = parts.aead(bytes);
  const frames = parts.frames(bytes, headers, aead);
  // Each part but the byte helpers returns only what the codec exposes, in the codec's order.
  return { ...suites, ...headers, ...keys, nonce: bytes.nonce, ...aead, ...frames };
}

/** Creates the SFrame codec (on this thread; `sframeCodecSource()` gives the same for a worker). */
export function createSFrameCodec(): SFrameCodec {
  return assembleSFrameCodec(SFRAME_PARTS);
}

/**
 * The source text of an object literal holding `functions` by name, each as its own source text:
 * the way self-contained parts reach a Blob worker (whatever names the minifier gave them).
 */
export function functionsSource(functions: object): string {
  // `object` rather than a record of functions: interfaces of factories have no index signature.
  const entries = Object.entries(functions as Record<string, (...args: never[]) => unknown>);
  return `{${entries.map(([name, part]) => `${name}: (${part.toString()})`).join(', ')}}`;
}

/**
 * The source text of a zero-argument function that returns the codec `createSFrameCodec()`
 * returns, built from the parts' source text alone: what the frame-crypto worker runs.
 */
export function sframeCodecSource(): string {
  return `() => (${assembleSFrameCodec.toString()})(${functionsSource(SFRAME_PARTS)})`;
}
