/**
 * The call screen as people see it, at the sizes of phones, tablets and laptops: every tile inside
 * the element, none overlapping another, every control visible and hit-testable, no badge over
 * another, no text clipped. Each case writes a screenshot to screenshots/<browser>/ for a person
 * to look at. The calls are the seam of screen-fixture.ts (a FakeRoom, canvas videos).
 */
import { expect, fixtureCleanup } from '@open-wc/testing';
import { callScreen, screenshot, type ScreenCase } from './screen-fixture.js';

type Rect = DOMRect;
const overlap = (a: Rect, b: Rect) => a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5;
const inside = (a: Rect, box: Rect) => a.left >= box.left - 0.5 && a.top >= box.top - 0.5 && a.right <= box.right + 0.5 && a.bottom <= box.bottom + 0.5;
const visible = (el: Element) => {
  const r = el.getBoundingClientRect();
  return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== 'hidden';
};

/** Everything wrong with the screen, as sentences (none: all is well). */
function problems(el: HTMLElement): string[] {
  const root = el.shadowRoot!;
  const box = el.getBoundingClientRect();
  const found: string[] = [];
  const tiles = [...root.querySelectorAll<HTMLElement>('.grid > .tile, .grid > .more')];
  for (const tile of tiles) if (!inside(tile.getBoundingClientRect(), box)) found.push(`tile ${tile.dataset.id ?? '+N'} leaves the element`);
  for (let i = 0; i < tiles.length; i++)
    for (let j = i + 1; j < tiles.length; j++) {
      const [a, b] = [tiles[i]!, tiles[j]!];
      if (a.dataset.role === 'inset' || b.dataset.role === 'inset') continue;
      if (overlap(a.getBoundingClientRect(), b.getBoundingClientRect())) found.push(`tiles ${a.dataset.id} and ${b.dataset.id} overlap`);
    }
  // Controls: the whole bar inside the element, each button the element at its own centre.
  for (const control of root.querySelectorAll<HTMLElement>('.controls button, .controls [role=button]')) {
    if (!visible(control)) continue;
    const r = control.getBoundingClientRect();
    const name = control.getAttribute('part') ?? control.textContent?.trim();
    if (!inside(r, box)) found.push(`control ${name} leaves the element`);
    const hit = root.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    if (!hit || !control.contains(hit)) found.push(`control ${name} is covered by ${hit?.className || hit?.tagName}`);
  }
  // Badges: what lies over a tile's video, none over another (the inset's own over the other tile's too).
  const badges = [...root.querySelectorAll<HTMLElement>('.grid .label, .grid .badge, .grid .tile-fullscreen, .grid .empty')].filter(visible);
  for (let i = 0; i < badges.length; i++)
    for (let j = i + 1; j < badges.length; j++)
      if (overlap(badges[i]!.getBoundingClientRect(), badges[j]!.getBoundingClientRect()))
        found.push(`badges "${badges[i]!.textContent?.trim()}" and "${badges[j]!.textContent?.trim()}" overlap`);
  const insets = [...root.querySelectorAll<HTMLElement>('.tile[data-role=inset]')];
  for (const inset of insets)
    for (const badge of badges)
      if (!inset.contains(badge) && overlap(inset.getBoundingClientRect(), badge.getBoundingClientRect()))
        found.push(`the inset covers "${badge.textContent?.trim()}"`);
  // Text: nothing cut off (wider or taller than its box).
  for (const text of root.querySelectorAll<HTMLElement>('.label, .badge, .controls button, .status, .chat-form button, .more'))
    if (visible(text) && (text.scrollWidth > text.clientWidth + 1 || text.scrollHeight > text.clientHeight + 1))
      found.push(`"${text.textContent?.trim()}" is clipped (${text.scrollWidth}x${text.scrollHeight} in ${text.clientWidth}x${text.clientHeight})`);
  return found;
}

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
      for (const c of cases) {
        const { el } = await callScreen(c);
        const name = `${width}x${height}-${c.people}${c.chat ? '-chat' : ''}${c.screen ? '-screen' : ''}`;
        await screenshot(name);
        found.push(...problems(el).map((p) => `${name}: ${p}`));
        fixtureCleanup();
      }
      expect(found).to.deep.equal([]);
    });
});
