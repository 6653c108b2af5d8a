import { expect } from '@open-wc/testing';
import { parseIceServers, parseIceTransportPolicy, parseMaxParticipants } from '../../src/core/config.js';
import { parseBrokerUrl } from '../../src/core/broker.js';

describe('attribute parsing', () => {
  it('parses ice-servers', () => {
    expect(parseIceServers(null)).to.deep.equal([]);
    expect(parseIceServers('')).to.deep.equal([]);
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

  it('parses ice-transport-policy, and refuses relay without a TURN server', () => {
    const turn = [{ urls: ['stun:s.example', 'turn:t.example'] }];
    expect(parseIceTransportPolicy(null, [])).to.equal('all');
    expect(parseIceTransportPolicy(' RELAY ', turn)).to.equal('relay');
    expect(parseIceTransportPolicy('relay', [{ urls: 'stun:s.example' }])).to.equal(null);
    expect(parseIceTransportPolicy('relay', [])).to.equal(null);
    expect(parseIceTransportPolicy('none', turn)).to.equal(null);
  });
});
