import { LitElement, html, nothing, type PropertyValues } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
import { styles } from './video-room.styles.js';
import { DEFAULT_MAX_PARTICIPANTS, ERROR_CODES, EVENTS, type ErrorCode, type RoomState } from './constants.js';
import { fire, type ParticipantInfo } from './events.js';
import { MediaController } from './controllers/media-controller.js';
import { RoomController } from './controllers/room-controller.js';
import { MediaError } from './core/local-media.js';
import { RoomError, type Participant } from './core/room.js';
import { parseBrokerUrl, type BrokerConfig } from './core/broker.js';
import { parseIceServers, parseMaxParticipants } from './core/config.js';

/** The PeerServer that served this script: same origin, path `/peerjs`. */
const DEFAULT_SERVER = new URL('/peerjs', import.meta.url).href;

const STATUS_TEXT: Record<RoomState, string> = {
  idle: 'Ready to join',
  joining: 'Joining…',
  joined: 'In the call',
  left: 'You left the call',
  error: 'Something went wrong',
};

function publicInfo(p: Participant): ParticipantInfo {
  return { id: p.id, name: p.name, audioMuted: p.audioMuted, videoMuted: p.videoMuted };
}

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
 * @summary Embeddable peer-to-peer video room.
 *
 * @fires vr-state-change - The room state changed; `detail: { state, previous }`.
 * @fires vr-joined - This participant is in the room; `detail: { room, id }`.
 * @fires vr-left - This participant left the room; `detail: { room }`.
 * @fires vr-peer-joined - Someone joined; `detail: { participant }`.
 * @fires vr-peer-left - Someone left (`reason: 'left'`) or was lost (`'lost'`); `detail: { participant, reason }`.
 * @fires vr-mute-change - A microphone or camera was muted or unmuted, here (`local: true`) or by a peer; `detail: { local, id, name, audioMuted, videoMuted }`.
 * @fires vr-error - Something failed; `detail: { code, message }` with a code from the README's list.
 *
 * @csspart room - The outer container.
 * @csspart prejoin - The pre-join panel (preview, name field, Join button).
 * @csspart grid - The grid of tiles during a call.
 * @csspart tile - Each participant's tile; the local one is `tile local`.
 * @csspart video - The video element inside each tile.
 * @csspart name - The name label on each tile.
 * @csspart controls - The control bar.
 * @csspart mute-button - The microphone toggle (`aria-pressed="true"` while muted).
 * @csspart camera-button - The camera toggle (`aria-pressed="true"` while the camera is off).
 * @csspart status - The status line (a polite live region).
 *
 * @cssprop --vr-background - Background of the element. Default `#18181b`.
 * @cssprop --vr-color - Text colour. Default `#f4f4f5`.
 * @cssprop --vr-font-family - Font. Default `system-ui, sans-serif`.
 * @cssprop --vr-radius - Corner radius of the element. Default `12px`.
 * @cssprop --vr-gap - Gap between tiles and controls. Default `8px`.
 * @cssprop --vr-tile-background - Background of a tile without video. Default `#27272a`.
 * @cssprop --vr-tile-radius - Corner radius of tiles. Default `8px`.
 * @cssprop --vr-accent - Background of the Join button. Default `#2563eb`.
 * @cssprop --vr-focus-color - Focus ring colour. Default `#60a5fa`.
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
    autojoin: { type: Boolean, attribute: 'autojoin' },
    audioMuted: { type: Boolean, attribute: 'audio-muted', reflect: true },
    videoMuted: { type: Boolean, attribute: 'video-muted', reflect: true },
    maxParticipants: { type: Number, attribute: 'max-participants' },
    displayName: { state: true, attribute: false },
    message: { state: true, attribute: false },
    soundBlocked: { state: true, attribute: false },
  };

  /** Name of the room to join; everyone with the same room name meets. */
  declare room: string;
  /** URL of the PeerServer (default: the origin that served the script, path `/peerjs`). */
  declare server: string | null;
  /** This participant's display name (the pre-join field starts with it). */
  declare name: string;
  /** JSON array of RTCIceServer objects (STUN/TURN) used for every connection. */
  declare iceServers: string | null;
  /** Join as soon as the element is connected, skipping the pre-join panel. */
  declare autojoin: boolean;
  /** Whether the microphone is muted. */
  declare audioMuted: boolean;
  /** Whether the camera is off. */
  declare videoMuted: boolean;
  /** Most people in the room, this participant included (default 8, at least 2). */
  declare maxParticipants: number;

  private declare displayName: string;
  private declare message: string;
  private declare soundBlocked: boolean;

  private readonly mediaCtl = new MediaController(this);
  private readonly roomCtl: RoomController;
  /** Streams handed to remote tiles, renewed when tracks arrive so the video element reloads. */
  private readonly tileStreams = new Map<string, MediaStream>();
  private joinedRoom = '';

  constructor() {
    super();
    this.room = '';
    this.server = null;
    this.name = '';
    this.iceServers = null;
    this.autojoin = false;
    this.audioMuted = false;
    this.videoMuted = false;
    this.maxParticipants = DEFAULT_MAX_PARTICIPANTS;
    this.displayName = '';
    this.message = '';
    this.soundBlocked = false;
    let previous: RoomState = 'idle';
    this.roomCtl = new RoomController(this, {
      state: ({ state }) => {
        fire(this, EVENTS.stateChange, { state, previous });
        previous = state;
        if (state === 'joined') fire(this, EVENTS.joined, { room: this.joinedRoom, id: this.roomCtl.room?.id ?? '' });
        if (state === 'left') fire(this, EVENTS.left, { room: this.joinedRoom });
      },
      'peer-joined': ({ participant }) => {
        this.tileStreams.set(participant.id, new MediaStream(participant.stream.getTracks()));
        fire(this, EVENTS.peerJoined, { participant: publicInfo(participant) });
      },
      'peer-left': ({ participant, reason }) => {
        this.tileStreams.delete(participant.id);
        fire(this, EVENTS.peerLeft, { participant: publicInfo(participant), reason });
      },
      'peer-track': ({ participant }) => {
        this.tileStreams.set(participant.id, new MediaStream(participant.stream.getTracks()));
      },
      'peer-updated': ({ participant }) => {
        fire(this, EVENTS.muteChange, { local: false, ...publicInfo(participant) });
      },
      error: ({ code, message }) => this.fail(code, message),
    });
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

  override connectedCallback(): void {
    super.connectedCallback();
    if (this.autojoin) void this.join();
    else void this.captureForCall();
  }

  // Applied before rendering, so the media and room events they cause join this update.
  override willUpdate(changed: PropertyValues<this>): void {
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
  }

  override updated(): void {
    this.playRemoteAudio();
  }

  /** Joins the room. Resolves once joined; failures fire `vr-error` instead of rejecting. */
  async join(): Promise<void> {
    if (this.state === 'joining' || this.state === 'joined') return;
    this.message = '';
    const config = this.readConfig();
    if (!config) return;
    this.joinedRoom = config.room;
    // Capture and the broker handshake run side by side; the tracks join the links when ready.
    const capture = this.captureForCall();
    const joining = this.roomCtl.join({
      room: config.room,
      broker: config.broker,
      iceServers: config.iceServers,
      maxParticipants: config.maxParticipants,
      name: this.displayName || this.name,
      audioMuted: this.audioMuted,
      videoMuted: this.videoMuted,
      localMedia: capture,
    });
    try {
      await joining;
    } catch (error) {
      const code = error instanceof RoomError ? error.code : ERROR_CODES.brokerUnreachable;
      this.fail(code, error instanceof Error ? error.message : String(error));
    }
  }

  /** Leaves the room and stops the camera and microphone. */
  leave(): void {
    if (this.state !== 'joining' && this.state !== 'joined') return;
    this.roomCtl.leave();
    this.tileStreams.clear();
    this.mediaCtl.media.release();
    this.soundBlocked = false;
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

  private fireLocalMute(): void {
    fire(this, EVENTS.muteChange, {
      local: true,
      id: this.roomCtl.room?.id ?? '',
      name: this.displayName,
      audioMuted: this.audioMuted,
      videoMuted: this.videoMuted,
    });
  }

  private fail(code: ErrorCode, message: string): void {
    this.message = message;
    fire(this, EVENTS.error, { code, message });
  }

  /** Validates the attributes for a join; fires `vr-error` and returns null when one is bad. */
  private readConfig(): { room: string; broker: BrokerConfig; iceServers: RTCIceServer[]; maxParticipants: number } | null {
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
    const maxParticipants = parseMaxParticipants(this.maxParticipants);
    if (!maxParticipants) {
      this.fail(ERROR_CODES.invalidMaxParticipants, 'max-participants must be a whole number of at least 2.');
      return null;
    }
    let broker: BrokerConfig;
    try {
      broker = parseBrokerUrl(this.server || DEFAULT_SERVER, location.href);
    } catch {
      this.fail(ERROR_CODES.invalidServer, 'The server attribute is not an http(s) or ws(s) URL.');
      return null;
    }
    if (typeof RTCPeerConnection === 'undefined') {
      this.fail(ERROR_CODES.webrtcUnsupported, 'This browser cannot make video calls.');
      return null;
    }
    return { room, broker, iceServers, maxParticipants };
  }

  /** Captures media for the preview or a call; a failure is reported and the call goes on receive-only. */
  private async captureForCall(): Promise<MediaStream | null> {
    if (this.mediaCtl.media.stream) return this.mediaCtl.media.stream;
    try {
      return await this.mediaCtl.acquire();
    } catch (error) {
      if (error instanceof MediaError) this.fail(error.code, error.message);
      return null;
    }
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

  private renderTile(options: {
    local: boolean;
    id: string;
    name: string;
    stream: MediaStream | null;
    audioMuted: boolean;
    videoMuted: boolean;
  }) {
    const showVideo = !!options.stream && options.stream.getVideoTracks().length > 0 && !options.videoMuted;
    const label = options.local ? `${options.name || 'You'} (you)` : options.name || 'Guest';
    return html`<div
      class="tile ${options.local ? 'local' : 'remote'}"
      part=${options.local ? 'tile local' : 'tile'}
      data-id=${options.id}
      role="group"
      aria-label=${label}
    >
      <video part="video" autoplay playsinline muted .muted=${true} .srcObject=${options.stream} ?hidden=${!showVideo}></video>
      ${showVideo ? nothing : html`<div class="avatar" aria-hidden="true">${initials(options.name)}</div>`}
      <span class="label" part="name">${label}${options.audioMuted ? ' · muted' : ''}</span>
    </div>`;
  }

  private renderPrejoin() {
    const media = this.mediaCtl.media;
    const busy = this.state === 'joining';
    return html`<form class="prejoin" part="prejoin" @submit=${this.onJoinSubmit}>
      ${this.renderTile({
        local: true,
        id: 'local',
        name: this.displayName,
        stream: media.stream,
        audioMuted: this.audioMuted,
        videoMuted: this.videoMuted,
      })}
      <label>
        <span>Your name</span>
        <input name="name" autocomplete="name" maxlength="64" .value=${this.displayName} @input=${this.onNameInput} />
      </label>
      <div class="controls" part="controls">${this.renderMuteButtons()}
        <button class="primary" type="submit" ?disabled=${busy}>${this.state === 'left' ? 'Rejoin' : 'Join'}</button>
      </div>
    </form>`;
  }

  private renderMuteButtons() {
    // Toggle buttons keep their name; aria-pressed carries the state (pressed = muted / off).
    return html`<button type="button" part="mute-button" aria-pressed=${this.audioMuted ? 'true' : 'false'} @click=${() => this.toggleAudio()}>
        Mute
      </button>
      <button type="button" part="camera-button" aria-pressed=${this.videoMuted ? 'true' : 'false'} @click=${() => this.toggleVideo()}>
        Camera off
      </button>`;
  }

  private renderCall() {
    const participants = this.roomCtl.room?.participants ?? [];
    const count = participants.length + 1;
    const columns = Math.ceil(Math.sqrt(count));
    return html`<div class="grid" part="grid" style="--vr-columns: ${columns}">
        ${this.renderTile({
          local: true,
          id: this.roomCtl.room?.id ?? 'local',
          name: this.displayName,
          stream: this.mediaCtl.media.stream,
          audioMuted: this.audioMuted,
          videoMuted: this.videoMuted,
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
            }),
        )}
      </div>
      ${repeat(
        participants,
        (p) => p.id,
        (p) => html`<audio class="visually-hidden" data-id=${p.id} .srcObject=${this.tileStreams.get(p.id) ?? null}></audio>`,
      )}
      <div class="controls" part="controls">
        ${this.soundBlocked
          ? html`<button type="button" class="primary" @click=${this.enableSound}>Click to enable sound</button>`
          : nothing}
        ${this.renderMuteButtons()}
        <button type="button" @click=${() => this.leave()}>Leave</button>
      </div>`;
  }

  override render() {
    const state = this.state;
    const inCall = state === 'joined' || (state === 'joining' && this.autojoin);
    const people = (this.roomCtl.room?.participants.length ?? 0) + 1;
    const status = state === 'joined' ? `${STATUS_TEXT.joined} · ${people} ${people === 1 ? 'person' : 'people'}` : STATUS_TEXT[state];
    return html`<div class="room" part="room" data-state=${state}>
      ${inCall ? this.renderCall() : this.renderPrejoin()}
      <div class="status" part="status" role="status" aria-live="polite">
        ${status}${this.message ? html` · <span class="message">${this.message}</span>` : nothing}
      </div>
    </div>`;
  }
}
