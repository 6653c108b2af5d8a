/**
 * The data-channel protocol between two participants, and its validator.
 * Nothing from a peer is used before `parseMessage` has checked its size, type and fields.
 */
import { isVideoRoomId } from '../room/room-id.js';
import { cleanChatText } from '../chat/chat.js';

/** Largest message accepted from a peer, in UTF-16 code units. */
export const MAX_MESSAGE_LENGTH = 64 * 1024;
/** Longest display name kept; longer names are cut. */
export const MAX_NAME_LENGTH = 64;
/** Most roster entries accepted in one message. */
export const MAX_ROSTER_ENTRIES = 64;

/** A participant as gossiped between peers. */
export interface RosterEntry {
  id: string;
  name: string;
}

/** A peer's media and identity state. */
export interface PeerState {
  name: string;
  audioMuted: boolean;
  videoMuted: boolean;
  /** Whether the sender is sharing a screen. */
  screenSharing: boolean;
  /** Whether the sender currently holds the room's rendezvous id. */
  rendezvous: boolean;
  /** In a room whose media goes through the SFU: the sender's feed there (see sfu/). */
  feed?: string;
  /** The participants whose media the sender now takes from the SFU: they stop sending it theirs over the mesh. */
  sfuFrom?: string[];
}

/** A feed id as the SFU path makes them (`f-` and 96 random bits in hex). */
export function isFeedId(value: unknown): value is string {
  return typeof value === 'string' && /^f-[0-9a-f]{24}$/.test(value);
}

export type PeerMessage =
  | ({ t: 'hello'; id: string } & PeerState)
  | ({ t: 'state' } & PeerState)
  | { t: 'roster'; peers: RosterEntry[] }
  | { t: 'sdp'; description: { type: 'offer' | 'answer'; sdp: string } }
  | { t: 'ice'; candidate: RTCIceCandidateInit | null }
  | { t: 'bye' }
  /** A heartbeat: the sender is alive (sent every second). */
  | { t: 'hb' }
  | { t: 'full' }
  /** With a room secret: HMAC over both DTLS fingerprints (32 bytes). */
  | { t: 'auth'; proof: Bytes }
  /** Without one: the commitment to our short-code nonce (32 bytes), then the nonce itself. */
  | { t: 'sas-commit'; commit: Bytes }
  | { t: 'sas-reveal'; nonce: Bytes }
  /** A frame-encryption key of the sender (16 bytes) and its key id; answered by `key-ack`. */
  | { t: 'key'; kid: number; key: Bytes }
  | { t: 'key-ack'; kid: number }
  /** A chat message. */
  | { t: 'chat'; text: string }
  /**
   * The sender's microphone level (0..1), for the speaker highlight: sent when it
   * changes and once a second while not silent (see Room.shareLevel).
   */
  | { t: 'level'; level: number }
  /** The sender's key for MACs on signalling it relays through the broker (32 bytes; see relay-auth.ts). */
  | { t: 'relay-key'; key: Bytes }
  /** In a room with a secret: a `key` or `chat` message sealed under it (see sealed.ts), the sender's `seq`-th. */
  | { t: 'sealed'; seq: number; box: string };

/** The field of each message that carries bytes (base64 on the wire). */
const BINARY_FIELDS = { auth: 'proof', 'sas-commit': 'commit', 'sas-reveal': 'nonce', key: 'key', 'relay-key': 'key' } as const;

/** Longest sealed box accepted, in base64 characters (a chat message of MAX_CHAT_LENGTH, sealed, fits). */
export const MAX_SEALED_LENGTH = 16 * 1024;

/** Bytes as WebCrypto takes them. */
export type Bytes = Uint8Array<ArrayBuffer>;

/** Largest frame-encryption key id (32 bits). */
export const MAX_KEY_ID = 0xffffffff;

type Obj = Record<string, unknown>;

function isObj(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Base64 (standard alphabet, padded) of `bytes`. */
export function toBase64(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes));
}

/** The bytes of a base64 string of exactly `length` bytes, or null. */
export function fromBase64(value: unknown, length: number): Bytes | null {
  if (typeof value !== 'string' || value.length !== Math.ceil(length / 3) * 4 || !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) return null;
  try {
    const bytes = Uint8Array.from(atob(value), (c) => c.charCodeAt(0));
    return bytes.length === length ? bytes : null;
  } catch {
    return null;
  }
}

/** The bytes of a base64 string of any length up to MAX_SEALED_LENGTH characters, or null. */
export function fromBase64Any(value: unknown): Bytes | null {
  if (typeof value !== 'string' || value.length % 4 !== 0 || value.length > MAX_SEALED_LENGTH) return null;
  return fromBase64(value, (value.length / 4) * 3 - (value.endsWith('==') ? 2 : value.endsWith('=') ? 1 : 0));
}

function isKeyId(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_KEY_ID;
}

/** Cleans a display name: text only, no control characters, trimmed and bounded. */
export function cleanName(value: unknown): string {
  if (typeof value !== 'string') return '';
  // eslint-disable-next-line no-control-regex
  return value.replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, '').trim().slice(0, MAX_NAME_LENGTH);
}

function parseState(obj: Obj): PeerState | null {
  if (typeof obj.audioMuted !== 'boolean' || typeof obj.videoMuted !== 'boolean') return null;
  return {
    name: cleanName(obj.name),
    audioMuted: obj.audioMuted,
    videoMuted: obj.videoMuted,
    screenSharing: obj.screenSharing === true,
    rendezvous: obj.rendezvous === true,
    ...(isFeedId(obj.feed) ? { feed: obj.feed } : {}),
    ...(Array.isArray(obj.sfuFrom) && obj.sfuFrom.length <= MAX_ROSTER_ENTRIES && obj.sfuFrom.every(isVideoRoomId) ? { sfuFrom: obj.sfuFrom } : {}),
  };
}

function parseCandidate(value: unknown): RTCIceCandidateInit | null | undefined {
  if (value === null) return null;
  if (!isObj(value) || typeof value.candidate !== 'string' || value.candidate.length > 2048) return undefined;
  const init: RTCIceCandidateInit = { candidate: value.candidate };
  if (typeof value.sdpMid === 'string' && value.sdpMid.length <= 64) init.sdpMid = value.sdpMid;
  else if (value.sdpMid !== null && value.sdpMid !== undefined) return undefined;
  if (typeof value.sdpMLineIndex === 'number' && Number.isInteger(value.sdpMLineIndex) && value.sdpMLineIndex >= 0 && value.sdpMLineIndex < 1024)
    init.sdpMLineIndex = value.sdpMLineIndex;
  else if (value.sdpMLineIndex !== null && value.sdpMLineIndex !== undefined) return undefined;
  if (typeof value.usernameFragment === 'string' && value.usernameFragment.length <= 256)
    init.usernameFragment = value.usernameFragment;
  return init;
}

/**
 * Parses one raw data-channel message. Returns `null` for anything that is not a
 * well-formed message of the protocol: wrong type, too large, bad JSON, missing or bad fields.
 */
export function parseMessage(raw: unknown): PeerMessage | null {
  if (typeof raw !== 'string' || raw.length > MAX_MESSAGE_LENGTH) return null;
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    return null;
  }
  if (!isObj(data) || typeof data.t !== 'string') return null;
  switch (data.t) {
    case 'hello': {
      const state = parseState(data);
      return state && isVideoRoomId(data.id) ? { t: 'hello', id: data.id, ...state } : null;
    }
    case 'state': {
      const state = parseState(data);
      return state ? { t: 'state', ...state } : null;
    }
    case 'roster': {
      if (!Array.isArray(data.peers) || data.peers.length > MAX_ROSTER_ENTRIES) return null;
      const peers: RosterEntry[] = [];
      for (const entry of data.peers) {
        if (!isObj(entry) || !isVideoRoomId(entry.id)) return null;
        peers.push({ id: entry.id, name: cleanName(entry.name) });
      }
      return { t: 'roster', peers };
    }
    case 'sdp': {
      const d = data.description;
      if (!isObj(d) || (d.type !== 'offer' && d.type !== 'answer') || typeof d.sdp !== 'string') return null;
      return { t: 'sdp', description: { type: d.type, sdp: d.sdp } };
    }
    case 'ice': {
      const candidate = parseCandidate(data.candidate);
      return candidate === undefined ? null : { t: 'ice', candidate };
    }
    case 'bye':
      return { t: 'bye' };
    case 'hb':
      return { t: 'hb' };
    case 'full':
      return { t: 'full' };
    case 'auth': {
      const proof = fromBase64(data.proof, 32);
      return proof ? { t: 'auth', proof } : null;
    }
    case 'sas-commit': {
      const commit = fromBase64(data.commit, 32);
      return commit ? { t: 'sas-commit', commit } : null;
    }
    case 'sas-reveal': {
      const nonce = fromBase64(data.nonce, 32);
      return nonce ? { t: 'sas-reveal', nonce } : null;
    }
    case 'key': {
      const key = fromBase64(data.key, 16);
      return key && isKeyId(data.kid) ? { t: 'key', kid: data.kid, key } : null;
    }
    case 'key-ack':
      return isKeyId(data.kid) ? { t: 'key-ack', kid: data.kid } : null;
    case 'chat': {
      const text = cleanChatText(data.text);
      return text ? { t: 'chat', text } : null;
    }
    case 'level': {
      const { level } = data;
      return typeof level === 'number' && level >= 0 && level <= 1 ? { t: 'level', level } : null;
    }
    case 'relay-key': {
      const key = fromBase64(data.key, 32);
      return key ? { t: 'relay-key', key } : null;
    }
    case 'sealed': {
      const { seq, box } = data;
      if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 1 || !fromBase64Any(box)) return null;
      return { t: 'sealed', seq, box: box as string };
    }
    default:
      return null;
  }
}

/** Serialises a message for the data channel (bytes as base64). */
export function encodeMessage(message: PeerMessage): string {
  const field = BINARY_FIELDS[message.t as keyof typeof BINARY_FIELDS];
  if (!field) return JSON.stringify(message);
  const bytes = (message as unknown as Record<string, Uint8Array>)[field];
  return JSON.stringify({ ...message, [field]: bytes ? toBase64(bytes) : '' });
}
