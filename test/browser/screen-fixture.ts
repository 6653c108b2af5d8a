/**
 * The call-screen tests' seam: an element in a call with as many people as a case needs, without
 * as many browsers. The element's own store follows a FakeRoom (test/unit/fake-room.ts: the
 * room's events, driven by hand) instead of a Room; the remote people are canvases'
 * `captureStream` videos (a colour and a name), this participant the fake camera. Everything
 * between the store and the screen (tiles, badges, controls, panels) is the element's own: the
 * layout is what is under test, not the call.
 */
import { fixture, html } from '@open-wc/testing';
import { executeServerCommand, setViewport } from '@web/test-runner-commands';
import '../../src/video-room.js';
import { loadRoom } from '../../src/element/controllers/room-controller.js';
import type { CallStore } from '../../src/store/call-store.js';
import type { VideoRoomElement } from '../../src/video-room.component.js';
import { SAS_EMOJI } from '../../src/e2ee/verification.js';
import { FakeRoom } from '../unit/fake-room.js';
import { waitFor } from './helpers.js';

/** The short code the unverified people show: seven symbols, as a real one has. */
export const CODE = [0, 13, 17, 24, 47, 52, 57].map((i) => SAS_EMOJI[i]!);

const COLOURS = ['#2563eb', '#16a34a', '#db2777', '#ea580c', '#7c3aed', '#0891b2', '#ca8a04', '#dc2626'];

/** A video of a colour with `label` in it, `width` × `height`, from a canvas. */
export function canvasVideo(label: string, i: number, width = 640, height = 360): MediaStream {
  const canvas = Object.assign(document.createElement('canvas'), { width, height });
  const stream = canvas.captureStream(5);
  const ctx = canvas.getContext('2d')!;
  // A few frames a second, so that a video element has one to show whenever it loads.
  const draw = () => {
    ctx.fillStyle = COLOURS[i % COLOURS.length]!;
    ctx.fillRect(0, 0, width, height);
    ctx.fillStyle = '#fff';
    ctx.font = `${Math.round(height / 5)}px sans-serif`;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    ctx.fillText(label, width / 2, height / 2);
  };
  draw();
  const timer = setInterval(draw, 200);
  stream.getVideoTracks()[0]!.addEventListener('ended', () => clearInterval(timer));
  return stream;
}

export interface ScreenCase {
  /** The viewport, which the element fills. */
  width: number;
  height: number;
  /** Everyone in the call, this participant included. */
  people: number;
  chat?: boolean;
  /** A remote participant shares a screen. */
  screen?: boolean;
}

export interface Screen {
  el: VideoRoomElement;
  room: FakeRoom;
  store: CallStore;
}

/** The element, filling a `width` × `height` viewport, in a call of `people` (see the file's comment). */
export async function callScreen(c: ScreenCase): Promise<Screen> {
  await setViewport({ width: c.width, height: c.height });
  const el = await fixture<VideoRoomElement>(
    html`<video-room room="screen" name="Ada" style="position: fixed; inset: 0; border-radius: 0"></video-room>`,
  );
  return inCall(el, c);
}

/** Puts `el` (mounted wherever a test likes) in a call of `c.people` (see the file's comment). */
export async function inCall(el: VideoRoomElement, c: Omit<ScreenCase, 'width' | 'height'>): Promise<Screen> {
  // The call's views load with the call's code, as on a join.
  await loadRoom();
  const store = (el as unknown as { store: CallStore }).store;
  const room = new FakeRoom();
  store.attach(room.asRoom());
  room.setState('joined');
  const names = ['Grace Hopper', 'Alan Turing', 'Katherine Johnson', 'Edsger Dijkstra', 'Barbara Liskov', 'Donald Knuth', 'Frances Allen', 'Tim Berners-Lee'];
  for (let i = 1; i < c.people; i++) {
    const name = names[(i - 1) % names.length]!;
    const stream = canvasVideo(name.split(' ')[0]!, i);
    room.join(`p${i}`, {
      name,
      stream,
      verified: i % 3 !== 1,
      code: i % 3 === 1 ? { emoji: CODE.map(([emoji]) => emoji), names: CODE.map(([, name]) => name) } : null,
      // p4: the fullest badge (unverified with "Verify", a poor connection) and a muted microphone.
      quality: i % 4 === 2 || i === 4 ? 'poor' : 'good',
      audioMuted: i % 2 === 0,
      screenSharing: !!c.screen && i === 1,
      screenStream: c.screen && i === 1 ? canvasVideo('Slides', 7, 1280, 720) : new MediaStream(),
    });
    if (c.screen && i === 1) room.fire('peer-track', { participant: room.people.get('p1')!, screen: true } as never);
  }
  if (c.chat) store.set({ chatOpen: true });
  await settled(el);
  // Every video shows a picture (this participant's too, from the fake camera) before anyone looks.
  const videos = () => [...el.shadowRoot!.querySelectorAll<HTMLVideoElement>('.grid video:not([hidden])')];
  const local = () => el.shadowRoot!.querySelector<HTMLVideoElement>('.grid .tile.local:not(.screen) video:not([hidden])');
  await waitFor(() => local() && videos().every((v) => v.readyState >= 2), 'every video playing, the camera’s too', 10_000);
  return { el, room, store };
}

/**
 * Resolves once the element is drawn for the boxes it has now: the layout follows sizes a
 * ResizeObserver measures, so a change (a panel opening, a button appearing) is drawn a frame later.
 */
export async function settled(el: VideoRoomElement): Promise<void> {
  const layout = (el as unknown as { layoutCtl: { area: { width: number; height: number }; width: number; pending: boolean } }).layoutCtl;
  const drawn = () => {
    const grid = el.shadowRoot!.querySelector('.grid')?.getBoundingClientRect();
    return (
      !!grid &&
      // Measured already, drawn a frame later: the sizes below match before the tiles have moved.
      !layout.pending &&
      Math.floor(grid.width) === layout.area.width &&
      Math.floor(grid.height) === layout.area.height &&
      Math.floor(el.getBoundingClientRect().width) === layout.width
    );
  };
  await waitFor(async () => (await el.updateComplete) && drawn() && (await el.updateComplete), () => `the layout drawn for the element's size: grid ${JSON.stringify(el.shadowRoot!.querySelector('.grid')?.getBoundingClientRect())}, host ${el.getBoundingClientRect().width}, measured ${JSON.stringify(layout)}`, 10_000);
}

/** Writes a screenshot of the viewport to screenshots/<browser>/<name>.png. */
export function screenshot(name: string): Promise<string> {
  return executeServerCommand('vr-screenshot', { name });
}

type Rect = DOMRect;
const overlap = (a: Rect, b: Rect) => a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5;
export const inside = (a: Rect, box: Rect) => a.left >= box.left - 0.5 && a.top >= box.top - 0.5 && a.right <= box.right + 0.5 && a.bottom <= box.bottom + 0.5;
const visible = (el: Element) => {
  const r = el.getBoundingClientRect();
  return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== 'hidden';
};

/** Everything wrong with the screen, as sentences (none: all is well). */
export function problems(el: HTMLElement): string[] {
  const root = el.shadowRoot!;
  const box = el.getBoundingClientRect();
  const found: string[] = [];
  const tiles = [...root.querySelectorAll<HTMLElement>('.grid > .tile, .grid > .more')];
  for (const tile of tiles) if (!inside(tile.getBoundingClientRect(), box)) found.push(`tile ${tile.dataset.id ?? '+N'} leaves the element`);
  for (let i = 0; i < tiles.length; i++)
    for (let j = i + 1; j < tiles.length; j++) {
      const [a, b] = [tiles[i]!, tiles[j]!];
      if (a.dataset.role === 'inset' || b.dataset.role === 'inset') continue;
      if (overlap(a.getBoundingClientRect(), b.getBoundingClientRect())) found.push(`tiles ${a.dataset.id} and ${b.dataset.id} overlap`);
    }
  // Controls: the whole bar inside the element, each button the element at its own centre.
  for (const control of root.querySelectorAll<HTMLElement>('.controls button, .controls [role=button]')) {
    if (!visible(control)) continue;
    const r = control.getBoundingClientRect();
    const name = control.getAttribute('part') ?? control.textContent?.trim();
    if (!inside(r, box)) found.push(`control ${name} leaves the element`);
    const hit = root.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    if (!hit || !control.contains(hit)) found.push(`control ${name} is covered by ${hit?.className || hit?.tagName}`);
  }
  // Badges: what lies over a tile's video, none over another (the inset's own over the other tile's too).
  const badges = [...root.querySelectorAll<HTMLElement>('.grid .label, .grid .badge, .grid .tile-fullscreen, .grid .empty')].filter(visible);
  for (let i = 0; i < badges.length; i++)
    for (let j = i + 1; j < badges.length; j++)
      if (overlap(badges[i]!.getBoundingClientRect(), badges[j]!.getBoundingClientRect()))
        found.push(`badges "${badges[i]!.textContent?.trim()}" and "${badges[j]!.textContent?.trim()}" overlap`);
  const insets = [...root.querySelectorAll<HTMLElement>('.tile[data-role=inset]')];
  for (const inset of insets)
    for (const badge of badges)
      if (!inset.contains(badge) && overlap(inset.getBoundingClientRect(), badge.getBoundingClientRect()))
        found.push(`the inset covers "${badge.textContent?.trim()}"`);
  // Text: nothing cut off (wider or taller than its box).
  for (const text of root.querySelectorAll<HTMLElement>('.label, .badge, .controls button, .status, .chat-form button, .more'))
    if (visible(text) && (text.scrollWidth > text.clientWidth + 1 || text.scrollHeight > text.clientHeight + 1))
      found.push(`"${text.textContent?.trim()}" is clipped (${text.scrollWidth}x${text.scrollHeight} in ${text.clientWidth}x${text.clientHeight})`);
  return found;
}
