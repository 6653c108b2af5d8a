/**
 * Perfect negotiation (https://www.w3.org/TR/webrtc/#perfect-negotiation-example) of one
 * RTCPeerConnection over a signalling channel of the link's own (its data channel, or the
 * broker while the path is lost). Either side may offer at any time; when both do at once, the
 * polite side (the answerer) takes its offer back and answers, the impolite one (the dialer)
 * ignores the offer that collided with its own. ICE restarts are the dialer's to offer.
 */
import type { PeerMessage } from '../signalling/protocol.js';

/** What negotiation drives of an RTCPeerConnection. */
export type NegotiatingPc = Pick<
  RTCPeerConnection,
  'signalingState' | 'localDescription' | 'remoteDescription' | 'setLocalDescription' | 'setRemoteDescription' | 'addIceCandidate' | 'restartIce'
>;

/** A signalling message: a description or an ICE candidate. */
export type Signal = Extract<PeerMessage, { t: 'sdp' | 'ice' }>;

/** What negotiation needs of its link. */
export interface NegotiationLink<P extends NegotiatingPc> {
  /** The peer connection, while the link is up (null once closed). */
  pc(): P | null;
  /** Sends a description or candidate to the peer. */
  signal(message: Signal): void;
  /** Closes the link (a remote description could not be applied). */
  close(): void;
}

/** What checks a remote description before it is applied (the link guard). */
export interface DescriptionCheck {
  /** False: the description names another certificate, and the link is refused (and closes). */
  checkRemote(sdp: string): boolean;
}

/** What readies the transceivers before our description is made (the link's media). */
export interface Transceivers<P extends NegotiatingPc> {
  /** Puts every transceiver through frame encryption. */
  protect(pc: P): unknown;
  /** Accepts an offer's transceivers, and protects them. */
  acceptOffer(pc: P): unknown;
}

/** A description's origin line (RFC 4566 5.2): its session id and version. */
const origin = (sdp = '') => /^o=\S+ (\d+) (\d+) /m.exec(sdp);

/**
 * Whether `sdp` is older than `current`: the same session, an earlier version. Each new
 * description of a session carries a higher version (RFC 3264 8), so one with a lower version
 * was made before the one we hold.
 */
export function isOlder(sdp: string, current: string | undefined): boolean {
  const next = origin(sdp);
  const held = origin(current);
  return !!next && !!held && next[1] === held[1] && Number(next[2]) < Number(held[2]);
}

/** Most candidates held for a remote description; more are dropped (an honest peer sends tens). */
const MAX_QUEUED_CANDIDATES = 100;

/** Perfect negotiation for one link. */
export class Negotiation<P extends NegotiatingPc = NegotiatingPc> {
  #makingOffer = false;
  /** Candidates that came before any remote description, added once there is one. */
  #queued: (RTCIceCandidateInit | null)[] = [];
  /** The descriptions and candidates from the peer, handled in turn (see receive). */
  #turns: Promise<unknown> = Promise.resolve();

  readonly #link: NegotiationLink<P>;
  readonly #guard: DescriptionCheck;
  readonly #media: Transceivers<P>;
  /** The answerer is polite: it gives way when offers collide. */
  readonly #polite: boolean;
  constructor(
    link: NegotiationLink<P>,
    guard: DescriptionCheck,
    media: Transceivers<P>,
    polite: boolean,
  ) {
    this.#link = link;
    this.#guard = guard;
    this.#media = media;
    this.#polite = polite;
  }

  /** `negotiationneeded`: makes an offer (the browser knows what changed) and sends it. */
  async negotiate(): Promise<void> {
    const pc = this.#link.pc();
    if (!pc) return;
    try {
      this.#makingOffer = true;
      this.#media.protect(pc);
      await pc.setLocalDescription();
      const description = pc.localDescription;
      if (description && (description.type === 'offer' || description.type === 'answer'))
        this.#link.signal({ t: 'sdp', description: { type: description.type, sdp: description.sdp } });
    } catch {
      // A failed offer leaves the state stable; the next negotiationneeded retries.
    } finally {
      this.#makingOffer = false;
    }
  }

  /**
   * A description from the peer. Descriptions and candidates are handled one at a time, in the
   * order they came: two offers that arrive together (an ICE restart renewed while the path was
   * down, one through the broker and one over the channel once it is back) were both applied
   * before either was answered, and the second answer was made in a stable state, so it was an
   * offer, sent as an answer; the dialer failed to apply it and closed the link.
   */
  receive(description: { type: 'offer' | 'answer'; sdp: string }): Promise<void> {
    return this.#inTurn(() => this.#receive(description));
  }

  /** An ICE candidate from the peer (null: the end of its candidates), after the descriptions before it. */
  candidate(candidate: RTCIceCandidateInit | null): Promise<void> {
    return this.#inTurn(() => this.#candidate(candidate));
  }

  /** Runs `step` once every description and candidate before it is done with. */
  #inTurn(step: () => Promise<void>): Promise<void> {
    const turn = this.#turns.then(step);
    this.#turns = turn.catch(() => undefined);
    return turn;
  }

  async #receive(description: { type: 'offer' | 'answer'; sdp: string }): Promise<void> {
    const pc = this.#link.pc();
    if (!pc) return;
    // An answer to an offer we took back, or one that came both ways, answers nothing now.
    if (description.type === 'answer' && pc.signalingState !== 'have-local-offer') return;
    // One older than the description we hold (an offer taken back and renewed, delivered after
    // its successor) would undo a newer negotiation.
    if (isOlder(description.sdp, pc.remoteDescription?.sdp)) return;
    const offerCollision = description.type === 'offer' && (this.#makingOffer || pc.signalingState !== 'stable');
    // The impolite side ignores a colliding offer; the polite side rolls back and answers it.
    if (!this.#polite && offerCollision) return;
    // Checked before it is applied: a description naming another certificate closes the link.
    if (!this.#guard.checkRemote(description.sdp)) return;
    try {
      await pc.setRemoteDescription(description);
      // Not awaited: the connection's operations chain keeps them before what follows.
      for (const candidate of this.#queued.splice(0)) void this.#add(pc, candidate);
      if (description.type === 'offer') {
        this.#media.acceptOffer(pc);
        await pc.setLocalDescription();
        const answer = pc.localDescription;
        if (answer?.type === 'answer') this.#link.signal({ t: 'sdp', description: { type: 'answer', sdp: answer.sdp } });
      }
    } catch {
      // An answer that lost a race with another answers nothing now (offers renewed while the path
      // was down can be answered twice, over the broker and the channel): not a broken link.
      if (description.type === 'answer' && pc.signalingState !== 'have-local-offer') return;
      this.#link.close();
    }
  }

  async #candidate(candidate: RTCIceCandidateInit | null): Promise<void> {
    const pc = this.#link.pc();
    if (!pc) return;
    // Before a remote description there is nothing to add it to: it waits for one.
    if (!pc.remoteDescription) {
      if (this.#queued.length < MAX_QUEUED_CANDIDATES) this.#queued.push(candidate);
      return;
    }
    await this.#add(pc, candidate);
  }

  async #add(pc: P, candidate: RTCIceCandidateInit | null): Promise<void> {
    try {
      await pc.addIceCandidate(candidate ?? undefined);
    } catch {
      // Candidates for an offer we ignored are expected to fail.
    }
  }

  /**
   * Asks for an ICE restart (the dialer's to offer: on the polite side, a no-op). The offer
   * follows through negotiationneeded.
   */
  async restartIce(): Promise<void> {
    const pc = this.#link.pc();
    if (!pc || this.#polite) return;
    // An offer still unanswered after a retry interval was lost (the peer was off the broker):
    // take it back and offer afresh.
    if (pc.signalingState === 'have-local-offer' && !this.#makingOffer) await pc.setLocalDescription({ type: 'rollback' }).catch(() => undefined);
    if (this.#link.pc()) pc.restartIce();
  }
}
