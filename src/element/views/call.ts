/** The call: the grid (and chat), remote audio, the open panels, and the control bar. */
import { html, nothing } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
import { live } from 'lit/directives/live.js';
import { canShareScreen } from '../../media/screen-share.js';
import { pipSupport } from '../controllers/view-controller.js';
import { renderChat } from './chat.js';
import { renderInvite, renderMuteButtons, renderShownInvite } from './controls.js';
import { renderSettings } from './settings.js';
import { renderGrid } from './tile.js';
import { renderVerification } from './verification-panel.js';
import type { View } from './view.js';

export function renderCall(v: View) {
  const chat = !v.s.chatOff;
  const unread = v.s.unread;
  return html`<div class="stage">${renderGrid(v)} ${chat && v.s.chatOpen ? renderChat(v) : nothing}</div>
      ${repeat(
        v.s.tiles.filter((tile) => !tile.local && !tile.screen),
        (tile) => tile.id,
        (tile) => html`<audio class="visually-hidden" data-id=${tile.id} .srcObject=${live(tile.stream)}></audio>`,
      )}
      ${v.s.settingsOpen ? renderSettings(v) : nothing} ${renderVerification(v)}
      <div class="controls" part="controls">
        ${v.s.soundBlocked
          ? html`<button type="button" class="primary" part="sound-button" @click=${v.sound}>${v.t('enableSound')}</button>`
          : nothing}
        ${renderMuteButtons(v)}
        ${canShareScreen()
          ? html`<button type="button" part="screen-button" aria-pressed=${v.s.screenSharing ? 'true' : 'false'} @click=${() => (v.s.screenSharing ? v.el.stopScreenShare() : void v.el.shareScreen())}>
              ${v.t('shareScreen')}
            </button>`
          : nothing}
        ${chat
          ? html`<button type="button" part="chat-button" aria-expanded=${v.s.chatOpen ? 'true' : 'false'} @click=${() => v.set({ chatOpen: !v.s.chatOpen })}>
              ${v.t('chat')}${unread
                ? html` <span class="unread" part="unread-badge" aria-hidden="true">${unread}</span
                    ><span class="visually-hidden">${v.t('unread', { count: unread })}</span>`
                : nothing}
            </button>`
          : nothing}
        ${pipSupport()
          ? html`<button type="button" part="pip-button" aria-pressed=${v.s.pip ? 'true' : 'false'} @click=${() => void v.el.togglePictureInPicture()}>
              ${v.t('pip')}
            </button>`
          : nothing}
        ${document.fullscreenEnabled
          ? html`<button type="button" part="fullscreen-button" aria-pressed=${v.s.fullscreen === '' ? 'true' : 'false'} @click=${() => void v.el.toggleFullscreen()}>
              ${v.t('fullscreen')}
            </button>`
          : nothing}
        <button type="button" part="settings-button" aria-expanded=${v.s.settingsOpen ? 'true' : 'false'} @click=${() => v.set({ settingsOpen: !v.s.settingsOpen })}>
          ${v.t('settings')}
        </button>
        ${renderInvite(v)}
        <slot name="controls"></slot>
        <button type="button" part="leave-button" @click=${() => v.el.leave()}>${v.t('leave')}</button>
      </div>
      ${renderShownInvite(v)}`;
}
