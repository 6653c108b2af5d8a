/**
 * Every public name in one place: events, attributes, states and error codes.
 * The element, the tests and the docs import these maps instead of repeating strings.
 */

/** Public DOM events dispatched by `<video-room>` (bubbling, composed). */
export const EVENTS = {
  stateChange: 'vr-state-change',
  joined: 'vr-joined',
  left: 'vr-left',
  peerJoined: 'vr-peer-joined',
  peerLeft: 'vr-peer-left',
  muteChange: 'vr-mute-change',
  error: 'vr-error',
} as const;

/** Attribute names of `<video-room>`. */
export const ATTRIBUTES = {
  room: 'room',
  server: 'server',
  name: 'name',
  iceServers: 'ice-servers',
  autojoin: 'autojoin',
  audioMuted: 'audio-muted',
  videoMuted: 'video-muted',
  maxParticipants: 'max-participants',
} as const;

/** The connection states a room goes through. */
export const STATES = ['idle', 'joining', 'joined', 'left', 'error'] as const;
export type RoomState = (typeof STATES)[number];

/**
 * Error codes carried by `vr-error` (`detail.code`). Each is documented in the README.
 */
export const ERROR_CODES = {
  /** `room` is missing or empty when joining. */
  invalidRoom: 'invalid-room',
  /** `ice-servers` is not a JSON array of RTCIceServer objects. */
  invalidIceServers: 'invalid-ice-servers',
  /** `max-participants` is not a whole number of at least 2. */
  invalidMaxParticipants: 'invalid-max-participants',
  /** `server` is not an http(s) or ws(s) URL. */
  invalidServer: 'invalid-server',
  /** The PeerServer could not be reached or refused the connection. */
  brokerUnreachable: 'broker-unreachable',
  /** The room already holds `max-participants` people. */
  roomFull: 'room-full',
  /** Joining did not complete in time (the room's rendezvous never answered). */
  joinTimeout: 'join-timeout',
  /** The browser has no WebRTC support. */
  webrtcUnsupported: 'webrtc-unsupported',
  /** Camera or microphone permission was denied. */
  mediaPermissionDenied: 'media-permission-denied',
  /** No camera or microphone was found. */
  mediaNotFound: 'media-not-found',
  /** The camera or microphone is in use by another program. */
  mediaInUse: 'media-in-use',
  /** The device cannot satisfy the requested constraints. */
  mediaConstraints: 'media-constraints',
  /** Any other failure to capture media. */
  mediaFailed: 'media-failed',
  /** A connection to one participant failed; the rest of the call goes on. */
  peerConnectionFailed: 'peer-connection-failed',
} as const;
export type ErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

/** Default for `max-participants`. */
export const DEFAULT_MAX_PARTICIPANTS = 8;
