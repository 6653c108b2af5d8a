/**
 * Events as data: which public `vr-*` events each core event (of the Room, the local media and
 * the screen share) causes, and their detail. The element fires them all through one helper
 * walking this table; the call's own bookkeeping (tiles, chat, announcements) is the store's.
 * An event with no row is internal on purpose, and says why.
 */
import { ERROR_CODES, EVENTS } from '../constants.js';
import type { ParticipantInfo, VideoRoomEventMap } from '../events.js';
import type { LocalMediaEvents } from '../media/local-media.js';
import type { ScreenShareEvents } from '../media/screen-share.js';
import type { Participant, RoomEvents } from '../room/room.js';
import type { CallState } from './call-store.js';

/**
 * The events of the local camera, microphone and screen share, prefixed by their source. A
 * `media:device` may also be the speaker, chosen by the element.
 */
export type MediaEvents = { [K in Exclude<keyof LocalMediaEvents, 'device'> as `media:${K}`]: LocalMediaEvents[K] } & {
  [K in keyof ScreenShareEvents as `screen:${K}`]: ScreenShareEvents[K];
} & { 'media:device': VideoRoomEventMap[typeof EVENTS.deviceChange]['detail'] };
/** What the element's own controllers tell the store: the active speaker, picture-in-picture and fullscreen. */
export interface ElementEvents {
  /** The active speaker changed (null: nobody). */
  speaker: { id: string | null };
  'view:pip': { mode: 'document' | 'video' | null };
  /** What is fullscreen: null (nothing of ours), '' (the whole room) or a tile's id. */
  'view:fullscreen': { id: string | null };
}
/** Every core event the element hears. */
export type CoreEvents = RoomEvents & MediaEvents & ElementEvents;

type PublicName = keyof VideoRoomEventMap;
type PublicDetail<E extends PublicName> = VideoRoomEventMap[E]['detail'];
/** A public event and its detail, as `publicEvents` lists them. */
export type PublicEvent = { [E in PublicName]: [type: E, detail: PublicDetail<E>] }[PublicName];
/** One public event a core event causes: its name, and its detail from the core detail and the call's state after the event (null: not this time). */
type Row<D> = { [E in PublicName]: readonly [E, (detail: D, state: CallState) => PublicDetail<E> | null] }[PublicName];
type Rows<M> = { readonly [K in keyof M]: readonly Row<M[K]>[] };

/** A participant as the public API shows it. */
export function publicInfo(p: Participant): ParticipantInfo {
  return {
    id: p.id,
    name: p.name,
    audioMuted: p.audioMuted,
    videoMuted: p.videoMuted,
    screenSharing: p.screenSharing,
    verified: p.verified,
    verificationCode: p.code ? p.code.emoji.join(' ') : null,
    connectionQuality: p.quality,
  };
}

/** The English message of a failed verification (the element shows `strings.errors`' instead). */
function mitmMessage({ name, reason, detail }: RoomEvents['verification-failed']): string {
  const who = name || 'a participant';
  return reason === 'rejected'
    ? `The code of ${who} did not match yours, so that connection was closed: someone may be listening in.`
    : `The connection to ${who} could not be verified (${detail ?? reason}), so it was closed: someone may be listening in.`;
}

const remote = ({ participant: p }: { participant: Participant }) => ({ local: false, id: p.id, name: p.name });
const self = (_: unknown, s: CallState) => ({ local: true, id: s.id, name: s.name });

const ROOM_ROWS = {
  state: [
    [EVENTS.stateChange, ({ state }, s) => ({ state, previous: s.previous })],
    [EVENTS.joined, ({ state }, s) => (state === 'joined' ? { room: s.roomName, id: s.id } : null)],
    [EVENTS.left, ({ state }, s) => (state === 'left' ? { room: s.roomName } : null)],
  ],
  'peer-joined': [[EVENTS.peerJoined, ({ participant }) => ({ participant: publicInfo(participant) })]],
  'peer-left': [[EVENTS.peerLeft, ({ participant, reason }) => ({ participant: publicInfo(participant), reason })]],
  'peer-updated': [[EVENTS.muteChange, (d) => ({ ...remote(d), audioMuted: d.participant.audioMuted, videoMuted: d.participant.videoMuted, screenSharing: d.participant.screenSharing })]],
  // The tile's stream is renewed (the store): nothing public.
  'peer-track': [],
  'peer-screen': [
    [EVENTS.screenShareStart, (d) => (d.sharing ? remote(d) : null)],
    [EVENTS.screenShareStop, (d) => (d.sharing ? null : remote(d))],
  ],
  'peer-verified': [[EVENTS.peerVerified, ({ participant, method }) => ({ participant: publicInfo(participant), method })]],
  // The tile gets its Verify button; the code is public through `participants`.
  'peer-code': [],
  'peer-reconnecting': [[EVENTS.reconnecting, (d) => ({ ...remote(d), reconnecting: d.reconnecting })]],
  'peer-quality': [[EVENTS.connectionQuality, (d) => ({ ...remote(d), quality: d.quality, rttMs: d.rttMs, lossPercent: d.lossPercent })]],
  // The message the store logged (none while chat is off).
  chat: [[EVENTS.message, (_, s) => (s.chatOff ? null : { ...s.messages[s.messages.length - 1]! })]],
  'verification-failed': [
    [EVENTS.peerVerificationFailed, (d) => ({ code: ERROR_CODES.e2eeMitmSuspected, message: mitmMessage(d), id: d.id, name: d.name, reason: d.reason })],
    [EVENTS.error, (d) => ({ code: ERROR_CODES.e2eeMitmSuspected, message: mitmMessage(d) })],
  ],
  // The frame key changed: the room's own business.
  'key-epoch': [],
  // These details are the public ones already.
  broker: [[EVENTS.brokerChange, (d) => d]],
  error: [[EVENTS.error, (d) => d]],
} as const satisfies Rows<RoomEvents>;

const MEDIA_ROWS = {
  // The local tile's stream is renewed and the room told (the store).
  'media:stream': [],
  // The element's audio-muted and video-muted properties are the source of the mute state.
  'media:mute': [],
  'media:device': [[EVENTS.deviceChange, (d) => d]],
  // The device lists are refreshed (the media controller).
  'media:devices': [],
  'media:error': [[EVENTS.error, ({ error }) => ({ code: ERROR_CODES.deviceLost, message: `${error.message} The device in use went away and no other could take over.` })]],
  'screen:start': [[EVENTS.screenShareStart, self]],
  'screen:stop': [[EVENTS.screenShareStop, self]],
} as const satisfies Rows<MediaEvents>;

const ELEMENT_ROWS = {
  speaker: [
    [
      EVENTS.activeSpeaker,
      ({ id }, s) => (id && s.id ? { local: id === s.id, id, name: id === s.id ? s.name : (s.participants.find((p) => p.id === id)?.name ?? '') } : null),
    ],
  ],
  'view:pip': [[EVENTS.pipChange, ({ mode }) => ({ open: mode !== null, mode })]],
  'view:fullscreen': [[EVENTS.fullscreenChange, ({ id }) => ({ fullscreen: id !== null, id })]],
} as const satisfies Rows<ElementEvents>;

/** Each core event's public events, in the order they fire. */
export const PUBLIC_EVENTS = { ...ROOM_ROWS, ...MEDIA_ROWS, ...ELEMENT_ROWS } as const;

/** The Room's events, every one of which the store follows. */
export const ROOM_EVENT_NAMES = Object.keys(ROOM_ROWS) as (keyof RoomEvents)[];

/** Calls `emit` with each public event that core event `name` causes, and its detail, given the call's state after it. */
export function publicEvents<K extends keyof CoreEvents>(name: K, detail: CoreEvents[K], state: CallState, emit: (...event: PublicEvent) => unknown): void {
  for (const [type, map] of PUBLIC_EVENTS[name] as readonly (readonly [PublicName, (d: CoreEvents[K], s: CallState) => unknown])[]) {
    const out = map(detail, state);
    // Each row pairs a name with its own detail (the table's type checks it): the pair is one of PublicEvent.
    if (out) emit(...([type, out] as unknown as PublicEvent));
  }
}
