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
import { pickServer } from './placement.js';

export { JanusError, pickServer };
export type { Layer };

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
  /** Our feed id in the Janus room. */
  readonly feedId = randomFeedId();
  /** The server the room landed on, once started. */
  server: string | null = null;
  /** Whether our feed is published (the others may subscribe to it). */
  published = false;
  #session: JanusSession | null = null;
  #publisher: Publisher | null = null;
  /** TypeScript-private (not #): the feed-swap test drives it as a dishonest server would. */
  private subscriber: Subscriber | null = null;
  /** Every participant, with the link their keys come over. */
  readonly #members = new Map<string, { participant: P; link: PeerLink }>();
  /** The feed each participant named. */
  readonly #feeds = new Map<string, string>();
  /** The layer each participant's camera is wanted in. */
  readonly #layers = new Map<string, Layer>();
  #upstream: Upstream;
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
    return [this.#publisher?.pc, this.subscriber?.pc].filter((pc): pc is RTCPeerConnection => !!pc && pc.signalingState !== 'closed');
  }

  /** Connects to the room's server, creates its Janus room if needed, publishes and subscribes. Rejects with a JanusError. */
  async start({ servers, roomId, rtc }: SfuTarget): Promise<void> {
    const frames = this.frames;
    const server = (this.server = await pickServer(servers, roomId));
    const session = (this.#session = await JanusSession.connect(server));
    session.onclose = (reason) => !this.#closed && this.hooks.failed(reason);
    if (this.#closed) return session.close();
    const [pub, sub] = await Promise.all([session.attach(), session.attach()]);
    await createRoom(pub, roomId);
    this.subscriber = new Subscriber(rtc, sub, roomId, frames, {
      track: (id, track) => this.#withMember(id, (participant) => this.hooks.track(participant, track)),
      gone: (id, track) => this.#withMember(id, (participant) => this.hooks.gone(participant, track)),
      keyId: (id) => this.#members.get(id)?.link.keyId ?? null,
    });
    for (const [id, layer] of this.#layers) this.subscriber.setLayer(id, layer);
    for (const [id, feed] of this.#feeds) this.subscriber.want(feed, id);
    pub.onevent = (event) => event.kind === 'event' && this.#publishers(event.reply.data);
    const joined = await pub.message({ request: 'join', ptype: 'publisher', room: roomId, id: this.feedId });
    this.#publishers(joined.data);
    const stream = await this.camera;
    if (this.#closed) return;
    if (stream && stream.getTracks().length) {
      this.#publisher = new Publisher(rtc, pub, frames, this.#upstream);
      await this.#publisher.publish(stream);
      if (this.screenTrack) await this.#publisher.setScreenTrack(this.screenTrack);
      this.published = true;
      this.hooks.feed(this.feedId);
    }
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
    void this.#publisher?.setLocalStream(stream);
  }

  /** A mute or unmute: what goes up follows the page's tracks. */
  syncEnabled(): void {
    this.#publisher?.syncEnabled();
  }

  setScreenTrack(track: MediaStreamTrack | null): void {
    this.screenTrack = track;
    this.#publisher?.setScreenTrack(track).catch((error: unknown) => this.hooks.failed(String(error)));
  }

  setUpstream(changes: Partial<Upstream>): void {
    this.#upstream = { ...this.#upstream, ...changes };
    void this.#publisher?.setUpstream(this.#upstream);
  }

  close(): void {
    this.#closed = true;
    this.#publisher?.close();
    this.subscriber?.close();
    this.#session?.close();
    this.#members.clear();
    this.#feeds.clear();
  }

  /** Janus's word on who publishes what: the subscriber follows it for the feeds it wants. */
  #publishers(data: Obj): void {
    const subscriber = this.subscriber;
    if (!subscriber) return;
    for (const [feed, streams] of parsePublishers(data.publishers)) if (feed !== this.feedId) subscriber.published(feed, streams);
    for (const gone of [data.unpublished, data.leaving]) if (typeof gone === 'string') subscriber.published(gone, []);
  }

  #withMember(id: string, act: (participant: P) => void): void {
    const member = this.#members.get(id);
    if (member) act(member.participant);
  }
}

/**
 * Creates the Janus room unless it exists: end-to-end encryption required, VP8 and Opus (the
 * codecs whose clear bytes SFrame leaves), Opus DTX (a silent or muted microphone sends next to
 * nothing, so a large room decodes and decrypts only who speaks), and a random secret, so nobody
 * can destroy or edit it.
 */
async function createRoom(handle: JanusHandle, room: string): Promise<void> {
  const exists = await handle.request({ request: 'exists', room });
  if (exists.data.exists === true) return;
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
