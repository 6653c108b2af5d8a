/** The call: the grid with its side panel (chat or settings), remote audio, the verification panel and the control bar. */
import { html, nothing } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
import { live } from 'lit/directives/live.js';
import { renderChat } from './chat.js';
import { renderControlBar } from './control-bar.js';
import { renderShownInvite } from './controls.js';
import { renderSettings } from './settings.js';
import { renderGrid } from './grid.js';
import { renderVerification } from './verification-panel.js';
import { NARROW_WIDTH } from '../../layout/sizes.js';
import type { View } from './view.js';

export function renderCall(v: View) {
  const panel = !v.s.chatOff && v.s.chatOpen ? renderChat(v) : v.s.settingsOpen ? renderSettings(v) : nothing;
  return html`<div class="stage" ?data-narrow=${v.width < NARROW_WIDTH}>${renderGrid(v)} ${panel}</div>
      ${repeat(
        v.s.tiles.filter((tile) => !tile.local && !tile.screen),
        (tile) => tile.id,
        (tile) => html`<audio class="visually-hidden" data-id=${tile.id} .srcObject=${live(tile.stream)}></audio>`,
      )}
      ${renderVerification(v)} ${renderControlBar(v)} ${renderShownInvite(v)}`;
}
