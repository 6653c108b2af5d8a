/**
 * Network loss: a call relayed through TURN loses its path (the TURN server dies, taking every
 * allocation with it) and finds a new one with an ICE restart negotiated through the broker,
 * since the data channel went down with the path. Same connections, nobody leaves or rejoins.
 */
import { expect } from '@open-wc/testing';
import { executeServerCommand } from '@web/test-runner-commands';
import { EVENTS } from '../../src/constants.js';
import type { VideoRoomElement } from '../../src/video-room.component.js';
import { decodedFrames, mountRelayPair, peerConnections, uniqueRoom, waitFor, waitForFullMeshMedia } from './helpers.js';

type Relayed = { type: string; src: string; dst: string };

function turn(action: 'stop' | 'start'): Promise<boolean> {
  return executeServerCommand<boolean, object>('vr-turn', { action });
}

function brokerLog(ids: string[]): Promise<{ relayed: Relayed[] }> {
  return executeServerCommand<{ relayed: Relayed[] }, object>('vr-broker-log', { ids });
}

function roomId(el: VideoRoomElement): string {
  return (el as unknown as { roomCtl: { room: { id: string } } }).roomCtl.room.id;
}

/**
 * Makes `el`'s socket to the broker dead without closing, as a line that was down leaves it: the
 * broker gets nothing more from it, and it neither delivers what the broker sends nor reports the
 * close when the broker gives up on it (a TCP connection whose packets vanish is noticed only
 * when a retransmission, backed off to tens of seconds, reaches the far end).
 */
function killBrokerSocket(el: VideoRoomElement): object {
  const room = (el as unknown as { roomCtl: { room: { session: { peer: { socket: { _socket: WebSocket } } } } } }).roomCtl.room;
  const peer = room.session.peer;
  const ws = peer.socket._socket;
  ws.onmessage = null;
  ws.onclose = null;
  ws.onerror = null;
  ws.send = () => undefined;
  return peer;
}

function brokerPeer(el: VideoRoomElement): object | null {
  return (el as unknown as { roomCtl: { room: { session: { peer: object | null } } } }).roomCtl.room.session.peer;
}

function tileQuality(el: VideoRoomElement): string | undefined {
  return el.shadowRoot!.querySelector<HTMLElement>('[part~="tile"]:not([part~="local"]) [part="connection-quality"]')?.dataset['quality'];
}

describe('network loss', function () {
  this.timeout(180_000);

  it('a lost path is found again by an ICE restart through the broker, and the call resumes without a rejoin', async () => {
    const room = uniqueRoom('network-loss');
    const [a, b] = await mountRelayPair(room);
    await a.join();
    await b.join();
    await waitForFullMeshMedia([a, b], 30);
    const ids = [roomId(a), roomId(b)];
    const connections = [a, b].map((el) => peerConnections(el)[0]);
    expect([a, b].map(tileQuality)).to.deep.equal(['good', 'good']);

    const events: { el: string; type: string; detail: { reconnecting?: boolean; quality?: string } }[] = [];
    for (const el of [a, b])
      for (const type of [EVENTS.reconnecting, EVENTS.connectionQuality, EVENTS.peerLeft, EVENTS.peerJoined])
        el.addEventListener(type, (event) => events.push({ el: el.name, type, detail: (event as CustomEvent).detail }));
    const saw = (el: VideoRoomElement, type: string, accept: (d: { reconnecting?: boolean; quality?: string }) => boolean) =>
      events.some((e) => e.el === el.name && e.type === type && accept(e.detail));
    const relayedBefore = (await brokerLog(ids)).relayed.length;

    // The network drops: every relayed path is gone.
    const dropped = performance.now();
    await turn('stop');
    await waitFor(() => [a, b].every((el) => saw(el, EVENTS.reconnecting, (d) => d.reconnecting === true)), 'vr-reconnecting on both sides', 30_000);
    const detected = performance.now() - dropped;
    expect([a, b].map((el) => saw(el, EVENTS.connectionQuality, (d) => d.quality === 'reconnecting'))).to.deep.equal([true, true]);
    await a.updateComplete;
    expect(tileQuality(a)).to.equal('reconnecting');
    // The restart goes through the broker, both ways, while the data channel is down.
    await waitFor(async () => {
      const relayed = (await brokerLog(ids)).relayed.slice(relayedBefore).filter((m) => m.type === 'CANDIDATE');
      return relayed.some((m) => m.src === ids[0] && m.dst === ids[1]) && relayed.some((m) => m.src === ids[1] && m.dst === ids[0]);
    }, 'ICE-restart signalling through the broker both ways', 30_000);
    // The scenario is a 5 s interruption: its length is the test's input, not a synchronisation.
    await waitFor(() => performance.now() - dropped >= 5_000, 'a 5 s outage', 10_000);

    // The network comes back (a fresh TURN server, so only a restart can find the new path).
    await turn('start');
    const restored = performance.now();
    await waitFor(() => [a, b].every((el) => saw(el, EVENTS.reconnecting, (d) => d.reconnecting === false)), 'the path found again', 60_000);
    const recovered = performance.now() - restored;
    const before = await Promise.all([a, b].map(decodedFrames));
    await waitFor(
      async () => (await Promise.all([a, b].map(decodedFrames))).every((now, i) => (now[0] ?? 0) - (before[i]![0] ?? 0) >= 30),
      '30 more frames each way after the restart',
    );
    console.log(
      `network lost: reconnecting after ${Math.round(detected)} ms; outage ${Math.round(restored - dropped)} ms; ` +
        `path found again ${Math.round(recovered)} ms after the network came back; media resumed on the same connections`,
    );
    expect([a, b].map((el) => peerConnections(el)[0])).to.deep.equal(connections);
    expect(events.filter((e) => e.type === EVENTS.peerLeft || e.type === EVENTS.peerJoined)).to.deep.equal([]);
    // The first quality measured after the outage may still count the packets lost during it
    // ('poor'); the next ones, on the path found again, say 'good'.
    await waitFor(() => a.participants[0]?.connectionQuality === 'good', () => `quality good again; is ${a.participants[0]?.connectionQuality}`, 20_000);
    await a.updateComplete;
    expect(tileQuality(a)).to.equal('good');
    for (const el of [a, b]) el.leave();
  });

  it('a broker socket that died without closing is replaced once a link goes silent, and the lost path is found again through the new one', async () => {
    const room = uniqueRoom('dead-socket');
    const [a, b] = await mountRelayPair(room);
    await a.join();
    await b.join();
    await waitForFullMeshMedia([a, b], 30);
    const connections = [a, b].map((el) => peerConnections(el)[0]);
    const changes: { connected: boolean }[] = [];
    a.addEventListener(EVENTS.brokerChange, (event) => changes.push((event as CustomEvent<{ connected: boolean }>).detail));
    const departures: string[] = [];
    for (const el of [a, b]) el.addEventListener(EVENTS.peerLeft, () => departures.push(el.name));

    // a's line goes down: its broker socket dies unnoticed, and the call's path with it.
    const dead = killBrokerSocket(a);
    const dropped = performance.now();
    await turn('stop');
    // Without an echo through the broker, a would relay its half of the ICE restart into the dead
    // socket until the link is given up (RECONNECT_TIMEOUT_MS), and nobody could dial it.
    await waitFor(() => changes.some((c) => !c.connected), 'a says it lost the broker', 30_000);
    await waitFor(() => changes.some((c) => c.connected) && brokerPeer(a) !== dead, 'a on the broker again, on a new socket', 30_000);
    const replaced = performance.now() - dropped;
    // The frames decoded while the path is down (none, once the last buffered ones are out).
    const before = await Promise.all([a, b].map(decodedFrames));
    await turn('start');
    await waitFor(
      async () => (await Promise.all([a, b].map(decodedFrames))).every((now, i) => (now[0] ?? 0) - (before[i]![0] ?? 0) >= 30),
      '30 more frames each way on a path found again',
      60_000,
    );
    console.log(`dead broker socket: replaced ${Math.round(replaced)} ms after the line went; media resumed on the same connections`);
    expect([a, b].map((el) => peerConnections(el)[0])).to.deep.equal(connections);
    expect(departures).to.deep.equal([]);
    for (const el of [a, b]) el.leave();
  });
});
