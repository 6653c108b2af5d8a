/**
 * Keys and chat sealed under the room secret, and relayed signalling MAC'd per link: what an
 * attacker who holds a broken DTLS link, or the broker, can and cannot do with what it carries.
 */
import { expect } from '@open-wc/testing';
import { createSealer, type SealContext } from '../../src/e2ee/sealed.js';
import { RelayAuth } from '../../src/signalling/relay-auth.js';
import type { PeerMessage } from '../../src/signalling/protocol.js';

const A = 'vr-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const B = 'vr-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';
const C = 'vr-cccccccccccccccccccccccccccccccc';
const FA = `sha-256 ${Array(32).fill('AA').join(':')}`;
const FB = `sha-256 ${Array(32).fill('BB').join(':')}`;
const FM = `sha-256 ${Array(32).fill('11').join(':')}`;
const SECRET = 'ZmFrZS1zZWNyZXQtMTIzNA';

describe('keys and chat sealed under the secret', () => {
  const context: SealContext = { from: A, to: B, fromFingerprint: FA, toFingerprint: FB, seq: 1 };

  it('opens for the peer it was sealed to, on the link it was sealed on', async () => {
    const sealer = await createSealer('room', SECRET);
    const text = '{"t":"chat","text":"a message nobody but the peer may read"}';
    const box = await sealer.seal(context, text);
    // The text is not in the box (a phrase long enough not to turn up by chance in ciphertext).
    expect(atob(box)).to.not.include('nobody but the peer');
    expect(await sealer.unseal(context, box)).to.equal(text);
  });

  it('yields nothing without the secret, on another link, to another peer, at another place, or altered', async () => {
    const sealer = await createSealer('room', SECRET);
    const box = await sealer.seal(context, '{"t":"key","kid":7,"key":"AAAAAAAAAAAAAAAAAAAAAA=="}');
    const wrongSecret = await createSealer('room', 'another secret entirely');
    const otherRoom = await createSealer('other room', SECRET);
    expect(await wrongSecret.unseal(context, box), 'without the secret').to.equal(null);
    expect(await otherRoom.unseal(context, box), 'in another room').to.equal(null);
    // A man in the middle holds a link with other fingerprints: what it relays does not open.
    expect(await sealer.unseal({ ...context, fromFingerprint: FM }, box), 'through a man in the middle').to.equal(null);
    expect(await sealer.unseal({ ...context, toFingerprint: FM }, box), 'through a man in the middle').to.equal(null);
    expect(await sealer.unseal({ ...context, to: C }, box), 'moved to another peer').to.equal(null);
    expect(await sealer.unseal({ ...context, from: C }, box), 'claimed by another sender').to.equal(null);
    expect(await sealer.unseal({ ...context, seq: 2 }, box), 'at another place in the sequence').to.equal(null);
    const bytes = Uint8Array.from(atob(box), (c) => c.charCodeAt(0));
    bytes[bytes.length - 1]! ^= 1;
    expect(await sealer.unseal(context, btoa(String.fromCharCode(...bytes))), 'altered').to.equal(null);
    expect(await sealer.unseal(context, 'AAAA'), 'too short').to.equal(null);
  });
});

describe('relayed signalling MACs', () => {
  const ice: PeerMessage = { t: 'ice', candidate: null };

  it('takes what the peer signed, once, and nothing the broker made up, altered or played again', async () => {
    const a = new RelayAuth();
    const b = new RelayAuth();
    a.setPeerKey(b.ownKey);
    b.setPeerKey(a.ownKey);
    const first = await b.seal(B, A, ice);
    const second = await b.seal(B, A, { t: 'sdp', description: { type: 'offer', sdp: 'v=0' } });
    expect(await a.open(B, A, first)).to.deep.equal(ice);
    expect(await a.open(B, A, first), 'played again').to.equal(null);
    expect(await a.open(B, A, { ...second, vr: first.vr }), 'another message under its MAC').to.equal(null);
    expect(await a.open(B, A, { ...second, seq: second.seq + 1 }), 'another sequence number').to.equal(null);
    expect(await a.open(C, A, second), 'as from another participant').to.equal(null);
    expect(await a.open(B, A, { vr: second.vr }), 'no MAC (the old format)').to.equal(null);
    expect((await a.open(B, A, second))?.t).to.equal('sdp');
  });

  it('takes nothing before the peer gave its key, and only the first key it gives', async () => {
    const a = new RelayAuth();
    const b = new RelayAuth();
    const m = new RelayAuth();
    expect(await a.open(B, A, await b.seal(B, A, ice)), 'no key yet').to.equal(null);
    expect(a.setPeerKey(b.ownKey)).to.equal(true);
    expect(a.setPeerKey(m.ownKey), 'a second key').to.equal(false);
    expect(await a.open(B, A, await m.seal(B, A, ice)), 'signed with the second key').to.equal(null);
  });

  it('takes only signalling, whatever the MAC', async () => {
    const a = new RelayAuth();
    const b = new RelayAuth();
    a.setPeerKey(b.ownKey);
    expect(await a.open(B, A, await b.seal(B, A, { t: 'chat', text: 'hi' }))).to.equal(null);
  });
});
