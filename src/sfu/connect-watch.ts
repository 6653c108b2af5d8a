/**
 * Whether a connection to the SFU comes up. Under load, one in a few came to ICE but never
 * finished DTLS, or never left `new`, and stayed so for good (seen with six joining at once on
 * two cores): nothing else would notice, and the media it was for never came. The SFU path makes
 * such a connection anew (sfu-media-path.ts).
 */

/** A connection to the SFU not up this long after its first negotiation is given up and made anew. */
export const CONNECT_TIMEOUT_MS = 15_000;

export class ConnectWatch {
  #timer: ReturnType<typeof setTimeout> | undefined;
  #over = false;

  /** `stalled` is called once: the connection failed, or was not connected `timeoutMs` after `arm()`, or stall() was called. */
  constructor(
    readonly pc: RTCPeerConnection,
    readonly stalled: (reason: string) => void,
    readonly timeoutMs = CONNECT_TIMEOUT_MS,
  ) {
    pc.addEventListener('connectionstatechange', () => {
      if (pc.connectionState === 'connected') clearTimeout(this.#timer);
      else if (pc.connectionState === 'failed') this.stall('failed');
    });
  }

  /** Its first negotiation is done: from now it has `timeoutMs` to connect (once; a connection that came up is not timed again). */
  arm(): void {
    if (this.#over || this.#timer !== undefined || this.pc.connectionState === 'connected') return;
    this.#timer = setTimeout(() => {
      if (this.pc.connectionState !== 'connected') this.stall(`was not connected ${this.timeoutMs / 1000} s after its negotiation`);
    }, this.timeoutMs);
  }

  /** Gives the connection up (the server hung it up, say). */
  stall(reason: string): void {
    if (this.#over) return;
    this.close();
    this.stalled(reason);
  }

  close(): void {
    this.#over = true;
    clearTimeout(this.#timer);
  }
}

/** Connections to the SFU made anew within REMAKE_WINDOW_MS before the call gives the SFU up. */
export const MAX_REMAKES = 3;
/**
 * The window MAX_REMAKES counts in: a server that keeps failing is given up within minutes,
 * while a long call that lost a connection now and then (a network change, a Janus restart an
 * hour apart) keeps its SFU.
 */
export const REMAKE_WINDOW_MS = 5 * 60_000;

/** How many connections may still be made anew: MAX_REMAKES within any REMAKE_WINDOW_MS. */
export class RemakeBudget {
  #spent: number[] = [];

  constructor(readonly now: () => number = () => performance.now()) {}

  /** One more remake: whether it is within the budget. */
  spend(): boolean {
    const now = this.now();
    this.#spent = this.#spent.filter((at) => now - at < REMAKE_WINDOW_MS);
    this.#spent.push(now);
    return this.#spent.length <= MAX_REMAKES;
  }
}
