/** The whole element: the pre-join panel or the call, the announcer, and the status line. */
import { html, nothing } from 'lit';
import { renderPrejoin } from './prejoin.js';
import { NARROW_WIDTH } from '../../layout/sizes.js';
import { Volume2 } from 'lucide';
import { icon } from './icons.js';
import type { View } from './view.js';

type CallViews = typeof import('../call-view.js');
let callViews: CallViews | null = null;

/** The call's views, once their chunk is loaded (room-controller.ts loads it with the call's code). */
export function setCallViews(views: CallViews): void {
  callViews = views;
}

/** Picture-in-picture's view: it opens only in a call, so its chunk is loaded. */
export function renderPip(v: View) {
  return callViews?.renderPip(v) ?? nothing;
}

export function renderRoom(v: View) {
  const state = v.s.state;
  const inCall = state === 'joined' || (state === 'joining' && v.autojoin);
  const people = v.s.participants.length + 1;
  const status = [v.t(state)];
  if (state === 'joined') {
    status.push(people === 1 ? v.t('onePerson') : v.t('people', { count: people }));
    if (v.s.verification === 'secret') status.push(v.t('encrypted'));
    if (v.s.offBroker) status.push(v.t('offBroker'));
  }
  return html`<div class="sizer" ?data-narrow=${v.width < NARROW_WIDTH}></div>
    <div class="room" part="room" data-state=${state}>
      ${inCall ? (callViews?.renderCall(v) ?? nothing) : renderPrejoin(v)}
      <div class="visually-hidden" part="announcer" role="log" aria-live="polite">${v.s.announcement}</div>
      <div class="status-row">
        ${v.s.soundBlocked && inCall
          ? html`<button type="button" class="primary" part="sound-button" @click=${v.sound}>${icon(Volume2)} ${v.t('enableSound')}</button>`
          : nothing}
        <div class="status" part="status" role="status" aria-live="polite">
          ${status.join(' · ')}${v.s.message ? html` · <span class="message">${v.s.message}</span>` : nothing}
        </div>
      </div>
    </div>`;
}
