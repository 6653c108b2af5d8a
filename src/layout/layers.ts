/**
 * Which simulcast layer each remote camera needs, from where the layout puts its tile: the top
 * one for the spotlight and for tiles wide enough to show it, the lowest for thumbnails, none for
 * a tile not shown (another page of the grid). The SFU then forwards only that: a hidden tile
 * costs no bandwidth and no decoding.
 */
import type { Layout } from './grid.js';

export type Layer = 'high' | 'low' | 'none';

/** From this width (CSS pixels) a tile shows the top layer: below it, the lowest one is as sharp. */
export const HIGH_LAYER_MIN_WIDTH = 400;

/** The layer each of `ids` (remote participants) needs in `layout`. */
export function layersFor(layout: Layout, ids: readonly string[]): Map<string, Layer> {
  const placed = new Map(layout.placed.map((p) => [p.id, p]));
  return new Map(
    ids.map((id) => {
      const tile = placed.get(id);
      if (!tile) return [id, 'none'];
      return [id, tile.role === 'spotlight' || tile.box.width >= HIGH_LAYER_MIN_WIDTH ? 'high' : 'low'];
    }),
  );
}
