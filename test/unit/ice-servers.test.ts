/**
 * The element's STUN and TURN from its broker's server: what it accepts of an answer, which
 * broker it asks, and the refresh before the credentials expire. Against a fake fetch: the real
 * endpoint and coturn are tested in test/server/turn.test.mjs and in the browser suites.
 */
import { expect } from '@open-wc/testing';
import { parseBrokerUrl } from '../../src/signalling/broker-config.js';
import { IceServerSource, iceServersUrl, parseIceGrant } from '../../src/signalling/ice-source.js';

const TURN = { urls: ['stun:t.example:3478', 'turn:t.example:3478?transport=udp'], username: '1796070091:video-room', credential: 'c2VjcmV0' };

function answer(body: unknown, status = 200): Response {
  return new Response(typeof body === 'string' ? body : JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

describe('ICE servers from the broker’s server', () => {
  it('asks under the broker’s own path, over the broker’s scheme', () => {
    expect(iceServersUrl(parseBrokerUrl('https://calls.example/peerjs'))).to.equal('https://calls.example:443/peerjs/video-room/ice-servers');
    expect(iceServersUrl(parseBrokerUrl('ws://127.0.0.1:9000/broker/'))).to.equal('http://127.0.0.1:9000/broker/video-room/ice-servers');
  });

  it('takes only a list of stun:/turn: servers with string credentials and a lifetime', () => {
    expect(parseIceGrant({ iceServers: [TURN], ttl: 3600 })).to.deep.equal({ iceServers: [TURN], ttl: 3600, mediaServers: [] });
    // Media servers: WebSocket URLs only, the rest dropped.
    expect(parseIceGrant({ iceServers: [], ttl: 0, mediaServers: ['wss://sfu.example/janus', 'https://x.example', 'javascript:alert(1)', 7] })).to.deep.equal({
      iceServers: [],
      ttl: 0,
      mediaServers: ['wss://sfu.example/janus'],
    });
    for (const bad of [null, [], 'x', { iceServers: [TURN] }, { iceServers: [TURN], ttl: -1 }, { iceServers: [{ urls: 'https://evil.example' }], ttl: 60 }, { iceServers: [{ urls: 'turn:x', credential: {} }], ttl: 60 }, { iceServers: 'turn:x', ttl: 60 }])
      expect(parseIceGrant(bad), JSON.stringify(bad)).to.equal(null);
  });

  it('uses the first broker that hands servers out; a stock PeerServer (404), a bad answer or a network error is skipped', async () => {
    const brokers = ['http://a.example/peerjs', 'http://b.example/peerjs', 'http://c.example/peerjs', 'http://d.example/peerjs'].map((u) => parseBrokerUrl(u));
    const asked: string[] = [];
    const source = new IceServerSource(brokers, async (input) => {
      const url = String(input);
      asked.push(new URL(url).hostname);
      if (url.includes('a.example')) return answer('Not Found', 404);
      if (url.includes('b.example')) return answer('<html>', 200);
      if (url.includes('c.example')) throw new TypeError('Failed to fetch');
      return answer({ iceServers: [TURN], ttl: 3600 });
    });
    await source.ready();
    expect(asked).to.deep.equal(['a.example', 'b.example', 'c.example', 'd.example']);
    expect(source.servers).to.deep.equal([TURN]);
    source.close();
  });

  it('sends nothing with the request: no credentials, no referrer, no body', async () => {
    let init: RequestInit | undefined;
    const source = new IceServerSource([parseBrokerUrl('https://calls.example/peerjs')], async (_input, given) => {
      init = given;
      return answer({ iceServers: [], ttl: 0 });
    });
    await source.ready();
    expect(init?.credentials).to.equal('omit');
    expect(init?.referrerPolicy).to.equal('no-referrer');
    expect(init?.body).to.equal(undefined);
    expect(init?.method ?? 'GET').to.equal('GET');
    expect(source.servers).to.deep.equal([]);
    source.close();
  });

  it('with no server handing any out, ready() resolves with none', async () => {
    const source = new IceServerSource([parseBrokerUrl('http://a.example/peerjs')], async () => answer('Not Found', 404));
    await source.ready();
    expect(source.servers).to.deep.equal([]);
    source.close();
  });

  it('asks again before the credentials expire, and tells its subscribers', async function () {
    this.timeout(15_000);
    let n = 0;
    const source = new IceServerSource([parseBrokerUrl('http://a.example/peerjs')], async () => {
      n++;
      // A lifetime of 6 s: asked again after the 5-s floor (80 % of it would be 4.8 s).
      return answer({ iceServers: [{ ...TURN, username: `${n}:video-room` }], ttl: 6 });
    });
    await source.ready();
    const started = performance.now();
    const fresh = await new Promise<RTCIceServer[]>((resolve) => source.subscribe(resolve));
    const after = performance.now() - started;
    expect(fresh[0]!.username).to.equal('2:video-room');
    expect(source.servers[0]!.username).to.equal('2:video-room');
    // Not at once: at the refresh time (a loaded machine may run the timer later, never sooner).
    expect(after).to.be.at.least(4_500);
    source.close();
  });

  it('a first ask that reached no server is asked again soon, and the servers then go to the subscribers', async function () {
    this.timeout(15_000);
    let n = 0;
    const source = new IceServerSource([parseBrokerUrl('http://a.example/peerjs')], async () => {
      if (n++ === 0) throw new TypeError('Failed to fetch');
      return answer({ iceServers: [TURN], ttl: 3600 });
    });
    await source.ready();
    expect(source.servers).to.deep.equal([]);
    const later = await new Promise<RTCIceServer[]>((resolve) => source.subscribe(resolve));
    expect(later).to.deep.equal([TURN]);
    expect(source.servers).to.deep.equal([TURN]);
    expect(n).to.equal(2);
    source.close();
  });
});
