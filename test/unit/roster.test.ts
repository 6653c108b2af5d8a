import { expect } from '@open-wc/testing';
import { newcomers, preferNewConnection, shouldDial } from '../../src/core/roster.js';

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
});
