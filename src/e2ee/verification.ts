/**
 * Proving who is at the far end of a connection. DTLS proves that the peer holds the
 * certificate named in the SDP, but the first SDP passes through the broker, which could swap
 * the fingerprints and sit in the middle. So each side checks both fingerprints as its own
 * connection sees them:
 * - with a room secret, by an HMAC over both fingerprints with a key only the room knows;
 * - without one, by a short code (emoji) that both people compare, derived from both
 *   fingerprints and two random values exchanged commit-then-reveal, so that an attacker cannot
 *   search for certificates or values that make its two codes match (as in ZRTP, RFC 6189).
 */
import type { Bytes } from '../signalling/protocol.js';
import { digest } from '../util/digest.js';
import { checkRemoteCertificates, fingerprintText, parseFingerprint, type DtlsFingerprint, type FingerprintProblem } from './fingerprint.js';

const encoder = new TextEncoder();

/** The two DTLS certificate fingerprints of a connection, as `fingerprintText` writes them (`sha-256 AB:CD:…`). */
export interface Fingerprints {
  local: string;
  remote: string;
}

/** What a connection's fingerprints are, or why they cannot be trusted. */
export type ConnectionFingerprints = { ok: true; fingerprints: Fingerprints; remote: DtlsFingerprint } | { ok: false; problem: FingerprintProblem; detail: string };

/**
 * The fingerprints of `pc`'s DTLS transport, each read strictly (exactly one distinct
 * fingerprint per description, see fingerprint.ts): ours from our local description, the
 * peer's from the remote description DTLS checked it against. Where the browser can show the
 * certificate DTLS accepted (`getRemoteCertificates()`, Chromium), it must hash to the peer's
 * fingerprint; an empty list fails.
 */
export async function connectionFingerprints(pc: RTCPeerConnection): Promise<ConnectionFingerprints> {
  const local = parseFingerprint((pc.currentLocalDescription ?? pc.localDescription)?.sdp);
  if (!local.ok) return local;
  const remote = parseFingerprint((pc.currentRemoteDescription ?? pc.remoteDescription)?.sdp);
  if (!remote.ok) return remote;
  const certificate = await checkRemoteCertificates(pc, remote.fingerprint);
  if (certificate) return { ok: false, problem: 'certificate-mismatch', detail: certificate };
  return {
    ok: true,
    fingerprints: { local: fingerprintText(local.fingerprint), remote: fingerprintText(remote.fingerprint) },
    remote: remote.fingerprint,
  };
}

function proofInput(prover: string, verifier: string): Bytes {
  return encoder.encode(`video-room/v1/auth\n${prover}\n${verifier}`);
}

/** Our proof for a connection: HMAC(key, our fingerprint, then theirs, as we see them). */
export async function proveFingerprints(key: CryptoKey, fingerprints: Fingerprints): Promise<Bytes> {
  return new Uint8Array(await crypto.subtle.sign('HMAC', key, proofInput(fingerprints.local, fingerprints.remote)));
}

/**
 * Checks the peer's proof: it must be over the peer's fingerprint and ours as *we* see them.
 * A man in the middle has different certificates on each leg, so an honest peer's proof,
 * relayed, fails; and without the secret it cannot make one of its own.
 */
export async function checkProof(key: CryptoKey, proof: Bytes, fingerprints: Fingerprints): Promise<boolean> {
  return crypto.subtle.verify('HMAC', key, proof, proofInput(fingerprints.remote, fingerprints.local));
}

/** A fresh random value for the short-code exchange (32 bytes). */
export function sasNonce(): Bytes {
  return crypto.getRandomValues(new Uint8Array(32));
}

/** The commitment to a nonce, sent before the nonce itself. */
export async function sasCommit(nonce: Bytes): Promise<Bytes> {
  const data = new Uint8Array([...encoder.encode('video-room/v1/sas-commit\n'), ...nonce]);
  return digest('SHA-256', data);
}

/** Whether `nonce` is the one `commit` committed to. */
export async function sasCommitMatches(commit: Bytes, nonce: Bytes): Promise<boolean> {
  const expected = await sasCommit(nonce);
  return expected.length === commit.length && expected.every((b, i) => b === commit[i]);
}

/** The 64 symbols of the short code, each with a name people can say aloud. */
export const SAS_EMOJI: readonly (readonly [string, string])[] = [
  ['🐶', 'Dog'], ['🐱', 'Cat'], ['🦁', 'Lion'], ['🐎', 'Horse'], ['🦄', 'Unicorn'], ['🐷', 'Pig'], ['🐘', 'Elephant'], ['🐰', 'Rabbit'],
  ['🐼', 'Panda'], ['🐓', 'Rooster'], ['🐧', 'Penguin'], ['🐢', 'Turtle'], ['🐟', 'Fish'], ['🐙', 'Octopus'], ['🦋', 'Butterfly'], ['🌷', 'Flower'],
  ['🌳', 'Tree'], ['🌵', 'Cactus'], ['🍄', 'Mushroom'], ['🌏', 'Globe'], ['🌙', 'Moon'], ['☁️', 'Cloud'], ['🔥', 'Fire'], ['🍌', 'Banana'],
  ['🍎', 'Apple'], ['🍓', 'Strawberry'], ['🌽', 'Corn'], ['🍕', 'Pizza'], ['🎂', 'Cake'], ['❤️', 'Heart'], ['😀', 'Smiley'], ['🤖', 'Robot'],
  ['🎩', 'Hat'], ['👓', 'Glasses'], ['🔧', 'Spanner'], ['🎅', 'Santa'], ['👍', 'Thumbs up'], ['☂️', 'Umbrella'], ['⌛', 'Hourglass'], ['⏰', 'Clock'],
  ['🎁', 'Gift'], ['💡', 'Light bulb'], ['📕', 'Book'], ['✏️', 'Pencil'], ['📎', 'Paperclip'], ['✂️', 'Scissors'], ['🔒', 'Lock'], ['🔑', 'Key'],
  ['🔨', 'Hammer'], ['☎️', 'Telephone'], ['🏁', 'Flag'], ['🚂', 'Train'], ['🚲', 'Bicycle'], ['✈️', 'Aeroplane'], ['🚀', 'Rocket'], ['🏆', 'Trophy'],
  ['⚽', 'Ball'], ['🎸', 'Guitar'], ['🎺', 'Trumpet'], ['🔔', 'Bell'], ['⚓', 'Anchor'], ['🎧', 'Headphones'], ['📁', 'Folder'], ['📌', 'Pin'],
];

/** How many symbols a short code has (42 bits). */
export const SAS_LENGTH = 7;

/** A short code: its symbols and their names, in order. */
export interface ShortCode {
  emoji: string[];
  names: string[];
}

/**
 * The short code of a connection: SHA-256 over both fingerprints and both nonces, ordered by
 * fingerprint so that both ends compute the same, cut to 7 symbols of 6 bits.
 */
export async function sasCode(fingerprints: Fingerprints, localNonce: Bytes, remoteNonce: Bytes): Promise<ShortCode> {
  const mine = { fp: fingerprints.local, nonce: localNonce };
  const theirs = { fp: fingerprints.remote, nonce: remoteNonce };
  const [first, second] = mine.fp <= theirs.fp ? [mine, theirs] : [theirs, mine];
  const data = new Uint8Array([
    ...encoder.encode(`video-room/v1/sas\n${first.fp}\n${second.fp}\n`),
    ...first.nonce,
    ...second.nonce,
  ]);
  const hash = await digest('SHA-256', data);
  let bits = 0n;
  for (const byte of hash.slice(0, 6)) bits = (bits << 8n) | BigInt(byte);
  const code: ShortCode = { emoji: [], names: [] };
  for (let i = 0; i < SAS_LENGTH; i++) {
    const [emoji, name] = SAS_EMOJI[Number((bits >> BigInt(42 - 6 * i)) & 63n)] ?? ['?', '?'];
    code.emoji.push(emoji);
    code.names.push(name);
  }
  return code;
}
