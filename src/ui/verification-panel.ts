/**
 * The short code of one connection, for two people to compare (read aloud or side by side),
 * with the answers "They match" and "They don't match".
 */
import { html } from 'lit';
import type { ShortCode } from '../core/verification.js';

export function renderVerification(options: {
  name: string;
  code: ShortCode;
  onAnswer: (matches: boolean) => void;
  onClose: () => void;
}) {
  const who = options.name || 'this participant';
  return html`<section class="settings verification" part="verification" role="dialog" aria-label=${`Verify ${who}`}>
    <p>Ask ${who} what their screen shows. If you both see the same symbols, nobody is listening in.</p>
    <ol class="code" aria-label="Short code">
      ${options.code.emoji.map(
        (emoji, i) => html`<li><span class="emoji" aria-hidden="true">${emoji}</span><span class="code-name">${options.code.names[i]}</span></li>`,
      )}
    </ol>
    <div class="controls">
      <button type="button" class="primary" @click=${() => options.onAnswer(true)}>They match</button>
      <button type="button" @click=${() => options.onAnswer(false)}>They don't match</button>
      <button type="button" @click=${options.onClose}>Later</button>
    </div>
  </section>`;
}
