import { expect } from '@open-wc/testing';
import { BUTTON_GAP, BUTTON_SIZE, TIGHT_GAP, inBar } from '../../src/layout/bar.js';
import {
  DEFAULT_ASPECT,
  MAX_TILES_NARROW,
  MAX_TILES_WIDE,
  MIN_TILE_WIDTH,
  fitGrid,
  gridCapacity,
  layoutTiles,
  type Box,
  type Layout,
  type LayoutTile,
} from '../../src/layout/grid.js';

/** This participant, then `others` remote cameras, then `screens` shared screens. */
function tiles(others: number, screens = 0): LayoutTile[] {
  return [
    ...Array.from({ length: screens }, (_, i) => ({ id: `s${i}:screen`, screen: true })),
    { id: 'me', local: true },
    ...Array.from({ length: others }, (_, i) => ({ id: `p${i}` })),
  ];
}

const inside = (b: Box, w: number, h: number) => b.x >= 0 && b.y >= 0 && b.x + b.width <= w && b.y + b.height <= h;
const overlap = (a: Box, b: Box) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
const boxes = (l: Layout) => [...l.placed.map((p) => p.box), ...(l.more ? [l.more.box] : [])];

// The element's tile area at the sizes the call-screen tests use, and a few awkward ones.
const SIZES: [number, number][] = [
  [304, 380], [374, 700], [752, 900], [1264, 700], [1424, 800], [1904, 980], [284, 150], [1000, 200], [200, 1000], [96, 96],
];

describe('the call layout', () => {
  it('keeps every tile inside the box, at the video aspect, overlapping none, for 1 to 25 people and with one or two screens', () => {
    for (const [w, h] of SIZES)
      for (let n = 0; n < 25; n++)
        for (const screens of [0, 1, 2]) {
          const l = layoutTiles(tiles(n, screens), w, h);
          const what = `${n + 1} people, ${screens} screens in ${w}x${h}`;
          for (const b of boxes(l)) {
            expect(inside(b, w, h), `${what}: ${JSON.stringify(b)} inside`).to.equal(true);
            expect(b.width, what).to.be.greaterThan(0);
          }
          for (const p of l.placed)
            expect(Math.abs(p.box.width / DEFAULT_ASPECT - p.box.height), `${what}: aspect of ${p.id}`).to.be.at.most(1.5);
          // Only the inset of a call of two lies over another tile, by design.
          const flat = boxes(l).filter((_, i) => l.placed[i]?.role !== 'inset');
          for (let i = 0; i < flat.length; i++)
            for (let j = i + 1; j < flat.length; j++) expect(overlap(flat[i]!, flat[j]!), `${what}: ${i} and ${j} overlap`).to.equal(false);
        }
  });

  it('chooses the columns that give the most area: four people on a laptop are two by two, not one row', () => {
    expect(fitGrid(4, 1264, 700)).to.include({ columns: 2, rows: 2 });
    expect(fitGrid(3, 1264, 300)).to.include({ columns: 3, rows: 1 });
    expect(fitGrid(4, 374, 700)).to.include({ columns: 1, rows: 4 });
    // Brute force agrees: no other column count gives a larger tile.
    for (const [w, h] of SIZES)
      for (let n = 1; n <= 16; n++) {
        const best = fitGrid(n, w, h).width;
        for (let c = 1; c <= n; c++) {
          const r = Math.ceil(n / c);
          expect(Math.floor(Math.min((w - (c - 1) * 8) / c, Math.floor((h - (r - 1) * 8) / r) * DEFAULT_ASPECT))).to.be.at.most(best);
        }
      }
  });

  it('shows at most 9 tiles on a phone and 16 on a laptop, none narrower than the least legible size', () => {
    expect(gridCapacity(374, 700)).to.equal(MAX_TILES_NARROW);
    expect(gridCapacity(1904, 980)).to.equal(MAX_TILES_WIDE);
    const small = gridCapacity(700, 300);
    expect(fitGrid(small, 700, 300).width).to.be.at.least(MIN_TILE_WIDTH);
    expect(small).to.be.below(MAX_TILES_WIDE);
    for (let n = small + 1; n <= MAX_TILES_WIDE; n++) expect(fitGrid(n, 700, 300).width).to.be.below(MIN_TILE_WIDTH);
  });

  it('pages 25 people: every page shows this participant and a "+N" tile, and every other person is on exactly one page', () => {
    for (const [w, h] of [[374, 700], [1264, 700]] as const) {
      const first = layoutTiles(tiles(24), w, h);
      expect(first.pages).to.be.greaterThan(1);
      const seen: string[] = [];
      for (let page = 0; page < first.pages; page++) {
        const l = layoutTiles(tiles(24), w, h, { page });
        expect(l.page).to.equal(page);
        expect(l.placed[0]!.id).to.equal('me');
        expect(l.more!.count).to.equal(24 - (l.placed.length - 1));
        expect(l.placed.length + 1).to.be.at.most(w < 600 ? MAX_TILES_NARROW : MAX_TILES_WIDE);
        seen.push(...l.placed.slice(1).map((p) => p.id));
      }
      expect(seen.sort()).to.deep.equal(tiles(24).slice(1).map((t) => t.id).sort());
      // The page number wraps: the "+N" tile after the last page shows the first again.
      expect(layoutTiles(tiles(24), w, h, { page: first.pages }).page).to.equal(0);
    }
  });

  it('a call of two: the other person fills the box, this participant is a small inset in its corner', () => {
    const l = layoutTiles(tiles(1), 1264, 700);
    expect(l.mode).to.equal('pair');
    const [other, me] = l.placed;
    expect(other).to.include({ id: 'p0', role: 'tile' });
    expect(me).to.include({ id: 'me', role: 'inset' });
    expect(other!.box.height).to.equal(700);
    expect(me!.box.width).to.be.below(other!.box.width / 3);
    expect(inside({ ...me!.box, x: me!.box.x - other!.box.x, y: me!.box.y - other!.box.y }, other!.box.width, other!.box.height)).to.equal(true);
  });

  it('a shared screen is a spotlight, with the cameras in a filmstrip beside it on a laptop and below it on a phone', () => {
    const wide = layoutTiles(tiles(3, 1), 1264, 700);
    expect(wide.mode).to.equal('spotlight');
    const screen = wide.placed.find((p) => p.role === 'spotlight')!;
    const strip = wide.placed.filter((p) => p.role === 'filmstrip');
    expect(strip.map((p) => p.id)).to.deep.equal(['me', 'p0', 'p1', 'p2']);
    expect(screen.box.width * screen.box.height).to.be.greaterThan(4 * strip[0]!.box.width * strip[0]!.box.height);
    for (const p of strip) expect(p.box.x).to.be.at.least(screen.box.x + screen.box.width);
    const tall = layoutTiles(tiles(3, 1), 374, 700);
    const screenTall = tall.placed.find((p) => p.role === 'spotlight')!;
    for (const p of tall.placed.filter((q) => q.role === 'filmstrip')) expect(p.box.y).to.be.at.least(screenTall.box.y + screenTall.box.height);
    // A phone-sized column (a 320-px element) still shows three people's cameras, smaller, no "+N".
    const phone = layoutTiles(tiles(2, 1), 304, 330);
    expect(phone.placed.filter((p) => p.role === 'filmstrip').map((p) => p.id)).to.deep.equal(['me', 'p0', 'p1']);
    expect(phone.more).to.equal(null);
    for (const p of phone.placed) expect(inside(p.box, 304, 330)).to.equal(true);
  });

  it('alone, this participant fills the box', () => {
    const l = layoutTiles(tiles(0), 1264, 700);
    expect(l.placed).to.have.length(1);
    expect(l.placed[0]!.box.height).to.equal(700);
  });
});

describe('the control bar', () => {
  it('shows the optional buttons that fit, gives the rest a "more" button, and closes up before the always-shown ones wrap', () => {
    // A laptop: all ten in one row.
    expect(inBar(1264, 5, 5)).to.deep.equal({ shown: 5, tight: false });
    // A phone (390 px less padding): seven places, five always, one for "more", one optional.
    expect(inBar(374, 5, 5)).to.deep.equal({ shown: 1, tight: false });
    // A 300-px sidebar: five always and "more" need six places; only a 4-px gap gives them.
    expect(inBar(284, 5, 5)).to.deep.equal({ shown: 0, tight: true });
    const width = (n: number, gap: number) => n * BUTTON_SIZE + (n - 1) * gap;
    // From a 300-px element up (narrower, the bar wraps onto a second row).
    for (let w = 284; w <= 1300; w += 2) {
      const { shown, tight } = inBar(w, 5, 5);
      const buttons = 5 + shown + (shown < 5 ? 1 : 0);
      expect(width(buttons, tight ? TIGHT_GAP : BUTTON_GAP), `${w}px`).to.be.at.most(w);
    }
  });
});
