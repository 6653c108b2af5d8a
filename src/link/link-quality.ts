/**
 * Connection quality of one link, from `getStats()`: packet loss both ways and the round-trip
 * time of the selected candidate pair, judged every couple of seconds.
 */

/** How a link is doing: fine, losing packets or slow, or looking for a new path. */
export type ConnectionQuality = 'good' | 'poor' | 'reconnecting';

/** The figures behind a quality. */
export interface QualityFigures {
  /** Round-trip time of the connection, in ms (null until measured). */
  rttMs: number | null;
  /** Packets lost over the last interval, in %, the worse of the two directions. */
  lossPercent: number;
}

/** Totals read from one `getStats()` report. */
export interface QualitySample {
  /** RTP packets received from the peer, over all inbound streams. */
  packetsReceived: number;
  /** RTP packets from the peer that never arrived. */
  packetsLost: number;
  /** Our packets the peer reports lost: the largest `fractionLost` (0..1) of its reports. */
  upstreamLoss: number;
  /** `currentRoundTripTime` of the selected candidate pair, in seconds. */
  rtt: number | null;
}

/** Loss above this (in %) is poor: video stalls and audio breaks up. */
export const POOR_LOSS_PERCENT = 5;
/** A round trip above this (in ms) is poor: people talk over each other. */
export const POOR_RTT_MS = 400;
/** How many good intervals in a row it takes to call a poor link good again (no flapping). */
export const GOOD_AFTER = 2;

type Stat = { type: string; [key: string]: unknown };

const num = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) ? value : 0);

/** Reads the totals a quality is judged on from a stats report. */
export function readSample(report: RTCStatsReport): QualitySample {
  const sample: QualitySample = { packetsReceived: 0, packetsLost: 0, upstreamLoss: 0, rtt: null };
  let pairId: string | null = null;
  const pairs = new Map<string, Stat>();
  report.forEach((stat: Stat) => {
    if (stat.type === 'inbound-rtp') {
      sample.packetsReceived += num(stat['packetsReceived']);
      sample.packetsLost += Math.max(0, num(stat['packetsLost']));
    } else if (stat.type === 'remote-inbound-rtp') {
      sample.upstreamLoss = Math.max(sample.upstreamLoss, num(stat['fractionLost']));
    } else if (stat.type === 'transport' && typeof stat['selectedCandidatePairId'] === 'string') {
      pairId = stat['selectedCandidatePairId'];
    } else if (stat.type === 'candidate-pair') {
      pairs.set(String(stat['id']), stat);
    }
  });
  // Chromium names the selected pair on the transport; Firefox marks it `selected`.
  const pair = (pairId ? pairs.get(pairId) : undefined) ?? [...pairs.values()].find((p) => p['selected'] === true || (p['nominated'] === true && p['state'] === 'succeeded'));
  const rtt = pair?.['currentRoundTripTime'];
  if (typeof rtt === 'number' && Number.isFinite(rtt)) sample.rtt = rtt;
  return sample;
}

/** The figures over the interval between two samples. */
export function figures(previous: QualitySample, next: QualitySample): QualityFigures {
  const received = Math.max(0, next.packetsReceived - previous.packetsReceived);
  const lost = Math.max(0, next.packetsLost - previous.packetsLost);
  const downstream = received + lost > 0 ? (100 * lost) / (received + lost) : 0;
  const lossPercent = Math.max(downstream, 100 * next.upstreamLoss);
  return { rttMs: next.rtt === null ? null : Math.round(next.rtt * 1000), lossPercent: Math.round(lossPercent * 10) / 10 };
}

/** Whether an interval's figures are poor. */
export function isPoor({ rttMs, lossPercent }: QualityFigures): boolean {
  return lossPercent > POOR_LOSS_PERCENT || (rttMs !== null && rttMs > POOR_RTT_MS);
}

/** How long a getStats() read for a quality sample may take before another may start. */
export const READ_PATIENCE_MS = 10_000;

/**
 * Turns samples into a quality with hysteresis: one poor interval makes a link poor, GOOD_AFTER
 * good ones in a row make it good again; reconnecting overrides both.
 */
export class QualityTracker {
  #previous: QualitySample | null = null;
  #goodRun = 0;
  #reconnectingNow = false;
  /** The current quality. */
  quality: ConnectionQuality = 'good';
  /** The figures of the last interval. */
  last: QualityFigures = { rttMs: null, lossPercent: 0 };
  /** When the getStats() read of the next sample started; null when none is under way. */
  #readingSince: number | null = null;

  /**
   * Reads the stats of the next sample from `pc`; null on failure, or (without calling it) while
   * a read is under way. On a loaded machine one read can take seconds, and reads started on
   * every beat regardless stacked up on the browser's WebRTC thread, which the handshakes of new
   * links need too. A read a browser never settles (Firefox, for a connection whose far end just
   * died) is given up on after READ_PATIENCE_MS.
   */
  async read(pc: Pick<RTCPeerConnection, 'getStats'>, now = Date.now()): Promise<RTCStatsReport | null> {
    if (this.#readingSince !== null && now - this.#readingSince <= READ_PATIENCE_MS) return null;
    const since = (this.#readingSince = now);
    try {
      return await pc.getStats();
    } catch {
      return null;
    } finally {
      if (this.#readingSince === since) this.#readingSince = null;
    }
  }

  /** Adds a sample; returns the new quality if it changed, else null. */
  update(sample: QualitySample): ConnectionQuality | null {
    const previous = this.#previous;
    this.#previous = sample;
    if (!previous || this.#reconnectingNow) return null;
    this.last = figures(previous, sample);
    if (isPoor(this.last)) {
      this.#goodRun = 0;
      return this.#set('poor');
    }
    this.#goodRun++;
    return this.quality === 'poor' && this.#goodRun < GOOD_AFTER ? null : this.#set('good');
  }

  /** Marks the link as reconnecting, or not; returns the new quality if it changed, else null. */
  reconnecting(on: boolean): ConnectionQuality | null {
    this.#reconnectingNow = on;
    // Counters across the outage say nothing about the new path: start afresh.
    this.#previous = null;
    this.#goodRun = 0;
    return on ? this.#set('reconnecting') : this.#set('good');
  }

  #set(quality: ConnectionQuality): ConnectionQuality | null {
    if (quality === this.quality) return null;
    this.quality = quality;
    return quality;
  }
}
