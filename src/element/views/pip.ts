/** What Document Picture-in-Picture shows: the tiles, and the microphone, camera and leave buttons. */
import { html } from 'lit';
import { renderMuteButtons } from './controls.js';
import { renderGrid } from './tile.js';
import type { View } from './view.js';

export function renderPip(v: View) {
  return html`<div class="room pip" data-state=${v.s.state}>
      ${renderGrid(v, true)}
      <div class="controls">
        ${renderMuteButtons(v)}
        <button type="button" @click=${() => void v.el.togglePictureInPicture()}>${v.t('close')}</button>
        <button type="button" @click=${() => v.el.leave()}>${v.t('leave')}</button>
      </div>
    </div>`;
}
