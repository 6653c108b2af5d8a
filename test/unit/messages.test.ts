import { expect } from '@open-wc/testing';
import { type PeerMessage, MAX_MESSAGE_LENGTH, MAX_NAME_LENGTH, cleanName, encodeMessage, parseMessage } from '../../src/signalling/protocol.js';

const ID = `vr-${'a'.repeat(32)}`;
const state = { name: 'Ana', audioMuted: false, videoMuted: true, screenSharing: true, rendezvous: false };

describe('data-channel message parsing', () => {
  it('round-trips every message type', () => {
    const messages = [
      { t: 'hello', id: ID, ...state },
      { t: 'state', ...state },
      { t: 'roster', peers: [{ id: ID, name: 'Ana' }] },
      { t: 'sdp', description: { type: 'offer', sdp: 'v=0\r\n' } },
      { t: 'ice', candidate: { candidate: 'candidate:1 1 udp 1 127.0.0.1 9 typ host', sdpMid: '0', sdpMLineIndex: 0 } },
      { t: 'ice', candidate: null },
      { t: 'bye' },
      { t: 'hb' },
      { t: 'full' },
      { t: 'key', kid: 7, key: new Uint8Array(16).fill(1) },
      { t: 'key-ack', kid: 4294967295 },
      { t: 'auth', proof: new Uint8Array(32).fill(2) },
      { t: 'sas-commit', commit: new Uint8Array(32).fill(3) },
      { t: 'sas-reveal', nonce: new Uint8Array(32).fill(4) },
      { t: 'level', level: 0.37 },
      { t: 'level', level: 0 },
    ] satisfies PeerMessage[];
    for (const message of messages) expect(parseMessage(encodeMessage(message))).to.deep.equal(message);
  });

  it('rejects non-strings, bad JSON, oversize input and unknown types', () => {
    for (const raw of [42, null, new ArrayBuffer(4), '{', '[]', '"x"', '{"t":"nope"}', '{"t":1}', `{"t":"bye","x":"${'a'.repeat(MAX_MESSAGE_LENGTH)}"}`])
      expect(parseMessage(raw), String(raw).slice(0, 40)).to.equal(null);
  });

  it('rejects bad fields', () => {
    const bad = [
      { t: 'hello', id: 'not-ours', ...state },
      { t: 'hello', id: ID, name: 'x', audioMuted: 'no', videoMuted: false },
      { t: 'roster', peers: 'all' },
      { t: 'roster', peers: [{ id: '<img>', name: 'x' }] },
      { t: 'roster', peers: Array.from({ length: 65 }, () => ({ id: ID, name: '' })) },
      { t: 'sdp', description: { type: 'pranswer', sdp: '' } },
      { t: 'sdp', description: { type: 'offer', sdp: 5 } },
      { t: 'ice', candidate: { candidate: 5 } },
      { t: 'ice', candidate: { candidate: 'c', sdpMLineIndex: -1 } },
      { t: 'ice' },
      { t: 'key', kid: -1, key: btoa('x'.repeat(16)) },
      { t: 'key', kid: 2 ** 32, key: btoa('x'.repeat(16)) },
      { t: 'key', kid: 1, key: btoa('x'.repeat(15)) },
      { t: 'key-ack', kid: 1.5 },
      { t: 'auth', proof: btoa('x'.repeat(31)) },
      { t: 'auth', proof: '!'.repeat(44) },
      { t: 'sas-commit', commit: 42 },
      { t: 'sas-reveal' },
      { t: 'level', level: 1.01 },
      { t: 'level', level: -0.1 },
      { t: 'level', level: '0.5' },
      { t: 'level' },
    ];
    for (const message of bad) expect(parseMessage(JSON.stringify(message)), JSON.stringify(message)).to.equal(null);
  });

  it('keeps names as bounded text without control characters', () => {
    expect(cleanName('  <b>Ana</b>\u0000\u202e ')).to.equal('<b>Ana</b>');
    expect(cleanName('x'.repeat(500))).to.have.length(MAX_NAME_LENGTH);
    expect(cleanName(42)).to.equal('');
    const hello = parseMessage(JSON.stringify({ t: 'hello', id: ID, ...state, name: 7 }));
    expect(hello && 'name' in hello && hello.name).to.equal('');
  });
});
