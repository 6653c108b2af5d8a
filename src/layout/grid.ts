/**
 * The grid: how many columns the tiles of a call take. Pure, so that the call screen's rules
 * can be tested without a browser.
 */

/** The most columns the grid uses, however many tiles there are. */
export const MAX_COLUMNS = 8;

/** Columns for `count` tiles: the smallest square that holds them, at most MAX_COLUMNS wide. */
export function gridColumns(count: number): number {
  return Math.max(1, Math.min(MAX_COLUMNS, Math.ceil(Math.sqrt(count))));
}
