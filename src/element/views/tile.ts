/**
 * The tiles: one participant's camera (or a shared screen) with its name, verification badge,
 * connection quality and fullscreen button. The grid that places them loads with the call (grid.ts).
 */
import { html, nothing } from 'lit';
// live(): a stream is assigned only when it differs from the element's own. Lit commits object
// values on every render, and assigning srcObject, even the same stream, reloads the player.
import { live } from 'lit/directives/live.js';
import type { Placed } from '../../layout/grid.js';
import type { Tile } from '../../store/call-store.js';
import { Maximize, MicOff, ShieldAlert, ShieldCheck, TriangleAlert, WifiOff } from 'lucide';
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
        >${!tile.screen && tile.audioMuted ? html`${icon(MicOff)}<span class="visually-hidden">${v.t('muted')}: </span>` : nothing}<span class="name"
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
            ${icon(Maximize)}
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
          >${icon(tile.verified ? ShieldCheck : ShieldAlert)}<span class="visually-hidden">${v.t(tile.verified ? 'verified' : 'unverified')}</span>${!tile.verified &&
          canVerify &&
          tile.canCompare
            ? html` <button type="button" part="verify-button" @click=${() => v.set({ verifying: tile.id })}>${v.t('verify')}</button>`
            : nothing}</span
        >`}
    ${quality
      ? html`<span class="quality" part="connection-quality" data-quality=${quality}
          >${quality === 'good' ? nothing : icon(quality === 'poor' ? TriangleAlert : WifiOff)}<span class="visually-hidden">${v.t(quality)}</span></span
        >`
      : nothing}
  </span>`;
}

/** A preview of this participant's camera (before joining, in the settings), with a tile id of its own. */
export function renderPreview(v: View, id: string) {
  return renderTile(v, { ...v.s.tiles.find((tile) => tile.local && !tile.screen)!, id });
}
