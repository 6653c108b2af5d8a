/**
 * Which way each participant's media comes, over the mesh or from the SFU, and the switch between
 * them, make-before-break. The room moves to the SFU when it reaches the threshold (and back when
 * it has shrunk two below it). Moving up: we publish to the SFU and subscribe to every feed
 * announced to us; each participant's tile keeps its mesh track until the SFU's decodes, then
 * takes that one, and we tell that participant (`sfuFrom`), who stops sending us its media over
 * the mesh. Moving down is the same the other way: we take the participant out of `sfuFrom`, it
 * sends over the mesh again, and its tile goes back once that decodes. Our publisher goes once
 * no one takes our media from it. DOM-free; the SFU itself is loaded by the room (sfu/).
 */
import type { RemoteTrack } from '../media/media-path.js';
import type { SfuThreshold } from './sfu-mode.js';

/**
 * Frames an SFU track must have decoded before it takes over a tile: its first second is choppy
 * (the server waits for key frames while it moves up to the layer we asked for).
 */
export const SFU_TAKEOVER_FRAMES = 20;
/**
 * How often the tracks waiting to take over are checked for decoded frames (one getStats per
 * connection carrying them: a poll per track and tenth of a second held a six-person page's WebRTC
 * thread busy enough to stall its video).
 */
export const DECODE_POLL_MS = 200;
/** A connection's stats not read within this long are unknown this time (a getStats that never answers must not hold every switch). */
export const STATS_TIMEOUT_MS = 2_000;
/** A track that receives but never shows decoded frames (a silent microphone) takes over after this long. */
export const AUDIO_TAKEOVER_MS = 3_000;
/** Our publisher stays this long after the last participant stopped taking our media from it. */
export const PUBLISH_GRACE_MS = 5_000;

/** Which way a participant's media comes. */
export type Way = 'mesh' | 'sfu';

/** What the route needs around it. */
export interface RouteHooks<P> {
  /** Puts a track on the participant's tile (taking the place of one of the same kind). */
  show(participant: P, track: RemoteTrack): void;
  /** Takes a track off the participant's tile. */
  hide(participant: P, track: MediaStreamTrack): void;
  /** Holds our media back from a participant over the mesh (it takes it from the SFU), or sends it again. */
  pauseMesh(id: string, paused: boolean): void;
  /** Our `sfuFrom` changed: tell everyone. */
  announce(): void;
  /** Starts the SFU (loads it, publishes, subscribes); resolves whether it is up. */
  startSfu(): Promise<boolean>;
  /** Stops the SFU (our publisher and subscriber). */
  stopSfu(): void;
  /** Frames (or, for audio, its energy) decoded so far on each of these remote tracks (absent: unknown). */
  decoded(tracks: MediaStreamTrack[]): Promise<Map<MediaStreamTrack, number>>;
}

/** The tracks of one way. */
interface Tracks {
  camera: MediaStreamTrack | null;
  audio: MediaStreamTrack | null;
  screen: MediaStreamTrack | null;
}

interface Member<P> {
  participant: P;
  shown: Way;
  mesh: Tracks;
  sfu: Tracks;
  /** The participants it takes from the SFU (what it last said). */
  sfuFrom: ReadonlySet<string>;
  /** Its feed at the SFU (what it last said). */
  feed: string | null;
  /** A switch under way: the way it goes, the track whose frames tell, its first count, since when. */
  watching: { target: Way; probe: MediaStreamTrack; first: number | null; started: number } | null;
}

const none = (): Tracks => ({ camera: null, audio: null, screen: null });
const slot = ({ track, screen }: RemoteTrack): keyof Tracks => (screen ? 'screen' : track.kind === 'audio' ? 'audio' : 'camera');
const tracksOf = (t: Tracks): MediaStreamTrack[] => [t.camera, t.audio, t.screen].filter((x): x is MediaStreamTrack => !!x && x.readyState === 'live');

/**
 * What each of `tracks` has decoded so far, from one getStats of each connection carrying one:
 * video frames, or for audio its energy (a frame that did not decrypt never reaches the decoder,
 * and neither counts it).
 */
export async function decodedOn(pcs: RTCPeerConnection[], tracks: MediaStreamTrack[]): Promise<Map<MediaStreamTrack, number>> {
  const counts = new Map<MediaStreamTrack, number>();
  const byId = new Map(tracks.map((t) => [t.id, t]));
  await Promise.all(
    pcs
      .filter((pc) => pc.getReceivers().some((r) => tracks.includes(r.track)))
      .map(async (pc) => {
        let timer: ReturnType<typeof setTimeout> | undefined;
        try {
          const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('stats timed out')), STATS_TIMEOUT_MS)));
          (await Promise.race([pc.getStats(), late])).forEach((r: { type: string; trackIdentifier?: string; framesDecoded?: number; totalAudioEnergy?: number }) => {
            const track = r.type === 'inbound-rtp' && r.trackIdentifier ? byId.get(r.trackIdentifier) : undefined;
            if (track) counts.set(track, track.kind === 'video' ? (r.framesDecoded ?? 0) : (r.totalAudioEnergy ?? 0));
          });
        } catch {
          // A connection closing meanwhile, or stats too slow: its tracks stay unknown this time.
        } finally {
          clearTimeout(timer);
        }
      }),
  );
  return counts;
}

export class MediaRoute<P extends { readonly id: string }> {
  /** Which way the room's media goes now, as we see it. */
  #way: Way = 'mesh';
  /** Whether the SFU is up for us (publishing and subscribing). */
  #sfuUp = false;
  /** Whether it failed: with `always`, the mesh carries the media after all. */
  #failed = false;
  #starting: Promise<boolean> | null = null;
  #stopTimer: ReturnType<typeof setTimeout> | undefined;
  /** The next look at the switches under way. */
  #poll: ReturnType<typeof setTimeout> | undefined;
  #closed = false;
  readonly #members = new Map<string, Member<P>>();

  constructor(
    readonly selfId: string,
    readonly threshold: SfuThreshold,
    readonly hooks: RouteHooks<P>,
  ) {}

  /** Which way the room's media goes, as we see it. */
  get way(): Way {
    return this.#way;
  }

  /** The participants we take from the SFU now (announced in our state; none once we move down: they send over the mesh again). */
  get sfuFrom(): string[] {
    if (this.#way === 'mesh') return [];
    return [...this.#members.values()].filter((m) => m.shown === 'sfu').map((m) => m.participant.id);
  }

  /** The feed a participant named, if any. */
  feedOf(id: string): string | null {
    return this.#members.get(id)?.feed ?? null;
  }

  /** The room now has `size` participants, us included: moves up at the threshold, down two below it. */
  size(size: number): void {
    const t = this.threshold;
    const up = t === 'always' || (t !== 'never' && size >= t);
    const down = t === 'never' || (t !== 'always' && size <= t - 2);
    if (up && this.#way === 'mesh') this.#moveUp();
    else if (down && this.#way === 'sfu') this.#moveDown();
  }

  /** A participant joined (or its link changed). */
  add(participant: P): void {
    const member = this.#members.get(participant.id);
    if (member) member.participant = participant;
    else this.#members.set(participant.id, { participant, shown: 'mesh', mesh: none(), sfu: none(), sfuFrom: new Set(), feed: null, watching: null });
    this.#applyPause(participant.id);
  }

  /** A participant left. */
  remove(id: string): void {
    this.#members.delete(id);
    this.#maybeStop();
  }

  /** A participant told us its feed and whom it takes from the SFU. */
  peer(id: string, feed: string | undefined, sfuFrom: readonly string[] | undefined): void {
    const member = this.#members.get(id);
    if (!member) return;
    member.feed = feed ?? null;
    member.sfuFrom = new Set(sfuFrom ?? []);
    this.#applyPause(id);
    if (member.sfuFrom.has(this.selfId)) clearTimeout(this.#stopTimer);
    else this.#maybeStop();
  }

  /** A track arrived over the mesh. */
  meshTrack(participant: P, track: RemoteTrack): void {
    this.#arrived(participant, 'mesh', track);
  }

  /** A track arrived from the SFU. */
  sfuTrack(participant: P, track: RemoteTrack): void {
    this.#arrived(participant, 'sfu', track);
  }

  /** A track from the SFU went (its feed stopped, or its m-line was given to another). */
  sfuGone(participant: P, track: MediaStreamTrack): void {
    const member = this.#members.get(participant.id);
    if (!member) return;
    for (const key of ['camera', 'audio', 'screen'] as const) if (member.sfu[key] === track) member.sfu[key] = null;
    if (member.shown === 'sfu') this.hooks.hide(participant, track);
  }

  /** The SFU failed: everyone goes back to the mesh at once (nothing else is left to show). */
  sfuFailed(): void {
    this.#sfuUp = false;
    this.#failed = true;
    this.#way = 'mesh';
    for (const member of this.#members.values()) if (member.shown === 'sfu') this.#show(member, 'mesh');
    this.hooks.announce();
    for (const id of this.#members.keys()) this.#applyPause(id);
  }

  close(): void {
    clearTimeout(this.#stopTimer);
    clearTimeout(this.#poll);
    this.#closed = true;
    this.#members.clear();
  }

  #arrived(participant: P, way: Way, track: RemoteTrack): void {
    const member = this.#members.get(participant.id);
    if (!member) return this.hooks.show(participant, track);
    member[way][slot(track)] = track.track;
    if (member.shown === way) this.hooks.show(participant, track);
    else if (way === this.#way) this.#watch(member);
  }

  #moveUp(): void {
    this.#way = 'sfu';
    clearTimeout(this.#stopTimer);
    if (!this.#starting)
      this.#starting = this.hooks.startSfu().then((up) => {
        this.#starting = null;
        this.#sfuUp = up;
        if (!up) this.sfuFailed();
        else for (const id of this.#members.keys()) this.#applyPause(id);
        // The room shrank again while the SFU started.
        this.#maybeStop();
        return up;
      });
    for (const member of this.#members.values()) this.#watch(member);
  }

  #moveDown(): void {
    this.#way = 'mesh';
    // Taking them out of sfuFrom makes them send over the mesh again; each tile goes back once that decodes.
    for (const member of this.#members.values()) this.#watch(member);
    this.hooks.announce();
    this.#maybeStop();
  }

  /** Waits until the way the room goes now decodes for `member`, then shows it. */
  #watch(member: Member<P>): void {
    const target = this.#way;
    const tracks = member[target];
    const probe = tracks.camera ?? tracks.audio;
    member.watching = member.shown !== target && probe ? { target, probe, first: null, started: Date.now() } : null;
    if (member.watching && this.#poll === undefined) this.#poll = setTimeout(() => void this.#check(), DECODE_POLL_MS);
  }

  /**
   * One look at every switch under way: a track that decodes takes over its tile. Whatever fails
   * on the way (stats that could not be read, a tile that could not be shown), the next look is
   * still scheduled while a switch is under way: a poll that stopped would leave tiles on the old
   * way for good.
   */
  async #check(): Promise<void> {
    let switched = false;
    try {
      const watched = [...this.#members.values()].filter((m) => m.watching);
      // Stats that could not be read: nothing known this time.
      const counts = await this.hooks.decoded(watched.map((m) => m.watching!.probe)).catch(() => new Map<MediaStreamTrack, number>());
      if (this.#closed) return;
      for (const member of watched) if (this.#decodes(member, counts)) switched = true;
    } finally {
      this.#poll = undefined;
      if (!this.#closed) {
        if ([...this.#members.values()].some((m) => m.watching)) this.#poll = setTimeout(() => void this.#check(), DECODE_POLL_MS);
        if (switched) {
          this.hooks.announce();
          this.#maybeStop();
        }
      }
    }
  }

  /** Whether `member`'s switch under way is done: the track it waits for decodes (then shows it). */
  #decodes(member: Member<P>, counts: Map<MediaStreamTrack, number>): boolean {
    const watching = member.watching;
    if (!watching || this.#members.get(member.participant.id) !== member) return false;
    if (this.#way !== watching.target || member.shown === watching.target) {
      member.watching = null;
      return false;
    }
    const count = counts.get(watching.probe) ?? null;
    watching.first ??= count;
    const { probe, target, first } = watching;
    // Over the mesh a paused track keeps its old count: it must grow again.
    const decoding = count !== null && (target === 'sfu' ? count >= (probe.kind === 'video' ? this.#takeoverFrames() : 1) : count > (first ?? 0));
    const silent = probe.kind === 'audio' && Date.now() - watching.started > AUDIO_TAKEOVER_MS;
    if (!decoding && !silent) return false;
    member.watching = null;
    this.#show(member, target);
    return true;
  }

  /** Frames an SFU video must decode to take over: with `always` the mesh carries nothing to keep showing, so the first. */
  #takeoverFrames(): number {
    return this.threshold === 'always' && !this.#failed ? 1 : SFU_TAKEOVER_FRAMES;
  }

  /** Shows `way`'s tracks on the member's tile and takes the other's off. */
  #show(member: Member<P>, way: Way): void {
    const other = way === 'sfu' ? 'mesh' : 'sfu';
    member.shown = way;
    const tracks = member[way];
    for (const key of ['camera', 'audio', 'screen'] as const) {
      const track = tracks[key];
      if (track && track.readyState === 'live') this.hooks.show(member.participant, { track, screen: key === 'screen' });
    }
    for (const track of tracksOf(member[other])) this.hooks.hide(member.participant, track);
  }

  /** Our media goes to `id` over the mesh unless it takes it from the SFU (which must be up). */
  #applyPause(id: string): void {
    const member = this.#members.get(id);
    // With `always`, nothing goes over the mesh from the start (unless the SFU failed).
    if (member) this.hooks.pauseMesh(id, (this.threshold === 'always' && !this.#failed) || (this.#sfuUp && member.sfuFrom.has(this.selfId)));
  }

  /** Back on the mesh, with no one taking our media from the SFU: it goes after a grace period. */
  #maybeStop(): void {
    if (this.#way !== 'mesh' || !this.#sfuUp) return;
    if ([...this.#members.values()].some((m) => m.shown === 'sfu' || m.sfuFrom.has(this.selfId))) return;
    clearTimeout(this.#stopTimer);
    this.#stopTimer = setTimeout(() => {
      if (this.#way !== 'mesh') return;
      this.#sfuUp = false;
      this.hooks.stopSfu();
    }, PUBLISH_GRACE_MS);
  }
}
