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
  deviceChange: 'vr-device-change',
  screenShareStart: 'vr-screen-share-start',
  screenShareStop: 'vr-screen-share-stop',
  activeSpeaker: 'vr-active-speaker',
  peerVerified: 'vr-peer-verified',
  peerVerificationFailed: 'vr-peer-verification-failed',
  brokerChange: 'vr-broker-change',
  connectionQuality: 'vr-connection-quality',
  reconnecting: 'vr-reconnecting',
  message: 'vr-message',
  pipChange: 'vr-pip-change',
  fullscreenChange: 'vr-fullscreen-change',
  error: 'vr-error',
} as const;

/** Attribute names of `<video-room>`. */
export const ATTRIBUTES = {
  room: 'room',
  server: 'server',
  name: 'name',
  iceServers: 'ice-servers',
  iceTransportPolicy: 'ice-transport-policy',
  autojoin: 'autojoin',
  audioMuted: 'audio-muted',
  videoMuted: 'video-muted',
  maxParticipants: 'max-participants',
  videoQuality: 'video-quality',
  facingMode: 'facing-mode',
  maxUpstreamKbps: 'max-upstream-kbps',
  lang: 'lang',
  theme: 'theme',
  chat: 'chat',
} as const;

/** The connection states a room goes through. */
export const STATES = ['idle', 'joining', 'joined', 'left', 'error'] as const;
export type RoomState = (typeof STATES)[number];

/** What each `vr-error` code means: the README's table is generated from this map. */
export const ERROR_CODE_DOCS = {
  'invalid-room': '`room` is missing or empty when joining.',
  'invalid-ice-servers': '`ice-servers` is not a JSON array of RTCIceServer objects (stun:/turn: URLs).',
  'invalid-ice-transport-policy': '`ice-transport-policy` is not `all` or `relay`, or is `relay` without a `turn:`/`turns:` server in `ice-servers`.',
  'invalid-max-participants': '`max-participants` is not a whole number from 2 to 64.',
  'invalid-server': '`server` is not an http(s) or ws(s) URL, or a comma-separated list of them.',
  'invalid-video-quality': '`video-quality` is not `low`, `medium` or `high`; `medium` is used.',
  'invalid-facing-mode': '`facing-mode` is not `user` or `environment`; it is ignored.',
  'invalid-max-upstream-kbps': '`max-upstream-kbps` is not a whole number from 200 to 100000; the default (2500) is used.',
  'invalid-device': '`setDevice()` was given an unknown kind or a device that is not there; the current device stays.',
  'broker-unreachable': 'The PeerServer could not be reached or refused the connection.',
  'load-failed': 'The call\'s code (a chunk beside the bundle, fetched on the first join or ahead of it) could not be loaded; joining again tries again.',
  'room-full': 'The room already holds `max-participants` people; the others are unaffected.',
  'join-timeout': 'Joining did not complete in time (the room never answered).',
  'webrtc-unsupported': 'The browser has no WebRTC support.',
  'media-permission-denied': 'Camera and microphone permission was denied; the call goes on receive-only.',
  'media-not-found': 'No camera, or no microphone, was found; the call goes on with the other one, or receive-only.',
  'media-in-use': 'The camera or microphone is in use by another program; the call goes on with what could be started, or receive-only.',
  'media-constraints': 'The device cannot satisfy the requested constraints.',
  'media-failed': 'Any other failure to capture media; the call goes on receive-only.',
  'insecure-context': 'The page is not a secure context (it is served over plain `http://` from another host than `localhost`): browsers give it no camera or microphone, so it joins receive-only; a room with a secret, whose encryption needs the browser\'s cryptography (`crypto.subtle`), is not joined. Serve the page over HTTPS.',
  'device-lost': 'The camera or microphone in use went away and no other could take over; the call goes on without it.',
  'speaker-unsupported': 'This browser cannot choose the speaker (no `setSinkId`); sound plays on the default one.',
  'screen-share-denied': 'Screen sharing was cancelled or not allowed.',
  'screen-share-unsupported': 'This browser cannot share a screen.',
  'screen-share-failed': 'Any other failure to share the screen.',
  'peer-connection-failed': 'The connection to one participant failed; the rest of the call goes on.',
  'invalid-secret': 'The `secret` property, or the `vr-secret` in the page URL\'s fragment, is empty or longer than 256 characters: the call is not joined, since a room meant to be secret must not open without its secret. Also fired for a `secret` attribute, which is ignored (it would sit in the page\'s HTML).',
  'e2ee-unsupported': 'This browser cannot encrypt media frames (no `RTCRtpScriptTransform` or encoded streams), which a room with a secret needs; it cannot join.',
  'e2ee-mitm-suspected': 'A connection could not be verified and was closed: a wrong or missing proof of the room secret, a short code that did not match, a description listing more than one DTLS fingerprint (or a malformed, missing or weak one), a certificate other than the one named, or a later description naming another certificate than the verified one. Someone, such as the broker, may be in the middle.',
  'clipboard-failed': 'The invite link could not be copied to the clipboard; it is shown for copying by hand.',
  'invalid-strings': '`strings` is not an object of texts, or has unknown keys or values that are not strings; those are ignored.',
  'invalid-theme': '`theme` is not `light`, `dark` or `auto`; the page\'s colour scheme is followed.',
  'invalid-chat': '`chat` is not `on` or `off`; chat stays on.',
  'locale-failed': 'The translation for `lang` could not be loaded; English is shown.',
  'chat-unavailable': '`sendMessage()` was called with chat off (`chat="off"`) or outside a call; nothing was sent.',
  'invalid-message': '`sendMessage()` was given no text, only spaces, or more than 2000 characters; nothing was sent.',
  'pip-unavailable': 'Picture-in-picture is not available: the browser has neither Document nor video picture-in-picture, refused it (it needs a click), or there is no video to show.',
  'fullscreen-unavailable': 'Fullscreen is not available: an iframe without `allow="fullscreen"`, a refusal (it needs a click), or no such tile.',
} as const;

/** Error codes carried by `vr-error` (`detail.code`), by name. */
export const ERROR_CODES = {
  invalidRoom: 'invalid-room',
  invalidIceServers: 'invalid-ice-servers',
  invalidIceTransportPolicy: 'invalid-ice-transport-policy',
  invalidMaxParticipants: 'invalid-max-participants',
  invalidServer: 'invalid-server',
  invalidVideoQuality: 'invalid-video-quality',
  invalidFacingMode: 'invalid-facing-mode',
  invalidMaxUpstreamKbps: 'invalid-max-upstream-kbps',
  invalidDevice: 'invalid-device',
  brokerUnreachable: 'broker-unreachable',
  loadFailed: 'load-failed',
  roomFull: 'room-full',
  joinTimeout: 'join-timeout',
  webrtcUnsupported: 'webrtc-unsupported',
  mediaPermissionDenied: 'media-permission-denied',
  mediaNotFound: 'media-not-found',
  mediaInUse: 'media-in-use',
  mediaConstraints: 'media-constraints',
  mediaFailed: 'media-failed',
  insecureContext: 'insecure-context',
  deviceLost: 'device-lost',
  speakerUnsupported: 'speaker-unsupported',
  screenShareDenied: 'screen-share-denied',
  screenShareUnsupported: 'screen-share-unsupported',
  screenShareFailed: 'screen-share-failed',
  peerConnectionFailed: 'peer-connection-failed',
  invalidSecret: 'invalid-secret',
  e2eeUnsupported: 'e2ee-unsupported',
  e2eeMitmSuspected: 'e2ee-mitm-suspected',
  clipboardFailed: 'clipboard-failed',
  invalidStrings: 'invalid-strings',
  invalidTheme: 'invalid-theme',
  invalidChat: 'invalid-chat',
  localeFailed: 'locale-failed',
  chatUnavailable: 'chat-unavailable',
  invalidMessage: 'invalid-message',
  pipUnavailable: 'pip-unavailable',
  fullscreenUnavailable: 'fullscreen-unavailable',
} as const satisfies Record<string, keyof typeof ERROR_CODE_DOCS>;
export type ErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

/** Default for `max-participants`. */
export const DEFAULT_MAX_PARTICIPANTS = 8;
