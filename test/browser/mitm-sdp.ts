/**
 * Reading DTLS fingerprints out of SDP, for the man-in-the-middle tests, and the shapes in which
 * the hostile broker (test/plugins/mitm-broker.mjs) lists two of them.
 */

/** How the hostile broker lists the real party's fingerprint and the attacker's (see its header). */
export type FingerprintShape = 'media-real-first' | 'media-attacker-first' | 'session-real' | 'session-attacker';

/** Every shape, in a fixed order. */
export const FINGERPRINT_SHAPES: readonly FingerprintShape[] = ['media-real-first', 'media-attacker-first', 'session-real', 'session-attacker'];

/** One `a=fingerprint` line of an SDP. */
export interface FingerprintLine {
  /** 'session', or the index of the media section (0 for the first `m=`). */
  level: 'session' | number;
  /** The hash name, lower case (`sha-256`). */
  algorithm: string;
  /** The fingerprint, upper case. */
  value: string;
}

/** The first SHA-256 fingerprint in an SDP (session or first media level), upper case: what a first-line reader sees. */
export function sdpFingerprint(sdp: string | null | undefined): string | null {
  return sdpFingerprints(sdp).find((line) => line.algorithm === 'sha-256')?.value ?? null;
}

/** Every `a=fingerprint` line of an SDP, in order, with the level it is at. */
export function sdpFingerprints(sdp: string | null | undefined): FingerprintLine[] {
  let level: FingerprintLine['level'] = 'session';
  const lines: FingerprintLine[] = [];
  for (const line of (sdp ?? '').split(/\r?\n/)) {
    if (line.startsWith('m=')) level = level === 'session' ? 0 : level + 1;
    const match = /^a=fingerprint:(\S+) (\S+)/i.exec(line);
    if (match) lines.push({ level, algorithm: match[1]!.toLowerCase(), value: match[2]!.toUpperCase() });
  }
  return lines;
}

/** The local and remote SHA-256 fingerprints (first line) of a peer connection's current descriptions. */
export function fingerprints(pc: RTCPeerConnection | null | undefined): { local: string | null; remote: string | null } {
  // Firefox throws InvalidStateError when a closed connection's descriptions are read.
  if (!pc || pc.signalingState === 'closed') return { local: null, remote: null };
  return { local: sdpFingerprint(pc.localDescription?.sdp), remote: sdpFingerprint(pc.remoteDescription?.sdp) };
}

/** Each shape as "session lines|lines of every media section", each line named by whose it is. */
const SHAPE_LAYOUT: Record<FingerprintShape, string> = {
  'media-real-first': '|real,attacker',
  'media-attacker-first': '|attacker,real',
  'session-real': 'real|attacker',
  'session-attacker': 'attacker|real',
};

/**
 * The shape in which `sdp` lists the fingerprints `real` and `attacker` (every media section
 * alike), or null when it lists them some other way (or lists any other).
 */
export function fingerprintShape(sdp: string | null | undefined, real: string, attacker: string): FingerprintShape | null {
  const whose = (line: FingerprintLine) => (line.value === real ? 'real' : line.value === attacker ? 'attacker' : 'other');
  const lines = sdpFingerprints(sdp);
  const session = lines.filter((l) => l.level === 'session').map(whose).join(',');
  const sections = new Map<number, string[]>();
  for (const line of lines) if (line.level !== 'session') sections.set(line.level, [...(sections.get(line.level) ?? []), whose(line)]);
  const media = new Set([...sections.values()].map((w) => w.join(',')));
  if (media.size !== 1 || sections.size !== (sdp?.match(/^m=/gm)?.length ?? 0)) return null;
  const layout = `${session}|${[...media][0]}`;
  return (Object.keys(SHAPE_LAYOUT) as FingerprintShape[]).find((shape) => SHAPE_LAYOUT[shape] === layout) ?? null;
}
