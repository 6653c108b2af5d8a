/**
 * The device choosers shown before joining and in the in-call settings: camera, microphone
 * and (where the browser can choose one) speaker, with the microphone level meter.
 */
import { html, nothing } from 'lit';
import type { View } from './view.js';

const KINDS = [
  ['videoinput', 'camera'],
  ['audioinput', 'microphone'],
  ['audiooutput', 'speaker'],
] as const;

export function renderDevices(v: View) {
  return html`<div class="devices" part="devices">
    ${KINDS.map(([kind, key]) => {
      const devices = v.s.devices.filter((d) => d.kind === kind);
      if (devices.length === 0) return nothing;
      return html`<label>
        <span>${v.t(key)}</span>
        <select name=${kind} @change=${(event: Event) => void v.el.setDevice(kind, (event.target as HTMLSelectElement).value)}>
          ${devices.map((d, i) => html`<option value=${d.deviceId} ?selected=${d.selected}>${d.label || `${v.t(key)} ${i + 1}`}</option>`)}
        </select>
      </label>`;
    })}
    <label>
      <span>${v.t('level')}</span>
      <meter part="level" min="0" max="1" low="0.05" high="0.6" optimum="0.2" value="0"></meter>
    </label>
  </div>`;
}
