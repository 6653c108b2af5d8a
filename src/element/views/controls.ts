/** The invite link, shown when the clipboard refuses it. */
import { html, nothing } from 'lit';
import type { View } from './view.js';

/** The invite link the clipboard refused, for copying by hand. */
export function renderShownInvite(v: View) {
  if (!v.s.shownInvite) return nothing;
  return html`<label class="invite-link">
      <span class="visually-hidden">${v.t('inviteLink')}</span>
      <input part="invite-link" readonly .value=${v.s.shownInvite} @focus=${(e: Event) => (e.target as HTMLInputElement).select()} />
    </label>`;
}
