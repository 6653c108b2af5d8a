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
import { FakeRoom } from '../unit/fake-room.js';
import { waitFor } from './helpers.js';

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
      code: i % 3 === 1 ? { emoji: ['🐶', '🔑', '🌵', '🎸', '🚲'], names: ['dog', 'key', 'cactus', 'guitar', 'bicycle'] } : null,
      quality: i % 4 === 2 ? 'poor' : 'good',
      audioMuted: i % 2 === 0,
      screenSharing: !!c.screen && i === 1,
      screenStream: c.screen && i === 1 ? canvasVideo('Slides', 7, 1280, 720) : new MediaStream(),
    });
    if (c.screen && i === 1) room.fire('peer-track', { participant: room.people.get('p1')!, screen: true } as never);
  }
  if (c.chat) store.set({ chatOpen: true });
  await settled(el);
  // Every video shows a picture (this participant's too, from the fake camera) before anyone looks.
  await waitFor(() => [...el.shadowRoot!.querySelectorAll<HTMLVideoElement>('.grid video:not([hidden])')].every((v) => v.readyState >= 2), 'every video playing', 10_000);
  return { el, room, store };
}

/**
 * Resolves once the element is drawn for the boxes it has now: the layout follows sizes a
 * ResizeObserver measures, so a change (a panel opening, a button appearing) is drawn a frame later.
 */
export async function settled(el: VideoRoomElement): Promise<void> {
  const layout = (el as unknown as { layoutCtl: { area: { width: number; height: number }; width: number } }).layoutCtl;
  const drawn = () => {
    const grid = el.shadowRoot!.querySelector('.grid')?.getBoundingClientRect();
    return (
      !!grid &&
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
