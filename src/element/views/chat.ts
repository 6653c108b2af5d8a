/** The chat panel: the log, a note while anyone is unverified, and the message field. */
import { html, nothing } from 'lit';
import type { View } from './view.js';

export function renderChat(v: View) {
  // With short codes, messages reach everyone, verified or not: say so while anyone is unverified.
  const someUnverified = v.s.verification === 'sas' && v.s.participants.some((p) => !p.verified);
  const messages = v.s.messages;
  return html`<section class="chat" part="chat" aria-label=${v.t('chat')}>
      <div class="chat-log" part="chat-log" role="log" aria-live="polite" tabindex="0">
        ${messages.length === 0 ? html`<p class="chat-empty">${v.t('noMessages')}</p>` : nothing}
        ${messages.map(
          (m) =>
            // The mark is in words, not colour alone, and stays as it was when the message arrived.
            html`<p class="chat-message ${m.local ? 'mine' : ''}"><span class="chat-name">${m.local ? v.t('youUnnamed') : m.name || v.t('guest')}</span>${m.verified
                ? nothing
                : html` <span class="chat-unverified" part="chat-unverified">${v.t('unverified')}</span>`} ${m.text}</p>`,
        )}
      </div>
      ${someUnverified ? html`<p class="chat-note">${v.t('chatUnverifiedNote')}</p>` : nothing}
      <form class="chat-form" @submit=${(event: Event) => send(v, event)}>
        <input part="chat-input" aria-label=${v.t('message')} maxlength="2000" autocomplete="off" .value=${v.s.draft} />
        <button type="submit" class="primary" part="send-button">${v.t('send')}</button>
      </form>
    </section>`;
}

/** Sends the field's text; the field keeps it when it cannot be sent. */
function send(v: View, event: Event): void {
  event.preventDefault();
  const input = v.el.renderRoot.querySelector<HTMLInputElement>('input[part="chat-input"]');
  const draft = input?.value ?? v.s.draft;
  const sent = v.el.sendMessage(draft);
  v.set({ draft: sent ? '' : draft });
  if (sent && input) input.value = '';
}
