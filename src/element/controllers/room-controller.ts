/**
 * The element's side of the call: joins (a new core Room each time, handed to the store, which
 * follows its events), leaves, invites and sends chat messages; leaves the room when the host
 * disconnects.
 *
 * The call itself (the mesh, PeerJS, verification) is a chunk of its own, loaded on the first
 * join, or ahead of it once the pre-join panel is drawn and the page is idle: what a page loads
 * before it can draw is the element alone.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { Room, RoomConfig } from '../../room/room.js';
import { ERROR_CODES } from '../../constants.js';
import { RoomError } from '../../room/room-error.js';
import { cleanChatText, type ChatMessage } from '../../chat/chat.js';
import { generateSecret, inviteUrl } from '../../e2ee/secret.js';
import type { CallStore } from '../../store/call-store.js';
import type { Layer } from '../../layout/layers.js';
import { currentSecret, readConfig, readSecret, type Fail, type JoinAttributes } from '../config.js';
import type { MediaController } from './media-controller.js';
import { setCallViews } from '../views/room.js';

type RoomModule = typeof import('../../room/room.js');
let roomModule: Promise<RoomModule> | null = null;
/** The call's code once loaded: a join then creates its room at once. */
let loadedRoom: RoomModule | null = null;

/** Loads the call's code (once per page). */
export function loadRoom(): Promise<RoomModule> {
  // The call's views come with it: a page that never joins loads neither.
  roomModule ??= Promise.all([import('../../room/room.js'), import('../call-view.js')]).then(
    ([module, views]) => {
      setCallViews(views);
      return (loadedRoom = module);
    },
    (error: unknown) => {
      // A failed fetch (a network blip) may work on the next join.
      roomModule = null;
      throw error;
    },
  );
  return roomModule;
}

/** What the element's join reads of it: its attributes and its side of the call. */
export type RoomHost = ReactiveControllerHost &
  JoinAttributes & { secret: string | null; name: string; audioMuted: boolean; videoMuted: boolean; readonly chat: string | null };

export class RoomController implements ReactiveController {
  /** The room of the current (or last) join. */
  room: Room | null = null;
  /** The secret of the current call (null: none). */
  #callSecret: string | null = null;
  /** A join waiting for the call's code: its number, so that a leave meanwhile cancels it. */
  #loading = 0;
  #joins = 0;
  /** The layers last asked for. */
  #layersKey = '';

  readonly #host: RoomHost;
  readonly #store: CallStore;
  readonly #mediaCtl: MediaController;
  readonly #fail: Fail;

  constructor(
    host: RoomHost,
    store: CallStore,
    mediaCtl: MediaController,
    fail: Fail,
  ) {
    this.#host = host;
    this.#store = store;
    this.#mediaCtl = mediaCtl;
    this.#fail = fail;
    host.addController(this);
  }

  hostDisconnected(): void {
    this.#stop();
  }

  /** Whether a join is under way or done. */
  get inCall(): boolean {
    const state = this.#store.getState().state;
    return state === 'joining' || state === 'joined';
  }

  /** Joins the room the attributes name (see the element's `join`). */
  async join(): Promise<void> {
    if (this.inCall) return;
    this.#store.set({ message: '', offBroker: false });
    const config = readConfig(this.#host, this.#fail);
    const secret = config ? readSecret(this.#host.secret, this.#fail) : undefined;
    if (!config || secret === undefined) return;
    this.#callSecret = secret;
    this.#store.join(config.room);
    // Capture and the broker handshake run side by side; the tracks join the links when ready.
    const localMedia = this.#mediaCtl.capture();
    try {
      await this.#open(() => ({
        ...config,
        name: this.#store.getState().name || this.#host.name,
        audioMuted: this.#host.audioMuted,
        videoMuted: this.#host.videoMuted,
        localMedia,
        videoQuality: this.#mediaCtl.quality,
        maxUpstreamKbps: this.#mediaCtl.upstreamKbps,
        secret,
      }));
    } catch (error) {
      const code = error instanceof RoomError ? error.code : ERROR_CODES.brokerUnreachable;
      this.#fail(code, error instanceof Error ? error.message : String(error));
    }
  }

  /** Leaves the room and stops the camera, microphone and any screen share. */
  leave(): void {
    if (!this.inCall) return;
    this.#mediaCtl.screen.stop();
    this.#stop();
    this.#mediaCtl.media.release();
    this.#store.set({ soundBlocked: false, settingsOpen: false, verifying: null });
  }

  /** The invite link (see the element's `inviteLink`). */
  inviteLink(): string {
    const inCall = this.inCall;
    let secret = inCall ? this.#callSecret : currentSecret(this.#host.secret);
    if (!secret && !inCall) {
      secret = generateSecret();
      this.#host.secret = secret;
    }
    return inviteUrl(location.href, secret || null);
  }

  /** Copies the invite link to the clipboard, or shows it for copying by hand; resolves whether it worked. */
  async copyInviteLink(): Promise<boolean> {
    const link = this.inviteLink();
    try {
      await navigator.clipboard.writeText(link);
      this.#store.set({ shownInvite: null, message: this.#store.t('inviteCopied') });
      return true;
    } catch {
      this.#store.set({ shownInvite: link });
      this.#fail(ERROR_CODES.clipboardFailed, 'The invite link could not be copied; copy it from the field.');
      return false;
    }
  }

  /**
   * Everyone's microphone level in the current call (id → 0..1), `local` being this participant's,
   * which the others are told of (they read ours from what we tell, not from RTP).
   */
  levels(local: number): Map<string, number> {
    const room = this.room;
    room?.shareLevel(local);
    const levels = room?.audioLevels() ?? new Map<string, number>();
    if (room) levels.set(room.id, local);
    return levels;
  }

  /** The simulcast layer each remote camera needs (from the last draw of the grid); the room asks the SFU after the draw. */
  setLayers(layers: ReadonlyMap<string, Layer>): void {
    const key = JSON.stringify([...layers]);
    if (key === this.#layersKey) return;
    this.#layersKey = key;
    queueMicrotask(() => this.room?.setLayers(layers));
  }

  /** Sends a chat message to everyone in the call; returns the message sent, or null (reported). */
  sendMessage(text: string): (ChatMessage & { recipients: number }) | null {
    const room = this.room;
    if (this.#host.chat === 'off' || !room || this.#store.getState().state !== 'joined') {
      this.#fail(ERROR_CODES.chatUnavailable, 'There is no chat to send to: chat is off, or there is no call.');
      return null;
    }
    const clean = cleanChatText(text);
    if (!clean) {
      this.#fail(ERROR_CODES.invalidMessage, 'A chat message needs some text, at most 2000 characters; nothing was sent.');
      return null;
    }
    const recipients = room.sendChat(clean);
    const message = { local: true, id: room.id, name: this.#store.getState().name, text: clean, time: Date.now(), verified: true };
    this.#store.chat(message);
    return { ...message, recipients };
  }

  /**
   * Creates a room, hands it to the store and joins it. `config` is read once the call's code is
   * there, so that it has what changed meanwhile (a mute, a name).
   */
  async #open(config: () => RoomConfig): Promise<void> {
    this.#store.detach();
    const join = ++this.#joins;
    let module = loadedRoom;
    if (!module) {
      this.#setLoading(join);
      try {
        module = await loadRoom();
      } catch (error) {
        throw new RoomError(ERROR_CODES.loadFailed, `The call's code could not be loaded (${String(error)}); joining again tries again.`);
      } finally {
        if (this.#loading === join) this.#setLoading(0);
      }
      // Left (or joined again) while the code was loading.
      if (join !== this.#joins) return;
    }
    const room = new module.Room(config());
    this.room = room;
    this.#store.attach(room);
    return room.join();
  }

  /** Leaves the current room, if any, or cancels a join whose code is still loading. */
  #stop(): void {
    if (this.#loading) {
      this.#joins++;
      this.#setLoading(0);
    }
    this.room?.leave();
    this.#store.detach();
  }

  /** While the call's code loads for a join, the state is `joining`. */
  #setLoading(join: number): void {
    this.#loading = join;
    this.#store.set({ loading: join > 0 });
  }
}
