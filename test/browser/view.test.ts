/**
 * Fullscreen and picture-in-picture, opened the way people open them: by a real click (both
 * need one). Media in the picture-in-picture window is proven by presented frames.
 */
import { expect } from '@open-wc/testing';
import { sendMouse } from '@web/test-runner-commands';
import { ERROR_CODES, EVENTS } from '../../src/constants.js';
import type { VideoRoomElement } from '../../src/video-room.component.js';
import { mountRooms, nextEvent, presentedFrames, uniqueRoom, waitFor, waitForFullMeshMedia } from './helpers.js';
import { settled } from './screen-fixture.js';

/** A trusted click in the middle of `target`; a control in the bar's "more" menu is reached through the menu, as a person does. */
async function click(target: Element): Promise<void> {
  const menu = target.closest('[role="menu"]');
  if (menu?.hasAttribute('hidden')) {
    const root = target.getRootNode() as ShadowRoot;
    await click(root.querySelector('[part="more-button"]')!);
    await (root.host as VideoRoomElement).updateComplete;
  }
  target.scrollIntoView({ block: 'center' });
  const r = target.getBoundingClientRect();
  const [x, y] = [Math.round(r.x + r.width / 2), Math.round(r.y + r.height / 2)];
  // A click that would land on something else fails here, saying so, not as a missing event later.
  const hit = (target.getRootNode() as ShadowRoot | Document).elementFromPoint(x, y);
  if (!hit || !target.contains(hit)) throw new Error(`a click on ${target.getAttribute('part')} would land on ${hit?.getAttribute('part') ?? hit?.tagName}`);
  await sendMouse({ type: 'click', position: [x, y] });
}

/** Whether a toggle is on: `aria-pressed` in the bar, `aria-checked` in the "more" menu. */
function pressed(control: Element): string | null {
  return control.getAttribute('aria-pressed') ?? control.getAttribute('aria-checked');
}

function part(el: VideoRoomElement, name: string, root: ParentNode = el.shadowRoot!): HTMLElement {
  const found = root.querySelector<HTMLElement>(`[part~="${name}"]`);
  if (!found) throw new Error(`no part ${name}`);
  return found;
}

/** The next `type` event of `el`; a vr-error before it fails with its message. */
function nextOrError<T>(el: VideoRoomElement, type: string, step = ''): Promise<T> {
  return Promise.race([
    nextEvent<T>(el, type).catch((error: Error) => {
      throw new Error(`${error.message}${step ? ` (${step})` : ''}; fullscreen: ${String(document.fullscreenElement?.tagName ?? null)}, ${el.shadowRoot!.fullscreenElement?.getAttribute('data-id') ?? 'no tile'}`);
    }),
    nextEvent<{ code: string; message: string }>(el, EVENTS.error, 60_000).then((e) => {
      throw new Error(`${e.code}: ${e.message}`);
    }),
  ]);
}

type FullscreenDetail = { fullscreen: boolean; id: string | null };
type PipDetail = { open: boolean; mode: string | null };

describe('fullscreen and picture-in-picture', function () {
  this.timeout(90_000);

  it('the room and then one tile go fullscreen from a click, and come back', async () => {
    const [a, b] = await mountRooms(2, uniqueRoom('fullscreen'));
    await Promise.all([a!.join(), b!.join()]);
    await waitForFullMeshMedia([a!, b!], 3);
    await a!.updateComplete;

    let change = nextOrError<FullscreenDetail>(a!, EVENTS.fullscreenChange, 'the room, from its button');
    await click(part(a!, 'fullscreen-button'));
    expect(await change).to.deep.equal({ fullscreen: true, id: '' });
    expect(document.fullscreenElement).to.equal(a);
    await a!.updateComplete;
    expect(pressed(part(a!, 'fullscreen-button'))).to.equal('true');
    // Chromium may fire fullscreenchange before it lays the element out at the fullscreen size;
    // the tiles are then drawn a frame after that. Wait for both: click where the tiles end up.
    await waitFor(() => {
      const r = a!.getBoundingClientRect();
      return r.width === innerWidth && r.height === innerHeight;
    }, () => `the room at the fullscreen size: ${JSON.stringify(a!.getBoundingClientRect())}, viewport ${innerWidth}×${innerHeight}`);
    await settled(a!);

    // From the room to b's tile in one click.
    const remoteId = a!.participants[0]!.id;
    const tile = a!.shadowRoot!.querySelector(`.tile[data-id="${remoteId}"]`)!;
    change = nextOrError<FullscreenDetail>(a!, EVENTS.fullscreenChange, 'b’s tile, from its button');
    await click(part(a!, 'tile-fullscreen-button', tile));
    expect(await change).to.deep.equal({ fullscreen: true, id: remoteId });
    expect(a!.shadowRoot!.fullscreenElement).to.equal(tile);
    await waitFor(() => presentedFrames(tile.querySelector('video')!) > 0, 'the fullscreen tile playing');

    change = nextOrError<FullscreenDetail>(a!, EVENTS.fullscreenChange, 'the exit');
    await document.exitFullscreen();
    expect(await change).to.deep.equal({ fullscreen: false, id: null });
    await a!.updateComplete;
    expect(pressed(part(a!, 'fullscreen-button'))).to.equal('false');

    const error = nextEvent<{ code: string }>(a!, EVENTS.error);
    expect(await a!.toggleFullscreen('no-such-tile')).to.equal(false);
    expect((await error).code).to.equal(ERROR_CODES.fullscreenUnavailable);
    for (const el of [a!, b!]) el.leave();
  });

  it('picture-in-picture opens from a click as a small window of the call, its remote video playing; it closes on request and when the call ends', async () => {
    const [a, b] = await mountRooms(2, uniqueRoom('pip'));
    const early = nextEvent<{ code: string }>(a!, EVENTS.error);
    expect(await a!.togglePictureInPicture()).to.equal(false);
    expect((await early).code).to.equal(ERROR_CODES.pipUnavailable);
    await Promise.all([a!.join(), b!.join()]);
    await waitForFullMeshMedia([a!, b!], 3);
    await a!.updateComplete;

    let change = nextOrError<PipDetail>(a!, EVENTS.pipChange);
    await click(part(a!, 'pip-button'));
    expect(await change).to.deep.equal({ open: true, mode: 'document' });
    const root = (a as unknown as { viewCtl: { pipRoot: ShadowRoot | null } }).viewCtl.pipRoot!;
    expect(root).to.not.equal(null);
    expect(root.ownerDocument).to.not.equal(document);
    await a!.updateComplete;
    const remote = root.querySelector<HTMLVideoElement>(`.tile[data-id="${a!.participants[0]!.id}"] video`)!;
    await waitFor(() => presentedFrames(remote) > 5, 'b’s video playing in the picture-in-picture window');
    // The window's buttons are the element's: muting there mutes here.
    const mute = root.querySelector<HTMLButtonElement>('[part="mute-button"]')!;
    mute.click();
    expect(a!.audioMuted).to.equal(true);
    await a!.updateComplete;
    expect(mute.getAttribute('aria-pressed')).to.equal('true');
    expect(pressed(part(a!, 'pip-button'))).to.equal('true');

    change = nextOrError<PipDetail>(a!, EVENTS.pipChange);
    expect(await a!.togglePictureInPicture()).to.equal(false);
    expect(await change).to.deep.equal({ open: false, mode: null });

    change = nextOrError<PipDetail>(a!, EVENTS.pipChange);
    await click(part(a!, 'pip-button'));
    expect((await change).open).to.equal(true);
    change = nextOrError<PipDetail>(a!, EVENTS.pipChange);
    a!.leave();
    expect(await change).to.deep.equal({ open: false, mode: null });
    b!.leave();
  });

  it('without Document Picture-in-Picture, the active remote video goes picture-in-picture (Chromium)', async function () {
    if (!document.pictureInPictureEnabled || navigator.userAgent.includes('Firefox')) this.skip();
    const descriptor = Object.getOwnPropertyDescriptor(window, 'documentPictureInPicture');
    // As in a browser without it, or an iframe.
    Object.defineProperty(window, 'documentPictureInPicture', { value: undefined, configurable: true });
    try {
      const [a, b] = await mountRooms(2, uniqueRoom('pip-video'));
      await Promise.all([a!.join(), b!.join()]);
      await waitForFullMeshMedia([a!, b!], 3);
      await a!.updateComplete;
      const change = nextOrError<PipDetail>(a!, EVENTS.pipChange);
      await click(part(a!, 'pip-button'));
      expect(await change).to.deep.equal({ open: true, mode: 'video' });
      // The document sees the host; the shadow root, the video itself.
      expect(document.pictureInPictureElement).to.equal(a);
      const video = (a!.shadowRoot as ShadowRoot & { pictureInPictureElement: Element }).pictureInPictureElement;
      expect(video.closest('.tile')!.getAttribute('data-id')).to.equal(a!.participants[0]!.id);
      const closed = nextOrError<PipDetail>(a!, EVENTS.pipChange);
      await document.exitPictureInPicture();
      expect(await closed).to.deep.equal({ open: false, mode: null });
      for (const el of [a!, b!]) el.leave();
    } finally {
      if (descriptor) Object.defineProperty(window, 'documentPictureInPicture', descriptor);
      else delete (window as { documentPictureInPicture?: unknown }).documentPictureInPicture;
    }
  });
});
