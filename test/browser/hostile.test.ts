import { expect } from '@open-wc/testing';
import { Peer, type DataConnection } from 'peerjs';
import { EVENTS } from '../../src/constants.js';
import { parseBrokerUrl } from '../../src/signalling/broker.js';
import { randomParticipantId } from '../../src/room/room-id.js';
import { SERVER, mountRooms, nextEvent, tileFrames, uniqueRoom, waitFor, waitForFullMeshMedia } from './helpers.js';

/** A random value of a random JSON-ish shape, sometimes huge, sometimes hostile text. */
function garbage(i: number): string {
  const pick = i % 14;
  const text = (n: number) => Array.from({ length: n }, () => String.fromCharCode(Math.floor(Math.random() * 0xffff))).join('');
  switch (pick) {
    case 0:
      return text(Math.floor(Math.random() * 200));
    case 1:
      return JSON.stringify({ t: 'hello', id: '<img src=x onerror=alert(1)>', name: '<script>x</script>', audioMuted: 1 });
    case 2:
      return JSON.stringify({ t: 'roster', peers: Array.from({ length: 100 }, () => ({ id: randomParticipantId(), name: '<b>x</b>' })) });
    case 3:
      return JSON.stringify({ t: 'sdp', description: { type: 'offer', sdp: text(50) } });
    case 4:
      return JSON.stringify({ t: 'ice', candidate: { candidate: text(20), sdpMLineIndex: -5 } });
    case 5:
      return `{"t":"state","name":"${'A'.repeat(70_000)}"}`;
    case 6:
      return JSON.stringify([1, 2, { t: 'bye' }]);
    // The verification, frame-key and heartbeat messages, each with wrong fields.
    case 8:
      return JSON.stringify({ t: 'auth', proof: text(300) });
    case 9:
      return JSON.stringify({ t: 'sas-commit', commit: 42 });
    case 10:
      return JSON.stringify({ t: 'sas-reveal', nonce: '<i>not base64</i>'.repeat(50) });
    case 11:
      return JSON.stringify({ t: 'key', kid: -1, epoch: 'x', key: text(10) });
    case 12:
      return JSON.stringify({ t: 'key-ack', kid: 2 ** 40 });
    case 13:
      return JSON.stringify({ t: 'hb', extra: text(10) });
    default:
      return JSON.stringify({ t: 'state', name: '<img src=x onerror="window.__pwned=1">', audioMuted: 'yes', videoMuted: null });
  }
}

describe('hostile input over the data channel', () => {
  it('survives thousands of malformed messages from a peer, keeps the call, and drops that peer', async () => {
    const [a, b] = await mountRooms(2, uniqueRoom('fuzz'));
    const joined = nextEvent<{ id: string }>(a, EVENTS.joined);
    await a.join();
    const aId = (await joined).id;
    await b.join();
    await waitForFullMeshMedia([a, b]);

    const errors: string[] = [];
    const onError = (event: ErrorEvent | PromiseRejectionEvent) =>
      errors.push(String('reason' in event ? event.reason : event.message));
    window.addEventListener('error', onError);
    window.addEventListener('unhandledrejection', onError);

    const broker = parseBrokerUrl(SERVER);
    const attacker = new Peer(randomParticipantId(), { ...broker, config: { iceServers: [] }, debug: 0 });
    try {
      await new Promise((resolve, reject) => {
        attacker.once('open', resolve);
        attacker.once('error', reject);
      });
      const conn: DataConnection = attacker.connect(aId, { serialization: 'raw', reliable: true });
      await new Promise((resolve) => conn.once('open', () => resolve(undefined)));
      const closed = new Promise((resolve) => conn.once('close', () => resolve(true)));
      let sent = 0;
      for (let i = 0; i < 5000 && conn.open; i++) {
        void conn.send(garbage(i));
        // And through the broker, as relayed signalling from a peer that is not linked.
        if (i % 10 === 0) attacker.socket.send({ type: 'CANDIDATE', dst: aId, payload: { vr: garbage(i) } });
        sent++;
      }
      // The page stays responsive: the longest gap between timer ticks while the garbage lands
      // (measured from the end of the sending loop, which itself holds this page).
      let longestGap = 0;
      let last = performance.now();
      const ticker = setInterval(() => {
        const now = performance.now();
        longestGap = Math.max(longestGap, now - last);
        last = now;
      }, 20);
      // The element drops a peer that keeps sending garbage.
      expect(await closed).to.equal(true);
      clearInterval(ticker);
      console.log(`fuzz: ${sent} malformed messages (and ${Math.ceil(sent / 10)} through the broker); the peer was dropped; longest timer gap meanwhile ${Math.round(longestGap)} ms`);
      expect(sent).to.be.greaterThan(0);
      expect(longestGap).to.be.below(1_000);
    } finally {
      attacker.destroy();
      window.removeEventListener('error', onError);
      window.removeEventListener('unhandledrejection', onError);
    }

    expect(errors).to.deep.equal([]);
    expect(a.state).to.equal('joined');
    expect(a.participants.map((p) => p.name)).to.deep.equal(['P1']);
    await a.updateComplete;
    expect(a.shadowRoot!.querySelector('img, script, b')).to.equal(null);
    expect((window as unknown as { __pwned?: number }).__pwned).to.equal(undefined);
    // The call itself goes on: frames still decode on both sides.
    const before = tileFrames(a)[0];
    await waitFor(() => tileFrames(a)[0] > before + 5, 'a still presenting b’s video');
    await waitForFullMeshMedia([a, b], 5);
  });

  it('drops a dialer that goes quiet mid-handshake, and does not dial it back across its dial meanwhile', async function () {
    this.timeout(60_000);
    const [a] = await mountRooms(1, uniqueRoom('half-open'));
    const joined = nextEvent<{ id: string }>(a, EVENTS.joined);
    await a.join();
    const aId = (await joined).id;
    // The mesh's own bookkeeping (private): the connections not yet introduced, and its dials.
    const room = (a as unknown as { roomCtl: { room: { mesh: HalfOpenView } } }).roomCtl.room.mesh;
    // A dialer whose offer arrives but that never offers a path: relay-only without a relay, it
    // gathers no candidate at all, so the channel can never open.
    const broker = parseBrokerUrl(SERVER);
    const ghost = new Peer(randomParticipantId(), { ...broker, config: { iceServers: [], iceTransportPolicy: 'relay' }, debug: 0 });
    try {
      await new Promise((resolve, reject) => {
        ghost.once('open', resolve);
        ghost.once('error', reject);
      });
      ghost.connect(aId, { serialization: 'raw', reliable: true });
      const halfOpen = () => [...room.pending].filter((link) => link.conn.peer === ghost.id);
      await waitFor(() => halfOpen().length === 1, 'the element holding the half-made connection');
      // It is dialing us: a dial of ours now would only cross it.
      room.dial(ghost.id);
      expect(room.dialing.has(ghost.id), 'dialing a peer that is dialing us').to.equal(false);
      // It does not stay pending (the dial timeout, 15 s); nothing of it reached the call.
      const since = performance.now();
      await waitFor(() => halfOpen().length === 0, 'the half-made connection closed', 30_000);
      console.log(`a dialer gone quiet mid-handshake was dropped after ${Math.round(performance.now() - since)} ms`);
      expect(a.participants).to.deep.equal([]);
      expect(a.state).to.equal('joined');
    } finally {
      ghost.destroy();
      a.leave();
    }
  });
});

/** What the half-open test reads of a room's mesh (private members). */
interface HalfOpenView {
  pending: Set<{ conn: { peer: string } }>;
  dialing: Set<string>;
  dial(id: string): void;
}
