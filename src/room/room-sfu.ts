/**
 * The room's way to the SFU: the route (which way each participant's media comes, see
 * media-route.ts) and, while it is used, the SFU path (sfu/, a chunk of its own). Starting it
 * means a media server (explicit, or the one the broker's server names), the frame encryption
 * (every frame encrypted, with or without a secret; without one it loads now and its keys go to
 * everyone), and the room's id there, derived like the rendezvous id so the server never learns
 * the room name.
 */
import type { RoomEncryption } from '../e2ee/encryption.js';
import type { FrameKeys } from '../e2ee/frame-keys.js';
import type { PeerLink } from '../link/peer-link.js';
import type { MediaPath, RemoteTrack, Upstream } from '../media/media-path.js';
import type { PeerMessage, PeerState } from '../signalling/protocol.js';
import type { SfuMediaPath } from '../sfu/sfu-media-path.js';
import { ERROR_CODES, type ErrorCode } from '../constants.js';
import { decodedOn, MediaRoute } from './media-route.js';
import type { Participant } from './participants.js';
import { derivedId } from './room-id.js';
import type { SfuThreshold } from './sfu-mode.js';
import type { Layer } from '../layout/layers.js';

/** Most frame keys kept from before the encryption was loaded. */
const MAX_EARLY_KEYS = 64;

/** What the SFU needs of the room. */
export interface SfuRoom {
  readonly id: string;
  room: string;
  secret: string | null;
  threshold: SfuThreshold;
  /** The media servers: explicit, or (`auto`) those the broker's server named. */
  servers(): string[];
  localMedia: Promise<MediaStream | null>;
  upstream(): Upstream;
  rtc(): RTCConfiguration;
  /** The mesh's media path (our media to each participant over its link). */
  mesh: MediaPath<Participant>;
  /** The room's frame encryption, loaded now if it was not (no secret). */
  encryption(): Promise<RoomEncryption | null>;
  /** Every participant now, with its link. */
  members(): { participant: Participant; link: PeerLink }[];
  show(participant: Participant, track: RemoteTrack): void;
  hide(participant: Participant, track: MediaStreamTrack): void;
  /** Our state changed (feed, sfuFrom): tell everyone. */
  announce(): void;
  error(code: ErrorCode, message: string): void;
  /** Whether we are in the room (a leave meanwhile: no). */
  joined(): boolean;
  /** Every connection, the mesh's and the SFU's. */
  peerConnections(): RTCPeerConnection[];
}

export class RoomSfu {
  readonly route: MediaRoute<Participant>;
  /** While media goes through the SFU: its path. */
  path: SfuMediaPath<Participant> | null = null;
  /** The layer each remote camera needs (the element's last layout). */
  #layers: ReadonlyMap<string, Layer> = new Map();
  /** Frame keys that came before our frame encryption was loaded. */
  #earlyKeys: [PeerLink, Extract<PeerMessage, { t: 'key' }>][] = [];

  constructor(readonly room: SfuRoom) {
    this.route = new MediaRoute<Participant>(room.id, room.threshold, {
      show: (participant, track) => room.show(participant, track),
      hide: (participant, track) => room.hide(participant, track),
      pauseMesh: (id, paused) => room.mesh.pause(id, paused),
      announce: () => room.announce(),
      decoded: (tracks) => decodedOn(room.peerConnections(), tracks),
      startSfu: () => this.#start(),
      stopSfu: () => this.#stop(),
    });
  }

  /** Our part of the state the others see: our feed, and whom we take from the SFU. */
  state(): Pick<PeerState, 'feed' | 'sfuFrom'> {
    const sfuFrom = this.route.sfuFrom;
    return { ...(this.path?.published ? { feed: this.path.feedId } : {}), ...(sfuFrom.length ? { sfuFrom } : {}) };
  }

  /** A participant joined, or came back on a new link. */
  linked(participant: Participant, link: PeerLink, state: PeerState): void {
    this.route.add(participant);
    this.path?.attach(participant, link);
    this.peer(participant, state);
  }

  /** The layer each remote camera needs: the SFU forwards only that (none for a tile not shown). */
  layers(layers: ReadonlyMap<string, Layer>): void {
    this.#layers = layers;
    for (const [id, layer] of layers) this.path?.setLayer(id, layer);
  }

  /** A participant's feed and whom it takes from the SFU. */
  peer(participant: Participant, state: PeerState): void {
    this.route.peer(participant.id, state.feed, state.sfuFrom);
    this.path?.setFeed(participant.id, state.feed ?? null);
  }

  left(id: string): void {
    this.route.remove(id);
    this.path?.detach(id);
  }

  /** A frame key before our encryption exists: kept for when it loads (with the SFU). Returns whether it was kept. */
  earlyKey(link: PeerLink, message: Extract<PeerMessage, { t: 'key' }>): boolean {
    if (this.#earlyKeys.length >= MAX_EARLY_KEYS) return false;
    this.#earlyKeys.push([link, message]);
    return true;
  }

  /** The encryption is loaded: its keys go to every participant, and theirs that came first are taken. */
  keysReady(keys: FrameKeys): void {
    for (const { link } of this.room.members()) keys.add(link);
    for (const [link, message] of this.#earlyKeys.splice(0)) keys.handle(link, message);
  }

  close(): void {
    this.route.close();
    this.#stop();
  }

  /** Starts the SFU path; resolves whether it is up (an error is reported when not). */
  async #start(): Promise<boolean> {
    const room = this.room;
    const servers = room.servers();
    let path: SfuMediaPath<Participant> | null = null;
    try {
      if (servers.length === 0) throw new Error('no media server is known (media-server)');
      const [{ SfuMediaPath }, encryption, roomId] = await Promise.all([import('../sfu/sfu-media-path.js'), room.encryption(), derivedId(room.room, room.secret, 'sfu')]);
      if (!encryption || !room.joined()) return false;
      path = new SfuMediaPath<Participant>(encryption.frames, room.localMedia, room.upstream(), {
        track: (participant, track) => this.route.sfuTrack(participant, track),
        gone: (participant, track) => this.route.sfuGone(participant, track),
        feed: () => room.announce(),
        failed: (message) => this.#failed(`the media server failed (${message})`),
      });
      this.path = path;
      for (const { participant, link } of room.members()) {
        path.attach(participant, link);
        path.setFeed(participant.id, this.route.feedOf(participant.id));
      }
      for (const [id, layer] of this.#layers) path.setLayer(id, layer);
      await path.start({ servers, roomId, rtc: room.rtc() });
      return room.joined();
    } catch (error) {
      if (this.path === path) this.#stop();
      if (room.joined()) room.error(ERROR_CODES.mediaServerUnavailable, `The media server could not be used (${error instanceof Error ? error.message : String(error)}); the call goes on peer to peer.`);
      return false;
    }
  }

  #failed(message: string): void {
    this.room.error(ERROR_CODES.mediaServerUnavailable, `${message[0]?.toUpperCase()}${message.slice(1)}; the call goes on peer to peer.`);
    this.route.sfuFailed();
    this.#stop();
  }

  #stop(): void {
    const path = this.path;
    this.path = null;
    if (!path) return;
    path.close();
    this.room.announce();
  }
}
