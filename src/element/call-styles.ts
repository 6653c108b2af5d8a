/**
 * The call screen's styles: the host's size, the grid's tiles and their overlays, the control bar
 * and its menu, and the side panels. Interpolated into the element's styles (video-room.styles.ts).
 */
import { css } from 'lit';

// Chat and settings: a side panel that shrinks the grid on a wide element, a sheet under the grid
// on a narrow one (the element's width, not the viewport's: a sidebar on a laptop is narrow).
export const panels = css`
  .stage > .chat,
  .stage > .settings {
    flex: 0 0 min(20em, 40%);
  }
  .stage[data-narrow] {
    flex-direction: column;
  }
  .stage[data-narrow] > .chat,
  .stage[data-narrow] > .settings {
    flex: 0 0 55%;
  }
`;

// The control bar's buttons are icons; their names show as a tooltip on hover and keyboard focus
// (and stay the accessible name, visually hidden, otherwise).
export const iconButtons = css`
  .icon-button {
    position: relative;
    display: inline-grid;
    place-items: center;
    width: 44px;
    height: 44px;
    padding: 0;
    flex: none;
  }
  .icon {
    width: 20px;
    height: 20px;
    fill: none;
    stroke: currentColor;
    stroke-width: 2;
    stroke-linecap: round;
    stroke-linejoin: round;
    flex: none;
  }
  .icon-button:hover .tip,
  .icon-button:focus-visible .tip {
    clip: auto;
    width: auto;
    height: auto;
    bottom: calc(100% + 6px);
    left: 50%;
    transform: translateX(-50%);
    padding: 2px 8px;
    border-radius: 6px;
    background: #18181b;
    color: #fff;
    font-size: 0.8em;
    pointer-events: none;
    z-index: 3;
  }
  /* The first and last buttons' tooltips open inwards, so that a long name stays in the element. */
  .controls > .icon-button:first-child .tip {
    left: 0;
    transform: none;
  }
  .controls > .icon-button:last-child .tip {
    left: auto;
    right: 0;
    transform: none;
  }
  .icon-button.danger {
    background: var(--vr-leave-background, #dc2626);
    border-color: transparent;
    color: #fff;
  }
  .icon-button .unread {
    position: absolute;
    top: -4px;
    right: -4px;
  }
  .menu {
    position: absolute;
    right: var(--vr-gap, 8px);
    bottom: calc(100% + 4px);
    z-index: 3;
    display: grid;
    min-width: 14em;
    max-width: calc(100% - 2 * var(--vr-gap, 8px));
    padding: 4px;
    border-radius: var(--vr-tile-radius, 8px);
    border: 1px solid var(--vr-border-color, light-dark(#a1a1aa, #52525b));
    background: var(--vr-panel-background, light-dark(#fafafa, #18181b));
    box-shadow: 0 4px 16px rgb(0 0 0 / 0.3);
  }
  .menu[hidden] {
    display: none;
  }
  .menu button {
    display: flex;
    align-items: center;
    gap: 8px;
    border: 0;
    border-radius: 6px;
    background: transparent;
    padding: 8px 12px;
    text-align: start;
  }
  .menu button:hover,
  .menu button:focus-visible {
    background: var(--vr-button-background, light-dark(#e4e4e7, #3f3f46));
  }
  .menu button[aria-checked='true'] {
    color: var(--vr-accent, #2563eb);
  }
`;

// Over a tile: the name (bottom left), one badge for the connection (top left), the fullscreen
// button (top right); in a call of two the inset takes the bottom right.
export const tileOverlays = css`
  .label,
  .badge {
    display: flex;
    align-items: center;
    gap: 4px;
  }
  .label .icon,
  .badge .icon {
    width: 14px;
    height: 14px;
  }
  .name {
    overflow: hidden;
    text-overflow: ellipsis;
  }
  .badge [part='verification-badge'] {
    display: flex;
    align-items: center;
    gap: 4px;
    color: var(--vr-good-color, #22c55e);
  }
  .badge.unverified [part='verification-badge'],
  .quality {
    color: var(--vr-warning-color, #fbbf24);
  }
  .quality:empty,
  .quality[data-quality='good'] {
    display: none;
  }
  .tile-fullscreen {
    position: absolute;
    top: 6px;
    right: 6px;
    display: grid;
    place-items: center;
    width: 28px;
    height: 28px;
    padding: 0;
    background: rgb(0 0 0 / 0.75);
    border: 0;
    opacity: 0;
  }
  .grid > .tile {
    container: tile / size;
  }
  .tile[data-role='inset'] .tile-fullscreen {
    display: none;
  }
  @container tile (max-height: 90px) {
    .tile .tile-fullscreen {
      display: none;
    }
    .tile .badge {
      max-width: calc(100% - 12px);
    }
  }
  @container tile (max-height: 64px) {
    .tile .label,
    .tile .badge {
      font-size: 0.7em;
    }
    .tile .label {
      bottom: 3px;
    }
    .tile .badge {
      top: 3px;
    }
  }
  .avatar span {
    display: grid;
    place-items: center;
    width: clamp(2em, 40cqmin, 6em);
    aspect-ratio: 1;
    border-radius: 50%;
    background: var(--vr-accent, #2563eb);
    color: #fff;
    font-size: clamp(1em, 14cqmin, 2.5em);
  }
`;

// The host's height: the page's, if it gives one; else the sizer's, a sensible aspect of its width
// (the room itself is laid over the host, so it never sets the host's size). max-height: 100%
// applies only where the host's height is definite.
export const hostSize = css`
  .sizer {
    aspect-ratio: 16 / 10;
    max-height: 100%;
  }
  .sizer[data-narrow] {
    aspect-ratio: 3 / 4;
  }
`;

// In a call of two, the other person's name stops short of the inset in the corner.
export const pairLabel = css`
  .grid[data-mode='pair'] .tile[data-role='tile'] .label {
    max-width: calc(60% - 2 * var(--vr-gap, 8px));
  }
`;
