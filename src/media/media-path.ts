/**
 * How media travels between the participants, as the room reaches it: local camera, microphone
 * and screen going out, remote tracks coming in, the upstream budget, frame protection. The room
 * uses only this interface. Today media goes over each PeerLink of the mesh (mesh-media-path.ts);
 * a selective forwarding unit (Janus) can take its place without touching the mesh.
 */
import type { FrameProtector, PeerLink } from '../link/peer-link.js';
import type { VideoQuality } from './quality.js';

/** A remote track: camera or microphone, or (`screen`) a shared screen. */
export interface RemoteTrack {
  track: MediaStreamTrack;
  screen: boolean;
}

/** The most a participant may send, in kbit/s over all copies, and its camera quality. */
export interface Upstream {
  maxUpstreamKbps: number;
  quality: VideoQuality;
}

/** As much of a participant as the media path needs. */
export interface MediaParticipant {
  readonly id: string;
  readonly audioMuted: boolean;
}

/** The room's way to the media path; implementations deliver remote tracks through a callback given when made. */
export interface MediaPath<P extends MediaParticipant = MediaParticipant> {
  /** Frame encryption of every sender and receiver (with a room secret: set while joining, before any link). */
  frames: FrameProtector | null;
  /** The local camera and microphone each new link offers once capture settles (null: receive only). */
  readonly localMedia: Promise<MediaStream | null>;
  /** The screen we share, or null. */
  readonly screenTrack: MediaStreamTrack | null;
  /** Every RTCPeerConnection carrying a participant's media, for statistics. */
  readonly peerConnections: RTCPeerConnection[];
  /** Readies a connection we dial before its first offer, so the one handshake negotiates its media too. */
  prepareOffer(pc: RTCPeerConnection): void;
  /** A new link, introduced or not: it gets the current caps and screen; tracks it brings are held. */
  add(link: PeerLink): void;
  /** `participant`'s media goes over `link` from now on (a new participant, or a better link); the budget is split again. */
  attach(participant: P, link: PeerLink): void;
  /** Delivers the tracks `link` brought before its participant was announced. */
  release(link: PeerLink): void;
  /** Holds our media back from participant `id` (it takes it from the SFU), or sends it again. */
  pause(id: string, paused: boolean): void;
  /** Participant `id` left: the budget is split over the others. */
  detach(id: string): void;
  /** A link closed: what it held goes. */
  remove(link: PeerLink): void;
  /** The local camera and microphone changed (a device switch, or a track that was missing). */
  setLocalStream(stream: MediaStream | null): void;
  /** Shares a screen with everyone (null stops); newcomers get it as they join. */
  setScreenTrack(track: MediaStreamTrack | null): void;
  /** Changes the upstream budget or the camera quality; the caps follow at once. */
  setUpstream(changes: Partial<Upstream>): void;
  /** Leaving: forgets every link and held track. */
  close(): void;
}
