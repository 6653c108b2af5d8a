/**
 * The heartbeat's verdict on a peer, on a fake clock (fakes/fake-clock.ts) and a fake connection
 * that shows only what liveness reads: its states and the arrival of the peer's media packets.
 */
import { expect } from '@open-wc/testing';
import { HEARTBEAT_MS, HEARTBEAT_TIMEOUT_MS, Liveness, RECONNECT_TIMEOUT_MS, RESTART_RETRY_MS, SILENT_MS, type WatchedPc } from '../../src/link/liveness.js';
import { FakeClock, flush } from './fakes/fake-clock.js';

/** A link's liveness, started at time 0, and what it did. */
function watch(iceConnectionState: RTCIceConnectionState = 'new') {
  const clock = new FakeClock();
  /** Time since the start, in ms. */
  const elapsed = () => clock.time - start;
  const start = clock.time;
  /** `rtp`: how many media packets came from the peer so far. */
  const connection = { signalingState: 'stable' as RTCSignalingState, iceConnectionState, rtp: 0 };
  const pc: WatchedPc = {
    get signalingState() {
      return connection.signalingState;
    },
    get iceConnectionState() {
      return connection.iceConnectionState;
    },
    getStats: () => Promise.resolve(new Map([['in', { type: 'inbound-rtp', packetsReceived: connection.rtp }]]) as unknown as RTCStatsReport),
  };
  const seen = { closed: [] as number[], silent: [] as number[], beats: 0, restarts: 0, probes: [] as number[], reconnecting: [] as boolean[] };
  const link = {
    pc: () => pc,
    close: () => seen.closed.push(elapsed()),
    silent: () => seen.silent.push(elapsed()),
    probe: () => seen.probes.push(elapsed()),
    beat: () => seen.beats++,
    reconnecting: (on: boolean) => seen.reconnecting.push(on),
  };
  const liveness = new Liveness(link, { restartIce: () => seen.restarts++ }, clock);
  liveness.start();
  return { clock, connection, seen, liveness };
}

describe('liveness', () => {
  it('keeps a link whose peer is heard every beat, and beats every HEARTBEAT_MS', async () => {
    const { clock, seen, liveness } = watch();
    for (let second = 0; second < 60; second++) {
      liveness.heard();
      await clock.advance(HEARTBEAT_MS);
    }
    expect(seen.beats).to.equal(60);
    expect(seen.silent).to.deep.equal([]);
    expect(seen.closed).to.deep.equal([]);
  });

  it('reports a silent peer past SILENT_MS, declares it dead past HEARTBEAT_TIMEOUT_MS, once, and stops beating', async () => {
    const { clock, seen } = watch();
    await clock.advance(HEARTBEAT_TIMEOUT_MS);
    expect(seen.silent).to.deep.equal([3_000]);
    expect(seen.closed, 'not before the timeout').to.deep.equal([]);
    await clock.advance(HEARTBEAT_MS);
    expect(seen.closed).to.deep.equal([HEARTBEAT_TIMEOUT_MS + HEARTBEAT_MS]);
    const beats = seen.beats;
    await clock.advance(60_000);
    expect(seen.closed).to.have.length(1);
    expect(seen.beats).to.equal(beats);
    expect(clock.running).to.equal(0);
  });

  it('probes the broker from the first silence on, every RESTART_RETRY_MS; its word that the peer is off it ends a silent link at once', async () => {
    const { clock, seen, liveness } = watch('connected');
    await clock.advance(3_000 + 2 * RESTART_RETRY_MS);
    expect(seen.probes).to.deep.equal([3_000, 3_000 + RESTART_RETRY_MS, 3_000 + 2 * RESTART_RETRY_MS]);
    expect(seen.closed).to.deep.equal([]);
    liveness.peerGone();
    expect(seen.closed).to.deep.equal([3_000 + 2 * RESTART_RETRY_MS]);
  });

  it('a line down for a few seconds is not a departure: without the broker’s word, a silent peer is kept until HEARTBEAT_TIMEOUT_MS', async () => {
    const { clock, seen, liveness } = watch();
    await clock.advance(8_000);
    liveness.heard();
    await clock.advance(60_000);
    // Heard again after 8 s of silence: nothing was closed then, and only the next silence counts.
    expect(seen.closed).to.deep.equal([8_000 + HEARTBEAT_TIMEOUT_MS + HEARTBEAT_MS]);
  });

  it('the broker’s word is not taken against a peer we hear from', async () => {
    const { clock, seen, liveness } = watch();
    for (let i = 0; i < 10; i++) {
      await clock.advance(HEARTBEAT_MS);
      liveness.heard();
      liveness.peerGone();
    }
    expect(seen.closed).to.deep.equal([]);
  });

  it('keeps a busy peer whose messages come late, but come', async () => {
    const { clock, seen, liveness } = watch();
    // Every 4 s: later than SILENT_MS (worth a look), sooner than HEARTBEAT_TIMEOUT_MS.
    for (let i = 0; i < 15; i++) {
      await clock.advance(4_000);
      liveness.heard();
    }
    expect(seen.silent.length).to.be.greaterThan(0);
    expect(seen.closed).to.deep.equal([]);
  });

  it('keeps a peer while our own page stalls, and judges once the messages that waited are read', async () => {
    const { clock, seen, liveness } = watch();
    await clock.advance(HEARTBEAT_MS);
    liveness.heard();
    // Our main thread is stuck for 8 s: the beat runs late, once, with the peer's messages still queued.
    clock.stall(HEARTBEAT_TIMEOUT_MS + 2_000);
    await flush();
    expect(seen.closed).to.deep.equal([]);
    for (let second = 0; second < 10; second++) {
      liveness.heard();
      await clock.advance(HEARTBEAT_MS);
    }
    expect(seen.closed).to.deep.equal([]);
  });

  it('keeps a peer whose messages stop but whose media packets keep arriving, counted asynchronously', async () => {
    const { clock, connection, seen } = watch();
    for (let second = 0; second < 60; second++) {
      connection.rtp += 50;
      // The count (getStats) resolves after the beat that asked for it: advance lets it.
      await clock.advance(HEARTBEAT_MS);
    }
    expect(seen.closed).to.deep.equal([]);
    expect(seen.silent).to.deep.equal([]);
  });

  it('declares a peer dead once its media packets stop too, on time', async () => {
    const { clock, connection, seen } = watch();
    for (let second = 0; second < 10; second++) {
      connection.rtp += 50;
      await clock.advance(HEARTBEAT_MS);
    }
    for (let second = 0; second < HEARTBEAT_TIMEOUT_MS / HEARTBEAT_MS + 2; second++) {
      await clock.advance(HEARTBEAT_MS);
    }
    // The packets stopped at 10 s. A count compares with the one a beat before, and a beat on time
    // resets it, so the last sign of life seen can be a beat early: the verdict comes within a
    // beat of HEARTBEAT_TIMEOUT_MS after the packets stopped.
    expect(seen.closed).to.have.length(1);
    expect(seen.closed[0]).to.be.within(10_000 + HEARTBEAT_TIMEOUT_MS - HEARTBEAT_MS, 10_000 + HEARTBEAT_TIMEOUT_MS + HEARTBEAT_MS);
  });

  it('counts progress that only grows: milestones reached plus messages received', async () => {
    const { liveness } = watch();
    expect(liveness.progress(2)).to.equal(2);
    for (let i = 0; i < 3; i++) liveness.received();
    expect(liveness.progress(1)).to.equal(4);
    // A milestone undone (ICE back to `new`) takes nothing back.
    expect(liveness.progress(0)).to.equal(4);
    expect(liveness.progress(3)).to.equal(6);
  });

  it('looks for a new path once a peer that had one goes silent, restarting ICE every RESTART_RETRY_MS, until the timeout', async () => {
    const { clock, seen } = watch('connected');
    await clock.advance(SILENT_MS + 500);
    expect(seen.reconnecting).to.deep.equal([true]);
    expect(seen.restarts).to.equal(1);
    await clock.advance(RESTART_RETRY_MS);
    expect(seen.restarts).to.equal(2);
    // No sign of the peer through the broker, and no word from it either: the usual timeout.
    await clock.advance(HEARTBEAT_TIMEOUT_MS + HEARTBEAT_MS - (SILENT_MS + 500 + RESTART_RETRY_MS));
    expect(seen.closed).to.deep.equal([HEARTBEAT_TIMEOUT_MS + HEARTBEAT_MS]);
    const restarts = seen.restarts;
    await clock.advance(4 * RESTART_RETRY_MS);
    expect(seen.restarts).to.equal(restarts);
  });

  it('gives a peer alive through the broker RECONNECT_TIMEOUT_MS, and ends the search once a message comes with ICE connected', async () => {
    const { clock, connection, seen, liveness } = watch('connected');
    connection.iceConnectionState = 'disconnected';
    liveness.iceChanged();
    liveness.peerAnswered();
    expect(liveness.reconnecting).to.equal(true);
    await clock.advance(RECONNECT_TIMEOUT_MS - 2 * HEARTBEAT_MS);
    expect(seen.closed).to.deep.equal([]);
    // ICE connected alone is not enough: it may show the old path until it notices.
    connection.iceConnectionState = 'connected';
    liveness.iceChanged();
    expect(liveness.reconnecting).to.equal(true);
    liveness.heard();
    expect(seen.reconnecting).to.deep.equal([true, false]);
    const restarts = seen.restarts;
    for (let second = 0; second < 20; second++) {
      liveness.heard();
      await clock.advance(HEARTBEAT_MS);
    }
    expect(seen.restarts).to.equal(restarts);
    expect(seen.closed).to.deep.equal([]);
  });
});
