import { expect } from '@open-wc/testing';
import { READ_PATIENCE_MS, figures, isPoor, QualityTracker, readSample, type QualitySample } from '../../src/link/link-quality.js';

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

  it('starts no second stats read while one is under way, and gives up on one after READ_PATIENCE_MS', async () => {
    const tracker = new QualityTracker();
    const pending: ((report: RTCStatsReport) => void)[] = [];
    const pc = {
      calls: 0,
      getStats(): Promise<RTCStatsReport> {
        this.calls++;
        return new Promise((resolve) => pending.push(resolve));
      },
    };
    const first = tracker.read(pc, 0);
    expect(await tracker.read(pc, 2_000), 'while the first is under way').to.equal(null);
    expect(await tracker.read(pc, READ_PATIENCE_MS), 'still within patience').to.equal(null);
    expect(pc.calls).to.equal(1);
    const report = new Map() as unknown as RTCStatsReport;
    pending[0]!(report);
    expect(await first).to.equal(report);
    const second = tracker.read(pc, READ_PATIENCE_MS + 1);
    expect(pc.calls, 'a new read once the first settled').to.equal(2);
    // The second never settles (Firefox, a far end that just died): a third may start later.
    void tracker.read(pc, 2 * READ_PATIENCE_MS + 1);
    expect(pc.calls, 'within patience of the second').to.equal(2);
    void tracker.read(pc, 2 * READ_PATIENCE_MS + 2);
    expect(pc.calls, 'past patience of the second').to.equal(3);
    // The second settling late does not free the third's place.
    pending[1]!(report);
    await second;
    void tracker.read(pc, 2 * READ_PATIENCE_MS + 3);
    expect(pc.calls, 'the third still under way').to.equal(3);
  });
});
