/**
 * The control bar: one row of icon buttons, each named for assistive technology and shown that
 * name as a tooltip on hover and keyboard focus. Microphone, camera, screen, chat and leave are
 * always in the bar; switching camera, settings, picture-in-picture, fullscreen and the invite
 * link join them while the bar has room, and go into a "more" menu (the ARIA menu-button pattern,
 * keyboard included) when it does not. Every button keeps its `part`, in the bar or in the menu.
 */
import { html, nothing } from 'lit';
import { Ellipsis, Maximize, MessageSquare, MonitorUp, MonitorX, PhoneOff, PictureInPicture2, Settings } from 'lucide';
import { BUTTON_GAP, inBar } from '../../layout/bar.js';
import { canShareScreen } from '../../media/screen-share.js';
import { pipSupport } from '../controllers/view-controller.js';
import { icon } from './icons.js';
import { barButton, invite, switchCamera, toggles, type Control } from './toggles.js';
import type { View } from './view.js';

function always(v: View): Control[] {
  const s = v.s;
  const list: Control[] = toggles(v);
  if (canShareScreen())
    list.push({
      part: 'screen-button',
      icon: s.screenSharing ? MonitorX : MonitorUp,
      label: v.t('shareScreen'),
      pressed: s.screenSharing,
      run: () => (s.screenSharing ? v.el.stopScreenShare() : void v.el.shareScreen()),
    });
  if (!s.chatOff)
    list.push({
      part: 'chat-button',
      icon: MessageSquare,
      label: v.t('chat'),
      expanded: !!s.chatOpen,
      extra: s.unread
        ? html`<span class="unread" part="unread-badge" aria-hidden="true">${s.unread}</span>
            <span class="visually-hidden">${v.t('unread', { count: s.unread })}</span>`
        : nothing,
      run: () => v.set({ chatOpen: !s.chatOpen, settingsOpen: false }),
    });
  return list;
}

function optional(v: View): Control[] {
  const s = v.s;
  const list: Control[] = switchCamera(v);
  list.push({ part: 'settings-button', icon: Settings, label: v.t('settings'), expanded: !!s.settingsOpen, run: () => v.set({ settingsOpen: !s.settingsOpen, chatOpen: false }) });
  if (pipSupport()) list.push({ part: 'pip-button', icon: PictureInPicture2, label: v.t('pip'), pressed: !!s.pip, run: () => void v.el.togglePictureInPicture() });
  if (document.fullscreenEnabled)
    list.push({ part: 'fullscreen-button', icon: Maximize, label: v.t('fullscreen'), pressed: s.fullscreen === '', run: () => void v.el.toggleFullscreen() });
  list.push(invite(v));
  return list;
}

function menuItem(v: View, c: Control) {
  const checkable = c.pressed !== undefined;
  return html`<button
    type="button"
    role=${checkable ? 'menuitemcheckbox' : 'menuitem'}
    tabindex="-1"
    part=${c.part}
    aria-checked=${checkable ? String(c.pressed) : nothing}
    @click=${() => {
      closeMenu(v, true);
      c.run();
    }}
  >
    ${icon(c.icon)}<span>${c.label}</span>
  </button>`;
}

function items(v: View): HTMLElement[] {
  return [...v.el.renderRoot.querySelectorAll<HTMLElement>('.menu [role^="menuitem"]')];
}

async function openMenu(v: View, focus: 'first' | 'last' | null) {
  v.set({ moreOpen: true });
  await v.el.updateComplete;
  const list = items(v);
  (focus === 'last' ? list.at(-1) : focus === 'first' ? list[0] : null)?.focus();
}

function closeMenu(v: View, refocus: boolean) {
  v.set({ moreOpen: false });
  if (refocus) v.el.renderRoot.querySelector<HTMLElement>('[part="more-button"]')?.focus();
}

function onButtonKey(v: View, event: KeyboardEvent) {
  if (event.key !== 'ArrowDown' && event.key !== 'ArrowUp') return;
  event.preventDefault();
  void openMenu(v, event.key === 'ArrowUp' ? 'last' : 'first');
}

function onMenuKey(v: View, event: KeyboardEvent) {
  const list = items(v);
  const at = list.indexOf(event.composedPath()[0] as HTMLElement);
  const go = (i: number) => list[(i + list.length) % list.length]?.focus();
  const keys: Record<string, () => void> = {
    ArrowDown: () => go(at + 1),
    ArrowUp: () => go(at - 1),
    Home: () => go(0),
    End: () => go(list.length - 1),
    Escape: () => closeMenu(v, true),
    Tab: () => closeMenu(v, false),
  };
  const action = keys[event.key];
  if (!action) return;
  if (event.key !== 'Tab') event.preventDefault();
  action();
}

function renderMore(v: View, hidden: Control[]) {
  const open = !!v.s.moreOpen;
  return html`<div
    class="more-menu"
    @focusout=${(event: FocusEvent) => {
      const to = event.relatedTarget as Node | null;
      if (open && !(to && (event.currentTarget as HTMLElement).contains(to))) closeMenu(v, false);
    }}
  >
    <button
      type="button"
      class="icon-button"
      part="more-button"
      id="more-button"
      aria-haspopup="menu"
      aria-expanded=${String(open)}
      aria-controls="more-menu"
      @click=${() => (open ? closeMenu(v, false) : void openMenu(v, 'first'))}
      @keydown=${(event: KeyboardEvent) => onButtonKey(v, event)}
    >
      ${icon(Ellipsis)}<span class="visually-hidden tip">${v.t('more')}</span>
    </button>
    <div class="menu" part="more-menu" id="more-menu" role="menu" aria-labelledby="more-button" ?hidden=${!open} @keydown=${(e: KeyboardEvent) => onMenuKey(v, e)}>
      ${hidden.map((c) => menuItem(v, c))}
    </div>
  </div>`;
}

/** Picture-in-picture's small bar: microphone, camera, close and leave. */
export function renderPipControls(v: View) {
  const [mic, camera] = toggles(v);
  const close: Control = { part: 'pip-close-button', icon: PictureInPicture2, label: v.t('close'), run: () => void v.el.togglePictureInPicture() };
  const leave: Control = { part: 'leave-button', icon: PhoneOff, label: v.t('leave'), run: () => v.el.leave() };
  return html`<div class="controls">${barButton(mic!)} ${barButton(camera!)} ${barButton(close)} ${barButton(leave, true)}</div>`;
}

export function renderControlBar(v: View) {
  const first = always(v);
  const extra = optional(v);
  // The bar's width is the element's, less its padding; leave is always there too.
  const { shown, tight } = inBar(v.width - 2 * BUTTON_GAP, first.length + 1, extra.length);
  const leave: Control = { part: 'leave-button', icon: PhoneOff, label: v.t('leave'), run: () => v.el.leave() };
  return html`<div class="controls" part="controls" ?data-tight=${tight}>
    ${first.map((c) => barButton(c))} ${extra.slice(0, shown).map((c) => barButton(c))}
    ${shown < extra.length ? renderMore(v, extra.slice(shown)) : nothing}
    <slot name="controls"></slot>
    ${barButton(leave, true)}
  </div>`;
}
