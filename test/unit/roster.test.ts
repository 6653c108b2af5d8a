import { expect } from '@open-wc/testing';
import { dialAllowance, newcomers, preferNewConnection, shouldDial } from '../../src/room/roster.js';

const id = (n: number) => `vr-${n.toString(16).padStart(32, '0')}`;

describe('roster rules', () => {
  it('lets exactly one of each pair dial', () => {
    for (const [a, b] of [
      [id(1), id(2)],
      [id(9), id(3)],
    ]) {
      expect(shouldDial(a, b) !== shouldDial(b, a)).to.equal(true);
    }
  });

  it('keeps the connection dialed by the smaller id, on both sides alike', () => {
    expect(preferNewConnection(id(5), id(2))).to.equal(true);
    expect(preferNewConnection(id(2), id(5))).to.equal(false);
    expect(preferNewConnection(id(2), id(2))).to.equal(false);
  });

  it('finds only new, present, distinct participants in a gossiped roster', () => {
    const entries = [
      { id: id(1), name: 'self' },
      { id: id(2), name: 'linked' },
      { id: id(3), name: 'gone' },
      { id: id(4), name: 'new' },
      { id: id(4), name: 'new again' },
      { id: id(5), name: 'also new' },
    ];
    const result = newcomers(entries, id(1), new Set([id(2)]), new Set([id(3)]));
    expect(result.map((e) => e.name)).to.deep.equal(['new', 'also new']);
  });

  it('dials at most max-participants − 1 from a roster of 64 made-up ids; the old rule dialed all 64', () => {
    const flood = Array.from({ length: 64 }, (_, i) => ({ id: id(1000 + i), name: '' }));
    const self = id(1);
    const linked = new Set([id(2), id(3)]);
    const fresh = newcomers(flood, self, linked, new Set());
    // The old rule (control): every new id was dialed.
    expect(fresh.filter((e) => shouldDial(self, e.id))).to.have.length(64);
    const maxParticipants = 8;
    const dials = fresh.slice(0, dialAllowance(maxParticipants, linked.size, 0));
    expect(dials).to.have.length(maxParticipants - 1 - linked.size);
    expect(linked.size + dials.length).to.equal(maxParticipants - 1);
  });

  it('counts dials under way and never goes below zero', () => {
    expect(dialAllowance(8, 0, 0)).to.equal(7);
    expect(dialAllowance(8, 3, 2)).to.equal(2);
    expect(dialAllowance(8, 5, 2)).to.equal(0);
    expect(dialAllowance(2, 4, 9)).to.equal(0);
  });
});
