/** The pre-join panel: the local preview, the name field, the devices, and Join. */
import { html } from 'lit';
import { renderPrejoinControls } from './toggles.js';
import { renderShownInvite } from './controls.js';
import { renderDevices } from './device-panel.js';
import { renderPreview } from './tile.js';
import type { View } from './view.js';

export function renderPrejoin(v: View) {
  return html`<form class="prejoin" part="prejoin" @submit=${(event: Event) => (event.preventDefault(), void v.el.join())}>
      ${renderPreview(v, 'local')}
      <label>
        <span>${v.t('yourName')}</span>
        <input name="name" autocomplete="name" maxlength="64" .value=${v.s.name} @input=${(event: Event) => v.set({ name: (event.target as HTMLInputElement).value })} />
      </label>
      ${renderDevices(v)}
      <div class="controls" part="controls">${renderPrejoinControls(v)}
        <button class="primary" part="join-button" type="submit" ?disabled=${v.s.state === 'joining'}>${v.t(v.s.state === 'left' ? 'rejoin' : 'join')}</button>
      </div>
      ${renderShownInvite(v)}
    </form>`;
}
