/** The call's grid: its tiles where the layout puts them, and the "+N" tile that turns its page. */
import { html, nothing } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
import { layoutTiles } from '../../layout/grid.js';
import { layersFor } from '../../layout/layers.js';
import { place } from './place.js';
import { renderTile } from './tile.js';
import type { View } from './view.js';

/**
 * The tiles of the call where the layout puts them in the grid's box: a grid (paged, with a "+N"
 * tile, beyond what fits legibly), the other person large and this participant small in a call of
 * two, or a shared screen in the spotlight with the cameras in a filmstrip.
 */
export function renderGrid(v: View, inPip = false) {
  const where = inPip ? 'pip' : 'call';
  const byId = new Map(v.s.tiles.map((tile) => [tile.id, tile]));
  const layout = layoutTiles(v.s.tiles, v.area.width, v.area.height, { page: v.s.page ?? 0 });
  const { more } = layout;
  // Recorded, not acted on here: the room asks the SFU for the layers after the draw.
  v.layers(layersFor(layout, v.s.participants.map((p) => p.id)));
  return html`<div class="grid" part=${layout.mode === 'spotlight' ? 'grid spotlight' : 'grid'} data-mode=${layout.mode}>
      ${repeat(
        layout.placed,
        (placed) => placed.id,
        (placed) => renderTile(v, byId.get(placed.id)!, where, placed),
      )}
      ${more
        ? html`<button
            type="button"
            class="more"
            part="more-tile"
            ${place(more.box)}
            aria-label=${v.t('morePeople', { count: more.count, page: ((layout.page + 1) % layout.pages) + 1, pages: layout.pages })}
            @click=${() => v.set({ page: layout.page + 1 })}
          >
            +${more.count}
          </button>`
        : nothing}
      ${v.s.participants.length === 0 && !inPip
        ? html`<div class="empty" part="empty"><slot name="empty">${v.t('empty')}</slot></div>`
        : nothing}
    </div>`;
}
