/**
 * Microphone levels told over the data channels (src/media/shared-levels.ts): what goes out, and
 * how long a level heard counts.
 */
import { expect } from '@open-wc/testing';
import { LEVEL_REFRESH_MS, LEVEL_STALE_MS, SharedLevels } from '../../src/media/shared-levels.js';

describe('shared microphone levels', () => {
  it('sends a level when it changes by a hundredth, and nothing for the same level or a silence that goes on', () => {
    const levels = new SharedLevels();
    expect(levels.outgoing(0, 0), 'silence from the start').to.equal(null);
    expect(levels.outgoing(0.304, 250)).to.equal(0.3);
    expect(levels.outgoing(0.296, 500), 'the same hundredth').to.equal(null);
    expect(levels.outgoing(0.31, 750)).to.equal(0.31);
    expect(levels.outgoing(0, 1000), 'silence, once').to.equal(0);
    expect(levels.outgoing(0.001, 1250 + 10 * LEVEL_REFRESH_MS), 'silence goes on: nothing more').to.equal(null);
  });

  it('repeats a steady level once a second, so a newcomer hears it', () => {
    const levels = new SharedLevels();
    expect(levels.outgoing(0.5, 0)).to.equal(0.5);
    expect(levels.outgoing(0.5, LEVEL_REFRESH_MS - 1)).to.equal(null);
    expect(levels.outgoing(0.5, LEVEL_REFRESH_MS)).to.equal(0.5);
  });

  it('bounds what it sends to 0..1, whatever the meter says', () => {
    const levels = new SharedLevels();
    expect(levels.outgoing(7, 0)).to.equal(1);
    expect(levels.outgoing(Number.NaN, 1)).to.equal(0);
  });

  it('reads a heard level until it is stale, and nothing once the participant left', () => {
    const levels = new SharedLevels();
    expect(levels.level('a', 0), 'never heard').to.equal(0);
    levels.heard('a', 0.42, 1000);
    expect(levels.level('a', 1000 + LEVEL_STALE_MS - 1)).to.equal(0.42);
    expect(levels.level('a', 1000 + LEVEL_STALE_MS), 'stale: the sender stopped telling').to.equal(0);
    levels.heard('a', 0.42, 5000);
    levels.forget('a');
    expect(levels.level('a', 5000)).to.equal(0);
  });
});
