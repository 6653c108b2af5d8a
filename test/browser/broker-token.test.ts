/**
 * One PeerServer token per broker and id: a fallback broker sees the token we use there, and
 * could replay it on the first broker (or the reverse) to take over our ids, since a PeerServer
 * hands an id to whoever shows its token. The spare brokers record every accepted id and token,
 * as a hostile one would; the replay is a raw WebSocket, as an attacker would open it.
 */
import { expect, fixture, html } from '@open-wc/testing';
import { executeServerCommand } from '@web/test-runner-commands';
import { Peer } from 'peerjs';
import { EVENTS } from '../../src/constants.js';
import { parseBrokerUrl } from '../../src/signalling/broker.js';
import { randomParticipantId } from '../../src/room/room-id.js';
import { nextEvent, uniqueRoom, waitFor, waitForFullMeshMedia } from './helpers.js';
import type { VideoRoomElement } from '../../src/video-room.component.js';

type Accepted = { id: string; token: string };
type BrokerChange = { connected: boolean; server: string };

const broker = (action: string, name: string) => executeServerCommand<unknown, object>('vr-broker', { action, name });
const startBroker = (name: string) => broker('start', name) as Promise<string>;
const stopBroker = (name: string) => broker('stop', name);
/** Every id and token the broker `name` accepted a socket for, in order. */
const accepted = (name: string) => broker('tokens', name) as Promise<Accepted[]>;

/**
 * Opens the broker's WebSocket under `id` with `token`, as an attacker replaying a token would.
 * The PeerServer answers ID-TAKEN (and closes) for a wrong token; for the right one it gives the
 * id's socket to this one, which from then on gets what is sent to the id.
 */
async function replay(url: string, id: string, token: string): Promise<{ ws: WebSocket; seen: { type?: string }[] }> {
  const { host, pathname } = new URL(url);
  const ws = new WebSocket(`ws://${host}${pathname.replace(/\/$/, '')}/peerjs?key=peerjs&id=${id}&token=${encodeURIComponent(token)}`);
  const seen: { type?: string }[] = [];
  ws.onmessage = (event) => seen.push(JSON.parse(String(event.data)) as { type?: string });
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = reject;
  });
  return { ws, seen };
}

function brokerChange(el: VideoRoomElement, accept: (detail: BrokerChange) => boolean): Promise<BrokerChange> {
  return new Promise((resolve) => {
    const listener = (event: Event) => {
      const { detail } = event as CustomEvent<BrokerChange>;
      if (!accept(detail)) return;
      el.removeEventListener(EVENTS.brokerChange, listener);
      resolve(detail);
    };
    el.addEventListener(EVENTS.brokerChange, listener);
  });
}

async function mount(room: string, server: string, name: string): Promise<VideoRoomElement> {
  const el = await fixture<VideoRoomElement>(html`<video-room room=${room} server=${server} name=${name}></video-room>`);
  await el.updateComplete;
  return el;
}

async function openPeer(url: string, id: string, token?: string): Promise<Peer> {
  const peer = new Peer(id, { ...parseBrokerUrl(url), ...(token ? { token } : {}), config: { iceServers: [] }, debug: 0 });
  await new Promise((resolve, reject) => {
    peer.once('open', resolve);
    peer.once('error', reject);
  });
  return peer;
}

const portOf = (url: string) => new URL(url).port;

describe('broker tokens', function () {
  this.timeout(180_000);

  it('a token replayed on a second broker takes over nothing: the element keeps its ids there', async () => {
    const first = await startBroker('token-first');
    const second = await startBroker('token-second');
    const list = `${first}, ${second}`;
    const room = uniqueRoom('token-replay');
    const a = await mount(room, list, 'A');
    const joined = nextEvent<{ id: string }>(a, EVENTS.joined);
    await a.join();
    const aId = (await joined).id;
    // Its own id and the rendezvous id, each with a token, on the first broker.
    const onFirst = await waitFor(async () => {
      const seen = await accepted('token-first');
      return seen.length >= 2 ? seen : null;
    }, 'the element on the first broker under two ids');
    expect(onFirst.map((s) => s.id)).to.include(aId);
    expect(new Set(onFirst.map((s) => s.token)).size).to.equal(onFirst.length);

    const moved = brokerChange(a, (d) => d.connected && portOf(d.server) === portOf(second));
    await stopBroker('token-first');
    await moved;
    const ids = new Set(onFirst.map((s) => s.id));
    const onSecond = await waitFor(async () => {
      const seen = (await accepted('token-second')).filter((s) => ids.has(s.id));
      return new Set(seen.map((s) => s.id)).size === ids.size ? seen : null;
    }, 'the element on the second broker under the same two ids');
    // Other tokens there than on the first broker.
    for (const s of onSecond) expect(onFirst.map((f) => f.token)).not.to.include(s.token);

    // The second broker (or whoever saw the first one's traffic) replays the first one's tokens
    // for the element's own id, which it holds there throughout. (The rendezvous id can be free
    // for a moment while the room re-takes it, and a free id goes to anyone, token or not.)
    for (const { id, token } of onFirst.filter((s) => s.id === aId)) {
      const { ws, seen } = await replay(second, id, token);
      await waitFor(() => seen.some((m) => m.type === 'ID-TAKEN'), `ID-TAKEN for ${id}`);
      expect(seen.some((m) => m.type === 'OPEN')).to.equal(false);
      ws.close();
    }

    // Still reachable there under both ids: a newcomer (the first broker is down) joins it.
    const b = await mount(room, list, 'B');
    await b.join();
    await waitForFullMeshMedia([a, b], 5);
    expect(a.participants.map((p) => p.name)).to.deep.equal(['B']);
    a.leave();
    b.leave();
    await stopBroker('token-second');
  });

  it('control: a plain Peer with one token on both brokers is taken over by the same replay', async () => {
    const first = await startBroker('token-control-first');
    const second = await startBroker('token-control-second');
    const id = randomParticipantId();
    const onFirst = await openPeer(first, id, 'one-token-for-every-broker');
    const onSecond = await openPeer(second, id, 'one-token-for-every-broker');
    const caller = await openPeer(second, randomParticipantId());
    try {
      const seenByFirst = (await accepted('token-control-first')).find((s) => s.id === id)!;
      const { ws, seen } = await replay(second, seenByFirst.id, seenByFirst.token);
      // Accepted: what is sent to the id on the second broker now reaches the attacker.
      let victimCalled = false;
      onSecond.on('connection', () => (victimCalled = true));
      caller.connect(id, { serialization: 'raw' });
      await waitFor(() => seen.some((m) => m.type === 'OFFER'), 'the offer meant for the victim, at the attacker');
      expect(seen.some((m) => m.type === 'ID-TAKEN')).to.equal(false);
      expect(victimCalled).to.equal(false);
      ws.close();
    } finally {
      for (const peer of [onFirst, onSecond, caller]) peer.destroy();
      await stopBroker('token-control-first');
      await stopBroker('token-control-second');
    }
  });
});
