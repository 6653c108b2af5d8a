/**
 * The SFU's pure parts: which media server a room lives on, the settings, and which simulcast
 * layer a tile needs; and the subscriber's requests to Janus, against a stand-in for its handle.
 */
import { expect } from '@open-wc/testing';
import { pickServer } from '../../src/sfu/placement.js';
import { DEFAULT_SFU_THRESHOLD, parseMediaServers, parseSfuThreshold } from '../../src/room/sfu-mode.js';
import { layersFor } from '../../src/layout/layers.js';
import { layoutTiles } from '../../src/layout/grid.js';
import { Subscriber } from '../../src/sfu/subscriber.js';
import { MAX_REMAKES, REMAKE_WINDOW_MS, RemakeBudget } from '../../src/sfu/connect-watch.js';
import { JanusError, type JanusHandle, type Obj, type PluginReply } from '../../src/sfu/janus-client.js';
import { waitFor } from '../browser/helpers.js';

const servers = ['wss://a.example/janus', 'wss://b.example/janus', 'wss://c.example/janus', 'wss://d.example/janus'];
const roomIds = Array.from({ length: 400 }, (_, i) => `vr-${i.toString(16).padStart(32, '0')}`);

describe('SFU placement, settings and layers', () => {
  it('places a room on the same server for everyone, spreads rooms over the servers, and moves only the rooms of a server that goes', async () => {
    const placed = await Promise.all(roomIds.map((id) => pickServer(servers, id)));
    // Everyone computes the same, whatever order the list is in.
    const again = await Promise.all(roomIds.map((id) => pickServer([...servers].reverse(), id)));
    expect(again).to.deep.equal(placed);
    // Spread: each server gets a fair share of 400 rooms (100 expected).
    for (const server of servers) expect(placed.filter((s) => s === server).length, server).to.be.within(60, 140);
    // A server removed: its rooms move, no other room does.
    const without = await Promise.all(roomIds.map((id) => pickServer(servers.slice(1), id)));
    for (const [i, server] of placed.entries()) if (server !== servers[0]) expect(without[i]).to.equal(server);
    await pickServer([], 'vr-0').then(
      () => expect.fail('no server'),
      (error: unknown) => expect(error).to.be.instanceOf(RangeError),
    );
  });

  it('reads sfu-threshold and media-server, and refuses what they are not', () => {
    expect(parseSfuThreshold(null)).to.equal(DEFAULT_SFU_THRESHOLD);
    expect(parseSfuThreshold('')).to.equal(5);
    expect(parseSfuThreshold(' Always ')).to.equal('always');
    expect(parseSfuThreshold('never')).to.equal('never');
    expect(parseSfuThreshold('3')).to.equal(3);
    for (const bad of ['1', '65', '2.5', 'soon', '-4', 'Infinity']) expect(parseSfuThreshold(bad), bad).to.equal(null);
    expect(parseMediaServers(null)).to.equal('auto');
    expect(parseMediaServers('wss://a.example/janus, ws://b.example:8188')).to.deep.equal(['wss://a.example/janus', 'ws://b.example:8188']);
    for (const bad of ['https://a.example', 'javascript:alert(1)', 'wss://a.example, nonsense', Array(17).fill('wss://a.example').join(',')])
      expect(parseMediaServers(bad), bad).to.equal(null);
  });

  it('asks for the top layer for a wide tile or the spotlight, the lowest for thumbnails, none for a tile not shown', () => {
    const tiles = [{ id: 'me', local: true }, ...Array.from({ length: 9 }, (_, i) => ({ id: `p${i}` }))];
    const ids = tiles.slice(1).map((t) => t.id);
    // A wide box: ten tiles of a grid, each under 400 px: all thumbnails.
    const wide = layersFor(layoutTiles(tiles, 1280, 720), ids);
    expect([...wide.values()].every((layer) => layer === 'low')).to.equal(true);
    // A call of two in a big box: the other person large.
    const pair = layersFor(layoutTiles(tiles.slice(0, 2), 1280, 720), ['p0']);
    expect(pair.get('p0')).to.equal('high');
    // A small box pages: the tiles of the other page get nothing.
    const small = layersFor(layoutTiles(tiles, 330, 250), ids);
    expect([...small.values()].filter((layer) => layer === 'none').length).to.be.greaterThan(0);
    // A screen in the spotlight: the screen's owner's camera is a thumbnail in the filmstrip.
    const screen = layersFor(layoutTiles([...tiles.slice(0, 3), { id: 'p0:screen', screen: true }], 1280, 720), ['p0', 'p1']);
    expect([...screen.values()]).to.deep.equal(['low', 'low']);
  });
});

describe('the SFU subscriber', () => {
  it('asks Janus again for a subscription it refused (a feed gone meanwhile), as a join, until it is in', async () => {
    const sent: Obj[] = [];
    let refusals = 2;
    const handle = {
      onevent: null,
      message: (body: Obj): Promise<PluginReply> => {
        sent.push(body);
        if (refusals-- > 0) return Promise.reject(new JanusError(428, 'No such feed'));
        return Promise.resolve({ data: { videoroom: 'attached', streams: [] }, jsep: null });
      },
      trickle: () => undefined,
      detach: () => undefined,
    };
    const frames = { protectSender: () => undefined, protectReceiver: () => undefined, pinCodecs: () => undefined };
    const subscriber = new Subscriber({}, handle as unknown as JanusHandle, 'vr-room', frames, { track: () => undefined, gone: () => undefined, keyId: () => null, stalled: () => undefined });
    try {
      subscriber.want('f-a', 'vr-a');
      subscriber.published('f-a', [{ mid: '0', mindex: 0, type: 'audio', disabled: false }]);
      await waitFor(() => sent.length === 3, () => `requests: ${JSON.stringify(sent)}`, 5_000);
      expect(sent.map((body) => body.request)).to.deep.equal(['join', 'join', 'join']);
      expect(sent[2]!.streams).to.deep.equal([{ feed: 'f-a', mid: '0' }]);
    } finally {
      subscriber.close();
    }
  });

  /** A subscriber whose join Janus answers with an offer of one audio m-line (made by a connection that never gets our candidates: it never connects). */
  async function offeredSubscriber(connectTimeoutMs: number) {
    const server = new RTCPeerConnection();
    server.addTransceiver('audio', { direction: 'sendonly' });
    const offer = await server.createOffer();
    await server.setLocalDescription(offer);
    const events: string[] = [];
    const handle = {
      onevent: null as ((event: { kind: string; reason?: string }) => void) | null,
      message: (body: Obj): Promise<PluginReply> =>
        Promise.resolve(
          body.request === 'join'
            ? { data: { videoroom: 'attached', streams: [{ mid: '0', feed_id: 'f-a', feed_mid: '0', type: 'audio' }] }, jsep: { type: 'offer', sdp: offer.sdp ?? '' } }
            : { data: { videoroom: 'event' }, jsep: null },
        ),
      trickle: () => undefined,
      detach: () => events.push('detached'),
    };
    const frames = { protectSender: () => undefined, protectReceiver: () => undefined, pinCodecs: () => undefined };
    const subscriber = new Subscriber({}, handle as unknown as JanusHandle, 'vr-room', frames, {
      track: (id, { track }) => events.push(`track ${id} ${track.kind}`),
      gone: (id, track) => events.push(`gone ${id} ${track.kind}`),
      keyId: () => null,
      stalled: (reason) => events.push(`stalled: ${reason}`),
    }, connectTimeoutMs);
    subscriber.want('f-a', 'vr-a');
    subscriber.published('f-a', [{ mid: '0', mindex: 0, type: 'audio', disabled: false }]);
    await waitFor(() => events.includes('track vr-a audio'), () => `events: ${JSON.stringify(events)}`, 5_000);
    return { subscriber, handle, events, server };
  }

  it('gives up a connection that does not come up in time, once, and release() takes back the tracks it delivered', async () => {
    const { subscriber, events, server } = await offeredSubscriber(300);
    try {
      await waitFor(() => events.some((e) => e.startsWith('stalled')), () => `events: ${JSON.stringify(events)}`, 5_000);
      expect(subscriber.pc?.connectionState).not.to.equal('connected');
      expect(events.filter((e) => e.startsWith('stalled'))).to.deep.equal(['stalled: was not connected 0.3 s after its negotiation']);
      subscriber.release();
      expect(events.slice(-2)).to.deep.equal(['gone vr-a audio', 'detached']);
    } finally {
      subscriber.close();
      server.close();
    }
  });

  it('gives up its connection when Janus hangs it up, once', async () => {
    const { subscriber, handle, events, server } = await offeredSubscriber(60_000);
    try {
      handle.onevent!({ kind: 'hangup', reason: 'ICE failed' });
      handle.onevent!({ kind: 'hangup', reason: 'ICE failed' });
      expect(events.filter((e) => e.startsWith('stalled'))).to.deep.equal(['stalled: was hung up by the server (ICE failed)']);
    } finally {
      subscriber.close();
      server.close();
    }
  });
});

describe('the SFU remake budget', () => {
  it('allows MAX_REMAKES within the window and not one more; remakes an hour apart never run it out', () => {
    let now = 0;
    const burst = new RemakeBudget(() => now);
    const spent = Array.from({ length: MAX_REMAKES + 1 }, () => {
      now += 1_000;
      return burst.spend();
    });
    expect(spent).to.deep.equal([...Array<boolean>(MAX_REMAKES).fill(true), false]);

    const longCall = new RemakeBudget(() => now);
    const hourly = Array.from({ length: 10 }, () => {
      now += 60 * 60_000;
      return longCall.spend();
    });
    expect(hourly).to.deep.equal(Array<boolean>(10).fill(true));
    // Just past the window, the oldest no longer counts.
    const edge = new RemakeBudget(() => now);
    for (let i = 0; i < MAX_REMAKES; i++) edge.spend();
    now += REMAKE_WINDOW_MS;
    expect(edge.spend()).to.equal(true);
  });
});
