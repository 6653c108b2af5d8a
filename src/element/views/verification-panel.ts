/**
 * The short code of one connection, for two people to compare (read aloud or side by side),
 * with the answers "They match" and "They don't match".
 */
import { html } from 'lit';
import type { ShortCode } from '../../e2ee/verification.js';
import { format, type VideoRoomStrings } from '../../i18n/strings.js';

export function renderVerification(options: {
  name: string;
  code: ShortCode;
  texts: VideoRoomStrings;
  onAnswer: (matches: boolean) => void;
  onClose: () => void;
}) {
  const { texts } = options;
  const name = options.name || texts.thisParticipant;
  return html`<section class="settings verification" part="verification" role="dialog" aria-label=${format(texts.verifyTitle, { name })}>
    <p>${format(texts.verifyPrompt, { name })}</p>
    <ol class="code" aria-label=${texts.shortCode}>
      ${options.code.emoji.map(
        (emoji, i) => html`<li><span class="emoji" aria-hidden="true">${emoji}</span><span class="code-name">${options.code.names[i]}</span></li>`,
      )}
    </ol>
    <div class="controls">
      <button type="button" class="primary" @click=${() => options.onAnswer(true)}>${texts.match}</button>
      <button type="button" @click=${() => options.onAnswer(false)}>${texts.noMatch}</button>
      <button type="button" @click=${options.onClose}>${texts.later}</button>
    </div>
  </section>`;
}
