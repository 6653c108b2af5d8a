/**
 * Whether the peer and the path to it are still there: heartbeats both ways, a look at the
 * peer's media packets when its messages are late, the verdict on a silence, and the search for
 * a new path (ICE restarts, negotiated through the broker while the data channel is down with
 * the path) once one is lost. Also how far a link in its handshake has got (progress), which
 * tells a slow handshake from a dead one.
 */

/** How often a link tells its peer it is alive. */
export const HEARTBEAT_MS = 1_000;
/**
 * Silence for this long means the peer is gone, even without the broker's word. A peer that
 * crashed or was killed is off the broker at once, and the broker says so to our probes (see
 * peerGone) within about 8 s; one whose network went stays on it until the broker's
 * alive_timeout (15 s), and may come back before: a line down for a few seconds is not a
 * departure. The same time a peer alive through the broker gets (RECONNECT_TIMEOUT_MS). ICE
 * takes 15-30 s to call a connection failed, and a data channel whose far end vanished never
 * closes by itself.
 */
export const HEARTBEAT_TIMEOUT_MS = 20_000;
/** Silence for this long is worth a look (is the peer still on the broker?), not yet a verdict. */
export const SILENT_MS = 2_500;
/**
 * A link that lost its path (ICE disconnected or failed) and whose peer has answered through the
 * broker since, so is alive, may look for a new path this long before it is given up.
 */
export const RECONNECT_TIMEOUT_MS = 20_000;
/** While reconnecting, the ICE restart is tried again this often (a TURN server may be back). */
export const RESTART_RETRY_MS = 3_000;

/** The time and the repeating timers a link runs on (a fake one in tests). */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls `fn` every `ms`; returns what stops it. */
  every(ms: number, fn: () => void): () => void;
}

/** The wall clock and setInterval. */
export const systemClock: Clock = {
  now: () => Date.now(),
  every: (ms, fn) => {
    const timer = setInterval(fn, ms);
    return () => clearInterval(timer);
  },
};

/** What liveness reads of the connection. */
export type WatchedPc = Pick<RTCPeerConnection, 'signalingState' | 'iceConnectionState' | 'getStats'>;

/** What liveness needs of its link. */
export interface LivenessLink {
  /** The peer connection, while the link is up (null once closed). */
  pc(): WatchedPc | null;
  /** Closes the link: the peer is gone (said once; the heartbeat stops first). */
  close(): void;
  /** Nothing has come from the peer for SILENT_MS (said once per silence). */
  silent(): void;
  /** Our heartbeat: say we are alive. `count` is the number of beats so far. */
  beat(count: number): void;
  /** Sends something to the peer through the broker: a broker that no longer has the peer says so (peerGone). */
  probe(): void;
  /** The link started looking for a new path (true), or has one again (false). */
  reconnecting(on: boolean): void;
}

/** Whether ICE has a path (`connected` or `completed`). */
export const isConnected = (state: RTCIceConnectionState | undefined): boolean => state === 'connected' || state === 'completed';

/** The heartbeat of one link, its verdict on the peer, and its search for a new path. */
export class Liveness {
  /** When anything last came from the peer. */
  #lastHeard = 0;
  /** When a data-channel message last came from the peer. */
  #lastMessage = 0;
  /** When our heartbeat last ran. */
  #lastBeat = 0;
  /** The peer's RTP packets counted at the last late beat; null while messages come on time. */
  #lastRtp: number | null = null;
  /** When the count of the peer's RTP packets under way started; null when none is. */
  #countingSince: number | null = null;
  /** Whether the current silence was reported. */
  #silenceReported = false;
  #beats = 0;
  /** Messages received, valid or not, and the highest progress seen (see progress). */
  #received = 0;
  #progress = 0;
  /** When the path was lost (0: it was not). */
  #lostAt = 0;
  /** Whether the peer has answered through the broker since the path was lost. */
  #peerAlive = false;
  /** Whether ICE ever connected: only a path once found can be lost. */
  #wasConnected = false;
  #stopped = false;
  #stopBeats: (() => void) | undefined;
  #stopRestarts: (() => void) | undefined;

  readonly #link: LivenessLink;
  /** Asks for ICE restarts (the dialer offers them). */
  readonly #negotiation: { restartIce(): unknown };
  readonly #clock: Clock;
  constructor(
    link: LivenessLink,
    negotiation: { restartIce(): unknown },
    clock: Clock = systemClock,
  ) {
    this.#link = link;
    this.#negotiation = negotiation;
    this.#clock = clock;
  }

  /** Starts the heartbeat: the peer counts as just heard. */
  start(): void {
    this.#lastHeard = this.#lastBeat = this.#clock.now();
    this.#stopBeats = this.#clock.every(HEARTBEAT_MS, () => this.beat());
    this.iceChanged();
  }

  /** Stops the heartbeat and the search for a path, for good. */
  stop(): void {
    this.#stopped = true;
    this.#stopBeats?.();
    this.#stopRestarts?.();
  }

  /** Something arrived on the channel (counted as progress even before it is read). */
  received(): void {
    this.#received++;
  }

  /** A message from the peer was read: it is alive, and the path may be back. */
  heard(): void {
    this.#lastHeard = this.#lastMessage = this.#clock.now();
    this.#checkReconnected();
  }

  /**
   * How far the link has got: `milestones` of its handshake reached (the link counts them),
   * plus every message received. It only grows.
   */
  progress(milestones: number): number {
    return (this.#progress = Math.max(this.#progress, milestones + this.#received));
  }

  /** Whether the link is looking for a new path. */
  get reconnecting(): boolean {
    return this.#lostAt !== 0;
  }

  /** Whether ICE ever connected. */
  get wasConnected(): boolean {
    return this.#wasConnected;
  }

  /**
   * Says we are alive, and gives up on a peer that has been silent too long: no message and no
   * media packet (gone without a goodbye: the room reports it lost).
   */
  beat(): void {
    // Closed underneath us (PeerJS can close it without telling its DataConnection's listeners,
    // and a local close() fires no state change): the link is gone.
    if (this.#link.pc()?.signalingState === 'closed') return this.#dead();
    const now = this.#clock.now();
    // After a stall of our own (a busy main thread), the peer's messages may still wait in the
    // event queue: judge on the next beat, once they are read.
    const stalled = now - this.#lastBeat > 2 * HEARTBEAT_MS;
    this.#lastBeat = now;
    this.#link.beat(++this.#beats);
    if (now - this.#lastHeard <= HEARTBEAT_MS) {
      this.#lastRtp = null;
      return this.#judge(now, stalled);
    }
    // A message is late. Media packets are counted off the main thread, so they show a peer alive
    // even while our own page is too busy to read its messages in time: the first late beat takes
    // a baseline, later ones count the packets since it, and the verdict waits for the count.
    // The count is asynchronous (getStats): the synchronous reads of RTP sources wait on the
    // browser's WebRTC thread, seconds at a time on a busy machine, which is when this runs. A
    // count still under way is waited for, unless it has taken longer than a verdict may.
    if (this.#countingSince === null) void this.#countRtp(now).then(() => this.#judge(now, stalled));
    else if (now - this.#countingSince > HEARTBEAT_TIMEOUT_MS) this.#judge(now, stalled);
  }

  /** The verdict on the silence up to `now`: nothing yet, worth a look, or the peer is gone. */
  #judge(now: number, stalled: boolean): void {
    if (this.#stopped) return;
    const silence = now - this.#lastHeard;
    this.#checkReconnected();
    // Silence is a verdict only for a peer that has not shown itself alive through the broker
    // while we look for a new path together.
    const limit = this.#lostAt && this.#peerAlive ? RECONNECT_TIMEOUT_MS : HEARTBEAT_TIMEOUT_MS;
    if (!stalled && silence > limit) return this.#dead();
    if (silence <= SILENT_MS) this.#silenceReported = false;
    else if (!stalled && !this.#silenceReported) {
      this.#silenceReported = true;
      this.#link.silent();
      // ICE takes about 5 s to call a path disconnected, and the peer must show itself alive
      // through the broker before HEARTBEAT_TIMEOUT_MS: start looking now.
      this.pathLost();
    }
  }

  /** The ICE state changed (or is read for the first time). */
  iceChanged(): void {
    const state = this.#link.pc()?.iceConnectionState;
    if (isConnected(state)) {
      this.#wasConnected = true;
      this.#checkReconnected();
    } else if ((state === 'disconnected' || state === 'failed') && this.#wasConnected) this.#startReconnecting();
  }

  /** The path looks lost: a link that had one looks for a new one. Returns whether it had one. */
  pathLost(): boolean {
    if (this.#wasConnected) this.#startReconnecting();
    return this.#wasConnected;
  }

  /**
   * The broker says the peer is not on it (a message we relayed to it expired): a peer we have
   * not heard from for a while is gone. One we hear from is not (the broker may be stale).
   */
  peerGone(): void {
    if (this.#stopped || this.#clock.now() - this.#lastHeard <= SILENT_MS) return;
    this.#dead();
  }

  /** The peer reached us through the broker: it lost the path too (perhaps before we noticed), and is alive. */
  peerAnswered(): void {
    this.#startReconnecting();
    this.#peerAlive = true;
  }

  #dead(): void {
    this.stop();
    this.#link.close();
  }

  /**
   * The path is lost: look for a new one with an ICE restart, negotiated through the broker
   * while the data channel is down with the path. The dialer offers; both sides relay.
   */
  #startReconnecting(): void {
    if (this.#stopped || this.#lostAt) return;
    this.#lostAt = this.#clock.now();
    this.#peerAlive = false;
    this.#link.reconnecting(true);
    // Both sides probe the broker (only the dialer offers the restarts): a peer off it is gone.
    const retry = () => {
      this.#link.probe();
      void this.#negotiation.restartIce();
    };
    retry();
    this.#stopRestarts = this.#clock.every(RESTART_RETRY_MS, retry);
  }

  /**
   * The path is back once ICE is connected and the data channel has carried a message since it
   * was lost. ICE alone is not enough: it may report the old path `connected` until it notices,
   * and may stay `connected` through a restart.
   */
  #checkReconnected(): void {
    if (!this.#lostAt || this.#lastMessage <= this.#lostAt || !isConnected(this.#link.pc()?.iceConnectionState)) return;
    this.#lostAt = 0;
    this.#stopRestarts?.();
    // The data channel is back with the path: its queued messages arrive now.
    this.#lastHeard = this.#clock.now();
    this.#link.reconnecting(false);
  }

  /** Counts the peer's RTP packets; a count that moved since the last one means it was alive at `at`. */
  async #countRtp(at: number): Promise<void> {
    const pc = this.#link.pc();
    if (!pc) return;
    this.#countingSince = at;
    try {
      let packets = 0;
      (await pc.getStats()).forEach((stats: { type: string; packetsReceived?: number }) => {
        if (stats.type === 'inbound-rtp') packets += stats.packetsReceived ?? 0;
      });
      if (this.#lastRtp !== null && packets !== this.#lastRtp) this.#lastHeard = Math.max(this.#lastHeard, at);
      this.#lastRtp = packets;
    } catch {
      // Closed meanwhile: the next beat sees it.
    } finally {
      this.#countingSince = null;
    }
  }
}
