/**
 * Bounded work per peer. A hostile member (a plain PeerJS DataConnection speaking our protocol)
 * sends a roster of 64 made-up ids, or 500 state messages at once: the element dials at most
 * max-participants − 1, stays on the broker and keeps the call; the flooder is dropped.
 */
import { expect } from '@open-wc/testing';
import { executeServerCommand } from '@web/test-runner-commands';
import { Peer, type DataConnection } from 'peerjs';
import { EVENTS } from '../../src/constants.js';
import { parseBrokerUrl } from '../../src/signalling/broker.js';
import { randomParticipantId } from '../../src/room/room-id.js';
import { SERVER, decodedFrames, mountRooms, nextEvent, uniqueRoom, waitFor, waitForFullMeshMedia } from './helpers.js';
import type { VideoRoomElement } from '../../src/video-room.component.js';

type Relayed = { type?: string; src?: string; dst?: string };

const MAX_PARTICIPANTS = 8;

/** The room's dials under way (private; test-only access). */
function dialing(el: VideoRoomElement): Set<string> {
  return (el as unknown as { roomCtl: { room: { mesh: { dialing: Set<string> } } } }).roomCtl.room.mesh.dialing;
}

/** How often the test PeerServer saw `id`'s socket close (by the rate limit, or otherwise). */
async function disconnects(id: string): Promise<number> {
  const log = await executeServerCommand<{ disconnected: string[] }, object>('vr-broker-log', { ids: [id] });
  return log.disconnected.length;
}

/** Whether the element's own Peer is on the broker (test-only access). */
function onBroker(el: VideoRoomElement): boolean {
  const peer = (el as unknown as { roomCtl: { room: { session: { peer: { disconnected: boolean; open: boolean } | null } } } }).roomCtl.room.session.peer;
  return !!peer && !peer.disconnected && peer.open;
}

/** A member that dialed `targetId` and introduced itself; it sends heartbeats so it stays linked. */
async function hostileMember(targetId: string, name: string): Promise<{ id: string; conn: DataConnection; send: (m: object) => void; close: () => void }> {
  const id = randomParticipantId();
  const peer = new Peer(id, { ...parseBrokerUrl(SERVER), config: { iceServers: [] }, debug: 0 });
  await new Promise((resolve, reject) => {
    peer.once('open', resolve);
    peer.once('error', reject);
  });
  const conn = peer.connect(targetId, { serialization: 'raw', reliable: true });
  await new Promise((resolve) => conn.once('open', () => resolve(undefined)));
  const send = (message: object) => void conn.send(JSON.stringify(message));
  const beat = setInterval(() => conn.open && send({ t: 'hb' }), 1_000);
  const state = { name, audioMuted: true, videoMuted: true, screenSharing: false, rendezvous: false };
  send({ t: 'hello', id, ...state });
  return {
    id,
    conn,
    send,
    close: () => {
      clearInterval(beat);
      peer.destroy();
    },
  };
}

const stateOf = (name: string) => ({ t: 'state', name, audioMuted: true, videoMuted: true, screenSharing: false, rendezvous: false });

/** Made-up ids that sort after any real one, so the element dials each at once (see shouldDial). */
const madeUpIds = (count: number) => Array.from({ length: count }, () => `vr-ffffffff${randomParticipantId().slice(3, 27)}`);

async function offersTo(ids: Set<string>, from: string): Promise<Relayed[]> {
  const log = await executeServerCommand<{ relayed: Relayed[] }, object>('vr-broker-log', { ids: [from] });
  return log.relayed.filter((m) => m.type === 'OFFER' && m.src === from && m.dst !== undefined && ids.has(m.dst));
}

/** Waits until `el` has decoded `more` further frames from each peer connection that had some. */
async function moreFrames(el: VideoRoomElement, more: number): Promise<void> {
  const before = (await decodedFrames(el)).filter((n) => n > 0);
  await waitFor(async () => {
    const now = (await decodedFrames(el)).filter((n) => n > 0);
    return now.length >= before.length && before.every((n, i) => (now[i] ?? 0) - n >= more);
  }, `${more} more frames`);
}

describe('bounded work per peer', function () {
  this.timeout(180_000);

  it('a 64-id roster flood: at most max-participants − 1 dials, this participant stays on the broker, the call goes on', async () => {
    const room = uniqueRoom('roster-flood');
    const [a, b] = await mountRooms(2, room, MAX_PARTICIPANTS);
    const joined = nextEvent<{ id: string }>(a!, EVENTS.joined);
    await a!.join();
    const aId = (await joined).id;
    await b!.join();
    await waitForFullMeshMedia([a!, b!], 5);

    const hostile = await hostileMember(aId, 'H');
    try {
      await waitFor(() => a!.participants.some((p) => p.name === 'H'), 'the hostile member in the room');
      const fake = madeUpIds(64);
      hostile.send({ t: 'roster', peers: fake.map((id) => ({ id, name: 'ghost' })) });
      // The channel is ordered: once this state is seen, the roster has been handled.
      hostile.send(stateOf('H after roster'));
      await waitFor(() => a!.participants.some((p) => p.name === 'H after roster'), 'the roster handled');
      // Linked to B and H: room for max-participants − 1 − 2 dials, and no more.
      const allowed = MAX_PARTICIPANTS - 1 - 2;
      const fakeSet = new Set(fake);
      expect([...dialing(a!)].filter((id) => fakeSet.has(id))).to.have.length(allowed);
      const offers = await waitFor(async () => {
        const seen = await offersTo(fakeSet, aId);
        return seen.length >= allowed ? seen : null;
      }, () => `the allowed offers at the broker; A on the broker: ${onBroker(a!)}, dialing ${[...dialing(a!)].length}`);
      console.log(`roster flood of 64: ${offers.length} offers to made-up ids (cap ${allowed}; the old rule dialed all 64)`);
      expect(new Set(offers.map((m) => m.dst)).size).to.be.at.most(allowed);

      // A second flood while those dials are under way starts none.
      hostile.send({ t: 'roster', peers: madeUpIds(64).map((id) => ({ id, name: 'ghost' })) });
      hostile.send(stateOf('H after second roster'));
      await waitFor(() => a!.participants.some((p) => p.name === 'H after second roster'), 'the second roster handled');
      expect(dialing(a!).size).to.be.at.most(allowed);

      expect(onBroker(a!)).to.equal(true);
      expect(await disconnects(aId)).to.equal(0);
      // Still on the broker: a newcomer finds the room and links with A.
      const [c] = await mountRooms(1, room, MAX_PARTICIPANTS);
      await c!.join();
      // (Linking C with A crosses A's own socket on the broker, whoever dials.)
      await waitFor(
        () => c!.participants.some((p) => p.name === 'P0'),
        () => `the newcomer linked with A: C ${c!.state} ${JSON.stringify(c!.participants.map((p) => p.name))}, A ${JSON.stringify(a!.participants.map((p) => p.name))}, on broker ${onBroker(a!)}`,
      );
      // A decodes both B and the newcomer (H sends no media).
      await waitFor(async () => (await decodedFrames(a!)).filter((n) => n >= 5).length >= 2, 'A decoding B and the newcomer');
      expect(a!.state).to.equal('joined');
      // And the call with B goes on.
      await moreFrames(b!, 30);
      await moreFrames(a!, 30);
      c!.leave();
    } finally {
      hostile.close();
      a!.leave();
      b!.leave();
    }
  });

  it('a peer over its message budget (500 state messages at once) is dropped; one within it stays', async () => {
    const room = uniqueRoom('budget');
    const [a] = await mountRooms(1, room, MAX_PARTICIPANTS);
    const joined = nextEvent<{ id: string }>(a!, EVENTS.joined);
    await a!.join();
    const aId = (await joined).id;

    // Control: 40 state messages at once fit the burst; the member stays.
    const calm = await hostileMember(aId, 'calm');
    const flooder = await hostileMember(aId, 'flood');
    try {
      await waitFor(() => a!.participants.length === 2, 'both members in the room');
      for (let i = 0; i < 40; i++) calm.send(stateOf(`calm ${i}`));
      await waitFor(() => a!.participants.some((p) => p.name === 'calm 39'), 'all 40 states of the calm member');

      const closed = new Promise((resolve) => flooder.conn.once('close', () => resolve(true)));
      for (let i = 0; i < 500; i++) flooder.send(stateOf(`flood ${i}`));
      expect(await closed).to.equal(true);
      await waitFor(() => !a!.participants.some((p) => p.name.startsWith('flood')), 'the flooder dropped');
      // The calm member is still linked and heard.
      calm.send(stateOf('calm after'));
      await waitFor(() => a!.participants.some((p) => p.name === 'calm after'), 'the calm member still heard');
      expect(a!.participants.map((p) => p.name)).to.deep.equal(['calm after']);
    } finally {
      calm.close();
      flooder.close();
      a!.leave();
    }
  });
});
