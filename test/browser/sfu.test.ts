import { expect, fixture, html } from '@open-wc/testing';
import { setViewport } from '@web/test-runner-commands';
import type { RoomController } from '../../src/element/controllers/room-controller.js';
import type { VideoRoomElement } from '../../src/video-room.component.js';
import type { RoomSfu } from '../../src/room/room-sfu.js';
import { peerConnections, SERVER, statsWithin, tileFrames, uniqueRoom, waitFor, waitForFullMeshMedia } from './helpers.js';

const JANUS = (window as unknown as { __VR_TEST__: { janus?: string | null } }).__VR_TEST__.janus ?? 'ws://192.0.2.2:8288';

/** framesDecoded of each inbound video stream of the element's connections (one per remote camera at the SFU). */
async function inboundVideo(el: VideoRoomElement): Promise<number[]> {
  const counts: number[] = [];
  for (const pc of peerConnections(el)) {
    const stats = await statsWithin(pc, 2_000);
    stats?.forEach((r: { type: string; kind?: string; framesDecoded?: number }) => {
      if (r.type === 'inbound-rtp' && r.kind === 'video') counts.push(r.framesDecoded ?? 0);
    });
  }
  return counts;
}

/** framesEncoded of each connection's outbound video (all layers), and the layers sending. */
async function encodedPerConnection(el: VideoRoomElement): Promise<{ frames: number[]; layers: string[] }> {
  const frames: number[] = [];
  const layers: string[] = [];
  for (const pc of peerConnections(el)) {
    const stats = await statsWithin(pc, 2_000);
    let total = 0;
    stats?.forEach((r: { type: string; kind?: string; rid?: string; framesEncoded?: number }) => {
      if (r.type !== 'outbound-rtp' || r.kind !== 'video') return;
      total += r.framesEncoded ?? 0;
      if ((r.framesEncoded ?? 0) > 0) layers.push(r.rid ?? '');
    });
    frames.push(total);
  }
  return { frames, layers };
}

/** How many connections send video now: those whose framesEncoded grows while one of them encodes 20 more frames. */
async function outboundVideo(el: VideoRoomElement): Promise<{ connections: number; layers: string[] }> {
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
  return { connections: after.frames.filter((f, i) => f > (before.frames[i] ?? 0)).length, layers: after.layers };
}

/**
 * Mounts `count` elements for one room (not joined), all in view: Chromium pauses a muted
 * autoplay video out of view, which would look like a gap. Three 400×300 elements to a row.
 */
async function mountSfu(count: number, prefix: string, threshold = 'always', quality = 'medium'): Promise<VideoRoomElement[]> {
  const room = uniqueRoom(prefix);
  const container = await fixture<HTMLDivElement>(html`<div style="display:grid;grid-template-columns:repeat(3,400px);grid-auto-rows:300px">
    ${Array.from(
      { length: count },
      (_, i) => html`<video-room room=${room} server=${SERVER} name=${`P${i}`} max-participants="12" media-server=${JANUS} sfu-threshold=${threshold} video-quality=${quality}></video-room>`,
    )}
  </div>`);
  const elements = [...container.querySelectorAll('video-room')];
  await Promise.all(elements.map((el) => el.updateComplete));
  return elements;
}

describe('media through the SFU (Janus)', () => {
  before(() => setViewport({ width: 1300, height: 900 }));
  after(() => setViewport({ width: 800, height: 600 }));

  it('three in SFU mode: each page decodes the others and sends its video on one connection', async () => {
    const elements = await mountSfu(3, 'sfu3');
    await Promise.all(elements.map((el) => el.join()));
    let last = '';
    await waitFor(
      async () => {
        const all = await Promise.all(elements.map(async (el) => ({ decoded: await inboundVideo(el), tiles: tileFrames(el) })));
        last = JSON.stringify(all);
        return all.every(({ decoded, tiles }) => decoded.filter((f) => f >= 10).length === 2 && tiles.filter((f) => f >= 10).length === 2);
      },
      () => `every page decoding both others through the SFU; last ${last}`,
      60_000,
    );
    for (const el of elements) {
      const out = await outboundVideo(el);
      expect(out.connections, 'connections sending video').to.equal(1);
      console.log(JSON.stringify(out), peerConnections(el).length, JSON.stringify(await (el as unknown as { roomCtl: RoomController }).roomCtl.room?.frameStats()));
    }
    for (const el of elements) el.leave();
  });

  it('crosses the threshold up and back down make-before-break, with at most 1 s without a frame on any tile', async () => {
    const elements = await mountSfu(4, 'sfu-switch', '4', 'low');
    const [a, b, c, d] = elements as [VideoRoomElement, VideoRoomElement, VideoRoomElement, VideoRoomElement];
    await Promise.all([a, b, c].map((el) => el.join()));
    await waitForFullMeshMedia([a, b, c], 10);
    expect([a, b, c].map((el) => sfuOf(el).route.way)).to.deep.equal(['mesh', 'mesh', 'mesh']);
    // Up: the fourth makes the room four, the threshold.
    const upGaps = [a, b, c].map(watchGaps);
    await d.join();
    await waitFor(
      () => elements.every((el) => { const ways = tileWays(el); return ways.length === 3 && ways.every((w) => w === 'sfu'); }),
      () => `every tile on the SFU; ${JSON.stringify(elements.map(tileWays))}`,
      60_000,
    );
    await waitForFrames(elements, 3);
    checkSwitches('up', upGaps.flatMap((stop) => stop()));
    // Every page sends its video on one connection only: the mesh holds it back.
    for (const el of elements) expect((await outboundVideo(el)).connections).to.equal(1);

    // Down: two leave, the room is two, two below the threshold.
    const downGaps = [a, b].map(watchGaps);
    d.leave();
    c.leave();
    await waitFor(
      () => [a, b].every((el) => tileWays(el).join() === 'mesh' && sfuOf(el).path === null),
      () => `both back on the mesh; ${JSON.stringify([a, b].map(tileWays))}`,
      60_000,
    );
    await waitForFrames([a, b], 1);
    const stay = new Set([a, b].map((el) => sfuOf(el).room.id));
    checkSwitches('down', downGaps.flatMap((stop) => stop()).filter(({ id }) => stay.has(id)));
    for (const el of [a, b]) el.leave();
  });
});

/**
 * Each tile switched once, with at most 1 s between the last frame of its old track and the first
 * of its new one, and never went 1 s without a frame meanwhile.
 */
function checkSwitches(way: string, tiles: Gaps[]): void {
  console.log(`threshold ${way}: switch gaps ${tiles.map((t) => t.switches.map((g) => g.toFixed(0)).join('+')).join(', ')} ms; longest without a frame ${tiles.map((t) => t.longest.toFixed(0)).join(', ')} ms`);
  for (const { switches, longest } of tiles) {
    expect(switches.length, 'track switches on a tile').to.equal(1);
    expect(switches[0], `${way}: time without a frame across the switch`).to.be.below(1_000);
    expect(longest, `${way}: longest time without a frame`).to.be.below(1_000);
  }
}

/** Waits until every remote tile of each element presents `more` more frames. */
async function waitForFrames(elements: VideoRoomElement[], more: number): Promise<void> {
  const before = elements.map(tileFrames);
  await waitFor(
    () => elements.every((el, i) => tileFrames(el).every((f, j) => f >= (before[i]?.[j] ?? 0) + more)),
    () => `${more} more frames on every tile; ${JSON.stringify(elements.map(tileFrames))} from ${JSON.stringify(before)}`,
    20_000,
  );
}

/** Per tile: the longest time without a frame, and the time between the last frame of one track and the first of the next (the switch). */
interface Gaps {
  /** The tile's participant id. */
  id: string;
  longest: number;
  switches: number[];
}

/** Watches each remote tile of `el` from now on (requestVideoFrameCallback); the returned stop gives its gaps. */
function watchGaps(el: VideoRoomElement): () => Gaps[] {
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

/** Test-only: the element's room's SFU part. */
function sfuOf(el: VideoRoomElement): RoomSfu {
  const room = (el as unknown as { roomCtl: RoomController }).roomCtl.room;
  if (!room) throw new Error('no room');
  return (room as unknown as { sfu: RoomSfu }).sfu;
}

/** Which way each remote tile's video comes now: `sfu` when its track is a receiver of the SFU's connections. */
function tileWays(el: VideoRoomElement): string[] {
  const sfuTracks = new Set((sfuOf(el).path?.peerConnections ?? []).flatMap((pc) => pc.getReceivers().map((r) => r.track)));
  return [...el.shadowRoot!.querySelectorAll<HTMLVideoElement>('[part~="tile"]:not([part~="local"]) video')].map((video) => {
    const track = (video.srcObject as MediaStream | null)?.getVideoTracks()[0];
    return !track ? 'none' : sfuTracks.has(track) ? 'sfu' : 'mesh';
  });
}
