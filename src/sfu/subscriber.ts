/**
 * The others' media coming down from the SFU, once: one multistream connection whose m-lines
 * Janus adds and removes as feeds come and go (it offers, we answer). We subscribe only to feeds
 * a participant named to us over its verified data channel, and decrypt each m-line with that
 * participant's frame keys: media the server moved to another m-line, or made up, does not
 * decrypt and never reaches a decoder (the frame crypto counts the drops).
 */
import type { FrameProtector } from '../link/link-media.js';
import type { RemoteTrack } from '../media/media-path.js';
import { isObj, type Jsep, type JanusHandle, type Obj, type PluginReply } from './janus-client.js';
import type { Layer } from '../layout/layers.js';
import { ConnectWatch, CONNECT_TIMEOUT_MS } from './connect-watch.js';

/**
 * A subscription step Janus refused (a feed that went between its word and our request, a
 * transient error) is tried again this long after, doubling up to MAX_RESYNC_MS: nothing else
 * would ask again while the feeds stay as they are.
 */
export const RESYNC_MS = 500;
const MAX_RESYNC_MS = 10_000;

/** One stream a publisher offers, as Janus lists it. */
export interface FeedStream {
  mid: string;
  mindex: number;
  type: 'audio' | 'video' | 'data';
  disabled: boolean;
}

/** One m-line of our subscription. */
interface SubStream {
  feed: string;
  feedMid: string;
  type: string;
  active: boolean;
}


/** What the subscriber tells the media path. */
export interface SubscriberHooks {
  /** A track of `participantId`'s arrived (or came back). */
  track(participantId: string, track: RemoteTrack): void;
  /** A track of `participantId`'s went (unsubscribed, or its m-line moved to another feed). */
  gone(participantId: string, track: MediaStreamTrack): void;
  /** The frame keys a participant's media decrypts with (its link's key id), or null if unknown. */
  keyId(participantId: string): string | null;
  /** Our connection failed, did not come up in time, or Janus hung it up: this subscriber is done (see ConnectWatch). */
  stalled(reason: string): void;
}

/** The streams of a Janus `attached` or `updated` event, checked. */
function parseSubStreams(value: unknown): Map<string, SubStream> | null {
  if (!Array.isArray(value)) return null;
  const streams = new Map<string, SubStream>();
  for (const s of value) {
    if (!isObj(s) || typeof s.mid !== 'string') continue;
    // A feed id as we chose it (a string; see SfuMediaPath); anything else is not ours.
    const feed = typeof s.feed_id === 'string' ? s.feed_id : null;
    if (!feed || typeof s.feed_mid !== 'string') continue;
    streams.set(s.mid, { feed, feedMid: s.feed_mid, type: typeof s.type === 'string' ? s.type : '', active: s.active !== false });
  }
  return streams;
}

export class Subscriber {
  pc: RTCPeerConnection | null = null;
  /** Our m-lines by mid, as Janus last described them. TypeScript-private: the feed-swap test reads it. */
  private streams = new Map<string, SubStream>();
  /** The feeds we want (feed → participant id), from the control plane. */
  readonly #wanted = new Map<string, string>();
  /** What Janus says each feed publishes. */
  readonly #published = new Map<string, FeedStream[]>();
  /** The participant and track each of our m-lines delivered. */
  readonly #delivered = new Map<string, { participantId: string; track: MediaStreamTrack }>();
  /** The layer wanted per participant (default high). */
  readonly #layers = new Map<string, Layer>();
  #joined = false;
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;
  #resync: ReturnType<typeof setTimeout> | undefined;
  #resyncMs = RESYNC_MS;
  #watch: ConnectWatch | null = null;

  constructor(
    readonly rtc: RTCConfiguration,
    readonly handle: JanusHandle,
    readonly room: string,
    readonly frames: FrameProtector,
    readonly hooks: SubscriberHooks,
    readonly connectTimeoutMs = CONNECT_TIMEOUT_MS,
  ) {
    handle.onevent = (event) => {
      // A renegotiation Janus started itself (a feed we had left): answer it in turn.
      if (event.kind === 'event') this.#run(() => this.#apply(event.reply));
      else if (event.kind === 'hangup') this.#stall(`was hung up by the server (${event.reason})`);
    };
  }

  /** Every feed id a participant announced, and whose it is. */
  want(feed: string, participantId: string | null): void {
    if (participantId) this.#wanted.set(feed, participantId);
    else this.#wanted.delete(feed);
    this.#sync();
  }

  /** What Janus says `feed` publishes now (an empty list: nothing). */
  published(feed: string, streams: FeedStream[]): void {
    if (streams.length) this.#published.set(feed, streams);
    else this.#published.delete(feed);
    this.#sync();
  }

  /** Which layer of `participantId`'s camera to receive. */
  setLayer(participantId: string, layer: Layer): void {
    if (this.#layers.get(participantId) === layer) return;
    this.#layers.set(participantId, layer);
    this.#run(() => this.#configure([participantId]));
  }

  /** A participant's keys moved to another link: its m-lines decrypt with those from now on. */
  rebind(participantId: string): void {
    const pc = this.pc;
    if (!pc) return;
    for (const transceiver of pc.getTransceivers()) {
      const delivered = transceiver.mid ? this.#delivered.get(transceiver.mid) : undefined;
      const keyId = this.hooks.keyId(participantId);
      if (delivered?.participantId === participantId && keyId) this.frames.protectReceiver(transceiver.receiver, keyId);
    }
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#resync);
    this.#watch?.close();
    this.pc?.close();
    this.handle.detach();
  }

  /** Closes, and first tells the media path that every track it delivered went (another subscriber takes over). */
  release(): void {
    for (const { participantId, track } of this.#delivered.values()) this.hooks.gone(participantId, track);
    this.#delivered.clear();
    this.close();
  }

  /** Whether `stream` is `feed`'s camera (its first video), not its screen. */
  isCamera(feed: string, feedMid: string): boolean {
    const videos = (this.#published.get(feed) ?? []).filter((s) => s.type === 'video').sort((a, b) => a.mindex - b.mindex);
    return videos[0]?.mid === feedMid;
  }

  /** Runs `step` after those before it; a sync that fails is tried again later (see RESYNC_MS). */
  #run(step: () => Promise<void>, sync = false): void {
    this.#queue = this.#queue.then(step, step).then(
      () => {
        if (sync) this.#resyncMs = RESYNC_MS;
      },
      () => {
        if (!sync || this.#closed) return;
        clearTimeout(this.#resync);
        this.#resync = setTimeout(() => this.#sync(), this.#resyncMs);
        this.#resyncMs = Math.min(this.#resyncMs * 2, MAX_RESYNC_MS);
      },
    );
  }

  /** Subscribes to what we want and Janus has, and leaves what we no longer want. */
  #sync(): void {
    this.#run(async () => {
      if (this.#closed) return;
      const have = new Set([...this.streams.values()].filter((s) => s.active).map((s) => `${s.feed} ${s.feedMid}`));
      const subscribe: Obj[] = [];
      for (const [feed, streams] of this.#published) {
        if (!this.#wanted.has(feed)) continue;
        for (const s of streams) if (!s.disabled && s.type !== 'data' && !have.has(`${feed} ${s.mid}`)) subscribe.push({ feed, mid: s.mid });
      }
      const unsubscribe = [...new Set([...this.streams.values()].filter((s) => s.active && !this.#wanted.has(s.feed)).map((s) => s.feed))].map((feed) => ({ feed }));
      if (!this.#joined) {
        if (!subscribe.length) return;
        // Joined once Janus says so: a refused join is a join again next time, not an update.
        const joined = await this.handle.message({ request: 'join', ptype: 'subscriber', room: this.room, streams: subscribe });
        this.#joined = true;
        await this.#apply(joined);
        return;
      }
      if (!subscribe.length && !unsubscribe.length) return;
      await this.#apply(await this.handle.message({ request: 'update', ...(subscribe.length ? { subscribe } : {}), ...(unsubscribe.length ? { unsubscribe } : {}) }));
    }, true);
  }

  /** Takes Janus's description of our m-lines and answers its offer. */
  async #apply(reply: PluginReply): Promise<void> {
    if (this.#closed) return;
    const streams = parseSubStreams(reply.data.streams);
    if (streams) this.streams = streams;
    if (reply.jsep?.type === 'offer') await this.#answer(reply.jsep);
    this.#deliver();
    if (reply.jsep?.type === 'offer') await this.#configure([...this.#layers.keys()]);
  }

  async #answer(offer: Jsep): Promise<void> {
    const pc = (this.pc ??= this.#makePc());
    await pc.setRemoteDescription({ type: 'offer', sdp: offer.sdp });
    // Decrypt before the first frame: with the keys of the participant who named this feed.
    for (const transceiver of pc.getTransceivers()) this.#protect(transceiver);
    const answer = await pc.createAnswer();
    await pc.setLocalDescription(answer);
    await this.handle.message({ request: 'start' }, { type: 'answer', sdp: answer.sdp ?? '' });
    this.#watch?.arm();
  }

  #stall(reason: string): void {
    if (this.#closed) return;
    // Once: the watch calls back once, and a hangup after it finds the watch over.
    if (this.#watch) this.#watch.stall(reason);
    else {
      this.#closed = true;
      this.hooks.stalled(reason);
    }
  }

  #makePc(): RTCPeerConnection {
    const pc = new RTCPeerConnection(this.rtc);
    this.#watch = new ConnectWatch(pc, (reason) => !this.#closed && this.hooks.stalled(reason), this.connectTimeoutMs);
    pc.onicecandidate = ({ candidate }) => this.handle.trickle(candidate);
    pc.ontrack = ({ transceiver }) => this.#protect(transceiver);
    return pc;
  }

  /** Binds an m-line's receiver to its participant's keys; one whose feed nobody named is bound to none (drops all). */
  #protect(transceiver: RTCRtpTransceiver): void {
    const stream = transceiver.mid ? this.streams.get(transceiver.mid) : undefined;
    const participantId = stream ? this.#wanted.get(stream.feed) : undefined;
    const keyId = participantId ? this.hooks.keyId(participantId) : null;
    this.frames.protectReceiver(transceiver.receiver, keyId ?? 'nobody');
  }

  /** Tells the media path which participant each live m-line now carries. */
  #deliver(): void {
    const pc = this.pc;
    if (!pc) return;
    for (const transceiver of pc.getTransceivers()) {
      const mid = transceiver.mid;
      if (!mid) continue;
      const stream = this.streams.get(mid);
      const participantId = stream?.active && transceiver.currentDirection !== 'inactive' ? this.#wanted.get(stream.feed) : undefined;
      const before = this.#delivered.get(mid);
      const track = transceiver.receiver.track;
      if (before && (before.participantId !== participantId || before.track !== track)) {
        this.#delivered.delete(mid);
        this.hooks.gone(before.participantId, before.track);
      }
      if (participantId && stream && this.#delivered.get(mid)?.participantId !== participantId) {
        this.#delivered.set(mid, { participantId, track });
        this.hooks.track(participantId, { track, screen: stream.type === 'video' && !this.isCamera(stream.feed, stream.feedMid) });
      }
    }
  }

  /** Asks Janus for each participant's wanted camera layer (none: nothing relayed). */
  async #configure(participantIds: string[]): Promise<void> {
    if (!this.pc) return;
    const streams: Obj[] = [];
    for (const [mid, delivered] of this.#delivered) {
      const stream = this.streams.get(mid);
      if (!stream || stream.type !== 'video' || !participantIds.includes(delivered.participantId) || !this.isCamera(stream.feed, stream.feedMid)) continue;
      const layer = this.#layers.get(delivered.participantId) ?? 'high';
      streams.push(layer === 'none' ? { mid, send: false } : { mid, send: true, substream: layer === 'high' ? 2 : 0 });
    }
    if (streams.length) await this.handle.message({ request: 'configure', streams });
  }
}
