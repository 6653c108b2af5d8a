/**
 * The remote participants as the room shows them: made from a hello, kept up to date by their
 * state messages and their link's events (code, quality, reconnecting), verified by the secret or
 * a person, and removed when their link closes.
 */
import type { PeerLink } from '../link/peer-link.js';
import type { VerificationFailure } from '../e2ee/link-verifier.js';
import type { ShortCode } from '../e2ee/verification.js';
import type { ConnectionQuality } from '../link/link-quality.js';
import type { PeerMessage } from '../signalling/protocol.js';
import type { RemoteTrack } from '../media/media-path.js';
import { ERROR_CODES } from '../constants.js';
import type { Hello } from './mesh.js';
import type { RoomEvents } from './room-api.js';

/** A remote participant as the room sees it. */
export interface Participant {
  /** Random per-join participant id. */
  readonly id: string;
  /** Display name, as text. */
  name: string;
  /** Whether their microphone is muted. */
  audioMuted: boolean;
  /** Whether their camera is off. */
  videoMuted: boolean;
  /** Whether they are sharing a screen. */
  screenSharing: boolean;
  /** Their camera and microphone tracks as they arrive. */
  readonly stream: MediaStream;
  /** Their shared screen's track, once one arrived (kept, muted, between shares). */
  readonly screenStream: MediaStream;
  /** Whether their connection is verified: by the room secret, or by a person comparing the short code. */
  verified: boolean;
  /** Without a room secret: the short code of our connection to them, once known. */
  code: ShortCode | null;
  /** The quality of our connection to them. */
  quality: ConnectionQuality;
}

/** How the participants of a room are verified. */
export type VerificationMethod = 'secret' | 'sas';

/** Dispatches one of the room's events. */
type Emit = <K extends keyof RoomEvents>(type: K, detail: RoomEvents[K]) => void;

/** The participants of one join, by id, in join order. */
export class Participants {
  readonly #people = new Map<string, Participant>();
  /** Links whose far end failed verification. */
  readonly unverified = new WeakSet<PeerLink>();

  readonly #emit: Emit;
  readonly #verification: VerificationMethod;
  /** Whether a link is its participant's current link. */
  readonly #isCurrent: (link: PeerLink) => boolean;

  constructor(emit: Emit, verification: VerificationMethod, isCurrent: (link: PeerLink) => boolean) {
    this.#emit = emit;
    this.#verification = verification;
    this.#isCurrent = isCurrent;
  }

  /** The participant `id`. */
  get(id: string): Participant | undefined {
    return this.#people.get(id);
  }

  /** Every participant, in join order. */
  all(): Participant[] {
    return [...this.#people.values()];
  }

  /** The participant a link carries, if it is their current link. */
  of(link: PeerLink): Participant | undefined {
    return this.#isCurrent(link) ? this.#people.get(link.remoteId!) : undefined;
  }

  /** Follows what a link says about its participant: code, quality, reconnecting, failed verification. */
  watch(link: PeerLink): void {
    link.on('reconnecting', ({ reconnecting }) => {
      const participant = this.of(link);
      if (participant) this.#emit('peer-reconnecting', { participant, reconnecting });
    });
    link.on('quality', ({ quality, rttMs, lossPercent }) => {
      const participant = this.of(link);
      if (!participant) return;
      participant.quality = quality;
      this.#emit('peer-quality', { participant, quality, rttMs, lossPercent });
    });
    link.on('code', ({ code }) => {
      const participant = this.of(link);
      if (participant) {
        participant.code = code;
        this.#emit('peer-code', { participant });
      }
    });
    link.on('verification-failed', ({ reason, detail }) => this.#failed(link, reason, detail));
  }

  /** A new participant, introduced by `link`'s hello (not announced yet). */
  add(link: PeerLink, hello: Hello): Participant {
    const participant: Participant = {
      id: hello.id,
      name: hello.name,
      audioMuted: hello.audioMuted,
      videoMuted: hello.videoMuted,
      screenSharing: hello.screenSharing,
      stream: new MediaStream(),
      screenStream: new MediaStream(),
      verified: this.#verification === 'secret',
      code: link.code,
      quality: link.quality,
    };
    this.#people.set(hello.id, participant);
    return participant;
  }

  /** Once a new participant is announced and its early tracks are in: what was true of it from the start. */
  introduce(participant: Participant): void {
    if (participant.verified) this.#emit('peer-verified', { participant, method: 'secret' });
    if (participant.screenSharing) this.#emit('peer-screen', { participant, sharing: true });
  }

  /**
   * The same participant on a better link. The new connection has new certificates, so a code
   * confirmed for the old one no longer counts; the new link's tracks arrive after its hello (the
   * channel is ordered), so the old ones go.
   */
  relinked(link: PeerLink, id: string): Participant | undefined {
    const participant = this.#people.get(id);
    if (!participant) return undefined;
    participant.verified = this.#verification === 'secret';
    participant.code = link.code;
    participant.quality = link.quality;
    this.#emit('peer-code', { participant });
    for (const stream of [participant.stream, participant.screenStream]) for (const track of stream.getTracks()) stream.removeTrack(track);
    return participant;
  }

  /** Participant `id`'s link closed. */
  remove(id: string, { bye, failed, closedByPeer }: { bye: boolean; failed: boolean; closedByPeer: boolean }): void {
    const participant = this.#people.get(id);
    this.#people.delete(id);
    if (!participant) return;
    for (const track of [...participant.stream.getTracks(), ...participant.screenStream.getTracks()]) track.stop();
    if (participant.screenSharing) this.#emit('peer-screen', { participant, sharing: false });
    if (failed) this.#emit('error', { code: ERROR_CODES.peerConnectionFailed, message: `The connection to ${participant.name || 'a participant'} failed.` });
    // Only a goodbye keeps the id from being dialed again; a channel the peer closed counts as a
    // leave too (its goodbye can be lost when a tab closes), but ids can cross in a reconnect.
    this.#emit('peer-left', { participant, reason: bye || closedByPeer ? 'left' : 'lost' });
  }

  /** A remote track of `participant` arrived. */
  addTrack(participant: Participant, { track, screen }: RemoteTrack): void {
    const stream = screen ? participant.screenStream : participant.stream;
    // A screen share that starts again on the same transceiver brings back the same track.
    if (stream.getTracks().includes(track)) return this.#emit('peer-track', { participant, track, screen });
    // It takes the place of the one of its kind: a new link's, or the SFU's instead of the mesh's.
    for (const old of stream.getTracks()) if (old.kind === track.kind) stream.removeTrack(old);
    stream.addTrack(track);
    this.#emit('peer-track', { participant, track, screen });
  }

  /** A remote track went (its m-line at the SFU was taken away or given to someone else). */
  removeTrack(participant: Participant, track: MediaStreamTrack): void {
    const screen = participant.screenStream.getTracks().includes(track);
    if (!screen && !participant.stream.getTracks().includes(track)) return;
    (screen ? participant.screenStream : participant.stream).removeTrack(track);
    this.#emit('peer-track', { participant, track, screen });
  }

  /** A participant's state message: name, mutes, screen. */
  update(participant: Participant, state: Extract<PeerMessage, { t: 'state' }>): void {
    participant.name = state.name;
    participant.audioMuted = state.audioMuted;
    participant.videoMuted = state.videoMuted;
    this.#emit('peer-updated', { participant });
    if (participant.screenSharing !== state.screenSharing) {
      participant.screenSharing = state.screenSharing;
      this.#emit('peer-screen', { participant, sharing: state.screenSharing });
    }
  }

  /** A chat message on `link`. */
  chat(link: PeerLink, text: string): void {
    const participant = this.of(link);
    // Shown at once, marked with whether the sender was verified now; a later confirmation
    // does not change what was already said about this message.
    if (participant) this.#emit('chat', { participant, text, verified: participant.verified });
  }

  /**
   * Records whether a person found the short code of `id`'s connection (over `link`) to match
   * theirs. A match marks them verified; a mismatch closes the connection. Returns false for an
   * unknown id.
   */
  confirm(id: string, link: PeerLink | undefined, matches: boolean): boolean {
    const participant = this.#people.get(id);
    if (!participant || !link || this.#verification !== 'sas' || !participant.code) return false;
    if (!matches) {
      this.#emit('verification-failed', { id, name: participant.name, reason: 'rejected' });
      link.close();
      return true;
    }
    if (!participant.verified) {
      participant.verified = true;
      this.#emit('peer-verified', { participant, method: 'sas' });
    }
    return true;
  }

  /** Leaving: every remote track stops. */
  clear(): void {
    for (const participant of this.#people.values())
      for (const track of [...participant.stream.getTracks(), ...participant.screenStream.getTracks()]) track.stop();
    this.#people.clear();
  }

  #failed(link: PeerLink, reason: VerificationFailure, detail?: string): void {
    this.unverified.add(link);
    const id = link.remoteId ?? link.conn.peer;
    this.#emit('verification-failed', { id, name: this.#people.get(id)?.name ?? '', reason, detail });
  }
}
