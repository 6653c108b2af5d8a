/** What Document Picture-in-Picture shows: the tiles, and the microphone, camera, close and leave buttons. */
import { html } from 'lit';
import { renderPipControls } from './control-bar.js';
import { renderGrid } from './grid.js';
import type { View } from './view.js';

export function renderPip(v: View) {
  return html`<div class="room pip" data-state=${v.s.state}>${renderGrid(v, true)} ${renderPipControls(v)}</div>`;
}
