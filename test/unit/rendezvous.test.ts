/**
 * The rendezvous election with fakes (test/unit/fakes/): joiners at once end with exactly one
 * holder; a holder that leaves, or goes silent, is replaced by exactly one of the others; a
 * joiner that loses the claim dials the holder. Time is a FakeClock: no waiting.
 */
import { expect } from '@open-wc/testing';
import { FakeClock } from './fakes/fake-clock.js';
import { RENDEZVOUS_CHECK_MS, RENDEZVOUS_DIAL_TIMEOUT_MS } from '../../src/room/rendezvous.js';
import { FakeNetwork, FakeNode, RENDEZVOUS_ID } from './fakes/fake-network.js';

const id = (n: number) => `vr-${n.toString(16).padStart(32, '0')}`;

async function joined(count: number): Promise<{ clock: FakeClock; net: FakeNetwork; nodes: FakeNode[] }> {
  const clock = new FakeClock();
  const net = new FakeNetwork(clock);
  const nodes = Array.from({ length: count }, (_, i) => new FakeNode(net, id(0x40 + ((i * 7) % count))));
  const joins = nodes.map((node) => node.join());
  await clock.advance(30_000);
  // Asserted before awaiting: a join that never ends must fail the test, not hang it.
  expect(nodes.map((n) => n.state), 'every joiner in').to.deep.equal(nodes.map(() => 'joined'));
  await Promise.all(joins);
  return { clock, net, nodes };
}

/** Advances until no node's periodic check (every 5 s) is due within `ms`: what happens then is not its doing. */
async function untilNoCheckWithin(clock: FakeClock, nodes: FakeNode[], ms: number): Promise<void> {
  while (nodes.some((n) => n.lastTick + RENDEZVOUS_CHECK_MS - clock.now() < ms)) await clock.advance(100);
}

/** Exactly one of `nodes` holds the id (the broker agrees), and every other one is linked to it. */
function expectOneHolder(net: FakeNetwork, nodes: FakeNode[]): FakeNode {
  const holders = nodes.filter((n) => n.holds);
  expect(holders.map((n) => n.id), 'holders').to.have.length(1);
  const holder = holders[0]!;
  expect(net.holderOf(RENDEZVOUS_ID), 'the holder at the broker').to.equal(holder);
  for (const node of nodes) if (node !== holder) expect(node.mesh.links.get(holder.id)?.open, `${node.id} linked to the holder`).to.equal(true);
  return holder;
}

describe('rendezvous election (fakes)', () => {
  it('five joiners at once end with exactly one holder, linked to all of them', async () => {
    const { net, nodes } = await joined(5);
    expectOneHolder(net, nodes);
  });

  it('a joiner that loses the claim dials the holder, and is in', async () => {
    const { clock, net, nodes } = await joined(1);
    const [first] = nodes;
    const late = new FakeNode(net, id(0x99));
    const join = late.join();
    await clock.advance(5_000);
    expect(late.state).to.equal('joined');
    await join;
    expect(late.holds, 'the latecomer holds the id').to.equal(false);
    expect(net.dials.find((d) => d.from === late.id)?.to, 'the latecomer’s first dial').to.equal(RENDEZVOUS_ID);
    expect(expectOneHolder(net, [first!, late])).to.equal(first);
  });

  it('a joiner waits for a holder too busy to finish the handshake in time but getting somewhere: one dial, then in', async () => {
    const { clock, net, nodes } = await joined(1);
    // The holder's machine is saturated: 40 s from answer to open channel, well past the dial
    // timeout and the join's 30 s, with ICE checks and messages along the way.
    net.handshakeMs = 40_000;
    expect(net.handshakeMs).to.be.above(2 * RENDEZVOUS_DIAL_TIMEOUT_MS);
    const late = new FakeNode(net, id(0x99));
    const join = late.join();
    await clock.advance(45_000);
    expect(late.state).to.equal('joined');
    await join;
    expect(net.dials.filter((d) => d.from === late.id).map((d) => d.to), 'one dial, not doubled nor repeated').to.deep.equal([RENDEZVOUS_ID]);
    expectOneHolder(net, [nodes[0]!, late]);
  });

  it('a holder that leaves is replaced at once by exactly one of the others, and newcomers still find the room', async () => {
    const { clock, net, nodes } = await joined(4);
    const holder = expectOneHolder(net, nodes);
    await untilNoCheckWithin(clock, nodes, 1_000);
    holder.leave();
    const stay = nodes.filter((n) => n !== holder);
    // The others race for the id as soon as the goodbye is in (jittered by up to 300 ms).
    await clock.advance(500);
    expect(stay.filter((n) => n.holds), 'holders half a second after the leave').to.have.length(1);
    await clock.advance(10_000);
    const next = expectOneHolder(net, stay);
    expect(next).to.not.equal(holder);
    const newcomer = new FakeNode(net, id(0x77));
    const join = newcomer.join();
    await clock.advance(15_000);
    expect(newcomer.state).to.equal('joined');
    await join;
    expectOneHolder(net, [...stay, newcomer]);
    expect(newcomer.linked).to.deep.equal(stay.map((n) => n.id).sort());
  });

  it('a holder that goes silent is replaced before the heartbeat gives up on it', async () => {
    const { clock, net, nodes } = await joined(4);
    const holder = expectOneHolder(net, nodes);
    holder.crash();
    const stay = nodes.filter((n) => n !== holder);
    // The links report silence after 2.5 s, and give up after 6 s: the id is taken in between.
    await clock.advance(3_000);
    expect(stay.filter((n) => n.holds), 'holders 3 s after the crash').to.have.length(1);
    expect(stay.every((n) => n.mesh.links.has(holder.id)), 'the links to the crashed holder still up').to.equal(true);
    await clock.advance(10_000);
    expectOneHolder(net, stay);
    for (const node of stay) expect(node.linked).to.deep.equal(stay.filter((n) => n !== node).map((n) => n.id).sort());
  });
});
