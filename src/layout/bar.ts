/**
 * The control bar's geometry: which buttons fit in one row. Pure, like the grid's (grid.ts).
 */

/** A bar button's width, the gap between buttons, and the gap when the bar is tight, in pixels (styles: .controls). */
export const BUTTON_SIZE = 44;
export const BUTTON_GAP = 8;
export const TIGHT_GAP = 4;

/**
 * How a bar `width` pixels wide fits `always` buttons (always shown) and `optional` ones: how
 * many of the optional ones it shows (the rest go into a "more" menu, whose button takes a place
 * too), and whether the buttons close up to keep the ones always shown in one row.
 */
export function inBar(width: number, always: number, optional: number): { shown: number; tight: boolean } {
  const slots = (gap: number) => Math.floor((width + gap) / (BUTTON_SIZE + gap));
  if (always + optional <= slots(BUTTON_GAP)) return { shown: optional, tight: false };
  if (slots(BUTTON_GAP) >= always + 1) return { shown: slots(BUTTON_GAP) - always - 1, tight: false };
  return { shown: Math.max(0, slots(TIGHT_GAP) - always - 1), tight: true };
}
