/** The controls shared by the pre-join panel, the call and picture-in-picture. */
import { html, nothing } from 'lit';
import type { View } from './view.js';

/** The microphone and camera toggles, and the camera switch where there is more than one camera. */
export function renderMuteButtons(v: View) {
  // Toggle buttons keep their name; aria-pressed carries the state (pressed = muted / off).
  const cameras = v.s.devices.filter((d) => d.kind === 'videoinput').length;
  return html`<button type="button" part="mute-button" aria-pressed=${v.s.audioMuted ? 'true' : 'false'} @click=${() => v.el.toggleAudio()}>
        ${v.t('mute')}
      </button>
      <button type="button" part="camera-button" aria-pressed=${v.s.videoMuted ? 'true' : 'false'} @click=${() => v.el.toggleVideo()}>
        ${v.t('cameraOff')}
      </button>
      ${cameras > 1
        ? html`<button type="button" part="switch-camera-button" @click=${() => void v.el.switchCamera()}>${v.t('switchCamera')}</button>`
        : nothing}`;
}

export function renderInvite(v: View) {
  return html`<button type="button" part="invite-button" @click=${() => void v.el.copyInviteLink()}>${v.t('copyInvite')}</button>`;
}

/** The invite link the clipboard refused, for copying by hand. */
export function renderShownInvite(v: View) {
  if (!v.s.shownInvite) return nothing;
  return html`<label class="invite-link">
      <span class="visually-hidden">${v.t('inviteLink')}</span>
      <input part="invite-link" readonly .value=${v.s.shownInvite} @focus=${(e: Event) => (e.target as HTMLInputElement).select()} />
    </label>`;
}
