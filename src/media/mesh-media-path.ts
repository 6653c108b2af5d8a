/**
 * Media over the mesh: each PeerLink carries our camera, microphone and screen to its participant
 * and theirs to us, and the upstream budget is split over the copies (see bandwidth.ts).
 */
import { PeerLink, type FrameProtector } from '../link/peer-link.js';
import { allocateUpstream, type UpstreamCaps } from '../link/bandwidth.js';
import type { MediaParticipant, MediaPath, RemoteTrack, Upstream } from './media-path.js';

/**
 * The caps follow the number of participants once it has stayed the same this long: a join of
 * six changes it five times in a few seconds, and each change reads and sets every sender.
 */
export const CAPS_SETTLE_MS = 500;

/** The media path of a mesh: media over every link. */
export class MeshMediaPath<P extends MediaParticipant> implements MediaPath<P> {
  frames: FrameProtector | null = null;
  screenTrack: MediaStreamTrack | null = null;
  #caps: UpstreamCaps;
  /** Every live link, introduced or not. */
  readonly #live = new Set<PeerLink>();
  /** The link carrying each participant's media, by id. */
  readonly #carried = new Map<string, { participant: P; link: PeerLink }>();
  /** The participants our media is held back from (they take it from the SFU). */
  readonly #paused = new Set<string>();
  /** Remote tracks of links whose hello has not come yet. */
  readonly #early = new Map<PeerLink, RemoteTrack[]>();

  #upstream: Upstream;
  #capsTimer: ReturnType<typeof setTimeout> | undefined;
  /** A remote track arrived for a participant. */
  readonly #onTrack: (participant: P, track: RemoteTrack) => void;

  constructor(readonly localMedia: Promise<MediaStream | null>, upstream: Upstream, onTrack: (participant: P, track: RemoteTrack) => void) {
    this.#upstream = upstream;
    this.#onTrack = onTrack;
    this.#caps = this.#allocate();
  }

  get peerConnections(): RTCPeerConnection[] {
    return [...this.#carried.values()].flatMap(({ link }) => (link.pc && link.pc.signalingState !== 'closed' ? [link.pc] : []));
  }

  prepareOffer(pc: RTCPeerConnection): void {
    PeerLink.prepareOffer(pc, this.frames);
  }

  add(link: PeerLink): void {
    this.#live.add(link);
    link.setSendCaps(this.#caps);
    if (this.screenTrack) link.setScreenTrack(this.screenTrack);
    link.on('track', (track) => {
      const carried = link.remoteId ? this.#carried.get(link.remoteId) : undefined;
      if (carried?.link === link) this.#onTrack(carried.participant, track);
      // With a room secret, media can come before the hello that makes the peer a participant.
      else if (!link.remoteId) this.#early.set(link, [...(this.#early.get(link) ?? []), track]);
    });
  }

  attach(participant: P, link: PeerLink): void {
    this.#carried.set(participant.id, { participant, link });
    link.pauseMedia(this.#paused.has(participant.id));
    this.#settleCaps();
  }

  release(link: PeerLink): void {
    const tracks = this.#early.get(link);
    this.#early.delete(link);
    const carried = link.remoteId ? this.#carried.get(link.remoteId) : undefined;
    if (carried) for (const track of tracks ?? []) if (track.track.readyState === 'live') this.#onTrack(carried.participant, track);
  }

  /** Holds our media back from participant `id` (it takes it from the SFU), or sends it again. */
  pause(id: string, paused: boolean): void {
    if (paused) this.#paused.add(id);
    else this.#paused.delete(id);
    this.#carried.get(id)?.link.pauseMedia(paused);
  }

  detach(id: string): void {
    this.#carried.delete(id);
    this.#paused.delete(id);
    this.#settleCaps();
  }

  remove(link: PeerLink): void {
    this.#live.delete(link);
    this.#early.delete(link);
  }

  setLocalStream(stream: MediaStream | null): void {
    for (const link of this.#live) void link.setLocalStream(stream);
  }

  setScreenTrack(track: MediaStreamTrack | null): void {
    this.screenTrack = track;
    this.#updateCaps();
    for (const link of this.#live) link.setScreenTrack(track);
  }

  setUpstream(changes: Partial<Upstream>): void {
    this.#upstream = { ...this.#upstream, ...changes };
    this.#updateCaps();
  }

  close(): void {
    clearTimeout(this.#capsTimer);
    this.#live.clear();
    this.#carried.clear();
    this.#early.clear();
  }

  #allocate(): UpstreamCaps {
    return allocateUpstream({ ...this.#upstream, peers: this.#carried.size, sharingScreen: this.screenTrack !== null });
  }

  /** The participants changed: the caps follow once their number settles (CAPS_SETTLE_MS). */
  #settleCaps(): void {
    clearTimeout(this.#capsTimer);
    this.#capsTimer = setTimeout(() => this.#updateCaps(), CAPS_SETTLE_MS);
  }

  /** Splits the upstream budget over the current links, now. */
  #updateCaps(): void {
    clearTimeout(this.#capsTimer);
    this.#caps = this.#allocate();
    for (const link of this.#live) link.setSendCaps(this.#caps);
  }
}
