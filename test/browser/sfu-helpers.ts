/** What the SFU tests share: mounting a room's elements, waiting for media through the SFU, and looking into a room's SFU part. */
import { expect, fixture, html } from '@open-wc/testing';
import { nothing } from 'lit';
import { setViewport } from '@web/test-runner-commands';
import type { RoomController } from '../../src/element/controllers/room-controller.js';
import type { Room } from '../../src/room/room.js';
import type { FrameKeys } from '../../src/e2ee/frame-keys.js';
import type { VideoRoomElement } from '../../src/video-room.component.js';
import type { RoomSfu } from '../../src/room/room-sfu.js';
import type { SfuSlot } from '../../src/room/sfu-slot.js';
import { peerConnections, SERVER, statsWithin, tileFrames, uniqueRoom, waitFor } from './helpers.js';
/** The test configuration's Janus (in a network namespace of its own: Janus offers no loopback candidates). */
export const JANUS = (window as unknown as { __VR_TEST__: { janus: string | null } }).__VR_TEST__.janus ?? 'ws://janus-did-not-start.invalid';
/** A PeerServer whose server names its Janus (through its proxy) in the ICE servers answer, as `npm start` does. */
export const SFU_SERVER = (window as unknown as { __VR_TEST__: { sfuServer: string } }).__VR_TEST__.sfuServer;

/** framesDecoded of participant `id`'s camera at the SFU on `el` (its m-line, found by feed). */
export async function statsOfB(el: VideoRoomElement, id: string): Promise<number> {
  const feed = sfuOf(el).route.feedOf(id);
  const subscriber = (sfuOf(el).path as unknown as { subscriber: { pc: RTCPeerConnection; streams: Map<string, { feed: string; type: string }> } }).subscriber;
  const mid = [...subscriber.streams].find(([, s]) => s.feed === feed && s.type === 'video')?.[0];
  const receiver = subscriber.pc.getTransceivers().find((t) => t.mid === mid)?.receiver;
  let decoded = 0;
  (await receiver!.getStats()).forEach((r: { type: string; framesDecoded?: number }) => {
    if (r.type === 'inbound-rtp') decoded = r.framesDecoded ?? 0;
  });
  return decoded;
}

/** Test-only: the frame keys of an element's room. */
export function frameKeys(el: VideoRoomElement): FrameKeys {
  const keys = (coreRoom(el) as unknown as { frameKeys: FrameKeys | null }).frameKeys;
  if (!keys) throw new Error('no frame keys');
  return keys;
}

/** The key id under which `el` keeps the frame keys of participant `id` (its link's). */
export function linkKeyId(el: VideoRoomElement, id: string): string {
  return (coreRoom(el) as unknown as { mesh: { links: Map<string, { keyId: string }> } }).mesh.links.get(id)!.keyId;
}

export function coreRoom(el: VideoRoomElement): Room {
  const room = (el as unknown as { roomCtl: RoomController }).roomCtl.room;
  if (!room) throw new Error('no room');
  return room;
}

/**
 * Waits until every element shows `others` remote tiles, each on the SFU, presenting at least
 * `min` frames, and decodes as many SFU video streams with that many frames.
 */
export async function waitForSfuMedia(elements: VideoRoomElement[], others: number, min: number, timeout = 60_000): Promise<void> {
  let last = '';
  await waitFor(
    async () => {
      const all = await Promise.all(elements.map(async (el) => ({ ways: tileWays(el), tiles: tileFrames(el), decoded: await inboundVideo(el) })));
      last = JSON.stringify(all);
      return all.every(
        ({ ways, tiles, decoded }) =>
          ways.length === others && ways.every((w) => w === 'sfu') && tiles.every((f) => f >= min) && decoded.filter((f) => f >= min).length >= others,
      );
    },
    () => `every page decoding ${others} others through the SFU; last ${last}`,
    timeout,
  );
}

/** framesDecoded of each inbound video stream of the element's connections (one per remote camera at the SFU). */
export async function inboundVideo(el: VideoRoomElement): Promise<number[]> {
  return (await Promise.all(peerConnections(el).map(decodedVideo))).flat();
}

/** framesDecoded of each inbound video stream of one connection (none while its stats do not come within 2 s). */
export async function decodedVideo(pc: RTCPeerConnection): Promise<number[]> {
  const counts: number[] = [];
  (await statsWithin(pc, 2_000))?.forEach((r: { type: string; kind?: string; framesDecoded?: number }) => {
    if (r.type === 'inbound-rtp' && r.kind === 'video') counts.push(r.framesDecoded ?? 0);
  });
  return counts;
}

/** framesEncoded of each connection's outbound video (all layers), and the layers (rids) each sends. */
export async function encodedPerConnection(el: VideoRoomElement): Promise<{ frames: number[]; layers: string[][] }> {
  const frames: number[] = [];
  const layers: string[][] = [];
  for (const pc of peerConnections(el)) {
    const stats = await statsWithin(pc, 2_000);
    let total = 0;
    const rids: string[] = [];
    stats?.forEach((r: { type: string; kind?: string; rid?: string; framesEncoded?: number }) => {
      if (r.type !== 'outbound-rtp' || r.kind !== 'video') return;
      total += r.framesEncoded ?? 0;
      if ((r.framesEncoded ?? 0) > 0) rids.push(r.rid ?? '');
    });
    frames.push(total);
    layers.push(rids);
  }
  return { frames, layers };
}

/**
 * How many connections send video now (those whose framesEncoded grows, while one of them encodes
 * 20 more frames, by at least a quarter as much), and the layers they send.
 */
export async function outboundVideo(el: VideoRoomElement): Promise<{ connections: number; layers: string[] }> {
  const before = await encodedPerConnection(el);
  let after = before;
  await waitFor(
    async () => {
      after = await encodedPerConnection(el);
      return after.frames.some((f, i) => f >= (before.frames[i] ?? 0) + 20);
    },
    () => `some connection encoding 20 more frames; ${JSON.stringify(after)} from ${JSON.stringify(before)}`,
    20_000,
  );
  // Firefox's sender without a track still encodes about a frame a second (black): a connection
  // counts as sending when it encodes at least a quarter of what the busiest one does.
  const growth = after.frames.map((f, i) => f - (before.frames[i] ?? 0));
  const most = Math.max(...growth);
  const sending = growth.flatMap((g, i) => (g >= most / 4 ? [i] : []));
  return { connections: sending.length, layers: sending.flatMap((i) => after.layers[i] ?? []) };
}

/**
 * Mounts `count` elements for one room (not joined), all in view: Chromium pauses a muted
 * autoplay video out of view, which would look like a gap; and big enough to show every tile.
 */
export async function mountSfu(
  count: number,
  prefix: string,
  threshold = 'always',
  quality = 'medium',
  [width, height] = [400, 300],
  mediaServer: string | null = JANUS,
): Promise<VideoRoomElement[]> {
  const room = uniqueRoom(prefix);
  const columns = Math.min(count, Math.floor(1900 / width));
  await setViewport({ width: Math.max(1300, columns * width + 20), height: Math.max(900, Math.ceil(count / columns) * height + 20) });
  const container = await fixture<HTMLDivElement>(html`<div style="display:grid;grid-template-columns:repeat(${columns},${width}px);grid-auto-rows:${height}px">
    ${Array.from(
      { length: count },
      (_, i) => html`<video-room room=${room} server=${mediaServer ? SERVER : SFU_SERVER} name=${`P${i}`} max-participants="12" media-server=${mediaServer ?? nothing} sfu-threshold=${threshold} video-quality=${quality}></video-room>`,
    )}
  </div>`);
  const elements = [...container.querySelectorAll('video-room')];
  await Promise.all(elements.map((el) => el.updateComplete));
  return elements;
}


/**
 * Each tile switched once, with at most 1 s between the last frame of its old track and the first
 * of its new one. The longest time without a frame is printed: with four pages in one tab on two
 * cores, the newcomer's join and four publishers starting at once can hold every tile back for up
 * to about 1.5 s before the switch (0.2 to 0.6 s on most runs), which is not the switch's doing.
 */
export function checkSwitches(way: string, tiles: Gaps[]): void {
  console.log(`threshold ${way}: switch gaps ${tiles.map((t) => t.switches.map((g) => g.toFixed(0)).join('+')).join(', ')} ms; longest without a frame ${tiles.map((t) => t.longest.toFixed(0)).join(', ')} ms`);
  for (const { switches } of tiles) {
    expect(switches.length, 'track switches on a tile').to.equal(1);
    expect(switches[0], `${way}: time without a frame across the switch`).to.be.below(1_000);
  }
}

/** Waits until every remote tile of each element presents `more` more frames. */
export async function waitForFrames(elements: VideoRoomElement[], more: number): Promise<void> {
  const before = elements.map(tileFrames);
  await waitFor(
    () => elements.every((el, i) => tileFrames(el).every((f, j) => f >= (before[i]?.[j] ?? 0) + more)),
    () => `${more} more frames on every tile; ${JSON.stringify(elements.map(tileFrames))} from ${JSON.stringify(before)}`,
    20_000,
  );
}

/** Per tile: the longest time without a frame, and the time between the last frame of one track and the first of the next (the switch). */
export interface Gaps {
  /** The tile's participant id. */
  id: string;
  longest: number;
  switches: number[];
}

/** Watches each remote tile of `el` from now on (requestVideoFrameCallback); the returned stop gives its gaps. */
export function watchGaps(el: VideoRoomElement): () => Gaps[] {
  const tiles: (Gaps & { last: number })[] = [];
  let stopped = false;
  for (const tile of el.shadowRoot!.querySelectorAll<HTMLElement>('[part~="tile"]:not([part~="local"])')) {
    const video = tile.querySelector('video');
    if (!video) continue;
    const gaps = { id: tile.dataset.id ?? '', longest: 0, switches: [] as number[], last: performance.now() };
    tiles.push(gaps);
    let track = (video.srcObject as MediaStream | null)?.getVideoTracks()[0];
    const onFrame = (now: number) => {
      if (stopped) return;
      const current = (video.srcObject as MediaStream | null)?.getVideoTracks()[0];
      if (current !== track) gaps.switches.push(now - gaps.last);
      track = current;
      gaps.longest = Math.max(gaps.longest, now - gaps.last);
      gaps.last = now;
      video.requestVideoFrameCallback(onFrame);
    };
    video.requestVideoFrameCallback(onFrame);
  }
  return () => {
    stopped = true;
    const now = performance.now();
    return tiles.map(({ id, longest, switches, last }) => ({ id, longest: Math.max(longest, now - last), switches }));
  };
}

/** Test-only: the element's room's SFU part (loaded near the threshold), as a stand-in until then. */
export function sfuOf(el: VideoRoomElement): { route: { way: string; sfuFrom: string[]; feedOf(id: string): string | null }; path: RoomSfu['path']; room: { id: string } } {
  const slot = (coreRoom(el) as unknown as { sfu: SfuSlot }).sfu;
  return {
    route: slot.sfu?.route ?? { way: 'mesh', sfuFrom: [], feedOf: () => null },
    path: slot.path,
    room: { id: coreRoom(el).id },
  };
}

/** Which way each remote tile's video comes now: `sfu` when its track is a receiver of the SFU's connections. */
export function tileWays(el: VideoRoomElement): string[] {
  const sfuTracks = new Set((sfuOf(el).path?.peerConnections ?? []).flatMap((pc) => pc.getReceivers().map((r) => r.track)));
  return [...el.shadowRoot!.querySelectorAll<HTMLVideoElement>('[part~="tile"]:not([part~="local"]) video')].map((video) => {
    const track = (video.srcObject as MediaStream | null)?.getVideoTracks()[0];
    return !track ? 'none' : sfuTracks.has(track) ? 'sfu' : 'mesh';
  });
}
