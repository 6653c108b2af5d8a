/**
 * The call screen as people see it, at the sizes of phones, tablets and laptops: every tile inside
 * the element, none overlapping another, every control visible and hit-testable, no badge over
 * another, no text clipped. Each case writes a screenshot to screenshots/<browser>/ for a person
 * to look at. The calls are the seam of screen-fixture.ts (a FakeRoom, canvas videos).
 */
import { expect, fixtureCleanup } from '@open-wc/testing';
import { callScreen, problems, screenshot, type ScreenCase } from './screen-fixture.js';

export const SIZES: [number, number][] = [
  [320, 480],
  [390, 844],
  [768, 1024],
  [1280, 800],
  [1440, 900],
  [1920, 1080],
];
const PEOPLE = [1, 2, 3, 4, 6, 9];

describe('the call screen at phone, tablet and laptop sizes', function () {
  this.timeout(120_000);
  afterEach(() => fixtureCleanup());

  for (const [width, height] of SIZES)
    it(`${width}x${height}: 1 to 9 people, the chat closed and open, and a shared screen, all fit`, async () => {
      const cases: ScreenCase[] = [
        ...PEOPLE.flatMap((people) => [false, true].map((chat) => ({ width, height, people, chat }))),
        { width, height, people: 4, screen: true },
      ];
      const found: string[] = [];
      // The smallest tile that showed a name, a badge with both states and a muted microphone.
      let smallest = Infinity;
      for (const c of cases) {
        const { el } = await callScreen(c);
        const name = `${width}x${height}-${c.people}${c.chat ? '-chat' : ''}${c.screen ? '-screen' : ''}`;
        await screenshot(name);
        found.push(...problems(el).map((p) => `${name}: ${p}`));
        for (const tile of el.shadowRoot!.querySelectorAll<HTMLElement>('.grid > .tile.remote'))
          if (tile.querySelector('[part~="verify-button"]') && tile.querySelector('[data-quality="poor"]') && tile.querySelector('.label .icon'))
            smallest = Math.min(smallest, tile.getBoundingClientRect().width);
        fixtureCleanup();
      }
      expect(found).to.deep.equal([]);
      // On a phone, that was a tile no larger than 160×90: the badge fits even there.
      if (width === 320) expect(smallest).to.be.at.most(160);
    });
});
