/** The device settings during a call: the local preview and the device choosers. */
import { html } from 'lit';
import { renderDevices } from './device-panel.js';
import { renderPreview } from './tile.js';
import type { View } from './view.js';

export function renderSettings(v: View) {
  return html`<section class="settings" part="settings" role="dialog" aria-label=${v.t('settings')}>
      ${renderPreview(v, 'settings-preview')}
      ${renderDevices(v)}
      <button type="button" part="close-button" @click=${() => v.set({ settingsOpen: false })}>${v.t('close')}</button>
    </section>`;
}
