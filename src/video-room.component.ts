import { LitElement, render, type PropertyValues } from 'lit';
import { styles } from './element/video-room.styles.js';
import { DEFAULT_MAX_PARTICIPANTS, ERROR_CODES, EVENTS, type ErrorCode, type RoomState } from './constants.js';
import { fire, type ParticipantInfo } from './events.js';
import { onShortcut } from './element/shortcuts.js';
import { applyAttributes, applyCapture } from './element/attributes.js';
import { LayoutController } from './element/controllers/layout-controller.js';
import { LocaleController } from './element/controllers/locale-controller.js';
import { MediaController } from './element/controllers/media-controller.js';
import { RoomController, loadRoom } from './element/controllers/room-controller.js';
import { SpeakerController } from './element/controllers/speaker-controller.js';
import { ViewController } from './element/controllers/view-controller.js';
import type { View } from './element/views/view.js';
import { renderPip, renderRoom } from './element/views/room.js';
import type { DeviceInfo, DeviceKind } from './media/devices.js';
import type { VideoRoomStrings } from './i18n/strings.js';
import { CallStore, type CallState } from './store/call-store.js';
import { publicEvents } from './store/public-events.js';

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
 * @csspart controls - The control bar: icon buttons, each named by a tooltip. Settings, picture-in-picture, fullscreen, invite and switch camera move into the "more" menu when the bar is too narrow (as menu items, `aria-checked` for `aria-pressed`).
 * @csspart more-button - Opens the "more" menu (`aria-expanded`); shown only when some controls do not fit the bar.
 * @csspart more-menu - The "more" menu (`role="menu"`).
 * @csspart more-tile - The "+N" tile of a grid with more people than fit legibly: shows the next page.
 * @csspart pip-close-button - In picture-in-picture: closes it.
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
 * @csspart short-code - The short code in that panel: seven symbols, each named (the names alone where the machine draws no colour emoji).
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
 * @csspart pip-button - Opens and closes picture-in-picture (`aria-pressed`; `aria-checked` in the "more" menu).
 * @csspart fullscreen-button - Shows the whole room fullscreen (`aria-pressed`; `aria-checked` in the "more" menu).
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
    sfuThreshold: { type: String, attribute: 'sfu-threshold' },
    mediaServer: { type: String, attribute: 'media-server' },
    strings: { attribute: false },
    secret: { attribute: false },
  };

  /** Name of the room to join; everyone with the same room name meets. */
  room: string = '';
  /** URL of the PeerServer, or a comma-separated list to fall back along (default: the origin that served the script, path `/peerjs`). */
  server: string | null = null;
  /** This participant's display name (the pre-join field starts with it). */
  name: string = '';
  /** JSON array of RTCIceServer objects (STUN/TURN) used for every connection; `[]` for none. Absent: the STUN and TURN servers the broker's server hands out (`npm start` runs coturn and hands out short-lived credentials, renewed during the call); a stock PeerServer hands out none. */
  iceServers: string | null = null;
  /** `relay` connects through TURN servers only (hiding IP addresses from peers); `all` (the default) uses every path. */
  iceTransportPolicy: string | null = null;
  /** Join as soon as the element is connected, skipping the pre-join panel. */
  autojoin: boolean = false;
  /** Whether the microphone is muted. */
  audioMuted: boolean = false;
  /** Whether the camera is off. */
  videoMuted: boolean = false;
  /** Most people in the room, this participant included (default 8, at least 2). */
  maxParticipants: number = DEFAULT_MAX_PARTICIPANTS;
  /** Camera quality: `low` (320×180, 15 fps), `medium` (640×360, 24 fps, the default) or `high` (1280×720, 30 fps). */
  videoQuality: string | null = null;
  /** Which camera to prefer on phones: `user` (front) or `environment` (back). */
  facingMode: string | null = null;
  /** Most this participant sends in all, in kbit/s (default 2500); each peer's copy gets a share. */
  maxUpstreamKbps: string | number | null = null;
  /** `light` or `dark` colours; `auto` (or none) follows the page's `color-scheme` and the system's `prefers-color-scheme`. */
  theme: string | null = null;
  /** `off` removes the chat (no panel, no messages in or out); `on` is the default. */
  chat: string | null = null;
  /** The room size at which media moves to the media server (default 5, this participant included); `never` keeps the mesh, `always` uses the server from the start. Read when joining. */
  sfuThreshold: string | null = null;
  /** The media server's (Janus) WebSocket URL, or a list of them separated by commas (a room is placed on one by a hash of its derived id). Absent: the one the broker's server names (`npm start` runs Janus when it is installed). Read when joining. */
  mediaServer: string | null = null;
  /** Texts to use instead of the language's own, by key (see the README), e.g. `{ join: 'Enter' }`; `errors` maps error codes to messages. */
  strings: Partial<VideoRoomStrings> | null = null;
  /**
   * The room secret (property only, never an attribute). Without it, the page URL's fragment
   * `#vr-secret=…` is used. With a secret, the broker sees only ids derived from it, peers must
   * prove they know it, and media frames are encrypted end to end.
   */
  secret: string | null = null;

  /** Fires `vr-error` and shows the message (the language's own for `code`, if it has one). */
  private readonly fail = (code: ErrorCode, message: string): void => {
    this.store.set({ message: this.localeCtl.texts.errors?.[code] ?? message });
    fire(this, EVENTS.error, { code, message });
  };
  private readonly localeCtl = new LocaleController(this, this.fail);
  // Core events go to the store, and out again as public events (PUBLIC_EVENTS); an error also shows in the status line.
  private readonly store = new CallStore(this.localeCtl.t, (name, detail, state) =>
    publicEvents(name, detail, state, (type, out) => (type === EVENTS.error ? this.fail(out.code, out.message) : fire(this, type, out as never))),
  );
  /** The call as the store last published it: everything the element draws. */
  private s: CallState = this.store.getState();
  private readonly viewCtl = new ViewController(this, this.store, this.fail, (root) => render(renderPip(this.view(true)), root, { host: this }));
  private readonly layoutCtl = new LayoutController(this, () => this.viewCtl.pipRoot);
  private readonly mediaCtl = new MediaController(this, this.store, this.fail);
  private readonly roomCtl = new RoomController(this, this.store, this.mediaCtl, this.fail);
  private readonly onShortcut = (event: KeyboardEvent) => onShortcut(this, event);

  constructor() {
    super();
    this.store.subscribe((s) => {
      this.s = s;
      this.requestUpdate();
    });
    new SpeakerController(this, this.store, () => this.roomCtl.levels(this.mediaCtl.level));
  }

  /** The room state: `idle`, `joining`, `joined`, `left` or `error`. */
  get state(): RoomState {
    return this.s.state;
  }

  /** The other participants in the call (read-only snapshots). */
  get participants(): readonly ParticipantInfo[] {
    return this.s.participants.map((p) => ({ ...p }));
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
    return this.s.speaker;
  }

  /** How the participants of the current call are verified: `secret` (the room secret) or `sas` (short codes); null outside a call. */
  get verification(): 'secret' | 'sas' | null {
    return this.s.verification;
  }

  static override get observedAttributes(): string[] {
    // `lang` stays HTMLElement's own (the property reflects the attribute); only watched here.
    return [...super.observedAttributes, 'lang'];
  }

  override attributeChangedCallback(name: string, old: string | null, value: string | null): void {
    super.attributeChangedCallback(name, old, value);
    if (name === 'lang' && this.isConnected) void this.localeCtl.apply();
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.addEventListener('keydown', this.onShortcut);
    // A secret in an attribute would sit in the page's HTML for anyone to read: refuse it.
    if (this.hasAttribute('secret'))
      this.fail(ERROR_CODES.invalidSecret, 'A secret must not be set as an attribute; use the secret property or #vr-secret in the page URL. It is ignored.');
    applyCapture(this, this.mediaCtl, this.fail);
    if (this.autojoin) void this.join();
    else void this.mediaCtl.capture();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.removeEventListener('keydown', this.onShortcut);
  }

  protected override async scheduleUpdate(): Promise<void> {
    if (this.localeCtl.loading) await this.localeCtl.loading;
    super.scheduleUpdate();
  }

  override willUpdate(changed: PropertyValues<this>): void {
    const { store, localeCtl, mediaCtl, fail } = this;
    applyAttributes(this, changed, { store, localeCtl, mediaCtl, room: this.roomCtl.room, fail });
  }

  override firstUpdated(): void {
    // The pre-join panel is drawn: fetch the call's code while the visitor gets ready, so that
    // Join does not wait for it (requestIdleCallback is missing in Safari).
    const idle = globalThis.requestIdleCallback ?? ((run: () => void) => setTimeout(run, 200));
    idle(() => void loadRoom().catch(() => undefined));
  }

  override render() {
    return renderRoom(this.view());
  }

  /** Joins the room. Resolves once joined; failures fire `vr-error` instead of rejecting. */
  join(): Promise<void> {
    return this.roomCtl.join();
  }

  /** Leaves the room and stops the camera, microphone and any screen share. */
  leave(): void {
    this.roomCtl.leave();
  }

  /**
   * The link that invites someone to this room: the page URL with the room secret in its
   * fragment. Before joining, a room without a secret gets a fresh one (128 random bits), which
   * this element then uses too; during a call without a secret, the link has none.
   */
  inviteLink(): string {
    return this.roomCtl.inviteLink();
  }

  /** Copies the invite link to the clipboard. Resolves whether it worked; if not, the link is shown to copy by hand. */
  copyInviteLink(): Promise<boolean> {
    return this.roomCtl.copyInviteLink();
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
  setDevice(kind: DeviceKind, deviceId: string): Promise<boolean> {
    return this.mediaCtl.setDevice(kind, deviceId);
  }

  /** Switches to the next camera in the browser's list. Resolves whether it worked. */
  switchCamera(): Promise<boolean> {
    return this.mediaCtl.switchCamera();
  }

  /**
   * Shares a screen, window or tab with everyone, as a tile of its own beside the camera.
   * Resolves whether sharing started; a refusal fires `vr-error`.
   */
  shareScreen(): Promise<boolean> {
    return this.mediaCtl.shareScreen();
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
    const message = this.roomCtl.sendMessage(text);
    if (message) fire(this, EVENTS.message, message);
    return message !== null;
  }

  /**
   * Opens picture-in-picture, or closes it: a small window with the call's tiles and controls
   * (Document Picture-in-Picture), else the active speaker's video. Browsers allow it only from
   * a click. Resolves whether it is open.
   */
  togglePictureInPicture(): Promise<boolean> {
    return this.viewCtl.togglePip(styles.cssText);
  }

  /**
   * Shows the whole room fullscreen, or with `id` (a participant's id, this participant's own,
   * or `<id>:screen` for a shared screen) that tile; called again with the same `id`, leaves
   * fullscreen. Browsers allow it only from a click. Resolves whether something is fullscreen.
   */
  toggleFullscreen(id = ''): Promise<boolean> {
    return this.viewCtl.toggleFullscreen(id);
  }

  private fireLocalMute(): void {
    const { audioMuted, videoMuted, screenSharing } = this;
    fire(this, EVENTS.muteChange, { local: true, id: this.s.id, name: this.s.name, audioMuted, videoMuted, screenSharing });
  }

  /** What the views draw from. */
  private view(pip = false): View {
    const { store, layoutCtl } = this;
    const area = pip ? layoutCtl.pipArea : layoutCtl.area;
    return { s: this.s, t: this.localeCtl.t, autojoin: this.autojoin, el: this, area, width: layoutCtl.width, set: (changes) => store.set(changes), sound: () => this.mediaCtl.enableSound(), layers: (layers) => !pip && this.roomCtl.setLayers(layers) };
  }
}
