/**
 * A stand-in for RTCPeerConnection's offer/answer state machine, as the spec describes it
 * (https://w3c.github.io/webrtc-pc/#rtcsignalingstate-enum): pending and current descriptions,
 * signalingState transitions, rollback (explicit, and implicit when a remote offer meets a local
 * one), one operation at a time, candidates refused before a remote description, and
 * negotiationneeded when something changed, fired in a task of its own once the state is
 * stable. Tasks run when the test says (runTasks), after the promises it awaited: no timers. No
 * media, no ICE: descriptions are plain text naming who made them.
 */
export class FakePc extends EventTarget {
  signalingState: RTCSignalingState = 'stable';
  currentLocalDescription: RTCSessionDescription | null = null;
  pendingLocalDescription: RTCSessionDescription | null = null;
  currentRemoteDescription: RTCSessionDescription | null = null;
  pendingRemoteDescription: RTCSessionDescription | null = null;
  /** Candidates added, in order (null: the end of the peer's candidates). */
  readonly candidates: (RTCIceCandidateInit | null)[] = [];
  /** What happened, for the tests to read: `offer`, `answer`, `rollback`, `remote offer`, … */
  readonly log: string[] = [];
  /** Changes made (as adding a transceiver does) and how many of them the last offer carried. */
  #changes = 0;
  #offered = 0;
  #negotiated = 0;
  #restart = false;
  #offers = 0;
  #chain: Promise<unknown> = Promise.resolve();
  /** Whether a negotiationneeded task is queued. */
  #queued = false;

  constructor(readonly name: string) {
    super();
  }

  get localDescription(): RTCSessionDescription | null {
    return this.pendingLocalDescription ?? this.currentLocalDescription;
  }

  get remoteDescription(): RTCSessionDescription | null {
    return this.pendingRemoteDescription ?? this.currentRemoteDescription;
  }

  /** Something changed that needs negotiating: negotiationneeded follows once stable. */
  change(): void {
    this.#changes++;
    this.#needsNegotiation();
  }

  restartIce(): void {
    this.log.push('restartIce');
    this.#restart = true;
    this.#needsNegotiation();
  }

  setLocalDescription(description?: RTCLocalSessionDescriptionInit): Promise<void> {
    return this.#operation(() => {
      const state = this.signalingState;
      const type = description?.type ?? (state === 'stable' || state === 'have-local-offer' ? 'offer' : 'answer');
      if (type === 'rollback') return this.#rollback();
      if (type === 'offer') {
        if (state !== 'stable' && state !== 'have-local-offer') throw new DOMException(`offer in ${state}`, 'InvalidStateError');
        this.#offered = this.#changes;
        const restart = this.#restart ? ' ice-restart' : '';
        this.#restart = false;
        this.pendingLocalDescription = new RTCSessionDescription({ type, sdp: `offer #${++this.#offers} from ${this.name}, changes ${this.#changes}${restart}` });
        this.log.push('offer');
        return this.#state('have-local-offer');
      }
      if (state !== 'have-remote-offer') throw new DOMException(`answer in ${state}`, 'InvalidStateError');
      this.currentLocalDescription = new RTCSessionDescription({ type: 'answer', sdp: `answer from ${this.name} to ${this.pendingRemoteDescription?.sdp}` });
      this.currentRemoteDescription = this.pendingRemoteDescription;
      this.pendingRemoteDescription = this.pendingLocalDescription = null;
      this.log.push('answer');
      this.#state('stable');
    });
  }

  setRemoteDescription(description: RTCSessionDescriptionInit): Promise<void> {
    return this.#operation(() => {
      if (!description.sdp?.startsWith(`${description.type} `)) throw new DOMException('unparsable', 'OperationError');
      const remote = new RTCSessionDescription(description);
      if (description.type === 'offer') {
        // A remote offer meeting our own: our offer is rolled back first.
        if (this.signalingState === 'have-local-offer') this.#rollback();
        if (this.signalingState !== 'stable' && this.signalingState !== 'have-remote-offer') throw new DOMException('offer', 'InvalidStateError');
        this.pendingRemoteDescription = remote;
        this.log.push('remote offer');
        return this.#state('have-remote-offer');
      }
      if (this.signalingState !== 'have-local-offer') throw new DOMException(`answer in ${this.signalingState}`, 'InvalidStateError');
      this.currentRemoteDescription = remote;
      this.currentLocalDescription = this.pendingLocalDescription;
      this.pendingLocalDescription = null;
      this.#negotiated = this.#offered;
      this.log.push('remote answer');
      this.#state('stable');
    });
  }

  addIceCandidate(candidate?: RTCIceCandidateInit | null): Promise<void> {
    return this.#operation(() => {
      if (!this.remoteDescription) throw new DOMException('no remote description', 'InvalidStateError');
      this.candidates.push(candidate ?? null);
    });
  }

  #rollback(): void {
    if (this.signalingState === 'have-local-offer') this.pendingLocalDescription = null;
    else if (this.signalingState === 'have-remote-offer') this.pendingRemoteDescription = null;
    else throw new DOMException(`rollback in ${this.signalingState}`, 'InvalidStateError');
    this.log.push('rollback');
    this.#state('stable');
  }

  #state(state: RTCSignalingState): void {
    this.signalingState = state;
    this.dispatchEvent(new Event('signalingstatechange'));
    if (state === 'stable') this.#needsNegotiation();
  }

  /** Whether there is anything to negotiate. */
  get #needed(): boolean {
    return this.#changes !== this.#negotiated || this.#restart;
  }

  /** Queues a negotiationneeded task (one at a time) if there is anything to negotiate and the state is stable. */
  #needsNegotiation(): void {
    if (this.signalingState === 'stable' && this.#needed) this.#queued = true;
  }

  /** Runs the queued task, if any: negotiationneeded, if still stable and needed. Returns whether one ran. */
  runTasks(): boolean {
    if (!this.#queued) return false;
    this.#queued = false;
    if (this.signalingState === 'stable' && this.#needed) this.dispatchEvent(new Event('negotiationneeded'));
    return true;
  }

  /** Operations run one at a time, in order, each after the previous has settled. */
  #operation(step: () => void): Promise<void> {
    const result = this.#chain.then(step);
    this.#chain = result.catch(() => undefined);
    return result;
  }
}
