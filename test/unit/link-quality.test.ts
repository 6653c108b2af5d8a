import { expect } from '@open-wc/testing';
import { figures, isPoor, QualityTracker, readSample, type QualitySample } from '../../src/link/link-quality.js';

const sample = (packetsReceived: number, packetsLost: number, rtt: number | null = 0.02, upstreamLoss = 0): QualitySample => ({
  packetsReceived,
  packetsLost,
  upstreamLoss,
  rtt,
});

/** A stats report as getStats() gives it: a Map of stats by id. */
function report(stats: Record<string, unknown>[]): RTCStatsReport {
  return new Map(stats.map((s) => [String(s['id']), s])) as unknown as RTCStatsReport;
}

describe('connection quality', () => {
  it('reads inbound totals, upstream loss and the selected pair’s RTT (Chromium and Firefox shapes)', () => {
    const chromium = readSample(
      report([
        { id: 'i1', type: 'inbound-rtp', packetsReceived: 900, packetsLost: 10 },
        { id: 'i2', type: 'inbound-rtp', packetsReceived: 100, packetsLost: 0 },
        { id: 'r1', type: 'remote-inbound-rtp', fractionLost: 0.02 },
        { id: 't', type: 'transport', selectedCandidatePairId: 'p2' },
        { id: 'p1', type: 'candidate-pair', currentRoundTripTime: 0.9 },
        { id: 'p2', type: 'candidate-pair', currentRoundTripTime: 0.05 },
      ]),
    );
    expect(chromium).to.deep.equal({ packetsReceived: 1000, packetsLost: 10, upstreamLoss: 0.02, rtt: 0.05 });
    const firefox = readSample(report([{ id: 'p', type: 'candidate-pair', selected: true, currentRoundTripTime: 0.12 }]));
    expect(firefox.rtt).to.equal(0.12);
    expect(readSample(report([])).rtt).to.equal(null);
  });

  it('judges an interval by loss both ways and by the round trip', () => {
    expect(figures(sample(0, 0), sample(950, 50))).to.deep.equal({ rttMs: 20, lossPercent: 5 });
    expect(isPoor(figures(sample(0, 0), sample(950, 50)))).to.equal(false);
    expect(isPoor(figures(sample(0, 0), sample(900, 100)))).to.equal(true);
    expect(isPoor(figures(sample(0, 0), sample(1000, 0, 0.5)))).to.equal(true);
    expect(isPoor(figures(sample(0, 0), sample(1000, 0, 0.02, 0.08)))).to.equal(true);
    // Counters that went backwards (a new stream) are not negative loss.
    expect(figures(sample(1000, 50), sample(10, 0)).lossPercent).to.equal(0);
  });

  it('goes poor at once, good again only after two good intervals, and reconnecting overrides both', () => {
    const tracker = new QualityTracker();
    expect(tracker.update(sample(0, 0))).to.equal(null);
    expect(tracker.update(sample(1000, 0))).to.equal(null);
    expect(tracker.update(sample(1800, 200))).to.equal('poor');
    expect(tracker.update(sample(2800, 200))).to.equal(null);
    expect(tracker.update(sample(3800, 200))).to.equal('good');
    expect(tracker.reconnecting(true)).to.equal('reconnecting');
    expect(tracker.update(sample(3800, 900))).to.equal(null);
    expect(tracker.quality).to.equal('reconnecting');
    expect(tracker.reconnecting(false)).to.equal('good');
    // The first sample after the outage only sets the baseline.
    expect(tracker.update(sample(4000, 900))).to.equal(null);
  });
});
