/**
 * The route between the mesh and the SFU, with fake tracks and hooks: when the room moves, when a
 * tile takes the other way's track (only once it decodes), when our media stops going over the
 * mesh, and what a failed SFU leaves.
 */
import { expect } from '@open-wc/testing';
import { MediaRoute, SFU_TAKEOVER_FRAMES, type RouteHooks } from '../../src/room/media-route.js';
import type { SfuThreshold } from '../../src/room/sfu-mode.js';

interface P {
  readonly id: string;
}

/** A stand-in track: the route reads only its kind, its readyState and who it is. */
const track = (kind: 'audio' | 'video', name: string) => ({ kind, readyState: 'live', id: name }) as unknown as MediaStreamTrack;

/** The route with recording hooks; `frames` sets what each track has decoded. */
function setup(threshold: SfuThreshold, sfuUp = true) {
  const frames = new Map<MediaStreamTrack, number>();
  const shown = new Map<string, MediaStreamTrack>();
  const paused = new Map<string, boolean>();
  const calls = { announce: 0, start: 0, stop: 0, decoded: 0, failLooks: 0 };
  const waiters: (() => void)[] = [];
  const hooks: RouteHooks<P> = {
    show: (p, { track: t }) => {
      if (t.kind === 'video') shown.set(p.id, t);
      for (const wake of waiters.splice(0)) wake();
    },
    hide: () => {},
    pauseMesh: (id, on) => paused.set(id, on),
    announce: () => void calls.announce++,
    startSfu: () => {
      calls.start++;
      return Promise.resolve(sfuUp);
    },
    stopSfu: () => void calls.stop++,
    decoded: (tracks) => {
      calls.decoded++;
      if (calls.failLooks > 0) {
        calls.failLooks--;
        return Promise.reject(new Error('stats unreadable'));
      }
      return Promise.resolve(new Map(tracks.flatMap((t) => (frames.has(t) ? [[t, frames.get(t)!] as const] : []))));
    },
  };
  const route = new MediaRoute<P>('me', threshold, hooks);
  /** Resolves once `id`'s tile shows `t`. */
  const showing = async (id: string, t: MediaStreamTrack) => {
    while (shown.get(id) !== t) await new Promise<void>((resolve) => waiters.push(resolve));
  };
  return { route, frames, shown, paused, calls, showing };
}

describe('media route (mesh or SFU)', () => {
  it('moves up at the threshold and lets an SFU track take a tile only once it has decoded enough frames', async () => {
    const { route, frames, shown, paused, calls, showing } = setup(3);
    const b = { id: 'b' };
    route.add(b);
    const mesh = track('video', 'mesh-b');
    route.meshTrack(b, { track: mesh, screen: false });
    expect(shown.get('b')).to.equal(mesh);
    route.size(2);
    expect(route.way).to.equal('mesh');
    route.size(3);
    expect(route.way).to.equal('sfu');
    expect(calls.start).to.equal(1);
    const sfu = track('video', 'sfu-b');
    frames.set(sfu, SFU_TAKEOVER_FRAMES - 1);
    route.sfuTrack(b, { track: sfu, screen: false });
    // Not yet: the mesh track stays while the SFU's first frames come.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(shown.get('b'), 'before enough frames').to.equal(mesh);
    expect(route.sfuFrom).to.deep.equal([]);
    frames.set(sfu, SFU_TAKEOVER_FRAMES);
    await showing('b', sfu);
    expect(route.sfuFrom).to.deep.equal(['b']);
    expect(calls.announce).to.be.greaterThan(0);
    // Our media keeps going to b over the mesh until b says it takes it from the SFU.
    expect(paused.get('b')).to.equal(false);
    route.peer('b', 'f-b', ['me']);
    expect(paused.get('b')).to.equal(true);
    route.close();
  });

  it('with `always`, the mesh carries nothing from the start and the first decoded frame takes the tile', async () => {
    const { route, frames, paused, showing } = setup('always');
    const b = { id: 'b' };
    route.add(b);
    expect(paused.get('b'), 'mesh paused before anything').to.equal(true);
    route.meshTrack(b, { track: track('video', 'mesh-b'), screen: false });
    route.size(2);
    const sfu = track('video', 'sfu-b');
    frames.set(sfu, 1);
    route.sfuTrack(b, { track: sfu, screen: false });
    await showing('b', sfu);
    route.close();
  });

  it('goes on looking after a look that failed (stats that could not be read): the tile still switches', async () => {
    const { route, frames, calls, showing } = setup('always');
    const b = { id: 'b' };
    route.add(b);
    route.size(2);
    calls.failLooks = 2;
    const sfu = track('video', 'sfu-b');
    frames.set(sfu, 1);
    route.sfuTrack(b, { track: sfu, screen: false });
    await showing('b', sfu);
    expect(calls.decoded, 'looks, two of them failed').to.be.at.least(3);
    route.close();
  });

  it('moves back down two below the threshold, once the mesh decodes again, and keeps its media on the mesh when the SFU fails', async () => {
    const { route, frames, shown, paused, showing } = setup(4);
    const [b, c, d] = [{ id: 'b' }, { id: 'c' }, { id: 'd' }];
    for (const p of [b, c, d]) route.add(p);
    const meshB = track('video', 'mesh-b');
    const sfuB = track('video', 'sfu-b');
    route.meshTrack(b, { track: meshB, screen: false });
    route.size(4);
    frames.set(sfuB, SFU_TAKEOVER_FRAMES);
    route.sfuTrack(b, { track: sfuB, screen: false });
    await showing('b', sfuB);
    // Three is one below: no move (hysteresis).
    route.remove('d');
    route.size(3);
    expect(route.way).to.equal('sfu');
    // Two: down. b's tile waits until its mesh track decodes more than it had.
    frames.set(meshB, 100);
    route.remove('c');
    route.size(2);
    expect(route.way).to.equal('mesh');
    expect(route.sfuFrom, 'nobody taken from the SFU any more').to.deep.equal([]);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(shown.get('b'), 'mesh track not decoding again yet').to.equal(sfuB);
    frames.set(meshB, 101);
    await showing('b', meshB);
    // Up again, and the SFU fails: the mesh carries everything.
    route.size(4);
    route.peer('b', 'f-b', ['me']);
    route.sfuFailed();
    expect(route.way).to.equal('mesh');
    expect(paused.get('b'), 'our media to b after the failure').to.equal(false);
    route.close();
  });
});
