/**
 * Participants in another browser process that cannot capture (refused, or no devices) join
 * receive-only; a Chromium participant shares its screen with the pages here.
 */
import { expect } from '@open-wc/testing';
import { ERROR_CODES, EVENTS } from '../../src/constants.js';
import type { VideoRoomElement } from '../../src/video-room.component.js';
import { audioSamples, mountRooms, nextEvent, participant, presentedFrames, uniqueRoom, waitFor } from './helpers.js';
import { meshRecorder } from './mesh-report.js';

type Who = { local: boolean; id: string; name: string };

/** Participant handles opened by the current test; closed after it. */
let handles: string[] = [];


async function joinParticipant(browser: string, room: string, name: string): Promise<string> {
  const handle = await participant<string>('join', { browser, room, name });
  handles.push(handle);
  return handle;
}

/** Waits until `read` gives more than 10 frames, then until it gives more still: media flowing. */
async function waitForFramesFlowing(read: () => Promise<number | undefined> | number | undefined, what: string): Promise<void> {
  let last: number | undefined;
  const first = await waitFor(
    async () => {
      last = await read();
      return last !== undefined && last > 10 ? last : null;
    },
    () => `${what} presenting over 10 frames; last ${last}`,
    20_000,
  );
  await waitFor(
    async () => {
      last = await read();
      return last !== undefined && last > first;
    },
    () => `${what} presenting more frames than ${first}; last ${last}`,
    10_000,
  );
}

/** The remote tile with this data-id, if rendered. */
function tile(el: VideoRoomElement, id: string): HTMLElement | null {
  return el.shadowRoot!.querySelector<HTMLElement>(`[part~="tile"]:not([part~="local"])[data-id="${CSS.escape(id)}"]`);
}

/** Screen tiles (remote ones) the element shows. */
function screenTiles(el: VideoRoomElement): HTMLElement[] {
  return [...el.shadowRoot!.querySelectorAll<HTMLElement>('[part~="tile"][part~="screen"]:not([part~="local"])')];
}

/** Waits until `el` lists a participant called `name`, and returns its id. */
async function idOf(el: VideoRoomElement, name: string): Promise<string> {
  const found = await waitFor(() => el.participants.find((p) => p.name === name), `${el.name} sees ${name}`, 20_000);
  return found.id;
}

describe('receive-only participants and screen sharing across browsers', () => {
  afterEach(async () => {
    const closing = handles;
    handles = [];
    await Promise.all(closing.map((handle) => participant('close', { handle })));
  });

  const cases = [
    {
      title: 'a participant refused the camera joins receive-only: others see an avatar with their name, and they see and hear the others',
      browser: 'chromium-denied',
      name: 'Refused Camera',
      initials: 'RC',
      code: ERROR_CODES.mediaPermissionDenied,
    },
    {
      title: 'a participant with no camera or microphone joins receive-only',
      browser: 'chromium-no-devices',
      name: 'No Devices',
      initials: 'ND',
      code: ERROR_CODES.mediaNotFound,
    },
    {
      title: 'a Firefox participant with no camera or microphone joins receive-only',
      browser: 'firefox-no-devices',
      name: 'Firefox Without',
      initials: 'FW',
      code: ERROR_CODES.mediaNotFound,
    },
  ];

  for (const { title, browser, name, initials, code } of cases) {
    it(title, async function () {
      this.timeout(40_000);
      const room = uniqueRoom('receive-only');
      const [a] = await mountRooms(1, room);
      await a.join();
      const handle = await joinParticipant(browser, room, name);

      // It said why it cannot send, and joined anyway.
      await waitFor(
        async () => (await participant<{ state: string }>('state', { handle })).state === 'joined',
        `the ${browser} page joined`,
        20_000,
      );
      // Capture fails beside the broker handshake, so the error may come after the join.
      const errors = await waitFor(async () => {
        const codes = await participant<string[]>('errors', { handle });
        return codes.length ? codes : null;
      }, `a vr-error on the ${browser} page`, 10_000);
      expect(errors).to.include(code);
      expect(await participant<number>('localTracks', { handle })).to.equal(0);

      // We show it as an avatar with its name, not a black video.
      const id = await idOf(a, name);
      await waitFor(() => {
        const info = a.participants.find((p) => p.id === id);
        return info?.videoMuted && info.audioMuted;
      }, `${name} shown as off`, 20_000);
      await a.updateComplete;
      const remote = tile(a, id)!;
      expect(remote, `a tile for ${name}`).to.not.equal(null);
      expect(remote.querySelector('video')!.hidden).to.equal(true);
      expect(remote.querySelector('.avatar')!.textContent).to.equal(initials);
      expect(remote.querySelector('[part="name"]')!.textContent).to.contain(name);

      // It sees us (frames presented on its one remote tile) and hears us (audio samples received).
      await waitForFramesFlowing(async () => {
        const frames = await participant<number[]>('frames', { handle });
        return frames.length === 1 ? frames[0] : undefined;
      }, `the ${browser} page showing our video`);
      await waitFor(
        async () => (await participant<number>('audioSamples', { handle })) > 4800,
        `the ${browser} page receiving our audio`,
        10_000,
      );
      expect(await participant<number>('peerConnections', { handle })).to.equal(1);
    });
  }

  it('a participant with a microphone but no camera joins audio-only: told why, heard by the others, shown as an avatar', async function () {
    this.timeout(40_000);
    const room = uniqueRoom('audio-only');
    const [a] = await mountRooms(1, room);
    await a.join();
    const handle = await joinParticipant('firefox-no-camera', room, 'Voice Only');
    const errors = await waitFor(async () => {
      const codes = await participant<string[]>('errors', { handle });
      return codes.length ? codes : null;
    }, 'a vr-error on the page without a camera', 20_000);
    expect(errors).to.deep.equal([ERROR_CODES.mediaNotFound]);
    expect(await participant<number>('localTracks', { handle })).to.equal(1);
    const id = await idOf(a, 'Voice Only');
    await waitFor(() => {
      const info = a.participants.find((p) => p.id === id);
      return info?.videoMuted && !info.audioMuted;
    }, 'Voice Only shown with the camera off and the microphone on', 20_000);
    await a.updateComplete;
    const remote = tile(a, id)!;
    expect(remote.querySelector('video')!.hidden).to.equal(true);
    expect(remote.querySelector('.avatar')!.textContent).to.equal('VO');
    // We hear it: audio samples arrive from its microphone.
    await waitFor(async () => (await audioSamples(a))[0]! > 4800, 'audio from the page without a camera', 20_000);
    await waitForFramesFlowing(async () => {
      const frames = await participant<number[]>('frames', { handle });
      return frames.length === 1 ? frames[0] : undefined;
    }, 'the page without a camera showing our video');
  });

  it('a screen share from a Chromium participant reaches the pages here as its own tile with frames, and goes when stopped', async function () {
    this.timeout(40_000);
    const room = uniqueRoom('screen');
    const elements = await mountRooms(2, room);
    for (const el of elements) await el.join();
    const recorder = meshRecorder(elements);
    const handle = await joinParticipant('chromium', room, 'Sharer');
    const ids = await Promise.all(elements.map((el) => idOf(el, 'Sharer'))).catch((error: Error) => {
      throw new Error(`${error.message}\n${recorder.report()}`);
    });
    expect(ids[0]).to.equal(ids[1]);
    const [id] = ids;
    // Its camera reaches us first.
    for (const el of elements)
      await waitForFramesFlowing(() => {
        const video = tile(el, id)?.querySelector('video');
        return video ? presentedFrames(video) : undefined;
      }, `${el.name}'s tile of Sharer's camera`);

    const started = elements.map((el) => nextEvent<Who>(el, EVENTS.screenShareStart, 20_000));
    expect(await participant<boolean>('share', { handle })).to.equal(true);
    for (const detail of await Promise.all(started)) expect(detail).to.deep.equal({ local: false, id, name: 'Sharer' });

    for (const el of elements) {
      const screen = await waitFor(() => tile(el, `${id}:screen`), `${el.name} showing Sharer's screen tile`, 20_000);
      expect(screen.getAttribute('part')!.split(' ')).to.include('screen');
      expect(screen.querySelector('[part="name"]')!.textContent).to.equal('Sharer · screen');
      expect(screenTiles(el)).to.have.length(1);
      await waitForFramesFlowing(() => {
        const video = tile(el, `${id}:screen`)?.querySelector('video');
        return video ? presentedFrames(video) : undefined;
      }, `${el.name}'s screen tile of Sharer`);
    }

    const stopped = elements.map((el) => nextEvent<Who>(el, EVENTS.screenShareStop, 20_000));
    await participant('stopShare', { handle });
    for (const detail of await Promise.all(stopped)) expect(detail).to.deep.equal({ local: false, id, name: 'Sharer' });
    for (const el of elements) await waitFor(() => screenTiles(el).length === 0, `${el.name} dropping the screen tile`, 10_000);

    // The camera goes on.
    for (const el of elements) {
      const video = tile(el, id)!.querySelector('video')!;
      const before = presentedFrames(video);
      await waitFor(() => presentedFrames(video) > before + 10, `${el.name}'s tile of Sharer's camera still presenting frames`, 10_000);
    }
  });
});
