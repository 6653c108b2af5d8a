/**
 * The device choosers shown before joining and in the in-call settings: camera, microphone
 * and (where the browser can choose one) speaker, with the microphone level meter.
 */
import { html, nothing } from 'lit';
import type { DeviceInfo, DeviceKind } from '../../media/devices.js';
import type { VideoRoomStrings } from '../../i18n/strings.js';

const KINDS = [
  ['videoinput', 'camera'],
  ['audioinput', 'microphone'],
  ['audiooutput', 'speaker'],
] as const;

export function renderDevicePanel(options: {
  devices: DeviceInfo[];
  texts: VideoRoomStrings;
  onSelect: (kind: DeviceKind, deviceId: string) => void;
}) {
  const { texts } = options;
  return html`<div class="devices" part="devices">
    ${KINDS.map(([kind, key]) => {
      const devices = options.devices.filter((d) => d.kind === kind);
      if (devices.length === 0) return nothing;
      return html`<label>
        <span>${texts[key]}</span>
        <select name=${kind} @change=${(event: Event) => options.onSelect(kind, (event.target as HTMLSelectElement).value)}>
          ${devices.map((d, i) => html`<option value=${d.deviceId} ?selected=${d.selected}>${d.label || `${texts[key]} ${i + 1}`}</option>`)}
        </select>
      </label>`;
    })}
    <label>
      <span>${texts.level}</span>
      <meter part="level" min="0" max="1" low="0.05" high="0.6" optimum="0.2" value="0"></meter>
    </label>
  </div>`;
}
