/**
 * The mesh rules with fakes (test/unit/fakes/): N participants joining at once converge to one
 * full mesh by gossip; one that leaves or crashes is removed everywhere; two dials crossing
 * between a pair end in one link; a failed dial backs off; a link that stops getting anywhere
 * before its hello is closed. Time is a FakeClock: no waiting.
 */
import { expect } from '@open-wc/testing';
import { DIAL_TIMEOUT_MS, MAX_DIAL_PERIODS, Mesh, type MeshLinkEvents } from '../../src/room/mesh.js';
import { TypedEventTarget } from '../../src/util/typed-event-target.js';
import { FakeClock } from './fakes/fake-clock.js';
import { FakeNetwork, FakeNode } from './fakes/fake-network.js';

/** Participant ids, in an order that is not their sorted order (who dials whom depends on it). */
const id = (n: number) => `vr-${n.toString(16).padStart(32, '0')}`;
const IDS = [7, 3, 11, 5, 2, 9].map(id);

function network(): { clock: FakeClock; net: FakeNetwork } {
  const clock = new FakeClock();
  return { clock, net: new FakeNetwork(clock) };
}

/** All of `nodes` join at once; 30 s later (fake time) every one must be in. */
async function joinAll(clock: FakeClock, nodes: FakeNode[]): Promise<void> {
  const joins = nodes.map((node) => node.join());
  await clock.advance(30_000);
  // Asserted before awaiting: a join that never ends must fail the test, not hang it.
  expect(nodes.map((n) => n.state), 'every joiner in').to.deep.equal(nodes.map(() => 'joined'));
  await Promise.all(joins);
}

/** Every node is linked to every other, over one open connection per pair, with nothing left under way. */
function expectFullMesh(nodes: FakeNode[]): void {
  for (const node of nodes) {
    const others = nodes.filter((n) => n !== node).map((n) => n.id).sort();
    expect(node.linked, `${node.id}'s links`).to.deep.equal(others);
    expect(node.mesh.pending.size, `${node.id}'s connections under way`).to.equal(0);
    expect(node.mesh.dialing.size, `${node.id}'s dials`).to.equal(0);
    for (const other of nodes) {
      if (other === node) continue;
      const link = node.mesh.links.get(other.id)!;
      expect(link.open, `${node.id} to ${other.id} open`).to.equal(true);
      expect(link.partner, `${node.id} and ${other.id} on the same connection`).to.equal(other.mesh.links.get(node.id));
    }
  }
}

/** A link under the mesh's eye alone (no network): its progress and hello are the test's to give. */
class StubLink extends TypedEventTarget<MeshLinkEvents> {
  remoteId: string | null = null;
  readonly outgoing = false;
  readonly open = false;
  progress = 0;
  settling = false;
  closedAt: number | null = null;

  constructor(
    private readonly clock: FakeClock,
    readonly conn: { peer: string },
  ) {
    super();
  }

  send(): void {}

  leave(): void {
    this.close();
  }

  close(): void {
    if (this.closedAt !== null) return;
    this.closedAt = this.clock.now();
    this.emit('close', { bye: false, failed: false, closedByPeer: false });
  }

  /** The far end says hello. */
  hello(from: string): void {
    this.emit('message', { t: 'hello', id: from, name: '', audioMuted: false, videoMuted: false, screenSharing: false, rendezvous: false });
  }
}

/** A mesh with nothing around it, for the dial-timeout rule. */
function bareMesh(clock: FakeClock): Mesh<StubLink> {
  return new Mesh<StubLink>(
    {
      id: id(1),
      maxParticipants: 8,
      rendezvousId: () => id(0xff),
      connect: () => null,
      hello: () => ({ t: 'hello', id: id(1), name: '', audioMuted: false, videoMuted: false, screenSharing: false, rendezvous: false }),
      roster: () => [],
      introduced: () => undefined,
      linked: () => undefined,
      message: () => undefined,
      dropped: () => undefined,
      left: () => undefined,
    },
    clock,
  );
}

describe('mesh convergence (fakes)', () => {
  it('six participants joining at once all end in one full mesh, through the gossiped rosters', async () => {
    const { clock, net } = network();
    const nodes = IDS.map((p) => new FakeNode(net, p));
    await joinAll(clock, nodes);
    expectFullMesh(nodes);
    // Joiners only ever dial the holder; the rest of the mesh came from rosters.
    const rendezvousDials = net.dials.filter((d) => !IDS.includes(d.to)).length;
    expect(net.dials.length - rendezvousDials, 'dials made from rosters').to.be.greaterThan(0);
  });

  it('one that leaves is removed everywhere, and is not dialed again', async () => {
    const { clock, net } = network();
    const nodes = IDS.slice(0, 5).map((p) => new FakeNode(net, p));
    await joinAll(clock, nodes);
    expectFullMesh(nodes);
    const [gone, ...stay] = [nodes[2]!, ...nodes.filter((_, i) => i !== 2)];
    gone.leave();
    const dialsBefore = net.dials.length;
    await clock.advance(30_000);
    expectFullMesh(stay);
    for (const node of stay) expect(node.mesh.departed.has(gone.id), `${node.id} knows ${gone.id} left`).to.equal(true);
    expect(net.dials.slice(dialsBefore).filter((d) => d.to === gone.id)).to.deep.equal([]);
  });

  it('one that crashes is removed everywhere once the heartbeat gives up, and the rest stay a full mesh', async () => {
    const { clock, net } = network();
    const nodes = IDS.slice(0, 5).map((p) => new FakeNode(net, p));
    await joinAll(clock, nodes);
    const crashed = nodes.find((n) => !n.holds)!;
    const stay = nodes.filter((n) => n !== crashed);
    crashed.crash();
    await clock.advance(30_000);
    expectFullMesh(stay);
    // No goodbye came: it may be dialed again should it be back (ids can cross in a reconnect).
    for (const node of stay) expect(node.mesh.departed.has(crashed.id)).to.equal(false);
  });

  it('two dials crossing between a pair end in one link, the one dialed by the smaller id, on both sides', async () => {
    for (const [x, y] of [
      [id(4), id(8)],
      [id(8), id(4)],
    ]) {
      const { clock, net } = network();
      const a = new FakeNode(net, x!);
      const b = new FakeNode(net, y!);
      await Promise.all([a.online(), b.online(), clock.advance(100)]);
      a.mesh.dial(b.id);
      b.mesh.dial(a.id);
      expect(net.dials.length, 'both dialed').to.equal(2);
      await clock.advance(5_000);
      expectFullMesh([a, b]);
      const kept = a.mesh.links.get(b.id)!;
      const dialer = kept.outgoing ? a.id : b.id;
      expect(dialer, 'the dialer of the link kept').to.equal([a.id, b.id].sort()[0]);
    }
  });

  it('a failed dial backs off, doubling, and a hello forgets the failures', async () => {
    const { clock, net } = network();
    const a = new FakeNode(net, id(1));
    await Promise.all([a.online(), clock.advance(100)]);
    const ghost = id(0xdead);
    const dialsTo = () => net.dials.filter((d) => d.to === ghost).length;
    a.mesh.dial(ghost);
    expect(dialsTo()).to.equal(1);
    // Nobody holds the id: the broker says so after 5 s, and the dial fails.
    await clock.advance(6_000);
    expect(a.mesh.dialBackoff.get(ghost)?.failures).to.equal(1);
    a.mesh.dial(ghost);
    expect(dialsTo(), 'dialed again within 2 s').to.equal(1);
    await clock.advance(2_000);
    a.mesh.dial(ghost);
    expect(dialsTo(), 'dialed again after 2 s').to.equal(2);
    await clock.advance(6_000);
    expect(a.mesh.dialBackoff.get(ghost)?.failures).to.equal(2);
    await clock.advance(2_000);
    a.mesh.dial(ghost);
    expect(dialsTo(), 'dialed again within 4 s of the second failure').to.equal(2);
    // The id comes up: the next dial goes through, and its hello clears the backoff.
    const back = new FakeNode(net, ghost);
    await Promise.all([back.online(), clock.advance(2_100)]);
    a.mesh.dial(ghost);
    expect(dialsTo()).to.equal(3);
    await clock.advance(1_000);
    expect(a.linked).to.deep.equal([ghost]);
    expect(a.mesh.dialBackoff.has(ghost)).to.equal(false);
  });

  it(`drops a connection with no path after ${DIAL_TIMEOUT_MS / 1000} s, and one still getting somewhere after ${MAX_DIAL_PERIODS} periods at most`, async () => {
    const clock = new FakeClock();
    const mesh = bareMesh(clock);
    const start = clock.now();
    const ghost = new StubLink(clock, { peer: id(2) });
    const slow = new StubLink(clock, { peer: id(3) });
    const stalled = new StubLink(clock, { peer: id(4) });
    const introduced = new StubLink(clock, { peer: id(5) });
    for (const link of [ghost, slow, stalled, introduced]) {
      mesh.add(link);
      mesh.closeUnlessIntroduced(link);
    }
    // `slow` makes progress in every period, `stalled` in the first two only.
    for (let t = 0; t < 8; t++) {
      await clock.advance(DIAL_TIMEOUT_MS / 2);
      slow.progress++;
      if (t < 3) stalled.progress++;
      if (t === 0) introduced.hello(id(5));
    }
    expect(ghost.closedAt! - start, 'a connection that never got anywhere').to.equal(DIAL_TIMEOUT_MS);
    expect(stalled.closedAt! - start, 'one that stopped after two periods').to.equal(3 * DIAL_TIMEOUT_MS);
    expect(slow.closedAt! - start, 'one that never stops but never says hello').to.equal(MAX_DIAL_PERIODS * DIAL_TIMEOUT_MS);
    expect(introduced.closedAt, 'one introduced').to.equal(null);
    expect(mesh.links.get(id(5))).to.equal(introduced);
  });

  it('gives a connection whose own side is still making its offer or answer more time, up to the same limit', async () => {
    // On a loaded machine, our own createOffer can take longer than a period: that wait is ours,
    // and a dial thrown away for it is only started again, slower still.
    const clock = new FakeClock();
    const mesh = bareMesh(clock);
    const start = clock.now();
    const ours = new StubLink(clock, { peer: id(2) });
    const done = new StubLink(clock, { peer: id(3) });
    const never = new StubLink(clock, { peer: id(4) });
    ours.settling = never.settling = true;
    for (const link of [ours, done, never]) {
      mesh.add(link);
      mesh.closeUnlessIntroduced(link);
    }
    await clock.advance(1.5 * DIAL_TIMEOUT_MS);
    // `ours` gets its offer made after a period and a half, then nothing more comes.
    ours.settling = false;
    await clock.advance(MAX_DIAL_PERIODS * DIAL_TIMEOUT_MS);
    expect(done.closedAt! - start, 'no progress, nothing of ours pending').to.equal(DIAL_TIMEOUT_MS);
    expect(ours.closedAt! - start, 'the first period after ours was done').to.equal(2 * DIAL_TIMEOUT_MS);
    expect(never.closedAt! - start, 'ours never done').to.equal(MAX_DIAL_PERIODS * DIAL_TIMEOUT_MS);
  });
});
