/**
 * Media through a selective forwarding unit (Janus's VideoRoom): our camera, microphone and
 * screen go up once, on one publisher connection, and everyone else's come down once, on one
 * subscriber connection. The links of the mesh stay, as data-only connections: verification,
 * keys, chat, roster and each member's feed id travel over them. Every frame is SFrame-encrypted
 * with its sender's key, handed out over those links, so the server forwards ciphertext it cannot
 * read. Lives in a chunk of its own, loaded by rooms that reach the SFU.
 */
import type { FrameProtector, PeerLink } from '../link/peer-link.js';
import type { MediaParticipant, RemoteTrack, Upstream } from '../media/media-path.js';
import { isObj, JanusError, JanusSession, type JanusHandle, type Obj } from './janus-client.js';
import { toHex } from '../room/room-id.js';
import { Publisher } from './publisher.js';
import { Subscriber, type FeedStream } from './subscriber.js';
import type { Layer } from '../layout/layers.js';
import { RemakeBudget } from './connect-watch.js';
import { pickServer } from './placement.js';

export { JanusError, pickServer };
export type { Layer };

/** VideoRoom's "no such room". */
const NO_SUCH_ROOM = 426;
/** Most publishers a Janus room takes (the element's own limit on participants is lower). */
const MAX_PUBLISHERS = 64;

/** What the SFU path tells the room. */
export interface SfuHooks<P> {
  /** A remote track arrived for a participant. */
  track(participant: P, track: RemoteTrack): void;
  /** A remote track of a participant went. */
  gone(participant: P, track: MediaStreamTrack): void;
  /** Our feed id changed (null: not publishing): the room tells everyone over the data channels. */
  feed(feed: string | null): void;
  /** The media server failed or went away. */
  failed(message: string): void;
}

/** Where the room's media goes: the server URLs, the room's derived id, and how connections are made. */
export interface SfuTarget {
  servers: readonly string[];
  roomId: string;
  rtc: RTCConfiguration;
}

/** The feeds of a Janus publishers list: id and streams, checked (feed ids are strings: ours). */
function parsePublishers(value: unknown): Map<string, FeedStream[]> {
  const feeds = new Map<string, FeedStream[]>();
  if (!Array.isArray(value)) return feeds;
  for (const p of value) {
    if (!isObj(p) || typeof p.id !== 'string' || !Array.isArray(p.streams)) continue;
    const streams: FeedStream[] = [];
    for (const s of p.streams) {
      if (!isObj(s) || typeof s.mid !== 'string' || typeof s.mindex !== 'number') continue;
      if (s.type !== 'audio' && s.type !== 'video' && s.type !== 'data') continue;
      streams.push({ mid: s.mid, mindex: s.mindex, type: s.type, disabled: s.disabled === true });
    }
    feeds.set(p.id, streams);
  }
  return feeds;
}

/** A random feed id: says nothing about who we are (the others learn it from us, not from Janus). */
function randomFeedId(): string {
  return `f-${toHex(crypto.getRandomValues(new Uint8Array(12)))}`;
}

export class SfuMediaPath<P extends MediaParticipant> {
  screenTrack: MediaStreamTrack | null = null;
  /** Our feed id in the Janus room (a new one when we publish anew). */
  feedId = randomFeedId();
  /** The server the room landed on, once started. */
  server: string | null = null;
  /** Whether our feed is published (the others may subscribe to it). */
  published = false;
  #session: JanusSession | null = null;
  /** TypeScript-private (not #): the reconnection test hangs it up through Janus. */
  private publisher: Publisher | null = null;
  /** TypeScript-private (not #): the feed-swap test drives it as a dishonest server would. */
  private subscriber: Subscriber | null = null;
  /** Every participant, with the link their keys come over. */
  readonly #members = new Map<string, { participant: P; link: PeerLink }>();
  /** The feed each participant named. */
  readonly #feeds = new Map<string, string>();
  /** The layer each participant's camera is wanted in. */
  readonly #layers = new Map<string, Layer>();
  /** What Janus last said each feed publishes (for a subscriber made anew). */
  readonly #published = new Map<string, FeedStream[]>();
  #upstream: Upstream;
  #target: SfuTarget | null = null;
  /** Connections made anew may be this many within minutes; past that, the call goes back to the mesh. */
  readonly #remakes = new RemakeBudget();
  #closed = false;

  constructor(
    readonly frames: FrameProtector,
    readonly camera: Promise<MediaStream | null>,
    upstream: Upstream,
    readonly hooks: SfuHooks<P>,
  ) {
    this.#upstream = upstream;
  }

  get peerConnections(): RTCPeerConnection[] {
    return [this.publisher?.pc, this.subscriber?.pc].filter((pc): pc is RTCPeerConnection => !!pc && pc.signalingState !== 'closed');
  }

  /** Connects to the room's server, publishes (creating its Janus room if there is none) and subscribes. Rejects with a JanusError. */
  async start(target: SfuTarget): Promise<void> {
    this.#target = target;
    const server = (this.server = await pickServer(target.servers, target.roomId));
    const session = (this.#session = await JanusSession.connect(server));
    session.onclose = (reason) => !this.#closed && this.hooks.failed(reason);
    if (this.#closed) return session.close();
    const [pub, sub] = await Promise.all([session.attach(), session.attach()]);
    // It subscribes to feeds the others name, once they publish: their room exists by then.
    this.subscriber = this.#subscribe(sub, target);
    await this.#publish(pub, target);
  }

  /** A participant named its feed (null: it publishes none). */
  setFeed(participantId: string, feed: string | null): void {
    const before = this.#feeds.get(participantId);
    if (before === feed) return;
    if (before) this.subscriber?.want(before, null);
    if (feed) {
      // A feed named by two participants is only the first one's: the second cannot borrow it.
      if ([...this.#feeds].some(([id, f]) => f === feed && id !== participantId)) return;
      this.#feeds.set(participantId, feed);
      this.subscriber?.want(feed, participantId);
    } else this.#feeds.delete(participantId);
  }

  /** Which layer of a participant's camera its tile needs (kept for a subscriber still to come). */
  setLayer(participantId: string, layer: Layer): void {
    this.#layers.set(participantId, layer);
    this.subscriber?.setLayer(participantId, layer);
  }

  /** A participant, or its new link (its frame keys come over it). */
  attach(participant: P, link: PeerLink): void {
    const before = this.#members.get(participant.id);
    this.#members.set(participant.id, { participant, link });
    if (before && before.link !== link) this.subscriber?.rebind(participant.id);
  }

  /** A participant left. */
  detach(id: string): void {
    this.#members.delete(id);
    this.setFeed(id, null);
  }

  setLocalStream(stream: MediaStream | null): void {
    void this.publisher?.setLocalStream(stream);
  }

  /** A mute or unmute: what goes up follows the page's tracks. */
  syncEnabled(): void {
    this.publisher?.syncEnabled();
  }

  setScreenTrack(track: MediaStreamTrack | null): void {
    this.screenTrack = track;
    this.publisher?.setScreenTrack(track).catch((error: unknown) => this.hooks.failed(String(error)));
  }

  setUpstream(changes: Partial<Upstream>): void {
    this.#upstream = { ...this.#upstream, ...changes };
    void this.publisher?.setUpstream(this.#upstream);
  }

  close(): void {
    this.#closed = true;
    this.publisher?.close();
    this.subscriber?.close();
    this.#session?.close();
    this.#members.clear();
    this.#feeds.clear();
  }

  /** Joins the Janus room on `handle` as a publisher (our feed) and publishes our camera and microphone, if any. */
  async #publish(handle: JanusHandle, { roomId, rtc }: SfuTarget): Promise<void> {
    handle.onevent = (event) => {
      if (event.kind === 'event') this.#publishers(event.reply.data);
      else if (event.kind === 'hangup') this.publisher?.watch.stall(`was hung up by the server (${event.reason})`);
    };
    const join = () => handle.message({ request: 'join', ptype: 'publisher', room: roomId, id: this.feedId });
    // No room yet: the first participant creates it (so does the next one of a room our server
    // swept away once it stayed empty, see server/janus-sweeper.mjs).
    const joined = await join().catch(async (error: unknown) => {
      if (!(error instanceof JanusError && error.code === NO_SUCH_ROOM)) throw error;
      await createRoom(handle, roomId);
      return join();
    });
    this.#publishers(joined.data);
    const stream = await this.camera;
    if (this.#closed || !stream || !stream.getTracks().length) return;
    const publisher: Publisher = (this.publisher = new Publisher(rtc, handle, this.frames, this.#upstream, (reason) => void this.#remake(publisher, `the connection for our media ${reason}`)));
    await publisher.publish(stream);
    if (this.screenTrack) await publisher.setScreenTrack(this.screenTrack);
    if (this.publisher !== publisher) return;
    this.published = true;
    this.hooks.feed(this.feedId);
  }

  /** A subscriber on `handle`, told all we know: the layers, the feeds named to us, what Janus says they publish. */
  #subscribe(handle: JanusHandle, { roomId, rtc }: SfuTarget): Subscriber {
    const subscriber: Subscriber = new Subscriber(rtc, handle, roomId, this.frames, {
      track: (id, track) => this.#withMember(id, (participant) => this.hooks.track(participant, track)),
      gone: (id, track) => this.#withMember(id, (participant) => this.hooks.gone(participant, track)),
      keyId: (id) => this.#members.get(id)?.link.keyId ?? null,
      stalled: (reason) => void this.#remake(subscriber, `the connection for the others' media ${reason}`),
    });
    for (const [id, layer] of this.#layers) subscriber.setLayer(id, layer);
    for (const [id, feed] of this.#feeds) subscriber.want(feed, id);
    for (const [feed, streams] of this.#published) subscriber.published(feed, streams);
    return subscriber;
  }

  /**
   * A connection that did not come up (or failed, or was hung up) is made anew on a new handle: a
   * subscriber told all we know, or our publisher under a new feed id that the others learn from
   * us (Janus tells them the old one left). Past MAX_REMAKES within minutes, the SFU has failed
   * (the call goes on over the mesh).
   */
  async #remake(old: Publisher | Subscriber, reason: string): Promise<void> {
    const session = this.#session;
    const target = this.#target;
    if (this.#closed || !session || !target || (old !== this.subscriber && old !== this.publisher)) return;
    if (old instanceof Subscriber) {
      this.subscriber = null;
      old.release();
    } else {
      this.publisher = null;
      this.published = false;
      old.close();
      old.handle.detach();
      this.feedId = randomFeedId();
      this.hooks.feed(null);
    }
    if (!this.#remakes.spend()) return this.hooks.failed(reason);
    try {
      const handle = await session.attach();
      if (this.#closed) return handle.detach();
      if (old instanceof Subscriber) this.subscriber = this.#subscribe(handle, target);
      else await this.#publish(handle, target);
    } catch (error) {
      if (!this.#closed) this.hooks.failed(`${reason}, and could not be made anew (${error instanceof Error ? error.message : String(error)})`);
    }
  }

  /** Janus's word on who publishes what: the subscriber follows it for the feeds it wants. */
  #publishers(data: Obj): void {
    const update = (feed: string, streams: FeedStream[]) => {
      if (streams.length) this.#published.set(feed, streams);
      else this.#published.delete(feed);
      this.subscriber?.published(feed, streams);
    };
    for (const [feed, streams] of parsePublishers(data.publishers)) if (feed !== this.feedId) update(feed, streams);
    for (const gone of [data.unpublished, data.leaving]) if (typeof gone === 'string') update(gone, []);
  }

  #withMember(id: string, act: (participant: P) => void): void {
    const member = this.#members.get(id);
    if (member) act(member.participant);
  }
}

/**
 * Creates the Janus room (someone else may have meanwhile: fine): end-to-end encryption
 * required, VP8 and Opus (the codecs whose clear bytes SFrame leaves), Opus DTX (a silent or
 * muted microphone sends next to nothing, so a large room decodes and decrypts only who speaks),
 * and a random secret, so no browser can destroy or edit it (only our server, which saw it go by,
 * once the room is empty).
 */
async function createRoom(handle: JanusHandle, room: string): Promise<void> {
  const secret = toHex(crypto.getRandomValues(new Uint8Array(16)));
  try {
    await handle.request({
      request: 'create',
      room,
      secret,
      is_private: true,
      require_e2ee: true,
      publishers: MAX_PUBLISHERS,
      videocodec: 'vp8',
      audiocodec: 'opus',
      opus_dtx: true,
      fir_freq: 10,
    });
  } catch (error) {
    // 427: someone created it meanwhile.
    if (!(error instanceof JanusError && error.code === 427)) throw error;
  }
}
