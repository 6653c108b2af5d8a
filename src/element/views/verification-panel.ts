/**
 * The short code of one connection, for two people to compare (read aloud or side by side),
 * with the answers "They match" and "They don't match". Each symbol has its name in large type
 * beside it, so the names alone are enough: where the machine has no emoji font, only the names.
 */
import { html, nothing } from 'lit';
import { drawsColourEmoji } from './emoji.js';
import type { View } from './view.js';

/** The short code being compared, if any. */
export function renderVerification(v: View) {
  const shown = v.s.verifying;
  if (!shown) return nothing;
  const name = shown.name || v.t('thisParticipant');
  const answer = (matches: boolean) => {
    v.set({ verifying: null });
    v.el.verifyParticipant(shown.id, matches);
  };
  return html`<section class="settings verification" part="verification" role="dialog" aria-label=${v.t('verifyTitle', { name })}>
    <p>${v.t('verifyPrompt', { name })}</p>
    <ol class="code" part="short-code" aria-label=${v.t('shortCode')}>
      ${shown.code.emoji.map(
        (emoji, i) =>
          html`<li>
            ${drawsColourEmoji() ? html`<span class="emoji" aria-hidden="true">${emoji}</span>` : nothing}<span class="code-name"
              >${shown.code.names[i]}</span
            >
          </li>`,
      )}
    </ol>
    <div class="controls">
      <button type="button" class="primary" @click=${() => answer(true)}>${v.t('match')}</button>
      <button type="button" @click=${() => answer(false)}>${v.t('noMatch')}</button>
      <button type="button" @click=${() => v.set({ verifying: null })}>${v.t('later')}</button>
    </div>
  </section>`;
}
