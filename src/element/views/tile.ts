/**
 * The tiles: one participant's camera (or a shared screen) with its name, verification badge,
 * connection quality and fullscreen button; and the grid that holds the call's tiles.
 */
import { html, nothing } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
// live(): a stream is assigned only when it differs from the element's own. Lit commits object
// values on every render, and assigning srcObject, even the same stream, reloads the player.
import { live } from 'lit/directives/live.js';
import { layoutTiles, type Placed } from '../../layout/grid.js';
import type { Tile } from '../../store/call-store.js';
import { icon } from './icons.js';
import { place } from './place.js';
import type { View } from './view.js';

function initials(name: string): string {
  return (
    name
      .split(/\s+/)
      .filter(Boolean)
      .slice(0, 2)
      .map((part) => [...part][0]?.toUpperCase() ?? '')
      .join('') || '?'
  );
}

/** A tile; `where` is `call` for a tile of the call (it can go fullscreen), `pip` in picture-in-picture, nothing for a preview. */
export function renderTile(v: View, tile: Tile, where?: 'call' | 'pip', placed?: Placed) {
  const showVideo = !!tile.stream && tile.stream.getVideoTracks().length > 0 && !tile.videoMuted;
  const who = tile.local ? (tile.name ? v.t('you', { name: tile.name }) : v.t('youUnnamed')) : tile.name || v.t('guest');
  const label = tile.screen ? v.t('screenOf', { name: who }) : who;
  const speaking = !tile.screen && v.s.state === 'joined' && v.s.speaker === tile.id;
  const parts = ['tile', tile.local ? 'local' : '', tile.screen ? 'screen' : '', speaking ? 'speaking' : ''].filter(Boolean).join(' ');
  const fullscreen = where === 'call' && document.fullscreenEnabled;
  return html`<div
      class="tile ${tile.local ? 'local' : 'remote'} ${tile.screen ? 'screen' : ''} ${speaking ? 'speaking' : ''}"
      part=${parts}
      data-id=${tile.id}
      data-role=${placed?.role ?? nothing}
      ${placed ? place(placed.box) : nothing}
      role="group"
      aria-label=${label}
      @dblclick=${fullscreen ? () => void v.el.toggleFullscreen(tile.id) : nothing}
    >
      <video part="video" autoplay playsinline muted .muted=${true} .srcObject=${live(tile.stream)} ?hidden=${!showVideo}></video>
      ${showVideo ? nothing : html`<div class="avatar" aria-hidden="true"><span>${initials(tile.name)}</span></div>`}
      <span class="label" part="name"
        >${!tile.screen && tile.audioMuted ? html`${icon('micOff')}<span class="visually-hidden">${v.t('muted')}: </span>` : nothing}<span class="name"
          >${label}</span
        ></span
      >
      ${tile.verified !== undefined || tile.quality ? renderBadge(v, tile, where !== 'pip') : nothing}
      ${fullscreen
        ? html`<button
            type="button"
            class="tile-fullscreen"
            part="tile-fullscreen-button"
            aria-label=${v.t('fullscreenOf', { name: label })}
            aria-pressed=${v.s.fullscreen === tile.id ? 'true' : 'false'}
            @click=${() => void v.el.toggleFullscreen(tile.id)}
          >
            ${icon('fullscreen')}
          </button>`
        : nothing}
    </div>`;
}

/**
 * One compact badge for the connection and its verification, top left: icons, their words for
 * assistive technology, and "Verify" where a short code waits to be compared. A verified, good
 * connection shows one small shield.
 */
function renderBadge(v: View, tile: Tile, canVerify: boolean) {
  const quality = tile.quality;
  return html`<span class="badge ${tile.verified === false ? 'unverified' : ''}">
    ${tile.verified === undefined
      ? nothing
      : html`<span part="verification-badge"
          >${icon(tile.verified ? 'verified' : 'unverified')}<span class="visually-hidden">${v.t(tile.verified ? 'verified' : 'unverified')}</span>${!tile.verified &&
          canVerify &&
          tile.canCompare
            ? html` <button type="button" part="verify-button" @click=${() => v.set({ verifying: tile.id })}>${v.t('verify')}</button>`
            : nothing}</span
        >`}
    ${quality
      ? html`<span class="quality" part="connection-quality" data-quality=${quality}
          >${quality === 'good' ? nothing : icon(quality)}<span class="visually-hidden">${v.t(quality)}</span></span
        >`
      : nothing}
  </span>`;
}

/** A preview of this participant's camera (before joining, in the settings), with a tile id of its own. */
export function renderPreview(v: View, id: string) {
  return renderTile(v, { ...v.s.tiles.find((tile) => tile.local && !tile.screen)!, id });
}

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
