/**
 * The controls the pre-join panel shares with the call's bar: the microphone and camera toggles,
 * the camera switch and the invite link, as icon buttons whose name shows as a tooltip on hover
 * and keyboard focus. The call's own bar (control-bar.ts) loads with the call.
 */
import { html, nothing, type TemplateResult } from 'lit';
import { Link, Mic, MicOff, SwitchCamera, Video, VideoOff } from 'lucide';
import { icon, type IconNode } from './icons.js';
import type { View } from './view.js';

export interface Control {
  part: string;
  icon: IconNode;
  label: string;
  /** A toggle: pressed (in the bar) or checked (in a menu). */
  pressed?: boolean;
  /** Opens a panel: whether it is open. */
  expanded?: boolean;
  extra?: TemplateResult | typeof nothing;
  run(): void;
}

/** The microphone and camera toggles. */
export function toggles(v: View): [Control, Control] {
  const s = v.s;
  return [
    { part: 'mute-button', icon: s.audioMuted ? MicOff : Mic, label: v.t('mute'), pressed: !!s.audioMuted, run: () => v.el.toggleAudio() },
    { part: 'camera-button', icon: s.videoMuted ? VideoOff : Video, label: v.t('cameraOff'), pressed: !!s.videoMuted, run: () => v.el.toggleVideo() },
  ];
}

/** The camera switch, with two cameras or more. */
export function switchCamera(v: View): Control[] {
  if (v.s.devices.filter((d) => d.kind === 'videoinput').length < 2) return [];
  return [{ part: 'switch-camera-button', icon: SwitchCamera, label: v.t('switchCamera'), run: () => void v.el.switchCamera() }];
}

export function invite(v: View): Control {
  return { part: 'invite-button', icon: Link, label: v.t('copyInvite'), run: () => void v.el.copyInviteLink() };
}

export function barButton(c: Control, danger = false) {
  return html`<button
    type="button"
    class="icon-button ${danger ? 'danger' : ''}"
    part=${c.part}
    aria-pressed=${c.pressed === undefined ? nothing : String(c.pressed)}
    aria-expanded=${c.expanded === undefined ? nothing : String(c.expanded)}
    @click=${c.run}
  >
    ${icon(c.icon)}<span class="visually-hidden tip">${c.label}</span> ${c.extra ?? nothing}
  </button>`;
}

/** The pre-join panel's toggles: microphone, camera, the camera switch and the invite link. */
export function renderPrejoinControls(v: View) {
  return html`${[...toggles(v), ...switchCamera(v), invite(v)].map((c) => barButton(c))}`;
}
