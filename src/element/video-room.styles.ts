import { css } from 'lit';
import { hostSize, iconButtons, pairLabel, panels, tileOverlays } from './call-styles.js';

// CSS comments would ship in the bundle; those that explain a rule are TypeScript comments on a
// fragment of their own, interpolated in place.

// Text over video: light on a dark veil, whatever the theme.
const overVideo = css`
  .label,
  .badge,
  .tile-fullscreen {
    color-scheme: dark;
    color: #fff;
  }
`;

// Only the messages keep their line breaks: on the log, the template's own whitespace showed as
// blank lines.
const chatLines = css`
  .chat-log p {
    margin: 0;
    padding: 2px 0;
    white-space: pre-wrap;
  }
`;

// width: 0, or the field's intrinsic width sets the panel's minimum and squeezes the tiles on a
// phone.
const chatField = css`
  .chat-form input {
    flex: 1;
    min-width: 0;
    width: 0;
  }
`;

// Light or dark: the theme attribute, else the page's color-scheme and the system's preference.
export const styles = css`
  :host {
    color-scheme: light dark;
    display: block;
    position: relative;
    box-sizing: border-box;
    min-height: 240px;
    color: var(--vr-color, light-dark(#18181b, #f4f4f5));
    background: var(--vr-background, light-dark(#fafafa, #18181b));
    font-family: var(--vr-font-family, system-ui, sans-serif);
    border-radius: var(--vr-radius, 12px);
  }
  :host([theme='light']) {
    color-scheme: light;
  }
  :host([theme='dark']) {
    color-scheme: dark;
  }
  :host([hidden]) {
    display: none;
  }
  :host(:fullscreen) {
    border-radius: 0;
  }
  .stage {
    flex: 1;
    display: flex;
    gap: var(--vr-gap, 8px);
    min-height: 0;
  }
  *,
  *::before,
  *::after {
    box-sizing: inherit;
  }
  .room {
    position: absolute;
    inset: 0;
    display: flex;
    flex-direction: column;
    padding: var(--vr-gap, 8px);
    gap: var(--vr-gap, 8px);
  }
  .prejoin {
    display: grid;
    gap: var(--vr-gap, 8px);
    justify-items: center;
    align-content: safe center;
    flex: 1;
    min-height: 0;
    overflow: auto;
    text-align: center;
  }
  .prejoin .tile {
    width: min(100%, 360px);
  }
  ${hostSize}
  .grid {
    flex: 1;
    position: relative;
    min-width: 0;
    min-height: 0;
  }
  .grid > .tile,
  .more {
    position: absolute;
  }
  .more {
    font-size: 1.5em;
    font-weight: 600;
    border-radius: var(--vr-tile-radius, 8px);
    background: var(--vr-tile-background, light-dark(#e4e4e7, #27272a));
  }
  .empty {
    position: absolute;
    top: var(--vr-gap, 8px);
    left: 50%;
    transform: translateX(-50%);
    max-width: calc(100% - 2 * var(--vr-gap, 8px));
    padding: 4px 12px;
    border-radius: 999px;
    background: var(--vr-panel-background, light-dark(#fafafaf5, #18181bf5));
    text-align: center;
  }
  .tile {
    position: relative;
    aspect-ratio: 16 / 9;
    background: var(--vr-tile-background, light-dark(#e4e4e7, #27272a));
    border-radius: var(--vr-tile-radius, 8px);
  }
  .tile[data-role='inset'] {
    box-shadow: 0 2px 12px rgb(0 0 0 / 0.6);
  }
  ${pairLabel}
  .tile:fullscreen {
    aspect-ratio: auto;
    border-radius: 0;
  }
  .tile:fullscreen video {
    object-fit: contain;
  }
  ${overVideo}
  ${tileOverlays}
  .tile:hover .tile-fullscreen,
  .tile-fullscreen:focus-visible {
    opacity: 1;
  }
  video {
    width: 100%;
    height: 100%;
    object-fit: contain;
    display: block;
    border-radius: inherit;
  }
  .local video {
    transform: scaleX(-1);
  }
  .avatar {
    position: absolute;
    inset: 0;
    display: grid;
    place-items: center;
    font-size: 2.5em;
    font-weight: 600;
    background: var(--vr-tile-background, light-dark(#e4e4e7, #27272a));
    border-radius: inherit;
  }
  .label {
    position: absolute;
    left: 6px;
    bottom: 6px;
    max-width: calc(100% - 12px);
    padding: 2px 8px;
    border-radius: 999px;
    background: rgb(0 0 0 / 0.75);
    font-size: 0.85em;
    white-space: nowrap;
    overflow: hidden;
    text-overflow: ellipsis;
  }
  .tile.screen video {
    transform: none;
  }
  .tile.speaking {
    outline: 3px solid var(--vr-speaking-color, #22c55e);
    outline-offset: -3px;
  }
  .settings {
    display: grid;
    gap: var(--vr-gap, 8px);
    justify-items: center;
    align-content: center;
    padding: var(--vr-gap, 8px);
    border-radius: var(--vr-tile-radius, 8px);
    background: var(--vr-panel-background, light-dark(#fafafaf5, #18181bf5));
    overflow: auto;
  }
  .settings .tile {
    width: min(100%, 320px);
  }
  .devices {
    display: grid;
    gap: 4px var(--vr-gap, 8px);
    grid-template-columns: auto minmax(0, 16em);
    align-items: center;
  }
  .devices label {
    display: contents;
  }
  .devices span {
    text-align: end;
  }
  select,
  meter {
    font: inherit;
    width: 100%;
  }
  select {
    padding: 6px;
    border-radius: 6px;
    border: 1px solid var(--vr-border-color, light-dark(#a1a1aa, #52525b));
    background: var(--vr-input-background, light-dark(#fff, #09090b));
    color: inherit;
  }
  .controls {
    position: relative;
    display: flex;
    justify-content: center;
    align-items: center;
    flex-wrap: wrap;
    gap: var(--vr-gap, 8px);
  }
  /* A narrow element (a 300-px sidebar): the buttons close up to stay in one row. */
  .controls[data-tight] {
    gap: 4px;
  }
  ${iconButtons}
  .status-row {
    display: flex;
    flex-wrap: wrap;
    justify-content: center;
    align-items: center;
    gap: 4px var(--vr-gap, 8px);
  }
  .status-row button {
    display: flex;
    align-items: center;
    gap: 6px;
    padding: 4px 12px;
  }
  button {
    font: inherit;
    color: inherit;
    padding: 8px 16px;
    border: 1px solid var(--vr-border-color, light-dark(#a1a1aa, #52525b));
    border-radius: var(--vr-button-radius, 999px);
    background: var(--vr-button-background, light-dark(#e4e4e7, #3f3f46));
    cursor: pointer;
  }
  button:focus-visible,
  select:focus-visible,
  input:focus-visible {
    outline: 2px solid var(--vr-focus-color, light-dark(#1d4ed8, #60a5fa));
    outline-offset: 2px;
  }
  .icon-button[aria-expanded='true'] {
    background: var(--vr-accent, #2563eb);
    border-color: transparent;
    color: #fff;
  }
  button[aria-pressed='true'] {
    background: var(--vr-button-active-background, #b91c1c);
    color: #fff;
  }
  button.primary,
  .unread {
    background: var(--vr-accent, #2563eb);
    color: #fff;
    border-color: transparent;
  }
  .unread {
    display: inline-block;
    min-width: 1.5em;
    padding: 0 4px;
    border-radius: 999px;
    font-size: 0.8em;
    text-align: center;
  }
  .chat {
    flex: 0 0 min(18em, 45%);
    display: flex;
    flex-direction: column;
    gap: var(--vr-gap, 8px);
    min-height: 0;
    padding: var(--vr-gap, 8px);
    border-radius: var(--vr-tile-radius, 8px);
    background: var(--vr-panel-background, light-dark(#fafafaf5, #18181bf5));
    border: 1px solid var(--vr-border-color, light-dark(#a1a1aa, #52525b));
  }
  ${panels}
  .chat-log {
    flex: 1;
    overflow: auto;
    overflow-wrap: anywhere;
  }
  ${chatLines}
  .chat-name {
    font-weight: 600;
  }
  .chat-unverified {
    display: inline-block;
    padding: 0 4px;
    border: 1px solid currentColor;
    border-radius: 4px;
    font-size: 0.75em;
    font-weight: 600;
    white-space: nowrap;
    vertical-align: 0.1em;
    color: var(--vr-warning-color, light-dark(#b45309, #fbbf24));
  }
  .chat-note {
    margin: 0;
    font-size: 0.85em;
    color: var(--vr-warning-color, light-dark(#b45309, #fbbf24));
  }
  .chat-form {
    display: flex;
    gap: 4px;
  }
  ${chatField}
  button:disabled {
    opacity: 0.6;
    cursor: default;
  }
  input {
    font: inherit;
    padding: 8px;
    border-radius: 6px;
    border: 1px solid var(--vr-border-color, light-dark(#a1a1aa, #52525b));
    background: var(--vr-input-background, light-dark(#fff, #09090b));
    color: inherit;
  }
  .status {
    text-align: center;
    font-size: 0.9em;
    min-height: 1.2em;
  }
  .message {
    color: var(--vr-warning-color, light-dark(#b45309, #fbbf24));
  }
  .badge {
    position: absolute;
    top: 6px;
    left: 6px;
    max-width: calc(100% - 48px);
    padding: 2px 6px;
    border-radius: 999px;
    background: rgb(0 0 0 / 0.75);
    font-size: 0.8em;
  }
  .badge button {
    padding: 0 8px;
    font-size: inherit;
  }
  .code {
    display: grid;
    width: min(100%, 38em);
    grid-template-columns: repeat(auto-fill, minmax(8.5em, 1fr));
    gap: var(--vr-gap, 8px);
    margin: 0;
    padding: 0;
    list-style: none;
    counter-reset: code;
  }
  /* Numbered, so that two people can say "the third is Banana"; the names alone suffice. */
  .code li {
    counter-increment: code;
    display: flex;
    align-items: center;
    gap: 0.4em;
    padding: 0.35em 0.6em;
    border-radius: 8px;
    background: light-dark(#0000000f, #ffffff17);
  }
  .code li::before {
    content: counter(code);
    min-width: 1ch;
    font-size: 0.85em;
    opacity: 0.75;
  }
  .code .emoji {
    font-size: 1.6em;
    line-height: 1;
  }
  .code-name {
    font-size: 1.25em;
    font-weight: 600;
  }
  .invite-link {
    width: min(100%, 32em);
  }
  .visually-hidden {
    position: absolute;
    width: 1px;
    height: 1px;
    overflow: hidden;
    clip: rect(0 0 0 0);
    white-space: nowrap;
  }
`;
