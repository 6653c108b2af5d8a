/**
 * Parsing of the attribute values that need more than a type: each `parse*` returns null for bad
 * input, and each `read*` reports it (a `vr-error`) and answers with a default or null, so the
 * element stays usable.
 */
import { ERROR_CODES, type ErrorCode } from '../constants.js';
import { isValidSecret, takePageSecret } from '../e2ee/secret.js';
import { DEFAULT_MAX_UPSTREAM_KBPS, parseMaxUpstreamKbps } from '../link/bandwidth.js';
import { DEFAULT_VIDEO_QUALITY, parseFacingMode, parseVideoQuality, type FacingMode, type VideoQuality } from '../media/quality.js';
import { parseBrokerUrls, type BrokerConfig } from '../signalling/broker-config.js';
import { hasTurn, toIceServers } from '../signalling/ice-servers.js';
import { DEFAULT_SFU_THRESHOLD, parseMediaServers, parseSfuThreshold, type SfuThreshold } from '../room/sfu-mode.js';

/**
 * Parses `ice-servers` (a JSON array of RTCIceServer; `[]` for none): the servers, `auto` when it
 * is absent or empty (the element then asks its broker's server), or null when it is not valid.
 */
export function parseIceServers(value: string | null | undefined): RTCIceServer[] | 'auto' | null {
  if (value === null || value === undefined || value.trim() === '') return 'auto';
  try {
    return toIceServers(JSON.parse(value));
  } catch {
    return null;
  }
}

/**
 * Parses `ice-transport-policy`: `all` (the default) or `relay` (TURN only, which hides each
 * participant's IP addresses from the others). `relay` needs a TURN server among `servers`.
 */
export function parseIceTransportPolicy(value: string | null | undefined, servers: RTCIceServer[] | 'auto'): RTCIceTransportPolicy | null {
  const policy = (value ?? '').trim().toLowerCase() || 'all';
  if (policy === 'all') return 'all';
  if (policy !== 'relay') return null;
  // From the server: whether it hands out a TURN server is known at the join.
  return servers === 'auto' || hasTurn(servers) ? 'relay' : null;
}

/** Validates `max-participants`: a whole number of at least 2 (64 at most, a mesh's sane limit). */
export function parseMaxParticipants(value: unknown): number | null {
  const n = typeof value === 'string' ? Number(value) : value;
  return typeof n === 'number' && Number.isInteger(n) && n >= 2 && n <= 64 ? n : null;
}

/** Reports a bad value (a `vr-error`); the element goes on with a default. */
export type Fail = (code: ErrorCode, message: string) => void;

/** The PeerServer that served this script: same origin, path `/peerjs`. */
const DEFAULT_SERVER = new URL('/peerjs', import.meta.url).href;

export function readQuality(value: string | null, fail: Fail): VideoQuality {
  const quality = parseVideoQuality(value);
  if (quality) return quality;
  fail(ERROR_CODES.invalidVideoQuality, 'video-quality must be low, medium or high; using medium.');
  return DEFAULT_VIDEO_QUALITY;
}

export function readFacingMode(value: string | null, fail: Fail): FacingMode | undefined {
  const mode = parseFacingMode(value);
  if (mode !== null) return mode;
  fail(ERROR_CODES.invalidFacingMode, 'facing-mode must be user or environment; ignoring it.');
  return undefined;
}

export function readUpstream(value: string | number | null, fail: Fail): number {
  const kbps = parseMaxUpstreamKbps(value);
  if (kbps) return kbps;
  fail(ERROR_CODES.invalidMaxUpstreamKbps, `max-upstream-kbps must be a whole number from 200 to 100000; using ${DEFAULT_MAX_UPSTREAM_KBPS}.`);
  return DEFAULT_MAX_UPSTREAM_KBPS;
}

/** The secret set as a property, else the page's (`#vr-secret`, then taken out of the URL and remembered); null: none, undefined: unusable. */
export function currentSecret(secret: string | null | undefined): string | null | undefined {
  if (secret !== null && secret !== undefined) return isValidSecret(secret) ? secret : undefined;
  const fromPage = takePageSecret();
  return fromPage === undefined ? null : (fromPage ?? undefined);
}

/** The secret for a join; fires `invalid-secret` and returns undefined for an unusable one (no join: a room meant to be secret must not open without it). */
export function readSecret(secret: string | null | undefined, fail: Fail): string | null | undefined {
  const value = currentSecret(secret);
  if (value === undefined) fail(ERROR_CODES.invalidSecret, 'The room secret is empty or longer than 256 characters, so the call was not joined.');
  // A page that is not a secure context has no WebCrypto, which the secret's key derivation and
  // frame encryption need. Without a secret such a page joins receive-only (see util/digest.ts).
  else if (value && globalThis.isSecureContext === false) {
    fail(ERROR_CODES.insecureContext, 'This page is not served over HTTPS: it cannot join an encrypted room.');
    return undefined;
  }
  return value;
}

/** The attributes a join reads. */
export interface JoinAttributes {
  room: string;
  server: string | null;
  iceServers: string | null;
  iceTransportPolicy: string | null;
  maxParticipants: number;
  sfuThreshold: string | null;
  mediaServer: string | null;
}

/** What a join needs of the attributes, validated. */
export interface JoinConfig {
  room: string;
  brokers: BrokerConfig[];
  /** `auto`: from the broker's server. */
  iceServers: RTCIceServer[] | 'auto';
  iceTransportPolicy: RTCIceTransportPolicy;
  maxParticipants: number;
  sfuThreshold: SfuThreshold;
  mediaServers: string[] | 'auto';
}

/** Validates the attributes for a join; fires `vr-error` and returns null when one is bad. */
export function readConfig(attributes: JoinAttributes, fail: Fail): JoinConfig | null {
  const room = (attributes.room ?? '').trim();
  if (!room) {
    fail(ERROR_CODES.invalidRoom, 'No room name was given.');
    return null;
  }
  const iceServers = parseIceServers(attributes.iceServers);
  if (!iceServers) {
    fail(ERROR_CODES.invalidIceServers, 'The ice-servers attribute is not a JSON array of ICE servers.');
    return null;
  }
  const iceTransportPolicy = parseIceTransportPolicy(attributes.iceTransportPolicy, iceServers);
  if (!iceTransportPolicy) {
    fail(ERROR_CODES.invalidIceTransportPolicy, 'ice-transport-policy must be all, or relay with a TURN server in ice-servers.');
    return null;
  }
  const maxParticipants = parseMaxParticipants(attributes.maxParticipants);
  if (!maxParticipants) {
    fail(ERROR_CODES.invalidMaxParticipants, 'max-participants must be a whole number of at least 2.');
    return null;
  }
  let brokers: BrokerConfig[];
  try {
    brokers = parseBrokerUrls(attributes.server || DEFAULT_SERVER, location.href);
  } catch {
    fail(ERROR_CODES.invalidServer, 'The server attribute is not an http(s) or ws(s) URL, or a comma-separated list of them.');
    return null;
  }
  if (typeof RTCPeerConnection === 'undefined') {
    fail(ERROR_CODES.webrtcUnsupported, 'This browser cannot make video calls.');
    return null;
  }
  // Bad SFU settings are reported and the defaults used: the call itself can go on without them.
  let sfuThreshold = parseSfuThreshold(attributes.sfuThreshold);
  if (sfuThreshold === null) {
    fail(ERROR_CODES.invalidSfuThreshold, `sfu-threshold must be a whole number from 2 to 64, never or always; using ${DEFAULT_SFU_THRESHOLD}.`);
    sfuThreshold = DEFAULT_SFU_THRESHOLD;
  }
  let mediaServers = parseMediaServers(attributes.mediaServer);
  if (mediaServers === null) {
    fail(ERROR_CODES.invalidMediaServer, "media-server must be ws:// or wss:// URLs (at most 16); using the broker's server's own.");
    mediaServers = 'auto';
  }
  return { room, brokers, iceServers, iceTransportPolicy, maxParticipants, sfuThreshold, mediaServers };
}
