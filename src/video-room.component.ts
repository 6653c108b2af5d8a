import { LitElement, html, nothing, render, type PropertyValues } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
// live(): a stream is assigned only when it differs from the element's own. Lit commits object
// values on every render, and assigning srcObject, even the same stream, reloads the player.
import { live } from 'lit/directives/live.js';
import { styles } from './element/video-room.styles.js';
import { DEFAULT_MAX_PARTICIPANTS, ERROR_CODES, EVENTS, type ErrorCode, type RoomState } from './constants.js';
import { fire, type ParticipantInfo } from './events.js';
import { MediaController, canChooseSpeaker } from './element/controllers/media-controller.js';
import { RoomController, loadRoom } from './element/controllers/room-controller.js';
import { SpeakerController } from './element/controllers/speaker-controller.js';
import { MediaError } from './media/local-media.js';
import type { Participant } from './room/room.js';
import { RoomError } from './room/room-error.js';
import { parseBrokerUrls, type BrokerConfig } from './signalling/broker-config.js';
import { parseIceServers, parseIceTransportPolicy, parseMaxParticipants } from './element/config.js';
import { parseFacingMode, parseVideoQuality, DEFAULT_VIDEO_QUALITY, type VideoQuality, type FacingMode } from './media/quality.js';
import { parseMaxUpstreamKbps, DEFAULT_MAX_UPSTREAM_KBPS } from './link/bandwidth.js';
import { canShareScreen } from './media/screen-share.js';
import { isDeviceKind, type DeviceInfo, type DeviceKind } from './media/devices.js';
import { renderDevicePanel } from './element/views/device-panel.js';
import { renderVerification } from './element/views/verification-panel.js';
import type { ConnectionQuality } from './link/link-quality.js';
import { generateSecret, inviteUrl, isValidSecret, takePageSecret } from './e2ee/secret.js';
import { ChatLog, cleanChatText } from './chat/chat.js';
import { ViewController, pipSupport } from './element/controllers/view-controller.js';
import { gridColumns } from './layout/grid.js';
import { EN, format, loadStrings, localeFor, withOverrides, type StringKey, type VideoRoomStrings } from './i18n/strings.js';

/** The PeerServer that served this script: same origin, path `/peerjs`. */
const DEFAULT_SERVER = new URL('/peerjs', import.meta.url).href;

const THEMES = ['light', 'dark', 'auto'];

function publicInfo(p: Participant): ParticipantInfo {
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

/** Where the speaker choice goes: every remote audio element. */
type SinkAudio = HTMLAudioElement & { sinkId: string; setSinkId(id: string): Promise<void> };

function initials(name: string): string {
  return (
    name
      .split(/\s+/)
      .filter(Boolean)
      .slice(0, 2)
      .map((part) => [...part][0]?.toUpperCase() ?? '')
      .join('') || '?'
  );
}

/**
 * An end-to-end encrypted, peer-to-peer video call for a named room, brokered by a stock PeerJS
 * PeerServer. Everyone whose page shows the same `room` sees and hears everyone else.
 *
 * Keyboard shortcuts, while focus is inside the element: Ctrl+D (⌘D on a Mac) turns the
 * microphone off and on, Ctrl+E (⌘E) the camera, Ctrl+Shift+L (⌘⇧L) leaves the call.
 *
 * @summary Embeddable peer-to-peer video room.
 *
 * @fires vr-state-change - The room state changed; `detail: { state, previous }`.
 * @fires vr-joined - This participant is in the room; `detail: { room, id }`.
 * @fires vr-left - This participant left the room; `detail: { room }`.
 * @fires vr-peer-joined - Someone joined; `detail: { participant }`.
 * @fires vr-peer-left - Someone left (`reason: 'left'`) or was lost (`'lost'`); `detail: { participant, reason }`.
 * @fires vr-mute-change - A microphone or camera was muted or unmuted, here (`local: true`) or by a peer; `detail: { local, id, name, audioMuted, videoMuted, screenSharing }`.
 * @fires vr-device-change - The camera, microphone or speaker changed, chosen (`reason: 'selected'`) or because the one in use went away (`'fallback'`); `detail: { kind, deviceId, label, reason }`.
 * @fires vr-screen-share-start - A screen share started, here (`local: true`) or by a peer; `detail: { local, id, name }`.
 * @fires vr-screen-share-stop - A screen share ended (by its button, the browser's own control, or the sharer leaving); `detail: { local, id, name }`.
 * @fires vr-active-speaker - The active speaker changed (debounced; `local: true` when it is this participant); `detail: { local, id, name }`.
 * @fires vr-peer-verified - A participant is verified: at once by the room secret (`method: 'secret'`), or when a person confirms the short code (`'sas'`); `detail: { participant, method }`.
 * @fires vr-peer-verification-failed - A connection failed verification and was closed: a wrong or missing proof of the secret (`reason: 'mismatch'`, `'timeout'`, `'protocol'`), a code marked as not matching (`'rejected'`), or a description whose DTLS fingerprints cannot be trusted (`'fingerprint-duplicate'`, `'fingerprint-malformed'`, `'fingerprint-missing'`, `'fingerprint-weak'`, `'certificate-mismatch'`, `'fingerprint-changed'`); `detail: { code: 'e2ee-mitm-suspected', message, id, name, reason }`. A `vr-error` with the same code follows.
 * @fires vr-broker-change - The PeerServer was lost mid-call (`connected: false`: the call goes on, newcomers cannot join until it is back) or is reached again, perhaps the next one of `server`'s list (`connected: true`); `detail: { connected, server }`.
 * @fires vr-connection-quality - The quality of the connection to a participant changed: `good`, `poor` (loss above 5 % or a round trip above 400 ms, from `getStats()`) or `reconnecting`; `detail: { local: false, id, name, quality, rttMs, lossPercent }`.
 * @fires vr-reconnecting - The connection to a participant lost its path and an ICE restart is under way (`reconnecting: true`), or it has a path again (`false`); `detail: { local: false, id, name, reconnecting }`.
 * @fires vr-message - A chat message was sent here (`local: true`, with `recipients`, how many it went to) or came from anyone in the call; `verified` says whether the sender was verified when it arrived (always true for our own, and for everyone in a room with a secret; with short codes, false until this person confirms that code); `detail: { local, id, name, text, time, verified, recipients? }`.
 * @fires vr-pip-change - Picture-in-picture opened (`mode: 'document'` or `'video'`) or closed (`open: false`); `detail: { open, mode }`.
 * @fires vr-fullscreen-change - The room (`id: ''`) or a tile (its id) went fullscreen, or fullscreen ended (`fullscreen: false`, `id: null`); `detail: { fullscreen, id }`.
 * @fires vr-error - Something failed; `detail: { code, message }` with a code from the README's list. `message` is English, for logs; the element shows the `strings.errors` text of its language.
 *
 * @csspart room - The outer container.
 * @csspart prejoin - The pre-join panel (preview, name field, devices, Join button).
 * @csspart grid - The grid of tiles during a call (also `spotlight` while a screen is shared).
 * @csspart tile - Each tile; also `local` for this participant, `screen` for a shared screen, `speaking` for the active speaker.
 * @csspart video - The video element inside each tile.
 * @csspart name - The name label on each tile.
 * @csspart controls - The control bar.
 * @csspart join-button - The Join (or Rejoin) button of the pre-join panel.
 * @csspart leave-button - The Leave button.
 * @csspart close-button - Closes the device settings.
 * @csspart sound-button - Shown when the browser blocked sound until a click: enables it.
 * @csspart mute-button - The microphone toggle (`aria-pressed="true"` while muted).
 * @csspart camera-button - The camera toggle (`aria-pressed="true"` while the camera is off).
 * @csspart switch-camera-button - Switches to the next camera (shown where there is more than one).
 * @csspart screen-button - Starts and stops sharing the screen (`aria-pressed="true"` while sharing).
 * @csspart settings-button - Opens the device settings during a call.
 * @csspart settings - The device settings panel.
 * @csspart devices - The camera, microphone and speaker choosers with the level meter.
 * @csspart level - The microphone level meter.
 * @csspart status - The status line (a polite live region).
 * @csspart empty - The message in the grid while nobody else is in the call (around the `empty` slot).
 * @csspart announcer - Visually hidden live region announcing who joined and left, for screen readers.
 * @csspart invite-button - Copies an invite link (the page URL with the room secret in its fragment).
 * @csspart invite-link - The invite link, shown for copying by hand when the clipboard refused it.
 * @csspart verification-badge - On each remote tile: whether the connection is verified.
 * @slot controls - Extra buttons of the host's own, at the end of the control bar during a call.
 * @slot empty - Shown in the grid while nobody else is in the call (default: "Nobody else is here yet.").
 * @csspart connection-quality - On each remote tile: the connection quality (`data-quality` is `good`, `poor` or `reconnecting`).
 * @csspart verify-button - On an unverified tile (no room secret): opens the short code to compare.
 * @csspart verification - The panel showing a participant's short code, with "They match" and "They don't match".
 *
 * @attr lang - The language of the element's texts (`en`, `de`, `fr`, `es`, `pt`, or a tag such as `pt-BR`); default: the nearest `lang` of the page, else the browser's language. Others show English.
 *
 * @csspart chat-button - Opens and closes the chat panel (`aria-expanded`), with the unread badge.
 * @csspart unread-badge - The number of chat messages that came in while the panel was closed.
 * @csspart chat - The chat panel.
 * @csspart chat-log - The list of chat messages (a polite live region).
 * @csspart chat-unverified - In a chat message: the mark (in words) that its sender was not verified when it arrived.
 * @csspart chat-input - The chat message field.
 * @csspart send-button - Sends the chat message.
 * @csspart pip-button - Opens and closes picture-in-picture (`aria-pressed`).
 * @csspart fullscreen-button - Shows the whole room fullscreen (`aria-pressed`).
 * @csspart tile-fullscreen-button - On each tile during a call: shows that tile fullscreen.
 *
 * @cssprop --vr-background - Background of the element. Default `light-dark(#fafafa, #18181b)`: light or dark as `theme` or the page's colour scheme says.
 * @cssprop --vr-color - Text colour. Default `light-dark(#18181b, #f4f4f5)`.
 * @cssprop --vr-font-family - Font. Default `system-ui, sans-serif`.
 * @cssprop --vr-radius - Corner radius of the element. Default `12px`.
 * @cssprop --vr-gap - Gap between tiles and controls. Default `8px`.
 * @cssprop --vr-tile-background - Background of a tile without video. Default `light-dark(#e4e4e7, #27272a)`.
 * @cssprop --vr-panel-background - Background of the settings, verification and chat panels. Default `light-dark(#fafafaf5, #18181bf5)`.
 * @cssprop --vr-button-background - Background of buttons. Default `light-dark(#e4e4e7, #3f3f46)`.
 * @cssprop --vr-button-active-background - Background of a pressed toggle (muted, camera off, sharing). Default `#b91c1c`, with white text.
 * @cssprop --vr-button-radius - Corner radius of buttons. Default `999px`.
 * @cssprop --vr-border-color - Borders of buttons, fields and panels. Default `light-dark(#a1a1aa, #52525b)`.
 * @cssprop --vr-input-background - Background of fields and lists. Default `light-dark(#fff, #09090b)`.
 * @cssprop --vr-tile-radius - Corner radius of tiles. Default `8px`.
 * @cssprop --vr-accent - Background of the Join button, Send button and unread badge (with white text). Default `#2563eb`.
 * @cssprop --vr-focus-color - Focus ring colour. Default `light-dark(#1d4ed8, #60a5fa)`.
 * @cssprop --vr-speaking-color - Outline of the active speaker's tile. Default `#22c55e`.
 * @cssprop --vr-warning-color - Text of warnings: an unverified badge, a poor connection, the status message. Default `light-dark(#b45309, #fbbf24)` (on tiles, always the dark one).
 * @cssprop --vr-good-color - Text of a good connection-quality indicator. Default `#22c55e` (on tiles).
 */
export class VideoRoomElement extends LitElement {
  static override styles = styles;

  // Attribute names are literals so the manifest analyzer can read them; a test checks that
  // they are exactly the ATTRIBUTES map.
  static override properties = {
    room: { type: String, attribute: 'room' },
    server: { type: String, attribute: 'server' },
    name: { type: String, attribute: 'name' },
    iceServers: { type: String, attribute: 'ice-servers' },
    iceTransportPolicy: { type: String, attribute: 'ice-transport-policy' },
    autojoin: { type: Boolean, attribute: 'autojoin' },
    audioMuted: { type: Boolean, attribute: 'audio-muted', reflect: true },
    videoMuted: { type: Boolean, attribute: 'video-muted', reflect: true },
    maxParticipants: { type: Number, attribute: 'max-participants' },
    videoQuality: { type: String, attribute: 'video-quality' },
    facingMode: { type: String, attribute: 'facing-mode' },
    maxUpstreamKbps: { type: String, attribute: 'max-upstream-kbps' },
    theme: { type: String, attribute: 'theme', reflect: true },
    chat: { type: String, attribute: 'chat' },
    strings: { attribute: false },
    chatOpen: { state: true, attribute: false },
    texts: { state: true, attribute: false },
    displayName: { state: true, attribute: false },
    message: { state: true, attribute: false },
    soundBlocked: { state: true, attribute: false },
    settingsOpen: { state: true, attribute: false },
    secret: { attribute: false },
    verifying: { state: true, attribute: false },
    shownInvite: { state: true, attribute: false },
    offBroker: { state: true, attribute: false },
    announcement: { state: true, attribute: false },
  };

  /** Name of the room to join; everyone with the same room name meets. */
  declare room: string;
  /** URL of the PeerServer, or a comma-separated list to fall back along (default: the origin that served the script, path `/peerjs`). */
  declare server: string | null;
  /** This participant's display name (the pre-join field starts with it). */
  declare name: string;
  /** JSON array of RTCIceServer objects (STUN/TURN) used for every connection. */
  declare iceServers: string | null;
  /** `relay` connects through the TURN servers of `ice-servers` only (hiding IP addresses from peers); `all` (the default) uses every path. */
  declare iceTransportPolicy: string | null;
  /** Join as soon as the element is connected, skipping the pre-join panel. */
  declare autojoin: boolean;
  /** Whether the microphone is muted. */
  declare audioMuted: boolean;
  /** Whether the camera is off. */
  declare videoMuted: boolean;
  /** Most people in the room, this participant included (default 8, at least 2). */
  declare maxParticipants: number;
  /** Camera quality: `low` (320×180, 15 fps), `medium` (640×360, 24 fps, the default) or `high` (1280×720, 30 fps). */
  declare videoQuality: string | null;
  /** Which camera to prefer on phones: `user` (front) or `environment` (back). */
  declare facingMode: string | null;
  /** Most this participant sends in all, in kbit/s (default 2500); each peer's copy gets a share. */
  declare maxUpstreamKbps: string | number | null;
  /** `light` or `dark` colours; `auto` (or none) follows the page's `color-scheme` and the system's `prefers-color-scheme`. */
  declare theme: string | null;
  /** `off` removes the chat (no panel, no messages in or out); `on` is the default. */
  declare chat: string | null;
  /** Texts to use instead of the language's own, by key (see the README), e.g. `{ join: 'Enter' }`; `errors` maps error codes to messages. */
  declare strings: Partial<VideoRoomStrings> | null;
  /**
   * The room secret (property only, never an attribute). Without it, the page URL's fragment
   * `#vr-secret=…` is used. With a secret, the broker sees only ids derived from it, peers must
   * prove they know it, and media frames are encrypted end to end.
   */
  declare secret: string | null;

  private declare displayName: string;
  private declare message: string;
  private declare soundBlocked: boolean;
  private declare settingsOpen: boolean;
  /** The participant whose short code is shown, if any. */
  private declare verifying: string | null;
  /** An invite link the clipboard refused, shown for copying by hand. */
  private declare shownInvite: string | null;
  /** In a call whose broker is lost, until it is reached again. */
  private declare offBroker: boolean;
  /** The last join or leave, for screen readers (a polite live region). */
  private declare announcement: string;
  /** The secret of the current call (null: none). */
  private callSecret: string | null = null;
  private declare chatOpen: boolean;
  /** The texts in use: the language's, with `strings` on top. */
  private declare texts: VideoRoomStrings;
  /** The language whose texts are in use or loading. */
  private locale = 'en';
  private localeTexts: VideoRoomStrings = EN;
  /** Before the first render, while a language's texts load: nothing is drawn rather than English first. */
  private localeLoading: Promise<unknown> | null = null;
  private readonly chatLog = new ChatLog();
  /** The chat field's text, kept when a message cannot be sent. */
  private chatDraft = '';

  private readonly mediaCtl: MediaController;
  private readonly roomCtl: RoomController;
  private readonly speakerCtl: SpeakerController;
  private readonly viewCtl: ViewController;
  /** Streams handed to remote tiles, renewed when tracks arrive so the video element reloads. */
  private readonly tileStreams = new Map<string, MediaStream>();
  /** The stream of the local tile, renewed when a device switch swaps a track. */
  private localTileStream: MediaStream | null = null;
  /** The stream of our own screen tile while sharing. */
  private localScreenStream: MediaStream | null = null;
  private joinedRoom = '';
  private quality: VideoQuality = DEFAULT_VIDEO_QUALITY;
  private upstreamKbps = DEFAULT_MAX_UPSTREAM_KBPS;
  private levelTimer: ReturnType<typeof setInterval> | null = null;

  constructor() {
    super();
    this.room = '';
    this.server = null;
    this.name = '';
    this.iceServers = null;
    this.iceTransportPolicy = null;
    this.autojoin = false;
    this.audioMuted = false;
    this.videoMuted = false;
    this.maxParticipants = DEFAULT_MAX_PARTICIPANTS;
    this.videoQuality = null;
    this.facingMode = null;
    this.maxUpstreamKbps = null;
    this.displayName = '';
    this.message = '';
    this.soundBlocked = false;
    this.settingsOpen = false;
    this.secret = null;
    this.verifying = null;
    this.shownInvite = null;
    this.offBroker = false;
    this.announcement = '';
    this.theme = null;
    this.chat = null;
    this.strings = null;
    this.chatOpen = false;
    this.texts = EN;
    let previous: RoomState = 'idle';
    this.viewCtl = new ViewController(this, (what) => {
      const view = this.viewCtl;
      if (what === 'pip') fire(this, EVENTS.pipChange, { open: view.pip !== null, mode: view.pip });
      else fire(this, EVENTS.fullscreenChange, { fullscreen: view.fullscreen !== null, id: view.fullscreen });
    });
    this.mediaCtl = new MediaController(this, {
      'media:stream': ({ stream }) => {
        this.localTileStream = stream ? new MediaStream(stream.getTracks()) : null;
        this.roomCtl.room?.updateLocalMedia(stream);
      },
      'media:device': ({ kind, deviceId, label, reason }) => {
        if (reason === 'fallback')
          this.message = this.t(kind === 'videoinput' ? 'cameraFallback' : 'microphoneFallback', { label: label || this.t('defaultDevice') });
        fire(this, EVENTS.deviceChange, { kind, deviceId, label, reason });
      },
      'media:error': ({ error }) =>
        this.fail(ERROR_CODES.deviceLost, `${error.message} The device in use went away and no other could take over.`),
      'screen:start': ({ track }) => {
        this.localScreenStream = new MediaStream([track]);
        this.roomCtl.room?.setScreenTrack(track);
        fire(this, EVENTS.screenShareStart, this.localWho());
      },
      'screen:stop': () => {
        this.localScreenStream = null;
        this.roomCtl.room?.setScreenTrack(null);
        fire(this, EVENTS.screenShareStop, this.localWho());
      },
    });
    this.roomCtl = new RoomController(this, {
      state: ({ state }) => {
        fire(this, EVENTS.stateChange, { state, previous });
        previous = state;
        if (state === 'joined') {
          this.speakerCtl.start();
          fire(this, EVENTS.joined, { room: this.joinedRoom, id: this.roomCtl.room?.id ?? '' });
        }
        if (state === 'left' || state === 'error') {
          this.speakerCtl.stop();
          void this.viewCtl.closePip();
        }
        if (state === 'left') fire(this, EVENTS.left, { room: this.joinedRoom });
      },
      'peer-joined': ({ participant }) => {
        this.announcement = this.t('peerJoined', { name: participant.name || this.t('guest') });
        this.tileStreams.set(participant.id, new MediaStream(participant.stream.getTracks()));
        fire(this, EVENTS.peerJoined, { participant: publicInfo(participant) });
      },
      'peer-left': ({ participant, reason }) => {
        this.announcement = this.t(reason === 'left' ? 'peerLeft' : 'peerLost', { name: participant.name || this.t('guest') });
        this.tileStreams.delete(participant.id);
        this.tileStreams.delete(`${participant.id}:screen`);
        fire(this, EVENTS.peerLeft, { participant: publicInfo(participant), reason });
      },
      'peer-track': ({ participant, screen }) => {
        if (screen) this.tileStreams.set(`${participant.id}:screen`, new MediaStream(participant.screenStream.getTracks()));
        else this.tileStreams.set(participant.id, new MediaStream(participant.stream.getTracks()));
      },
      'peer-updated': ({ participant }) => {
        const { id, name, audioMuted, videoMuted, screenSharing } = participant;
        fire(this, EVENTS.muteChange, { local: false, id, name, audioMuted, videoMuted, screenSharing });
      },
      'peer-screen': ({ participant, sharing }) => {
        const who = { local: false, id: participant.id, name: participant.name };
        fire(this, sharing ? EVENTS.screenShareStart : EVENTS.screenShareStop, who);
      },
      'peer-verified': ({ participant, method }) => {
        if (this.verifying === participant.id) this.verifying = null;
        fire(this, EVENTS.peerVerified, { participant: publicInfo(participant), method });
      },
      'verification-failed': ({ id, name, reason, detail }) => {
        if (this.verifying === id) this.verifying = null;
        const who = name || 'a participant';
        const message =
          reason === 'rejected'
            ? `The code of ${who} did not match yours, so that connection was closed: someone may be listening in.`
            : `The connection to ${who} could not be verified (${detail ?? reason}), so it was closed: someone may be listening in.`;
        fire(this, EVENTS.peerVerificationFailed, { code: ERROR_CODES.e2eeMitmSuspected, message, id, name, reason });
        this.fail(ERROR_CODES.e2eeMitmSuspected, message);
      },
      broker: ({ connected, server }) => {
        this.offBroker = !connected;
        fire(this, EVENTS.brokerChange, { connected, server });
      },
      'peer-reconnecting': ({ participant, reconnecting }) =>
        fire(this, EVENTS.reconnecting, { local: false, id: participant.id, name: participant.name, reconnecting }),
      'peer-quality': ({ participant, quality, rttMs, lossPercent }) =>
        fire(this, EVENTS.connectionQuality, { local: false, id: participant.id, name: participant.name, quality, rttMs, lossPercent }),
      chat: ({ participant, text, verified }) => {
        if (this.chat === 'off') return;
        const message = { local: false, id: participant.id, name: participant.name, text, time: Date.now(), verified };
        this.chatLog.add(message, this.chatOpen);
        fire(this, EVENTS.message, message);
      },
      error: ({ code, message }) => this.fail(code, message),
    });
    this.speakerCtl = new SpeakerController(
      this,
      () => {
        const room = this.roomCtl.room;
        const levels = room?.audioLevels() ?? new Map<string, number>();
        if (room) levels.set(room.id, this.audioMuted ? 0 : this.mediaCtl.meter.level);
        return levels;
      },
      (id) => {
        const room = this.roomCtl.room;
        if (!id || !room) return;
        const local = id === room.id;
        const name = local ? this.displayName : (room.participants.find((p) => p.id === id)?.name ?? '');
        fire(this, EVENTS.activeSpeaker, { local, id, name });
      },
    );
  }

  /** The room state: `idle`, `joining`, `joined`, `left` or `error`. */
  get state(): RoomState {
    return this.roomCtl.state;
  }

  /** The other participants in the call (read-only snapshots). */
  get participants(): readonly ParticipantInfo[] {
    return (this.roomCtl.room?.participants ?? []).map(publicInfo);
  }

  /** The local camera and microphone stream, once captured. */
  get localStream(): MediaStream | null {
    return this.mediaCtl.media.stream;
  }

  /** Whether this participant is sharing a screen. */
  get screenSharing(): boolean {
    return this.mediaCtl.screen.track !== null;
  }

  /** The id of the active speaker (this participant's own id included), or null. */
  get activeSpeaker(): string | null {
    return this.speakerCtl.speaker;
  }

  /** How the participants of the current call are verified: `secret` (the room secret) or `sas` (short codes); null outside a call. */
  get verification(): 'secret' | 'sas' | null {
    const state = this.state;
    return state === 'joining' || state === 'joined' ? (this.roomCtl.room?.verification ?? null) : null;
  }

  static override get observedAttributes(): string[] {
    // `lang` stays HTMLElement's own (the property reflects the attribute); only watched here.
    return [...super.observedAttributes, 'lang'];
  }

  override attributeChangedCallback(name: string, old: string | null, value: string | null): void {
    super.attributeChangedCallback(name, old, value);
    if (name === 'lang' && this.isConnected) void this.applyLocale();
  }

  override connectedCallback(): void {
    super.connectedCallback();
    void this.applyLocale();
    this.addEventListener('keydown', this.onShortcut);
    // A secret in an attribute would sit in the page's HTML for anyone to read: refuse it.
    if (this.hasAttribute('secret'))
      this.fail(ERROR_CODES.invalidSecret, 'A secret must not be set as an attribute; use the secret property or #vr-secret in the page URL. It is ignored.');
    this.applyCapturePreferences();
    if (this.autojoin) void this.join();
    else void this.captureForCall();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.removeEventListener('keydown', this.onShortcut);
    this.stopLevelMeter();
  }

  /**
   * Keyboard shortcuts while focus is in the element (the host page's own keys stay its own):
   * Ctrl+D (⌘D) microphone, Ctrl+E (⌘E) camera, Ctrl+Shift+L (⌘⇧L) leave.
   */
  private readonly onShortcut = (event: KeyboardEvent) => {
    if (!(event.ctrlKey || event.metaKey) || event.altKey || event.repeat) return;
    const key = event.key.toLowerCase();
    if (key === 'd' && !event.shiftKey) this.toggleAudio();
    else if (key === 'e' && !event.shiftKey) this.toggleVideo();
    else if (key === 'l' && event.shiftKey && (this.state === 'joining' || this.state === 'joined')) this.leave();
    else return;
    event.preventDefault();
  };

  /** Loads the texts of the element's language: its `lang`, the page's, else the browser's. */
  private async applyLocale(): Promise<void> {
    const locale = localeFor(this.closest('[lang]')?.getAttribute('lang') || document.documentElement.lang || navigator.language);
    if (locale === this.locale) return;
    this.locale = locale;
    const loading = loadStrings(locale);
    // Before the first render, draw nothing rather than English first; later, keep the old texts until the new ones come.
    if (!this.hasUpdated) this.localeLoading = loading.catch(() => undefined);
    let texts = EN;
    try {
      texts = await loading;
    } catch {
      if (this.locale === locale) this.fail(ERROR_CODES.localeFailed, `The texts for "${locale}" could not be loaded; showing English.`);
    }
    if (this.locale !== locale) return;
    this.localeLoading = null;
    this.localeTexts = texts;
    this.texts = this.withStrings(false);
  }

  protected override async scheduleUpdate(): Promise<void> {
    if (this.localeLoading) await this.localeLoading;
    super.scheduleUpdate();
  }

  /** The language's texts with `strings` on top; `report` fires `invalid-strings` for refused keys. */
  private withStrings(report: boolean): VideoRoomStrings {
    const { strings, refused } = withOverrides(this.localeTexts, this.strings);
    if (report && refused.length) this.fail(ERROR_CODES.invalidStrings, `strings: ignored ${refused.join(', ')} (unknown keys, or not text).`);
    return strings;
  }

  /** A text of the current language, with its placeholders filled. */
  private t(key: StringKey, values?: Record<string, string | number>): string {
    const text = this.texts[key];
    return values ? format(text, values) : text;
  }

  // Applied before rendering, so the media and room events they cause join this update.
  override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('strings')) this.texts = this.withStrings(true);
    if (changed.has('theme') && this.theme !== null && !THEMES.includes(this.theme))
      this.fail(ERROR_CODES.invalidTheme, 'theme must be light, dark or auto; following the page.');
    if (changed.has('chat') && this.chat !== null && this.chat !== 'on' && this.chat !== 'off')
      this.fail(ERROR_CODES.invalidChat, 'chat must be on or off; chat stays on.');
    if (this.chat === 'off') this.chatOpen = false;
    if (changed.has('name')) {
      this.displayName = this.name;
      if (changed.get('name') !== undefined) this.roomCtl.room?.updateLocal({ name: this.name });
    }
    if (changed.has('audioMuted') || changed.has('videoMuted')) {
      const media = this.mediaCtl.media;
      if (media.audioMuted !== this.audioMuted) media.setAudioMuted(this.audioMuted);
      if (media.videoMuted !== this.videoMuted) media.setVideoMuted(this.videoMuted);
      this.roomCtl.room?.updateLocal({ audioMuted: this.audioMuted, videoMuted: this.videoMuted });
    }
    // After the first update, a new quality, facing mode or budget applies to the running call.
    if (!this.hasUpdated) return;
    if (changed.has('videoQuality')) {
      this.quality = this.readQuality();
      void this.mediaCtl.media.setQuality(this.quality);
      this.roomCtl.room?.setUpstream({ quality: this.quality });
    }
    if (changed.has('maxUpstreamKbps')) {
      this.upstreamKbps = this.readUpstream();
      this.roomCtl.room?.setUpstream({ maxUpstreamKbps: this.upstreamKbps });
    }
    if (changed.has('facingMode')) {
      this.applyCapturePreferences();
      if (this.mediaCtl.media.stream?.getVideoTracks().length) void this.mediaCtl.media.restartVideo().catch((e: unknown) => this.reportMedia(e));
    }
  }

  override firstUpdated(): void {
    // The pre-join panel is drawn: fetch the call's code while the visitor gets ready, so that
    // Join does not wait for it (requestIdleCallback is missing in Safari).
    const idle = globalThis.requestIdleCallback ?? ((run: () => void) => setTimeout(run, 200));
    idle(() => void loadRoom().catch(() => undefined));
  }

  override updated(): void {
    // Document picture-in-picture shows the same call: it is drawn with the element.
    const pipRoot = this.viewCtl.pipRoot;
    if (pipRoot) {
      if (this.theme) pipRoot.host.setAttribute('theme', this.theme);
      else pipRoot.host.removeAttribute('theme');
      render(this.renderPip(), pipRoot, { host: this });
    }
    this.playRemoteAudio();
    this.applySink();
    // The meter shows in the pre-join panel and the settings, and only while there is a microphone.
    const wantsMeter = (this.state !== 'joined' || this.settingsOpen) && !!this.mediaCtl.media.stream;
    if (wantsMeter) this.startLevelMeter();
    else this.stopLevelMeter();
  }

  /** Joins the room. Resolves once joined; failures fire `vr-error` instead of rejecting. */
  async join(): Promise<void> {
    if (this.state === 'joining' || this.state === 'joined') return;
    this.message = '';
    this.offBroker = false;
    const config = this.readConfig();
    if (!config) return;
    const secret = this.readSecret();
    if (secret === undefined) return;
    this.callSecret = secret;
    this.joinedRoom = config.room;
    this.chatLog.clear();
    this.chatOpen = false;
    // Capture and the broker handshake run side by side; the tracks join the links when ready.
    const capture = this.captureForCall();
    try {
      await this.roomCtl.join(
        () => ({
          room: config.room,
          brokers: config.brokers,
          iceServers: config.iceServers,
          iceTransportPolicy: config.iceTransportPolicy,
          maxParticipants: config.maxParticipants,
          name: this.displayName || this.name,
          audioMuted: this.audioMuted,
          videoMuted: this.videoMuted,
          localMedia: capture,
          videoQuality: this.quality,
          maxUpstreamKbps: this.upstreamKbps,
          secret,
        }),
        // A screen shared before joining goes to everyone.
        (room) => this.mediaCtl.screen.track && room.setScreenTrack(this.mediaCtl.screen.track),
      );
    } catch (error) {
      const code = error instanceof RoomError ? error.code : ERROR_CODES.brokerUnreachable;
      this.fail(code, error instanceof Error ? error.message : String(error));
    }
  }

  /** Leaves the room and stops the camera, microphone and any screen share. */
  leave(): void {
    if (this.state !== 'joining' && this.state !== 'joined') return;
    this.mediaCtl.screen.stop();
    this.roomCtl.leave();
    this.tileStreams.clear();
    this.mediaCtl.media.release();
    this.soundBlocked = false;
    this.settingsOpen = false;
    this.verifying = null;
  }

  /**
   * The link that invites someone to this room: the page URL with the room secret in its
   * fragment. Before joining, a room without a secret gets a fresh one (128 random bits), which
   * this element then uses too; during a call without a secret, the link has none.
   */
  inviteLink(): string {
    const inCall = this.state === 'joining' || this.state === 'joined';
    let secret = inCall ? this.callSecret : this.currentSecret();
    if (!secret && !inCall) {
      secret = generateSecret();
      this.secret = secret;
    }
    return inviteUrl(location.href, secret || null);
  }

  /** Copies the invite link to the clipboard. Resolves whether it worked; if not, the link is shown to copy by hand. */
  async copyInviteLink(): Promise<boolean> {
    const link = this.inviteLink();
    try {
      await navigator.clipboard.writeText(link);
      this.shownInvite = null;
      this.message = this.t('inviteCopied');
      return true;
    } catch {
      this.shownInvite = link;
      this.fail(ERROR_CODES.clipboardFailed, 'The invite link could not be copied; copy it from the field.');
      return false;
    }
  }

  /**
   * Records whether the short code shown for participant `id` matches the one they see. A match
   * marks them verified (`vr-peer-verified`); a mismatch closes that connection. Returns false when
   * there is no such participant or no code to confirm (as in a room with a secret).
   */
  verifyParticipant(id: string, matches = true): boolean {
    return this.roomCtl.room?.confirmCode(id, matches) ?? false;
  }

  /** Mutes or unmutes the microphone; `force` sets the muted state. Returns the new state. */
  toggleAudio(force?: boolean): boolean {
    this.audioMuted = force ?? !this.audioMuted;
    this.fireLocalMute();
    return this.audioMuted;
  }

  /** Turns the camera off or on; `force` sets the muted state. Returns the new state. */
  toggleVideo(force?: boolean): boolean {
    this.videoMuted = force ?? !this.videoMuted;
    this.fireLocalMute();
    return this.videoMuted;
  }

  /** Lists cameras, microphones and (where the browser can choose one) speakers; `selected` marks those in use. */
  getDevices(): Promise<DeviceInfo[]> {
    return this.mediaCtl.refreshDevices();
  }

  /**
   * Switches the camera (`videoinput`), microphone (`audioinput`) or speaker (`audiooutput`),
   * during a call too, and remembers the choice for this site. Resolves whether it worked; a
   * failure fires `vr-error` and keeps the current device.
   */
  async setDevice(kind: DeviceKind, deviceId: string): Promise<boolean> {
    if (!isDeviceKind(kind) || typeof deviceId !== 'string' || !deviceId) {
      this.fail(ERROR_CODES.invalidDevice, `setDevice needs a kind (audioinput, videoinput or audiooutput) and a device id.`);
      return false;
    }
    const devices = await this.mediaCtl.refreshDevices();
    if (!devices.some((d) => d.kind === kind && d.deviceId === deviceId)) {
      this.fail(ERROR_CODES.invalidDevice, `There is no ${kindName(kind)} with that id.`);
      return false;
    }
    if (kind === 'audiooutput') return this.setSpeaker(deviceId);
    try {
      await this.mediaCtl.media.setDevice(kind, deviceId);
      return true;
    } catch (error) {
      this.reportMedia(error);
      return false;
    }
  }

  /** Switches to the next camera in the browser's list. Resolves whether it worked. */
  async switchCamera(): Promise<boolean> {
    const cameras = (await this.mediaCtl.refreshDevices()).filter((d) => d.kind === 'videoinput');
    if (cameras.length < 2) return false;
    const current = cameras.findIndex((d) => d.selected);
    const next = cameras[(current + 1) % cameras.length];
    return next ? this.setDevice('videoinput', next.deviceId) : false;
  }

  /**
   * Shares a screen, window or tab with everyone, as a tile of its own beside the camera.
   * Resolves whether sharing started; a refusal fires `vr-error`.
   */
  async shareScreen(): Promise<boolean> {
    try {
      await this.mediaCtl.screen.start();
      return true;
    } catch (error) {
      this.reportMedia(error);
      return false;
    }
  }

  /** Stops sharing the screen. */
  stopScreenShare(): void {
    this.mediaCtl.screen.stop();
  }

  /**
   * Sends a chat message to everyone in the call, with short codes also to those whose code you have
   * not confirmed. Returns whether it was sent; bad text or no chat fires `vr-error` instead.
   */
  sendMessage(text: string): boolean {
    const room = this.roomCtl.room;
    if (this.chat === 'off' || !room || this.state !== 'joined') {
      this.fail(ERROR_CODES.chatUnavailable, 'There is no chat to send to: chat is off, or there is no call.');
      return false;
    }
    const clean = cleanChatText(text);
    if (!clean) {
      this.fail(ERROR_CODES.invalidMessage, 'A chat message needs some text, at most 2000 characters; nothing was sent.');
      return false;
    }
    const recipients = room.sendChat(clean);
    const message = { local: true, id: room.id, name: this.displayName, text: clean, time: Date.now(), verified: true };
    this.chatLog.add(message, true);
    this.requestUpdate();
    fire(this, EVENTS.message, { ...message, recipients });
    return true;
  }

  /**
   * Opens picture-in-picture, or closes it: a small window with the call's tiles and controls
   * (Document Picture-in-Picture), else the active speaker's video. Browsers allow it only from
   * a click. Resolves whether it is open.
   */
  async togglePictureInPicture(): Promise<boolean> {
    const view = this.viewCtl;
    if (view.pip) {
      await view.closePip();
      return false;
    }
    try {
      if (this.state !== 'joined') throw new Error('not in a call');
      await view.openPip(styles.cssText, this.pipVideo(), { width: 480, height: 360 });
      return true;
    } catch (error) {
      this.fail(ERROR_CODES.pipUnavailable, `Picture-in-picture could not open: ${String(error)}`);
      return false;
    }
  }

  /**
   * Shows the whole room fullscreen, or with `id` (a participant's id, this participant's own,
   * or `<id>:screen` for a shared screen) that tile; called again with the same `id`, leaves
   * fullscreen. Browsers allow it only from a click. Resolves whether something is fullscreen.
   */
  async toggleFullscreen(id = ''): Promise<boolean> {
    const view = this.viewCtl;
    if (view.fullscreen === id) {
      await view.exitFullscreen();
      return false;
    }
    const target = id ? this.renderRoot.querySelector(`.grid .tile[data-id="${CSS.escape(id)}"]`) : this;
    try {
      if (!target) throw new Error(`there is no tile ${id}`);
      await view.enterFullscreen(target, id);
      return true;
    } catch (error) {
      this.fail(ERROR_CODES.fullscreenUnavailable, `Fullscreen could not start: ${String(error)}`);
      return false;
    }
  }

  /** For video picture-in-picture: the active speaker's video, else the first remote one, else our own. */
  private pipVideo(): HTMLVideoElement | null {
    const all = [...this.renderRoot.querySelectorAll<HTMLVideoElement>('.grid .tile video')].filter((v) => v.srcObject && !v.hidden);
    // Playing ones first: a video whose stream was just replaced must load again before it can go.
    const videos = [...all.filter((v) => v.readyState >= HTMLMediaElement.HAVE_METADATA), ...all];
    const speaker = this.speakerCtl.speaker;
    return (
      videos.find((v) => v.closest<HTMLElement>('.tile')?.dataset.id === speaker && !v.closest('.local')) ??
      videos.find((v) => !v.closest('.local')) ??
      videos[0] ??
      null
    );
  }

  private async setSpeaker(deviceId: string): Promise<boolean> {
    if (!canChooseSpeaker) {
      this.fail(ERROR_CODES.speakerUnsupported, 'This browser cannot choose the speaker.');
      return false;
    }
    this.mediaCtl.sinkId = deviceId;
    this.mediaCtl.preferences.set('audiooutput', deviceId);
    await this.applySink();
    const device = this.mediaCtl.devices.find((d) => d.kind === 'audiooutput' && d.deviceId === deviceId);
    void this.mediaCtl.refreshDevices();
    fire(this, EVENTS.deviceChange, { kind: 'audiooutput', deviceId, label: device?.label ?? '', reason: 'selected' });
    return true;
  }

  /** Points every remote audio element at the chosen speaker. */
  private async applySink(): Promise<void> {
    if (!canChooseSpeaker) return;
    const sink = this.mediaCtl.sinkId;
    const audios = [...this.renderRoot.querySelectorAll('audio')] as SinkAudio[];
    await Promise.all(audios.filter((a) => a.sinkId !== sink).map((a) => a.setSinkId(sink).catch(() => undefined)));
  }

  private localWho() {
    return { local: true, id: this.roomCtl.room?.id ?? '', name: this.displayName };
  }

  private fireLocalMute(): void {
    fire(this, EVENTS.muteChange, {
      ...this.localWho(),
      audioMuted: this.audioMuted,
      videoMuted: this.videoMuted,
      screenSharing: this.screenSharing,
    });
  }

  private fail(code: ErrorCode, message: string): void {
    this.message = this.texts.errors?.[code] ?? message;
    fire(this, EVENTS.error, { code, message });
  }

  private reportMedia(error: unknown): void {
    if (error instanceof MediaError) this.fail(error.code, error.message);
    else this.fail(ERROR_CODES.mediaFailed, String(error));
  }

  private readQuality(): VideoQuality {
    const quality = parseVideoQuality(this.videoQuality);
    if (quality) return quality;
    this.fail(ERROR_CODES.invalidVideoQuality, 'video-quality must be low, medium or high; using medium.');
    return DEFAULT_VIDEO_QUALITY;
  }

  private readFacingMode(): FacingMode | undefined {
    const mode = parseFacingMode(this.facingMode);
    if (mode !== null) return mode;
    this.fail(ERROR_CODES.invalidFacingMode, 'facing-mode must be user or environment; ignoring it.');
    return undefined;
  }

  private readUpstream(): number {
    const kbps = parseMaxUpstreamKbps(this.maxUpstreamKbps);
    if (kbps) return kbps;
    this.fail(ERROR_CODES.invalidMaxUpstreamKbps, `max-upstream-kbps must be a whole number from 200 to 100000; using ${DEFAULT_MAX_UPSTREAM_KBPS}.`);
    return DEFAULT_MAX_UPSTREAM_KBPS;
  }

  /** What the next capture asks for: attributes first, then the devices remembered for this site. */
  private applyCapturePreferences(): void {
    if (!this.hasUpdated) {
      this.quality = this.readQuality();
      this.upstreamKbps = this.readUpstream();
    }
    const facingMode = this.readFacingMode();
    const remembered = this.mediaCtl.preferences.all();
    this.mediaCtl.media.preferences = {
      quality: this.quality,
      facingMode,
      audioDeviceId: remembered.audioinput,
      // A facing mode set by the page wins over a camera remembered from an earlier visit.
      videoDeviceId: facingMode ? undefined : remembered.videoinput,
    };
  }

  /** The secret set as a property, else the page's (`#vr-secret`, then taken out of the URL and remembered); null: none, undefined: unusable. */
  private currentSecret(): string | null | undefined {
    if (this.secret !== null && this.secret !== undefined) return isValidSecret(this.secret) ? this.secret : undefined;
    const fromPage = takePageSecret();
    return fromPage === undefined ? null : (fromPage ?? undefined);
  }

  /** The secret for a join; fires `invalid-secret` and returns undefined for an unusable one (no join: a room meant to be secret must not open without it). */
  private readSecret(): string | null | undefined {
    const secret = this.currentSecret();
    if (secret === undefined)
      this.fail(ERROR_CODES.invalidSecret, 'The room secret is empty or longer than 256 characters, so the call was not joined.');
    return secret;
  }

  /** Validates the attributes for a join; fires `vr-error` and returns null when one is bad. */
  private readConfig(): {
    room: string;
    brokers: BrokerConfig[];
    iceServers: RTCIceServer[];
    iceTransportPolicy: RTCIceTransportPolicy;
    maxParticipants: number;
  } | null {
    const room = (this.room ?? '').trim();
    if (!room) {
      this.fail(ERROR_CODES.invalidRoom, 'No room name was given.');
      return null;
    }
    const iceServers = parseIceServers(this.iceServers);
    if (!iceServers) {
      this.fail(ERROR_CODES.invalidIceServers, 'The ice-servers attribute is not a JSON array of ICE servers.');
      return null;
    }
    const iceTransportPolicy = parseIceTransportPolicy(this.iceTransportPolicy, iceServers);
    if (!iceTransportPolicy) {
      this.fail(ERROR_CODES.invalidIceTransportPolicy, 'ice-transport-policy must be all, or relay with a TURN server in ice-servers.');
      return null;
    }
    const maxParticipants = parseMaxParticipants(this.maxParticipants);
    if (!maxParticipants) {
      this.fail(ERROR_CODES.invalidMaxParticipants, 'max-participants must be a whole number of at least 2.');
      return null;
    }
    let brokers: BrokerConfig[];
    try {
      brokers = parseBrokerUrls(this.server || DEFAULT_SERVER, location.href);
    } catch {
      this.fail(ERROR_CODES.invalidServer, 'The server attribute is not an http(s) or ws(s) URL, or a comma-separated list of them.');
      return null;
    }
    if (typeof RTCPeerConnection === 'undefined') {
      this.fail(ERROR_CODES.webrtcUnsupported, 'This browser cannot make video calls.');
      return null;
    }
    return { room, brokers, iceServers, iceTransportPolicy, maxParticipants };
  }

  /** Captures media for the preview or a call; a failure is reported and the call goes on receive-only. */
  private async captureForCall(): Promise<MediaStream | null> {
    if (this.mediaCtl.media.stream) return this.mediaCtl.media.stream;
    try {
      const stream = await this.mediaCtl.acquire();
      // Only a camera or only a microphone: say which is missing; the call goes on with the other.
      const partial = this.mediaCtl.media.takePartial();
      if (partial) this.fail(partial.code, partial.message);
      return stream;
    } catch (error) {
      this.reportMedia(error);
      return null;
    } finally {
      void this.mediaCtl.refreshDevices();
    }
  }

  /** Redraws the level meter ten times a second while it is on screen. */
  private startLevelMeter(): void {
    if (this.levelTimer) return;
    this.levelTimer = setInterval(() => {
      const meter = this.renderRoot.querySelector<HTMLMeterElement>('meter[part="level"]');
      if (meter) meter.value = this.audioMuted ? 0 : this.mediaCtl.meter.level;
    }, 100);
  }

  private stopLevelMeter(): void {
    if (this.levelTimer) clearInterval(this.levelTimer);
    this.levelTimer = null;
  }

  private playRemoteAudio(): void {
    for (const audio of this.renderRoot.querySelectorAll('audio')) {
      if (!audio.paused || !audio.srcObject) continue;
      audio.play().catch((error: unknown) => {
        if ((error as DOMException).name === 'NotAllowedError') this.soundBlocked = true;
      });
    }
  }

  private enableSound(): void {
    const plays = [...this.renderRoot.querySelectorAll('audio')].map((audio) => audio.play());
    void Promise.all(plays).then(
      () => (this.soundBlocked = false),
      () => (this.soundBlocked = true),
    );
  }

  private onNameInput(event: Event): void {
    this.displayName = (event.target as HTMLInputElement).value;
  }

  private onJoinSubmit(event: Event): void {
    event.preventDefault();
    void this.join();
  }

  private onDeviceSelect(kind: DeviceKind, deviceId: string): void {
    void this.setDevice(kind, deviceId);
  }

  private onChatSubmit(event: Event): void {
    event.preventDefault();
    const input = this.renderRoot.querySelector<HTMLInputElement>('input[part="chat-input"]');
    this.chatDraft = input?.value ?? this.chatDraft;
    if (!this.sendMessage(this.chatDraft)) return;
    this.chatDraft = '';
    if (input) input.value = '';
  }

  private toggleChat(): void {
    this.chatOpen = !this.chatOpen;
    if (this.chatOpen) this.chatLog.markRead();
  }

  private renderTile(options: {
    local: boolean;
    screen?: boolean;
    id: string;
    name: string;
    stream: MediaStream | null;
    audioMuted: boolean;
    videoMuted: boolean;
    /** A remote camera tile: whether its connection is verified, and whether a code can be compared. */
    verification?: { verified: boolean; canCompare: boolean };
    /** A remote camera tile: the quality of the connection. */
    quality?: ConnectionQuality;
    /** A tile of the call (not a preview): it can go fullscreen. */
    inCall?: boolean;
  }) {
    const showVideo = !!options.stream && options.stream.getVideoTracks().length > 0 && !options.videoMuted;
    const who = options.local
      ? options.name
        ? this.t('you', { name: options.name })
        : this.t('youUnnamed')
      : options.name || this.t('guest');
    const label = options.screen ? this.t('screenOf', { name: who }) : who;
    const speaking = !options.screen && this.state === 'joined' && this.speakerCtl.speaker === options.id;
    const parts = ['tile', options.local ? 'local' : '', options.screen ? 'screen' : '', speaking ? 'speaking' : ''].filter(Boolean).join(' ');
    const fullscreen = options.inCall && document.fullscreenEnabled;
    return html`<div
      class="tile ${options.local ? 'local' : 'remote'} ${options.screen ? 'screen' : ''} ${speaking ? 'speaking' : ''}"
      part=${parts}
      data-id=${options.id}
      role="group"
      aria-label=${label}
      @dblclick=${fullscreen ? () => void this.toggleFullscreen(options.id) : nothing}
    >
      <video part="video" autoplay playsinline muted .muted=${true} .srcObject=${live(options.stream)} ?hidden=${!showVideo}></video>
      ${showVideo ? nothing : html`<div class="avatar" aria-hidden="true">${initials(options.name)}</div>`}
      <span class="label" part="name">${label}${!options.screen && options.audioMuted ? ` · ${this.t('muted')}` : ''}</span>
      ${options.verification ? this.renderBadge(options.id, options.verification) : nothing}
      ${options.quality ? html`<span class="quality" part="connection-quality" data-quality=${options.quality}>${this.t(options.quality)}</span>` : nothing}
      ${fullscreen
        ? html`<button
            type="button"
            class="tile-fullscreen"
            part="tile-fullscreen-button"
            aria-label=${this.t('fullscreenOf', { name: label })}
            aria-pressed=${this.viewCtl.fullscreen === options.id ? 'true' : 'false'}
            @click=${() => void this.toggleFullscreen(options.id)}
          >
            ⛶
          </button>`
        : nothing}
    </div>`;
  }

  private renderBadge(id: string, { verified, canCompare }: { verified: boolean; canCompare: boolean }) {
    if (verified) return html`<span class="badge verified" part="verification-badge">${this.t('verified')}</span>`;
    return html`<span class="badge unverified" part="verification-badge"
      >${this.t('unverified')}
      ${canCompare ? html`<button type="button" part="verify-button" @click=${() => (this.verifying = id)}>${this.t('verify')}</button>` : nothing}</span
    >`;
  }

  private renderInvite() {
    return html`<button type="button" part="invite-button" @click=${() => void this.copyInviteLink()}>${this.t('copyInvite')}</button>`;
  }

  private renderShownInvite() {
    if (!this.shownInvite) return nothing;
    return html`<label class="invite-link">
      <span class="visually-hidden">${this.t('inviteLink')}</span>
      <input part="invite-link" readonly .value=${this.shownInvite} @focus=${(e: Event) => (e.target as HTMLInputElement).select()} />
    </label>`;
  }

  private renderVerifying() {
    const room = this.roomCtl.room;
    const participant = this.verifying ? room?.participants.find((p) => p.id === this.verifying) : undefined;
    if (!room || !participant?.code) return nothing;
    return renderVerification({
      name: participant.name,
      code: participant.code,
      texts: this.texts,
      onAnswer: (matches) => {
        this.verifying = null;
        room.confirmCode(participant.id, matches);
      },
      onClose: () => (this.verifying = null),
    });
  }

  private renderDevices() {
    return renderDevicePanel({
      devices: this.mediaCtl.devices,
      texts: this.texts,
      onSelect: (kind, deviceId) => this.onDeviceSelect(kind, deviceId),
    });
  }

  private renderPrejoin() {
    const busy = this.state === 'joining';
    return html`<form class="prejoin" part="prejoin" @submit=${this.onJoinSubmit}>
      ${this.renderTile({
        local: true,
        id: 'local',
        name: this.displayName,
        stream: this.localTileStream,
        audioMuted: this.audioMuted,
        videoMuted: this.videoMuted,
      })}
      <label>
        <span>${this.t('yourName')}</span>
        <input name="name" autocomplete="name" maxlength="64" .value=${this.displayName} @input=${this.onNameInput} />
      </label>
      ${this.renderDevices()}
      <div class="controls" part="controls">${this.renderMuteButtons()} ${this.renderInvite()}
        <button class="primary" part="join-button" type="submit" ?disabled=${busy}>${this.t(this.state === 'left' ? 'rejoin' : 'join')}</button>
      </div>
      ${this.renderShownInvite()}
    </form>`;
  }

  private renderMuteButtons() {
    // Toggle buttons keep their name; aria-pressed carries the state (pressed = muted / off).
    const cameras = this.mediaCtl.devices.filter((d) => d.kind === 'videoinput').length;
    return html`<button type="button" part="mute-button" aria-pressed=${this.audioMuted ? 'true' : 'false'} @click=${() => this.toggleAudio()}>
        ${this.t('mute')}
      </button>
      <button type="button" part="camera-button" aria-pressed=${this.videoMuted ? 'true' : 'false'} @click=${() => this.toggleVideo()}>
        ${this.t('cameraOff')}
      </button>
      ${cameras > 1
        ? html`<button type="button" part="switch-camera-button" @click=${() => void this.switchCamera()}>${this.t('switchCamera')}</button>`
        : nothing}`;
  }

  private renderSettings() {
    return html`<section class="settings" part="settings" role="dialog" aria-label=${this.t('settings')}>
      ${this.renderTile({
        local: true,
        id: 'settings-preview',
        name: this.displayName,
        stream: this.localTileStream,
        audioMuted: this.audioMuted,
        videoMuted: this.videoMuted,
      })}
      ${this.renderDevices()}
      <button type="button" part="close-button" @click=${() => (this.settingsOpen = false)}>${this.t('close')}</button>
    </section>`;
  }

  private renderChat() {
    const room = this.roomCtl.room;
    // With short codes, messages reach everyone, verified or not: say so while anyone is unverified.
    const someUnverified = room?.verification === 'sas' && room.participants.some((p) => !p.verified);
    const messages = this.chatLog.messages;
    return html`<section class="chat" part="chat" aria-label=${this.t('chat')}>
      <div class="chat-log" part="chat-log" role="log" aria-live="polite">
        ${messages.length === 0 ? html`<p class="chat-empty">${this.t('noMessages')}</p>` : nothing}
        ${messages.map(
          (m) =>
            // The mark is in words, not colour alone, and stays as it was when the message arrived.
            html`<p class="chat-message ${m.local ? 'mine' : ''}"><span class="chat-name">${m.local ? this.t('youUnnamed') : m.name || this.t('guest')}</span>${m.verified
                ? nothing
                : html` <span class="chat-unverified" part="chat-unverified">${this.t('unverified')}</span>`} ${m.text}</p>`,
        )}
      </div>
      ${someUnverified ? html`<p class="chat-note">${this.t('chatUnverifiedNote')}</p>` : nothing}
      <form class="chat-form" @submit=${this.onChatSubmit}>
        <input part="chat-input" aria-label=${this.t('message')} maxlength="2000" autocomplete="off" .value=${this.chatDraft} />
        <button type="submit" class="primary" part="send-button">${this.t('send')}</button>
      </form>
    </section>`;
  }

  /** The tiles of the call: screens first, then this participant, then everyone else. */
  private renderGrid(inPip = false) {
    const room = this.roomCtl.room;
    const participants = room?.participants ?? [];
    const localId = room?.id ?? 'local';
    const screens = [
      ...(this.localScreenStream ? [{ local: true, id: `${localId}:screen`, name: this.displayName, stream: this.localScreenStream }] : []),
      ...participants
        .filter((p) => p.screenSharing)
        .map((p) => ({ local: false, id: `${p.id}:screen`, name: p.name, stream: this.tileStreams.get(`${p.id}:screen`) ?? null })),
    ];
    const count = participants.length + 1;
    // A data attribute, not a style attribute: pages with a strict CSP (no 'unsafe-inline') block those.
    const columns = gridColumns(count);
    const inCall = !inPip;
    return html`<div class="grid ${screens.length && !inPip ? 'spotlight' : ''}" part=${screens.length ? 'grid spotlight' : 'grid'} data-columns=${columns}>
      ${repeat(
        screens,
        (s) => s.id,
        (s) => this.renderTile({ ...s, screen: true, audioMuted: false, videoMuted: false, inCall }),
      )}
      ${this.renderTile({
        local: true,
        id: localId,
        name: this.displayName,
        stream: this.localTileStream,
        audioMuted: this.audioMuted,
        videoMuted: this.videoMuted,
        inCall,
      })}
      ${repeat(
        participants,
        (p) => p.id,
        (p) =>
          this.renderTile({
            local: false,
            id: p.id,
            name: p.name,
            stream: this.tileStreams.get(p.id) ?? null,
            audioMuted: p.audioMuted,
            videoMuted: p.videoMuted,
            verification: { verified: p.verified, canCompare: p.code !== null && !inPip },
            quality: p.quality,
            inCall,
          }),
      )}
      ${participants.length === 0 && !inPip
        ? html`<div class="empty" part="empty"><slot name="empty">${this.t('empty')}</slot></div>`
        : nothing}
    </div>`;
  }

  /** What Document Picture-in-Picture shows: the tiles, and the microphone, camera and leave buttons. */
  private renderPip() {
    return html`<div class="room pip" data-state=${this.state}>
      ${this.renderGrid(true)}
      <div class="controls">
        ${this.renderMuteButtons()}
        <button type="button" @click=${() => void this.togglePictureInPicture()}>${this.t('close')}</button>
        <button type="button" @click=${() => this.leave()}>${this.t('leave')}</button>
      </div>
    </div>`;
  }

  private renderCall() {
    const room = this.roomCtl.room;
    const participants = room?.participants ?? [];
    const sharing = this.screenSharing;
    const chat = this.chat !== 'off';
    const unread = this.chatLog.unread;
    const pip = pipSupport();
    const view = this.viewCtl;
    return html`<div class="stage">${this.renderGrid()} ${chat && this.chatOpen ? this.renderChat() : nothing}</div>
      ${repeat(
        participants,
        (p) => p.id,
        (p) => html`<audio class="visually-hidden" data-id=${p.id} .srcObject=${live(this.tileStreams.get(p.id) ?? null)}></audio>`,
      )}
      ${this.settingsOpen ? this.renderSettings() : nothing} ${this.renderVerifying()}
      <div class="controls" part="controls">
        ${this.soundBlocked
          ? html`<button type="button" class="primary" part="sound-button" @click=${this.enableSound}>${this.t('enableSound')}</button>`
          : nothing}
        ${this.renderMuteButtons()}
        ${canShareScreen()
          ? html`<button
              type="button"
              part="screen-button"
              aria-pressed=${sharing ? 'true' : 'false'}
              @click=${() => (sharing ? this.stopScreenShare() : void this.shareScreen())}
            >
              ${this.t('shareScreen')}
            </button>`
          : nothing}
        ${chat
          ? html`<button type="button" part="chat-button" aria-expanded=${this.chatOpen ? 'true' : 'false'} @click=${this.toggleChat}>
              ${this.t('chat')}${unread
                ? html` <span class="unread" part="unread-badge" aria-hidden="true">${unread}</span
                    ><span class="visually-hidden">${this.t('unread', { count: unread })}</span>`
                : nothing}
            </button>`
          : nothing}
        ${pip
          ? html`<button type="button" part="pip-button" aria-pressed=${view.pip ? 'true' : 'false'} @click=${() => void this.togglePictureInPicture()}>
              ${this.t('pip')}
            </button>`
          : nothing}
        ${document.fullscreenEnabled
          ? html`<button type="button" part="fullscreen-button" aria-pressed=${view.fullscreen === '' ? 'true' : 'false'} @click=${() => void this.toggleFullscreen()}>
              ${this.t('fullscreen')}
            </button>`
          : nothing}
        <button type="button" part="settings-button" aria-expanded=${this.settingsOpen ? 'true' : 'false'} @click=${() => (this.settingsOpen = !this.settingsOpen)}>
          ${this.t('settings')}
        </button>
        ${this.renderInvite()}
        <slot name="controls"></slot>
        <button type="button" part="leave-button" @click=${() => this.leave()}>${this.t('leave')}</button>
      </div>
      ${this.renderShownInvite()}`;
  }

  override render() {
    const state = this.state;
    const inCall = state === 'joined' || (state === 'joining' && this.autojoin);
    const people = (this.roomCtl.room?.participants.length ?? 0) + 1;
    const status = [this.t(state)];
    if (state === 'joined') {
      status.push(people === 1 ? this.t('onePerson') : this.t('people', { count: people }));
      if (this.verification === 'secret') status.push(this.t('encrypted'));
      if (this.offBroker) status.push(this.t('offBroker'));
    }
    return html`<div class="room" part="room" data-state=${state}>
      ${inCall ? this.renderCall() : this.renderPrejoin()}
      <div class="visually-hidden" part="announcer" role="log" aria-live="polite">${this.announcement}</div>
      <div class="status" part="status" role="status" aria-live="polite">
        ${status.join(' · ')}${this.message ? html` · <span class="message">${this.message}</span>` : nothing}
      </div>
    </div>`;
  }
}

function kindName(kind: DeviceKind): string {
  return kind === 'videoinput' ? 'camera' : kind === 'audioinput' ? 'microphone' : 'speaker';
}
