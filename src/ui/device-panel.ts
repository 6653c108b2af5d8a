/**
 * The device choosers shown before joining and in the in-call settings: camera, microphone
 * and (where the browser can choose one) speaker, with the microphone level meter.
 */
import { html, nothing } from 'lit';
import type { DeviceInfo, DeviceKind } from '../core/devices.js';

const KINDS: { kind: DeviceKind; label: string; fallback: string }[] = [
  { kind: 'videoinput', label: 'Camera', fallback: 'Camera' },
  { kind: 'audioinput', label: 'Microphone', fallback: 'Microphone' },
  { kind: 'audiooutput', label: 'Speaker', fallback: 'Speaker' },
];

export function renderDevicePanel(options: { devices: DeviceInfo[]; onSelect: (kind: DeviceKind, deviceId: string) => void }) {
  return html`<div class="devices" part="devices">
    ${KINDS.map(({ kind, label, fallback }) => {
      const devices = options.devices.filter((d) => d.kind === kind);
      if (devices.length === 0) return nothing;
      return html`<label>
        <span>${label}</span>
        <select
          name=${kind}
          @change=${(event: Event) => options.onSelect(kind, (event.target as HTMLSelectElement).value)}
        >
          ${devices.map(
            (d, i) => html`<option value=${d.deviceId} ?selected=${d.selected}>${d.label || `${fallback} ${i + 1}`}</option>`,
          )}
        </select>
      </label>`;
    })}
    <label>
      <span>Microphone level</span>
      <meter part="level" min="0" max="1" low="0.05" high="0.6" optimum="0.2" value="0"></meter>
    </label>
  </div>`;
}
