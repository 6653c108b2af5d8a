import { expect } from '@open-wc/testing';
import { parseIceServers, parseIceTransportPolicy, parseMaxParticipants } from '../../src/element/config.js';
import { backoffDelay, BROKER_RETRY_MAX_MS, brokerUrl, parseBrokerUrl, parseBrokerUrls } from '../../src/signalling/broker.js';

describe('attribute parsing', () => {
  it('parses ice-servers', () => {
    // Absent or empty: from the broker's server. `[]`: none at all.
    expect(parseIceServers(null)).to.equal('auto');
    expect(parseIceServers('  ')).to.equal('auto');
    expect(parseIceServers('[]')).to.deep.equal([]);
    expect(parseIceServers('[{"urls":"stun:127.0.0.1:3478"}]')).to.deep.equal([{ urls: ['stun:127.0.0.1:3478'] }]);
    expect(parseIceServers('[{"urls":["turn:h:3478"],"username":"u","credential":"p"}]')).to.deep.equal([
      { urls: ['turn:h:3478'], username: 'u', credential: 'p' },
    ]);
    for (const bad of ['{', '{}', '[1]', '[{"urls":"http://x"}]', '[{"urls":[]}]', '[{"urls":"stun:x","username":1}]'])
      expect(parseIceServers(bad), bad).to.equal(null);
  });

  it('validates max-participants', () => {
    expect(parseMaxParticipants(8)).to.equal(8);
    expect(parseMaxParticipants('4')).to.equal(4);
    for (const bad of [1, 0, -3, 2.5, NaN, '', 'x', 65, null]) expect(parseMaxParticipants(bad), String(bad)).to.equal(null);
  });

  it('turns a PeerServer URL into PeerJS options', () => {
    expect(parseBrokerUrl('https://example.org/peerjs')).to.deep.equal({ host: 'example.org', port: 443, path: '/peerjs/', secure: true, key: 'peerjs' });
    expect(parseBrokerUrl('/peerjs', 'http://localhost:8080/x')).to.deep.equal({ host: 'localhost', port: 8080, path: '/peerjs/', secure: false, key: 'peerjs' });
    expect(() => parseBrokerUrl('ftp://x/')).to.throw(TypeError);
  });

  it('parses a comma-separated list of PeerServers, in order, and refuses any bad entry', () => {
    const list = parseBrokerUrls(' https://a.example/peerjs ,wss://b.example:9000/p,', 'http://localhost/');
    expect(list.map(brokerUrl)).to.deep.equal(['https://a.example:443/peerjs/', 'https://b.example:9000/p/']);
    expect(() => parseBrokerUrls('https://a.example/peerjs, ftp://b.example/')).to.throw(TypeError);
    expect(() => parseBrokerUrls(' , ')).to.throw(TypeError);
  });

  it('backs off exponentially, capped, with jitter', () => {
    const middle = () => 0.5;
    expect([0, 1, 2, 3, 4, 5, 6, 20].map((n) => backoffDelay(n, middle))).to.deep.equal([1000, 2000, 4000, 8000, 8000, 8000, 8000, 8000]);
    expect(backoffDelay(0, () => 0)).to.equal(750);
    expect(backoffDelay(0, () => 1)).to.equal(1250);
    expect(backoffDelay(50, () => 1)).to.equal(BROKER_RETRY_MAX_MS * 1.25);
  });

  it('parses ice-transport-policy, and refuses relay without a TURN server', () => {
    const turn = [{ urls: ['stun:s.example', 'turn:t.example'] }];
    expect(parseIceTransportPolicy(null, [])).to.equal('all');
    expect(parseIceTransportPolicy(' RELAY ', turn)).to.equal('relay');
    expect(parseIceTransportPolicy('relay', [{ urls: 'stun:s.example' }])).to.equal(null);
    expect(parseIceTransportPolicy('relay', [])).to.equal(null);
    // From the server: checked at the join, when its answer is known.
    expect(parseIceTransportPolicy('relay', 'auto')).to.equal('relay');
    expect(parseIceTransportPolicy('none', turn)).to.equal(null);
  });
});
