/**
 * The call screen's geometry: where each tile goes in the box the tiles have. Pure (numbers in,
 * boxes out), so every rule is tested without a browser, and the element only draws the boxes.
 *
 * - A grid: the columns and rows that give the tiles the most area, aspect kept, nothing outside
 *   the box. Beyond what fits legibly, pages, the last cell a "+N" tile that turns the page.
 * - A call of two: the other person fills the box, this participant a small inset in its corner.
 * - A shared screen: the screens in a spotlight, the cameras in a column beside it (landscape) or
 *   in a grid of small tiles under it (portrait).
 */

import { NARROW_WIDTH } from './sizes.js';

export interface Box {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** What the layout needs to know of a tile. */
export interface LayoutTile {
  readonly id: string;
  readonly local?: boolean;
  readonly screen?: boolean;
}

export type LayoutMode = 'grid' | 'pair' | 'spotlight';

export interface Placed {
  readonly id: string;
  readonly box: Box;
  /** `inset`: this participant's small tile over the other's in a call of two. */
  readonly role: 'tile' | 'spotlight' | 'filmstrip' | 'inset';
}

export interface Layout {
  readonly mode: LayoutMode;
  /** The tiles shown, in drawing order (an inset last, so it is on top). */
  readonly placed: readonly Placed[];
  /** The "+N" tile: how many tiles this page does not show, and where it goes. */
  readonly more: { readonly count: number; readonly box: Box } | null;
  /** The page shown (from 0) and how many there are. */
  readonly page: number;
  readonly pages: number;
}

export interface LayoutOptions {
  /** The video's width over its height. */
  readonly aspect?: number;
  /** The space between tiles, in pixels. */
  readonly gap?: number;
  /** Which page of a grid that does not fit on one (from 0; wraps). */
  readonly page?: number;
}

/** The video aspect of the tiles when the caller does not say (the capture asks for 16:9). */
export const DEFAULT_ASPECT = 16 / 9;
/** The narrowest tile worth showing: its name and its badge still fit. */
export const MIN_TILE_WIDTH = 144;
/** The most tiles a grid shows at once: fewer on a phone-sized box than on a laptop-sized one. */
export const MAX_TILES_NARROW = 9;
export const MAX_TILES_WIDE = 16;

/** The tile size and columns of the grid that gives `count` tiles the most area in a box. */
export function fitGrid(count: number, width: number, height: number, aspect = DEFAULT_ASPECT, gap = 8) {
  let best = { columns: 1, rows: 1, width: 0, height: 0 };
  for (let columns = 1; columns <= Math.max(1, count); columns++) {
    const rows = Math.ceil(count / columns);
    const rowHeight = Math.floor((height - (rows - 1) * gap) / rows);
    const w = Math.floor(Math.min((width - (columns - 1) * gap) / columns, rowHeight * aspect));
    // Strictly larger only: of equal sizes, the fewer columns (the first found) leave fewer gaps.
    if (w > best.width) best = { columns, rows, width: w, height: Math.min(rowHeight, Math.round(w / aspect)) };
  }
  return best;
}

/** How many tiles a grid of this box shows legibly, at least 2 (a tile and the "+N" tile). */
export function gridCapacity(width: number, height: number, aspect = DEFAULT_ASPECT, gap = 8, minWidth = MIN_TILE_WIDTH): number {
  const most = width < NARROW_WIDTH ? MAX_TILES_NARROW : MAX_TILES_WIDE;
  let fits = 2;
  for (let n = 3; n <= most; n++) if (fitGrid(n, width, height, aspect, gap).width >= minWidth) fits = n;
  return fits;
}

/** `count` boxes of the given size in a grid centred in `area`, its last row centred too. */
function gridBoxes(count: number, area: Box, aspect: number, gap: number): Box[] {
  const fit = fitGrid(count, area.width, area.height, aspect, gap);
  const top = area.y + Math.floor((area.height - (fit.rows * fit.height + (fit.rows - 1) * gap)) / 2);
  const boxes: Box[] = [];
  for (let i = 0; i < count; i++) {
    const row = Math.floor(i / fit.columns);
    const inRow = Math.min(fit.columns, count - row * fit.columns);
    const left = area.x + Math.floor((area.width - (inRow * fit.width + (inRow - 1) * gap)) / 2);
    boxes.push({ x: left + (i % fit.columns) * (fit.width + gap), y: top + row * (fit.height + gap), width: fit.width, height: fit.height });
  }
  return boxes;
}

/**
 * A page of `tiles` for `slots` cells: every page shows the `pinned` tiles, the others are paged,
 * and a page that leaves any out gives its last cell to the "+N" tile.
 */
function pageOf(pinned: readonly LayoutTile[], others: readonly LayoutTile[], slots: number, page = 0) {
  if (pinned.length + others.length <= slots) return { shown: [...pinned, ...others], hidden: 0, page: 0, pages: 1 };
  const perPage = Math.max(1, slots - pinned.length - 1);
  const pages = Math.ceil(others.length / perPage);
  const current = ((Math.floor(page) % pages) + pages) % pages;
  const paged = others.slice(current * perPage, (current + 1) * perPage);
  return { shown: [...pinned, ...paged], hidden: others.length - paged.length, page: current, pages };
}

function grid(tiles: readonly LayoutTile[], area: Box, aspect: number, gap: number, page?: number): Layout {
  const slots = gridCapacity(area.width, area.height, aspect, gap);
  const pinned = tiles.filter((tile) => tile.local);
  const paged = pageOf(pinned, tiles.filter((tile) => !tile.local), slots, page);
  const boxes = gridBoxes(paged.shown.length + (paged.hidden ? 1 : 0), area, aspect, gap);
  return {
    mode: 'grid',
    placed: paged.shown.map((tile, i) => ({ id: tile.id, box: boxes[i]!, role: 'tile' })),
    more: paged.hidden ? { count: paged.hidden, box: boxes[boxes.length - 1]! } : null,
    page: paged.page,
    pages: paged.pages,
  };
}

function pair(local: LayoutTile, remote: LayoutTile, area: Box, aspect: number, gap: number): Layout {
  const [main] = gridBoxes(1, area, aspect, gap);
  const width = Math.round(Math.min(main!.width * 0.4, Math.max(96, Math.min(280, area.width * 0.25))));
  const height = Math.round(width / aspect);
  // In the corner of the other person's tile, not of the box: over the video, clear of its edges.
  const inset = { x: main!.x + main!.width - width - gap, y: main!.y + main!.height - height - gap, width, height };
  return {
    mode: 'pair',
    placed: [
      { id: remote.id, box: main!, role: 'tile' },
      { id: local.id, box: inset, role: 'inset' },
    ],
    more: null,
    page: 0,
    pages: 1,
  };
}

/** The narrowest a camera's tile gets beside a shared screen before the cameras are paged. */
const FILM_MIN_WIDTH = 96;

/** The page of cameras beside a screen, for `slots` cells (this participant's on every page). */
const camerasPage = (cameras: readonly LayoutTile[], slots: number, page?: number) =>
  pageOf(cameras.filter((tile) => tile.local), cameras.filter((tile) => !tile.local), slots, page);

function spotlightLayout(screens: readonly LayoutTile[], screenBoxes: Box[], paged: ReturnType<typeof pageOf>, cells: Box[]): Layout {
  return {
    mode: 'spotlight',
    placed: [
      ...screens.map((tile, i) => ({ id: tile.id, box: screenBoxes[i]!, role: 'spotlight' as const })),
      ...paged.shown.map((tile, i) => ({ id: tile.id, box: cells[i]!, role: 'filmstrip' as const })),
    ],
    more: paged.hidden ? { count: paged.hidden, box: cells[cells.length - 1]! } : null,
    page: paged.page,
    pages: paged.pages,
  };
}

/** A landscape box (a laptop): the screens large, the cameras in a column on the right. */
function besideScreen(screens: readonly LayoutTile[], cameras: readonly LayoutTile[], area: Box, aspect: number, gap: number, page?: number): Layout {
  const strip = Math.round(Math.max(96, Math.min(240, area.width * 0.2)));
  const main: Box = { ...area, width: Math.max(0, area.width - strip - gap) };
  const film: Box = { x: area.x + main.width + gap, y: area.y, width: strip, height: area.height };
  // As many cells as fit at the strip's width, or at the smallest legible tile when that leaves people out.
  const full = Math.floor(film.width / aspect);
  const slots = Math.max(2, Math.floor((film.height + gap) / (Math.min(full, Math.round(FILM_MIN_WIDTH / aspect)) + gap)));
  const paged = camerasPage(cameras, slots, page);
  const count = paged.shown.length + (paged.hidden ? 1 : 0);
  // Each cell's height: the strip's width at the video's aspect, or less if they do not all fit; centred.
  const length = Math.min(full, Math.floor((film.height - (count - 1) * gap) / Math.max(1, count)));
  const start = film.y + Math.floor((film.height - (count * length + (count - 1) * gap)) / 2);
  const cells = Array.from({ length: count }, (_, i) => ({ x: film.x, y: start + i * (length + gap), width: Math.min(film.width, Math.floor(length * aspect)), height: length }));
  return spotlightLayout(screens, gridBoxes(screens.length, main, aspect, gap), paged, cells);
}

/**
 * A portrait box (a phone): the screens across the top, as tall as the width allows (at most
 * 60 % of the box), the cameras in a grid of smaller tiles under them; the two centred together.
 */
function belowScreen(screens: readonly LayoutTile[], cameras: readonly LayoutTile[], area: Box, aspect: number, gap: number, page?: number): Layout {
  const top = fitGrid(screens.length, area.width, Math.floor(area.height * 0.6), aspect, gap);
  const screensHeight = top.rows * top.height + (top.rows - 1) * gap;
  const rest = Math.max(0, area.height - screensHeight - gap);
  const paged = camerasPage(cameras, gridCapacity(area.width, rest, aspect, gap, FILM_MIN_WIDTH), page);
  const count = paged.shown.length + (paged.hidden ? 1 : 0);
  const below = fitGrid(count, area.width, rest, aspect, gap);
  const camerasHeight = below.rows * below.height + (below.rows - 1) * gap;
  const y = area.y + Math.floor((area.height - (screensHeight + gap + camerasHeight)) / 2);
  const screenBoxes = gridBoxes(screens.length, { ...area, y, height: screensHeight }, aspect, gap);
  const cells = gridBoxes(count, { ...area, y: y + screensHeight + gap, height: camerasHeight }, aspect, gap);
  return spotlightLayout(screens, screenBoxes, paged, cells);
}

function spotlight(tiles: readonly LayoutTile[], area: Box, aspect: number, gap: number, page?: number): Layout {
  const screens = tiles.filter((tile) => tile.screen);
  const cameras = tiles.filter((tile) => !tile.screen);
  return area.width >= area.height ? besideScreen(screens, cameras, area, aspect, gap, page) : belowScreen(screens, cameras, area, aspect, gap, page);
}

/**
 * Where each tile goes in a `width` × `height` box: a spotlight when a screen is shared, a call
 * of two as the other person large and this participant small, else a grid.
 */
export function layoutTiles(tiles: readonly LayoutTile[], width: number, height: number, options: LayoutOptions = {}): Layout {
  const { aspect = DEFAULT_ASPECT, gap = 8, page } = options;
  const area: Box = { x: 0, y: 0, width: Math.max(0, width), height: Math.max(0, height) };
  // A spotlight needs room for the screen beside (or above) the filmstrip; a tiny box gets a grid.
  const roomy = Math.min(area.width, area.height) >= 2 * 96 + gap;
  if (roomy && tiles.some((tile) => tile.screen) && tiles.some((tile) => !tile.screen)) return spotlight(tiles, area, aspect, gap, page);
  const local = tiles.find((tile) => tile.local);
  const remote = tiles.find((tile) => !tile.local);
  if (tiles.length === 2 && local && remote && !remote.screen) return pair(local, remote, area, aspect, gap);
  return grid(tiles, area, aspect, gap, page);
}
