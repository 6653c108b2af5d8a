/**
 * The tiles: one participant's camera (or a shared screen) with its name, verification badge,
 * connection quality and fullscreen button; and the grid that holds the call's tiles.
 */
import { html, nothing } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
// live(): a stream is assigned only when it differs from the element's own. Lit commits object
// values on every render, and assigning srcObject, even the same stream, reloads the player.
import { live } from 'lit/directives/live.js';
import { gridColumns } from '../../layout/grid.js';
import type { Tile } from '../../store/call-store.js';
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
export function renderTile(v: View, tile: Tile, where?: 'call' | 'pip') {
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
      role="group"
      aria-label=${label}
      @dblclick=${fullscreen ? () => void v.el.toggleFullscreen(tile.id) : nothing}
    >
      <video part="video" autoplay playsinline muted .muted=${true} .srcObject=${live(tile.stream)} ?hidden=${!showVideo}></video>
      ${showVideo ? nothing : html`<div class="avatar" aria-hidden="true">${initials(tile.name)}</div>`}
      <span class="label" part="name">${label}${!tile.screen && tile.audioMuted ? ` · ${v.t('muted')}` : ''}</span>
      ${tile.verified !== undefined ? renderBadge(v, tile.id, tile.verified, !!tile.canCompare && where !== 'pip') : nothing}
      ${tile.quality ? html`<span class="quality" part="connection-quality" data-quality=${tile.quality}>${v.t(tile.quality)}</span>` : nothing}
      ${fullscreen
        ? html`<button
            type="button"
            class="tile-fullscreen"
            part="tile-fullscreen-button"
            aria-label=${v.t('fullscreenOf', { name: label })}
            aria-pressed=${v.s.fullscreen === tile.id ? 'true' : 'false'}
            @click=${() => void v.el.toggleFullscreen(tile.id)}
          >
            ⛶
          </button>`
        : nothing}
    </div>`;
}

function renderBadge(v: View, id: string, verified: boolean, canCompare: boolean) {
  if (verified) return html`<span class="badge verified" part="verification-badge">${v.t('verified')}</span>`;
  return html`<span class="badge unverified" part="verification-badge"
      >${v.t('unverified')}
      ${canCompare ? html`<button type="button" part="verify-button" @click=${() => v.set({ verifying: id })}>${v.t('verify')}</button>` : nothing}</span
    >`;
}

/** A preview of this participant's camera (before joining, in the settings), with a tile id of its own. */
export function renderPreview(v: View, id: string) {
  return renderTile(v, { ...v.s.tiles.find((tile) => tile.local && !tile.screen)!, id });
}

/** The tiles of the call, in the snapshot's order: screens first, then this participant, then everyone else. */
export function renderGrid(v: View, inPip = false) {
  const tiles = v.s.tiles;
  const self = tiles.findIndex((tile) => tile.local && !tile.screen);
  const where = inPip ? 'pip' : 'call';
  const screens = self > 0;
  // A data attribute, not a style attribute: pages with a strict CSP (no 'unsafe-inline') block those.
  const columns = gridColumns(v.s.participants.length + 1);
  return html`<div class="grid ${screens && !inPip ? 'spotlight' : ''}" part=${screens ? 'grid spotlight' : 'grid'} data-columns=${columns}>
      ${repeat(
        tiles.slice(0, self),
        (tile) => tile.id,
        (tile) => renderTile(v, tile, where),
      )}
      ${renderTile(v, tiles[self]!, where)}
      ${repeat(
        tiles.slice(self + 1),
        (tile) => tile.id,
        (tile) => renderTile(v, tile, where),
      )}
      ${v.s.participants.length === 0 && !inPip
        ? html`<div class="empty" part="empty"><slot name="empty">${v.t('empty')}</slot></div>`
        : nothing}
    </div>`;
}
