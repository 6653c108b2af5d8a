/**
 * Broker loss: the PeerServer goes away mid-call. Calls go on (they are peer to peer), the
 * element puts itself back on the broker with backoff, newcomers find the room once it is back,
 * and with a list of servers the room moves to the next one and back to the first.
 */
import { expect, fixture, html } from '@open-wc/testing';
import { executeServerCommand } from '@web/test-runner-commands';
import { Peer } from 'peerjs';
import { EVENTS } from '../../src/constants.js';
import { rendezvousIds } from '../../src/room/room-id.js';
import { parseBrokerUrl } from '../../src/signalling/broker.js';
import { SERVER, decodedFrames, nextEvent, peerConnections, uniqueRoom, waitFor, waitForFullMeshMedia } from './helpers.js';
import type { VideoRoomElement } from '../../src/video-room.component.js';

type BrokerChange = { connected: boolean; server: string };

/** Starts (or starts again, on the same port) a spare broker of the test setup; resolves its URL. */
function startBroker(name: string): Promise<string> {
  return executeServerCommand<string, object>('vr-broker', { action: 'start', name });
}

/** Stops a spare broker at once: every socket dropped, as in a crash. */
function stopBroker(name: string): Promise<boolean> {
  return executeServerCommand<boolean, object>('vr-broker', { action: 'stop', name });
}

async function mount(count: number, room: string, server: string, first = 0): Promise<VideoRoomElement[]> {
  const container = await fixture<HTMLDivElement>(html`<div style="display:grid;grid-template-columns:repeat(3,320px)">
    ${Array.from({ length: count }, (_, i) => html`<video-room room=${room} server=${server} name=${`P${first + i}`}></video-room>`)}
  </div>`);
  const elements = [...container.querySelectorAll('video-room')];
  await Promise.all(elements.map((el) => el.updateComplete));
  return elements;
}

/** Resolves with the first `vr-broker-change` on `el` that satisfies `accept`. */
function brokerChange(el: VideoRoomElement, accept: (detail: BrokerChange) => boolean, timeout = 60_000): Promise<BrokerChange> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      el.removeEventListener(EVENTS.brokerChange, listener);
      reject(new Error('timed out waiting for vr-broker-change'));
    }, timeout);
    const listener = (event: Event) => {
      const { detail } = event as CustomEvent<BrokerChange>;
      if (!accept(detail)) return;
      clearTimeout(timer);
      el.removeEventListener(EVENTS.brokerChange, listener);
      resolve(detail);
    };
    el.addEventListener(EVENTS.brokerChange, listener);
  });
}

const portOf = (url: string) => new URL(url).port;

/** Waits until every element has decoded `more` further frames from each peer. */
async function moreFrames(elements: VideoRoomElement[], more: number): Promise<void> {
  const before = await Promise.all(elements.map(decodedFrames));
  await waitFor(
    async () => (await Promise.all(elements.map(decodedFrames))).every((now, i) => now.length > 0 && now.every((n, j) => n - (before[i]![j] ?? 0) >= more)),
    `${more} more frames on every link`,
  );
}

describe('broker loss', function () {
  this.timeout(180_000);

  it('calls go on while the broker is gone; the element comes back with backoff and a newcomer finds the room', async () => {
    const server = await startBroker('restart');
    const room = uniqueRoom('broker-loss');
    const [a, b] = await mount(2, room, server);
    await a!.join();
    await b!.join();
    await waitForFullMeshMedia([a!, b!], 5);
    const connections = [a!, b!].map((el) => peerConnections(el)[0]);
    const left: string[] = [];
    for (const el of [a!, b!]) el.addEventListener(EVENTS.peerLeft, () => left.push(el.name));

    const lost = [a!, b!].map((el) => brokerChange(el, (d) => !d.connected));
    await stopBroker('restart');
    for (const detail of await Promise.all(lost)) expect(portOf(detail.server)).to.equal(portOf(server));
    expect(a!.shadowRoot!.querySelector('[part="status"]')!.textContent).to.contain('reconnecting to the server');

    // Peer to peer, the call does not need the broker: media keeps flowing on the same connections.
    const outage = performance.now();
    await moreFrames([a!, b!], 90);
    console.log(`broker down: ${Math.round(performance.now() - outage)} ms for 90 more frames each way`);

    const back = [a!, b!].map((el) => brokerChange(el, (d) => d.connected));
    const restarted = performance.now();
    await startBroker('restart');
    await Promise.all(back);
    console.log(`broker back after an outage of ${Math.round(restarted - outage)} ms: both on it again after ${Math.round(performance.now() - restarted)} ms`);
    expect([a!, b!].map((el) => peerConnections(el)[0])).to.deep.equal(connections);
    expect(left).to.deep.equal([]);
    expect(a!.shadowRoot!.querySelector('[part="status"]')!.textContent).not.to.contain('reconnecting');

    const [c] = await mount(1, room, server, 2);
    const joining = performance.now();
    await c!.join();
    await waitForFullMeshMedia([a!, b!, c!], 5);
    console.log(`newcomer after the restart: in the full mesh after ${Math.round(performance.now() - joining)} ms`);
    for (const el of [a!, b!, c!]) el.leave();
    await stopBroker('restart');
  });

  it('with a list of servers, the room moves to the next one, newcomers follow it, and it comes back to the first', async () => {
    const first = await startBroker('first');
    const second = await startBroker('second');
    const list = `${first}, ${second}`;
    const room = uniqueRoom('broker-list');
    const [a, b] = await mount(2, room, list);
    await a!.join();
    await b!.join();
    await waitForFullMeshMedia([a!, b!], 5);

    const moved = [a!, b!].map((el) => brokerChange(el, (d) => d.connected && portOf(d.server) === portOf(second)));
    const failing = performance.now();
    await stopBroker('first');
    await Promise.all(moved);
    console.log(`first broker gone: both on the second after ${Math.round(performance.now() - failing)} ms`);

    // A newcomer with the same list finds the first broker down and the room on the second.
    const [c] = await mount(1, room, list, 2);
    await c!.join();
    await waitForFullMeshMedia([a!, b!, c!], 5);

    const home = [a!, b!, c!].map((el) => brokerChange(el, (d) => d.connected && portOf(d.server) === portOf(first)));
    const restarted = performance.now();
    await startBroker('first');
    await Promise.all(home);
    console.log(`first broker back: all three on it again after ${Math.round(performance.now() - restarted)} ms`);

    // And a newcomer on the first broker finds the room there.
    c!.leave();
    const [d] = await mount(1, room, list, 3);
    await d!.join();
    await waitForFullMeshMedia([a!, b!, d!], 5);
    for (const el of [a!, b!, d!]) el.leave();
    await stopBroker('first');
    await stopBroker('second');
  });

  it('our id goes back on the broker when it falls off while the join is still under way', async () => {
    // A rendezvous holder that answers the handshake but never lets anyone in: the join stays at
    // the rendezvous (as it can for seconds on a loaded machine) while our id falls off.
    const room = uniqueRoom('join-loss');
    const [rendezvous] = await rendezvousIds(room);
    const holder = new Peer(rendezvous!, { ...parseBrokerUrl(SERVER), config: { iceServers: [] }, debug: 0 });
    await new Promise((resolve, reject) => {
      holder.once('open', resolve);
      holder.once('error', reject);
    });
    try {
      const [el] = await mount(1, room, SERVER);
      type Session = { peer: Peer | null; onBroker: boolean };
      const session = () => (el as unknown as { roomCtl: { room: { session: Session } | null } }).roomCtl.room?.session;
      void el!.join().catch(() => undefined);
      const first = await waitFor(() => (session()?.peer?.open ? session()!.peer : null), 'our id on the broker');
      expect(el!.state).to.equal('joining');
      // The socket to the broker drops, as in a network blip.
      (first!.socket as unknown as { _socket: WebSocket })._socket.close();
      await waitFor(() => session()?.peer !== first && session()?.onBroker, 'our id back on the broker', 20_000);
      expect(el!.state, 'still on the way in').to.equal('joining');
      el!.leave();
    } finally {
      holder.destroy();
    }
  });

  it('a server list with a bad entry gives invalid-server', async () => {
    const [el] = await mount(1, uniqueRoom('bad-list'), `${window.__VR_TEST__.server}, ftp://nowhere`);
    const error = nextEvent<{ code: string }>(el!, EVENTS.error);
    await el!.join();
    expect((await error).code).to.equal('invalid-server');
    expect(el!.state).to.equal('idle');
  });
});
