/**
 * Helpers for browser tests: mounting rooms against the test PeerServer, waiting on
 * conditions with a timeout, and reading decoded frames.
 */
import { fixture, html } from '@open-wc/testing';
import { executeServerCommand } from '@web/test-runner-commands';
import '../../src/video-room.js';
import type { VideoRoomElement } from '../../src/video-room.component.js';
import type { RoomController } from '../../src/element/controllers/room-controller.js';

declare global {
  interface Window {
    __VR_TEST__: { server: string; serverUrl: string };
  }
}

/** The PeerServer started by web-test-runner.config.mjs. */
export const SERVER = window.__VR_TEST__.server;

/** A room name no other test uses. */
export function uniqueRoom(prefix: string): string {
  return `${prefix} ${crypto.randomUUID()}`;
}

/** Polls `check` until it returns a truthy value; fails with `message` after `timeout` ms. */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  message: string | (() => string),
  timeout = 45_000,
): Promise<NonNullable<T>> {
  const deadline = performance.now() + timeout;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (performance.now() > deadline) throw new Error(`timed out: ${typeof message === 'function' ? message() : message}`);
    await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 50)));
  }
}

/** Mounts `count` elements for `room` (not joined yet). */
export async function mountRooms(count: number, room: string, maxParticipants = 8): Promise<VideoRoomElement[]> {
  const container = await fixture<HTMLDivElement>(html`<div style="display:grid;grid-template-columns:repeat(3,320px)">
    ${Array.from(
      { length: count },
      (_, i) =>
        html`<video-room room=${room} server=${SERVER} name=${`P${i}`} max-participants=${maxParticipants}></video-room>`,
    )}
  </div>`);
  const elements = [...container.querySelectorAll('video-room')];
  await Promise.all(elements.map((el) => el.updateComplete));
  return elements;
}

/** The test TURN server (Debian's coturn on loopback, started by the test configuration). */
export const TURN = (window as unknown as { __VR_TEST__: { turn: RTCIceServer } }).__VR_TEST__.turn;

/** Mounts two elements for `room` that connect through the test TURN server only (not joined yet). */
export async function mountRelayPair(room: string): Promise<[VideoRoomElement, VideoRoomElement]> {
  const container = await fixture<HTMLDivElement>(html`<div>
    ${[0, 1].map(
      (i) => html`<video-room room=${room} server=${SERVER} name=${`P${i}`} ice-servers=${JSON.stringify([TURN])} ice-transport-policy="relay"></video-room>`,
    )}
  </div>`);
  const [a, b] = [...container.querySelectorAll('video-room')];
  await Promise.all([a!.updateComplete, b!.updateComplete]);
  return [a!, b!];
}

const frameCounters = new WeakMap<HTMLVideoElement, { frames: number }>();

/**
 * Frames a video element has presented: getVideoPlaybackQuality() where the browser counts
 * them for MediaStream sources (Chromium), else requestVideoFrameCallback ticks counted from
 * the first call (Firefox reports 0 from getVideoPlaybackQuality for MediaStream playback).
 */
export function presentedFrames(video: HTMLVideoElement): number {
  let counter = frameCounters.get(video);
  if (!counter) {
    const created = { frames: 0 };
    counter = created;
    frameCounters.set(video, created);
    const tick = () => {
      created.frames++;
      if (video.isConnected) video.requestVideoFrameCallback(tick);
    };
    video.requestVideoFrameCallback(tick);
  }
  return Math.max(video.getVideoPlaybackQuality().totalVideoFrames, counter.frames);
}

/** Frames each remote tile's video has presented, in tile order. */
export function tileFrames(el: VideoRoomElement): number[] {
  return [...el.shadowRoot!.querySelectorAll<HTMLVideoElement>('[part~="tile"]:not([part~="local"]) video')].map(presentedFrames);
}

/** The element's peer connections (test-only access to the core). */
export function peerConnections(el: VideoRoomElement): RTCPeerConnection[] {
  return (el as unknown as { roomCtl: RoomController }).roomCtl.room?.peerConnections ?? [];
}

/** The getStats() request of each connection still under way. */
const statsInFlight = new WeakMap<RTCPeerConnection, Promise<RTCStatsReport>>();

/**
 * A connection's stats: the request under way if there is one, else a new one. On a loaded
 * machine a request can take seconds; one given up on by a caller still runs, and a poll that
 * started a new one each time stacked them up on the very WebRTC thread the call needs.
 */
function statsOf(pc: RTCPeerConnection): Promise<RTCStatsReport> {
  let request = statsInFlight.get(pc);
  if (!request) {
    request = pc.getStats().finally(() => statsInFlight.delete(pc));
    statsInFlight.set(pc, request);
  }
  return request;
}

/**
 * A connection's stats (the request under way, if any: see statsOf), or null if they do not
 * settle within `ms`.
 */
export function statsWithin(pc: RTCPeerConnection, ms: number): Promise<RTCStatsReport | null> {
  return Promise.race([statsOf(pc), new Promise<null>((resolve) => setTimeout(() => resolve(null), ms))]);
}

/** The last count each connection's stats gave, per counter: what a read that does not settle in time reports. */
const lastCounts = new WeakMap<RTCPeerConnection, Map<string, number>>();

/** Sums one inbound-rtp counter of `kind` per peer connection (getStats). */
async function inbound(el: VideoRoomElement, kind: 'audio' | 'video', counter: 'framesDecoded' | 'totalSamplesReceived'): Promise<number[]> {
  return Promise.all(
    peerConnections(el).map(async (pc) => {
      let total = 0;
      const last = lastCounts.get(pc) ?? new Map<string, number>();
      lastCounts.set(pc, last);
      // Firefox's getStats() has been seen never to settle for a connection whose far end was
      // just killed, and under two busy loops a read in a six-person page can take longer than
      // a poll: such a connection counts as its last settled count (the counters only grow), or
      // -1 (not there yet) if it never gave one, instead of hanging or failing the poll.
      const stats = await statsWithin(pc, 2_000);
      if (!stats) {
        console.log(`getStats() did not settle in 2 s (${pc.connectionState}, ${pc.iceConnectionState}, ${pc.signalingState})`);
        return last.get(`${kind} ${counter}`) ?? -1;
      }
      stats.forEach((report: { type: string; kind?: string } & Partial<Record<typeof counter, number>>) => {
        if (report.type === 'inbound-rtp' && report.kind === kind) total += report[counter] ?? 0;
      });
      last.set(`${kind} ${counter}`, total);
      return total;
    }),
  );
}

/** framesDecoded of the inbound video of each peer connection (getStats inbound-rtp). */
export function decodedFrames(el: VideoRoomElement): Promise<number[]> {
  return inbound(el, 'video', 'framesDecoded');
}

/** Audio samples received from each peer (getStats inbound-rtp audio `totalSamplesReceived`). */
export function audioSamples(el: VideoRoomElement): Promise<number[]> {
  return inbound(el, 'audio', 'totalSamplesReceived');
}

/**
 * Waits until every element has a tile for each of the others and each of those decodes at
 * least `min` frames (`others` remote participants each; default: the other elements), by getStats framesDecoded and by presented frames on the tile.
 */
export async function waitForFullMeshMedia(
  elements: VideoRoomElement[],
  min = 5,
  timeout = 60_000,
  others = elements.length - 1,
): Promise<void> {
  let last = '';
  await waitFor(
    async () => {
      const stats = await Promise.all(elements.map(async (el) => ({ tiles: tileFrames(el), decoded: await decodedFrames(el) })));
      last = JSON.stringify(stats);
      return stats.every(
        ({ tiles, decoded }) =>
          tiles.length === others && decoded.length === others && tiles.every((f) => f >= min) && decoded.every((f) => f >= min),
      );
    },
    () => `every participant decoding every other's video; last ${last}`,
    timeout,
  );
}

/** Resolves with the detail of the next `type` event on `target`. */
export function nextEvent<T>(target: EventTarget, type: string, timeout = 30_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${type}`)), timeout);
    target.addEventListener(
      type,
      (event) => {
        clearTimeout(timer);
        resolve((event as CustomEvent<T>).detail);
      },
      { once: true },
    );
  });
}

/** Runs an action of the participants plugin (a participant in another browser process). */
export function participant<T>(action: string, payload: object = {}): Promise<T> {
  return executeServerCommand<T, object>('vr-participant', { action, ...payload });
}
