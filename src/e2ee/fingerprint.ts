/**
 * The DTLS certificate fingerprint of a session description, read the strict way.
 *
 * Browsers disagree on which `a=fingerprint` line counts when an SDP lists several (RFC 8122
 * allows it): Chromium completes DTLS only against the last one (a media-level line overriding
 * a session-level one), Firefox against any of them. So a reader that picks one line, whichever,
 * can be shown the honest peer's fingerprint while the browser talks to someone else. This
 * module therefore reads every line that mentions a fingerprint, at session and media level,
 * under any hash name, and accepts a description only when they all name one and the same
 * fingerprint, with a hash strong enough to verify. Anything else is refused, with its reason.
 */
import { digest, type HashName } from '../util/digest.js';

/** One DTLS certificate fingerprint: the hash's name (lower case) and its value (`AB:CD:…`, upper case). */
export interface DtlsFingerprint {
  readonly algorithm: string;
  readonly value: string;
}

/** What can be wrong with the fingerprints of a description, or of a connection. */
export type FingerprintProblem =
  /** No fingerprint at all. */
  | 'fingerprint-missing'
  /** A line that mentions a fingerprint but is not one well-formed fingerprint, or a stray line break. */
  | 'fingerprint-malformed'
  /** More than one distinct fingerprint: which one the browser checks depends on the browser. */
  | 'fingerprint-duplicate'
  /** One fingerprint, but with a hash too weak or unknown to verify a certificate by. */
  | 'fingerprint-weak'
  /** The certificate DTLS accepted does not hash to the fingerprint (or the browser shows none). */
  | 'certificate-mismatch'
  /** A later description names another certificate than the one this connection was verified with. */
  | 'fingerprint-changed';

/** The result of reading a description's fingerprint. */
export type FingerprintResult = { ok: true; fingerprint: DtlsFingerprint } | { ok: false; problem: FingerprintProblem; detail: string };

/** Hash names of RFC 8122 (and RFC 4572 before it), with their digest length in bytes. */
const HASH_BYTES: Readonly<Record<string, number>> = { md2: 16, md5: 16, 'sha-1': 20, 'sha-224': 28, 'sha-256': 32, 'sha-384': 48, 'sha-512': 64 };

/** The hashes a certificate may be verified by, as WebCrypto names them. */
const STRONG_HASHES: Readonly<Record<string, HashName>> = { 'sha-256': 'SHA-256', 'sha-384': 'SHA-384', 'sha-512': 'SHA-512' };

const LINE = /^a=fingerprint:([A-Za-z0-9-]+) ([0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2})*)$/;

/** A fingerprint as one string, for comparing and for proofs: `sha-256 AB:CD:…`. */
export function fingerprintText(fingerprint: DtlsFingerprint): string {
  return `${fingerprint.algorithm} ${fingerprint.value}`;
}

function refuse(problem: FingerprintProblem, detail: string): FingerprintResult {
  return { ok: false, problem, detail };
}

/**
 * The one fingerprint of a session description, or why there is not exactly one. Every line at
 * any level that mentions a fingerprint counts; the same fingerprint repeated in each media
 * section is one fingerprint. A lone carriage return or another control character is refused,
 * since a browser may break a line there that a reader splitting on line feeds would not.
 */
export function parseFingerprint(sdp: string | null | undefined): FingerprintResult {
  if (typeof sdp !== 'string' || sdp === '') return refuse('fingerprint-missing', 'no session description');
  // eslint-disable-next-line no-control-regex
  if (/\r(?!\n)|[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(sdp))
    return refuse('fingerprint-malformed', 'the description has a stray carriage return or control character');
  const seen = new Map<string, DtlsFingerprint>();
  for (const raw of sdp.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (!/fingerprint/i.test(line)) continue;
    const match = LINE.exec(line);
    const algorithm = match?.[1]?.toLowerCase() ?? '';
    const value = match?.[2]?.toUpperCase() ?? '';
    const bytes = HASH_BYTES[algorithm];
    if (!match || !bytes || value.length !== bytes * 3 - 1) return refuse('fingerprint-malformed', `malformed fingerprint line: ${line.slice(0, 120)}`);
    const fingerprint = { algorithm, value };
    seen.set(fingerprintText(fingerprint), fingerprint);
  }
  const all = [...seen.values()];
  if (all.length === 0) return refuse('fingerprint-missing', 'the description has no fingerprint');
  if (all.length > 1) return refuse('fingerprint-duplicate', `the description lists ${all.length} different fingerprints`);
  const fingerprint = all[0]!;
  if (!STRONG_HASHES[fingerprint.algorithm]) return refuse('fingerprint-weak', `a ${fingerprint.algorithm} fingerprint cannot verify a certificate`);
  return { ok: true, fingerprint };
}

/** Whether two fingerprints are the same. */
export function sameFingerprint(a: DtlsFingerprint, b: DtlsFingerprint): boolean {
  return a.algorithm === b.algorithm && a.value === b.value;
}

function colonHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0').toUpperCase()).join(':');
}

/** The fingerprint of a DER certificate under `algorithm` (one of the strong hashes). */
export async function certificateFingerprint(der: ArrayBuffer, algorithm: string): Promise<DtlsFingerprint | null> {
  const hash = STRONG_HASHES[algorithm];
  if (!hash) return null;
  return { algorithm, value: colonHex(await digest(hash, new Uint8Array(der))) };
}

type DtlsTransportWithCertificates = RTCDtlsTransport & { getRemoteCertificates?: () => ArrayBuffer[] };

/**
 * Checks the certificates DTLS accepted against `expected`, where the browser shows them
 * (`RTCDtlsTransport.getRemoteCertificates()`: Chromium; Firefox has no such method). Every
 * connected transport (the data channel's, and any other media may use) must show a certificate
 * that matches: a connected transport that shows none fails closed. One not connected has no
 * certificate yet and carries nothing. Returns null when all is well, else the problem.
 */
export async function checkRemoteCertificates(pc: RTCPeerConnection, expected: DtlsFingerprint): Promise<string | null> {
  const transports = new Set<DtlsTransportWithCertificates>();
  if (pc.sctp) transports.add(pc.sctp.transport);
  for (const transceiver of pc.getTransceivers()) if (transceiver.sender.transport) transports.add(transceiver.sender.transport);
  for (const transport of transports) {
    if (typeof transport.getRemoteCertificates !== 'function' || transport.state !== 'connected') continue;
    const [leaf] = transport.getRemoteCertificates();
    if (!leaf) return 'the browser shows no certificate for the connection';
    const actual = await certificateFingerprint(leaf, expected.algorithm);
    if (!actual || !sameFingerprint(actual, expected)) return 'the certificate DTLS accepted is not the one the description names';
  }
  return null;
}
