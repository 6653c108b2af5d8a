/**
 * The call's state in one place, DOM-free (media-chrome's store): what the element shows,
 * published as frozen snapshots that are replaced, never changed. It works before the call's
 * code is loaded (idle, the local preview), follows the Room of each join once it is created,
 * and keeps the last one after it is left. Core events come in through `dispatch`; the element's
 * own requests through `set`, `join` and `chat`.
 */
import type { RoomState } from '../constants.js';
import type { ShortCode } from '../e2ee/verification.js';
import type { ParticipantInfo } from '../events.js';
import type { ConnectionQuality } from '../link/link-quality.js';
import type { DeviceInfo } from '../media/devices.js';
import type { Room } from '../room/room.js';
import type { StringKey } from '../i18n/strings.js';
import { ChatLog, type ChatMessage } from '../chat/chat.js';
import { ROOM_EVENT_NAMES, publicInfo, type CoreEvents } from './public-events.js';

/** One tile of the call, in the order the grid shows them. */
export interface Tile {
  /** The participant's id (`<id>:screen` for a shared screen; `local` for ours before a join). */
  readonly id: string;
  readonly local: boolean;
  readonly screen?: boolean;
  readonly name: string;
  readonly stream: MediaStream | null;
  readonly audioMuted?: boolean;
  readonly videoMuted?: boolean;
  /** A remote camera tile: whether its connection is verified. */
  readonly verified?: boolean;
  /** A remote camera tile: whether there is a short code to compare. */
  readonly canCompare?: boolean;
  /** A remote camera tile: the quality of the connection. */
  readonly quality?: ConnectionQuality;
}

/** What the element sets: its own side of the call and its panels (a flag left out is false). */
export interface LocalState {
  /** The display name (the pre-join field's text). */
  name: string;
  audioMuted?: boolean;
  videoMuted?: boolean;
  /** The stream of the local tile, renewed when a device switch swaps a track. */
  preview: MediaStream | null;
  /** The stream of our own screen tile while sharing. */
  screen: MediaStream | null;
  devices: readonly DeviceInfo[];
  /** The room name of the current (or last) join. */
  roomName: string;
  /** A join waiting for the call's code (the state is `joining` meanwhile). */
  loading?: boolean;
  chatOff?: boolean;
  chatOpen?: boolean;
  settingsOpen?: boolean;
  /** The control bar's "more" menu is open. */
  moreOpen?: boolean;
  /** The page of a grid with more people than it shows at once (from 0; wraps). */
  page?: number;
  /** The browser blocked sound until a click. */
  soundBlocked?: boolean;
  /** The participant whose short code is shown, if any. */
  verifying: string | null;
  /** An invite link the clipboard refused, shown for copying by hand. */
  shownInvite: string | null;
  /** The status line's message. */
  message: string;
  /** The chat field's text, kept when a message cannot be sent. */
  draft: string;
  /** In a call whose broker is lost, until it is reached again. */
  offBroker?: boolean;
  /** The last join or leave, for screen readers. */
  announcement: string;
  /** The active speaker's id (ours included), in a call. */
  speaker: string | null;
  pip: 'document' | 'video' | null;
  /** What is fullscreen: null (nothing of ours), '' (the whole room) or a tile's id. */
  fullscreen: string | null;
}

/** A snapshot of the call. */
export interface CallState extends Readonly<Omit<LocalState, 'loading' | 'verifying'>> {
  readonly state: RoomState;
  /** The room state before the last change. */
  readonly previous: RoomState;
  /** Our participant id ('' before the first join). */
  readonly id: string;
  /** How participants are verified, during a join or call. */
  readonly verification: 'secret' | 'sas' | null;
  readonly participants: readonly ParticipantInfo[];
  /** Screens first, then this participant, then everyone else. */
  readonly tiles: readonly Tile[];
  readonly messages: readonly ChatMessage[];
  /** Messages that came in while the chat panel was closed. */
  readonly unread: number;
  /** The participant whose short code is shown, while there is one to show. */
  readonly verifying: { readonly id: string; readonly name: string; readonly code: ShortCode } | null;
  readonly screenSharing: boolean;
}

type Listener = (state: CallState) => void;
type Reducers = { [K in keyof CoreEvents]?: (detail: CoreEvents[K]) => void };

const freeze = Object.freeze;
/** A stream of its own for a tile: a new object makes the video element load the tracks anew. */
const copy = (stream: MediaStream) => new MediaStream(stream.getTracks());

export class CallStore {
  #local: LocalState = {
    name: '',
    preview: null,
    screen: null,
    devices: [],
    roomName: '',
    verifying: null,
    shownInvite: null,
    message: '',
    draft: '',
    announcement: '',
    speaker: null,
    pip: null,
    fullscreen: null,
  };
  #room: Room | null = null;
  #off: (() => void)[] = [];
  /** Streams of the remote tiles, by tile id. */
  #streams = new Map<string, MediaStream>();
  #chat = new ChatLog();
  #last: RoomState = 'idle';
  #previous: RoomState = 'idle';
  #listeners = new Set<Listener>();
  #state!: CallState;

  /** Told of every core event once the state has followed it (the element fires the public events). */
  readonly #onEvent: <K extends keyof CoreEvents>(name: K, detail: CoreEvents[K], state: CallState) => void;
  constructor(
    /** Texts in the element's language, for announcements and notices. */
    readonly t: (key: StringKey, values?: Record<string, string>) => string,
    onEvent: <K extends keyof CoreEvents>(name: K, detail: CoreEvents[K], state: CallState) => void,
  ) {
    this.#onEvent = onEvent;
    this.#update();
  }

  getState(): CallState {
    return this.#state;
  }

  /** Calls `listener` with every new snapshot; returns the function that unsubscribes. */
  subscribe(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Calls `listener` with the room state each time it changes; returns the function that unsubscribes. */
  onState(listener: (state: RoomState) => void): () => void {
    let last = this.#state.state;
    return this.subscribe(({ state }) => state !== last && listener((last = state)));
  }

  /** Changes what the element owns; nothing goes out when nothing changed (a render may set what it found). */
  set(changes: Partial<LocalState>): void {
    const local = this.#local;
    if ((Object.keys(changes) as (keyof LocalState)[]).every((key) => local[key] === changes[key])) return;
    Object.assign(local, changes);
    if (local.chatOff) local.chatOpen = false;
    if (changes.chatOpen) this.#chat.markRead();
    this.#update();
  }

  /** A join starts: a new room name and an empty chat. */
  join(roomName: string): void {
    this.#chat.clear();
    Object.assign(this.#local, { roomName, chatOpen: false });
    this.#update();
  }

  /** Logs a message of ours. */
  chat(message: ChatMessage): void {
    this.#chat.add(freeze(message), true);
    this.#update();
  }

  /** Follows `room` (the previous one's events are no longer heard). */
  attach(room: Room): void {
    this.detach();
    this.#room = room;
    this.#off = ROOM_EVENT_NAMES.map((name) => room.on(name, (detail) => this.dispatch(name, detail)));
    // A screen shared before joining goes to everyone.
    const screen = this.#local.screen?.getVideoTracks()[0];
    if (screen) room.setScreenTrack(screen);
    this.#update();
  }

  /** Stops hearing the room's events; its last state stays. */
  detach(): void {
    for (const off of this.#off) off();
    this.#off = [];
  }

  /**
   * A core event: the state follows it and the new snapshot goes out, then `onEvent` hears of it
   * (so that whoever a public event reaches reads the new state).
   */
  dispatch<K extends keyof CoreEvents>(name: K, detail: CoreEvents[K]): void {
    (this.#reducers[name] as ((detail: CoreEvents[K]) => void) | undefined)?.(detail);
    this.#update();
    this.#onEvent(name, detail, this.#state);
  }

  #reducers: Reducers = {
    state: ({ state }) => {
      this.#previous = this.#last;
      this.#last = state;
      if (state !== 'joined') this.#local.speaker = null;
      if (state === 'left') this.#streams.clear();
    },
    'peer-joined': ({ participant: p }) => {
      this.#announce('peerJoined', p.name);
      this.#streams.set(p.id, copy(p.stream));
    },
    'peer-left': ({ participant: p, reason }) => {
      this.#announce(reason === 'left' ? 'peerLeft' : 'peerLost', p.name);
      this.#streams.delete(p.id);
      this.#streams.delete(`${p.id}:screen`);
    },
    'peer-track': ({ participant: p, screen }) => {
      if (screen) this.#streams.set(`${p.id}:screen`, copy(p.screenStream));
      else this.#streams.set(p.id, copy(p.stream));
    },
    'peer-verified': ({ participant }) => this.#verified(participant.id),
    'verification-failed': ({ id }) => this.#verified(id),
    broker: ({ connected }) => (this.#local.offBroker = !connected),
    chat: ({ participant: p, text, verified }) => {
      const local = this.#local;
      if (!local.chatOff) this.#chat.add(freeze({ local: false, id: p.id, name: p.name, text, time: Date.now(), verified }), !!local.chatOpen);
    },
    'media:stream': ({ stream }) => {
      this.#local.preview = stream && copy(stream);
      this.#room?.updateLocalMedia(stream);
    },
    'media:device': ({ kind, label, reason }) => {
      if (reason === 'fallback')
        this.#local.message = this.t(kind === 'videoinput' ? 'cameraFallback' : 'microphoneFallback', { label: label || this.t('defaultDevice') });
    },
    'screen:start': ({ track }) => {
      this.#local.screen = new MediaStream([track]);
      this.#room?.setScreenTrack(track);
    },
    'screen:stop': () => {
      this.#local.screen = null;
      this.#room?.setScreenTrack(null);
    },
    speaker: ({ id }) => (this.#local.speaker = id),
    'view:pip': ({ mode }) => (this.#local.pip = mode),
    'view:fullscreen': ({ id }) => (this.#local.fullscreen = id),
  };

  #announce(key: StringKey, name: string): void {
    this.#local.announcement = this.t(key, { name: name || this.t('guest') });
  }

  /** The code of `id` needs no more comparing. */
  #verified(id: string): void {
    if (this.#local.verifying === id) this.#local.verifying = null;
  }

  #update(): void {
    this.#state = this.#build();
    // The newest snapshot each time: a listener may have changed the state meanwhile.
    for (const listener of this.#listeners) listener(this.#state);
  }

  #build(): CallState {
    const { loading, verifying, ...local } = this.#local;
    const room = this.#room;
    const people = room?.participants ?? [];
    const id = room?.id ?? '';
    const state = loading ? 'joining' : (room?.state ?? 'idle');
    const selfId = id || 'local';
    const tile = (t: Tile) => freeze(t);
    const screens = people
      .filter((p) => p.screenSharing)
      .map((p) => tile({ local: false, screen: true, id: `${p.id}:screen`, name: p.name, stream: this.#streams.get(`${p.id}:screen`) ?? null }));
    if (local.screen) screens.unshift(tile({ local: true, screen: true, id: `${selfId}:screen`, name: local.name, stream: local.screen }));
    const shown = verifying ? people.find((p) => p.id === verifying) : undefined;
    return freeze({
      ...local,
      state,
      previous: this.#previous,
      id,
      verification: room && (state === 'joining' || state === 'joined') ? room.verification : null,
      participants: freeze(people.map((p) => freeze(publicInfo(p)))),
      tiles: freeze([
        ...screens,
        tile({ local: true, id: selfId, name: local.name, stream: local.preview, audioMuted: local.audioMuted, videoMuted: local.videoMuted }),
        ...people.map((p) =>
          tile({
            local: false,
            id: p.id,
            name: p.name,
            stream: this.#streams.get(p.id) ?? null,
            audioMuted: p.audioMuted,
            videoMuted: p.videoMuted,
            verified: p.verified,
            canCompare: p.code !== null,
            quality: p.quality,
          }),
        ),
      ]),
      devices: freeze([...local.devices]),
      messages: freeze([...this.#chat.messages]),
      unread: this.#chat.unread,
      verifying: shown?.code ? freeze({ id: shown.id, name: shown.name, code: shown.code }) : null,
      screenSharing: !!local.screen,
    });
  }
}
