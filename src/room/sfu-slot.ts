/**
 * Where the SFU plugs into the room, and all a mesh page carries of it. The route and the SFU's
 * side of the room (room-sfu.ts, media-route.ts) are a chunk of their own, loaded once the room
 * nears the threshold with a media server to go to. Until then this passes mesh tracks straight
 * to the tiles and keeps what the route will need: each participant's last word on its feed and
 * whom it takes from the SFU, frame keys that came early, the layers the tiles want.
 */
import type { FrameKeys } from '../e2ee/frame-keys.js';
import type { PeerLink } from '../link/peer-link.js';
import type { RemoteTrack } from '../media/media-path.js';
import type { Layer } from '../layout/layers.js';
import type { PeerMessage, PeerState } from '../signalling/protocol.js';
import type { Participant } from './participants.js';
import type { RoomSfu, SfuRoom } from './room-sfu.js';

/** Most frame keys kept from before the SFU's part was loaded. */
const MAX_EARLY_KEYS = 64;

type SfuModule = typeof import('./room-sfu.js');

/** What the slot needs of the room: what the SFU's side needs (see room-sfu.ts). */
export type SfuSlotHooks = SfuRoom;

export class SfuSlot {
  /** The SFU's side of the room, once loaded. TypeScript-private (not #): tests look in. */
  sfu: RoomSfu | null = null;
  #loading: Promise<void> | null = null;
  #size = 1;
  readonly #states = new Map<string, PeerState>();
  #earlyKeys: [PeerLink, Extract<PeerMessage, { t: 'key' }>][] = [];
  #layers: ReadonlyMap<string, Layer> = new Map();

  constructor(readonly hooks: SfuSlotHooks) {}

  /** The SFU path, while media goes through it. */
  get path(): RoomSfu['path'] {
    return this.sfu?.path ?? null;
  }

  /** The SFU's connections, while it is used. */
  get peerConnections(): RTCPeerConnection[] {
    return this.path?.peerConnections ?? [];
  }

  /** Our part of the state the others see (feed, sfuFrom). */
  state(): Pick<PeerState, 'feed' | 'sfuFrom'> {
    return this.sfu?.state() ?? {};
  }

  meshTrack(participant: Participant, track: RemoteTrack): void {
    if (this.sfu) this.sfu.route.meshTrack(participant, track);
    else this.hooks.show(participant, track);
  }

  linked(participant: Participant, link: PeerLink, state: PeerState): void {
    this.#states.set(participant.id, state);
    this.sfu?.linked(participant, link, state);
  }

  peer(participant: Participant, state: PeerState): void {
    this.#states.set(participant.id, state);
    this.sfu?.peer(participant, state);
  }

  left(id: string): void {
    this.#states.delete(id);
    this.sfu?.left(id);
  }

  /** A frame key before our frame encryption exists (no secret: it loads with the SFU). */
  earlyKey(link: PeerLink, message: Extract<PeerMessage, { t: 'key' }>): void {
    if (this.sfu) this.sfu.earlyKey(link, message);
    else if (this.#earlyKeys.length < MAX_EARLY_KEYS) this.#earlyKeys.push([link, message]);
  }

  /**
   * Our frame keys exist now (no secret: loaded with the SFU): ours go to everyone, and theirs kept
   * so far are taken. The room calls this in the same step it starts handing keys to them: a key
   * arriving in between would find its link unknown to the keys and be lost for good (that
   * sender's media through the SFU then never decrypted here).
   */
  keysReady(keys: FrameKeys): void {
    this.sfu?.keysReady(keys);
  }

  layers(layers: ReadonlyMap<string, Layer>): void {
    this.#layers = layers;
    this.sfu?.layers(layers);
  }

  /** The room has `size` participants (us included): the SFU's part loads one short of the threshold. */
  size(size: number): void {
    this.#size = size;
    if (this.sfu) return this.sfu.route.size(size);
    const t = this.hooks.threshold;
    if (t === 'never' || (t !== 'always' && size < t - 1) || this.hooks.servers().length === 0) return;
    if (this.#loading) return;
    this.#loading = import('./room-sfu.js').then(
      (module) => this.#loaded(module),
      () => {
        // A chunk that did not load (a network blip): the next change of size tries again.
        this.#loading = null;
      },
    );
  }

  close(): void {
    this.sfu?.close();
    this.#states.clear();
    this.#earlyKeys = [];
  }

  #loaded(module: SfuModule): void {
    if (!this.hooks.joined()) return;
    const sfu = (this.sfu = new module.RoomSfu(this.hooks));
    for (const { participant, link } of this.hooks.members()) {
      const state = this.#states.get(participant.id);
      if (state) sfu.linked(participant, link, state);
      for (const track of participant.stream.getTracks()) sfu.route.meshTrack(participant, { track, screen: false });
      for (const track of participant.screenStream.getTracks()) sfu.route.meshTrack(participant, { track, screen: true });
    }
    for (const [link, message] of this.#earlyKeys.splice(0)) sfu.earlyKey(link, message);
    sfu.layers(this.#layers);
    sfu.route.size(this.#size);
  }
}
