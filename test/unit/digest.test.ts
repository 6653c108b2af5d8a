/**
 * The hashes and HMAC of a page without WebCrypto (plain http://): the fallback chunk must give
 * exactly what WebCrypto gives, or such a page's room ids, short codes and relay MACs would not
 * match its peers'. Compared on random inputs, and through the callers with crypto.subtle hidden.
 */
import { expect } from '@open-wc/testing';
import * as fallback from '../../src/util/digest-fallback.js';
import { digest, hmacKey, type HashName } from '../../src/util/digest.js';
import { rendezvousIds } from '../../src/room/room-id.js';
import { sasCode, sasCommit } from '../../src/e2ee/verification.js';
import { RelayAuth } from '../../src/signalling/relay-auth.js';

const random = (length: number) => crypto.getRandomValues(new Uint8Array(length));

/** Runs `fn` as on a page that is not a secure context: no `crypto.subtle`. */
async function withoutSubtle<T>(fn: () => Promise<T>): Promise<T> {
  Object.defineProperty(crypto, 'subtle', { value: undefined, configurable: true });
  try {
    expect(crypto.subtle).to.equal(undefined);
    return await fn();
  } finally {
    delete (crypto as { subtle?: unknown }).subtle;
  }
}

describe('digest fallback (pages without WebCrypto)', () => {
  it('hashes as WebCrypto does: SHA-256, SHA-384 and SHA-512 of random inputs of many lengths', async () => {
    for (const hash of ['SHA-256', 'SHA-384', 'SHA-512'] as HashName[])
      for (const length of [0, 1, 55, 56, 63, 64, 65, 127, 128, 129, 1000]) {
        const data = random(length);
        const expected = new Uint8Array(await crypto.subtle.digest(hash, data));
        expect(fallback.digest(hash, data), `${hash} of ${length} bytes`).to.deep.equal(expected);
      }
  });

  it('signs HMAC-SHA-256 as WebCrypto does, and verifies only the right tag over the right message', async () => {
    for (const keyLength of [16, 32, 64, 100]) {
      const raw = random(keyLength);
      const data = random(200);
      const webCrypto = await hmacKey(raw);
      const ours = fallback.hmacKey(raw);
      const tag = await ours.sign(data);
      expect(tag).to.deep.equal(await webCrypto.sign(data));
      expect(await webCrypto.verify(tag, data)).to.equal(true);
      expect(await ours.verify(tag, data)).to.equal(true);
      const flipped = tag.slice();
      flipped[31]! ^= 1;
      expect(await ours.verify(flipped, data)).to.equal(false);
      expect(await ours.verify(tag.slice(0, 16), data)).to.equal(false);
      const other = data.slice();
      other[0]! ^= 1;
      expect(await ours.verify(tag, other)).to.equal(false);
    }
  });

  it('the callers give the same room ids, short codes and relay MACs without crypto.subtle', async () => {
    const fingerprints = { local: 'sha-256 AA:BB', remote: 'sha-256 CC:DD' };
    const [nonceA, nonceB] = [random(32), random(32)];
    const withSubtle = {
      ids: await rendezvousIds('standup'),
      commit: await sasCommit(nonceA),
      code: await sasCode(fingerprints, nonceA, nonceB),
      hash: await digest('SHA-256', nonceB),
    };
    const without = await withoutSubtle(async () => ({
      ids: await rendezvousIds('standup'),
      commit: await sasCommit(nonceA),
      code: await sasCode(fingerprints, nonceA, nonceB),
      hash: await digest('SHA-256', nonceB),
    }));
    expect(without).to.deep.equal(withSubtle);
    // A relay key made without WebCrypto (a page over plain http://) against one made with it.
    const b = new RelayAuth();
    const a = await withoutSubtle(async () => {
      const auth = new RelayAuth();
      auth.setPeerKey(b.ownKey);
      return auth;
    });
    b.setPeerKey(a.ownKey);
    const there = await a.seal('vr-a', 'vr-b', { t: 'ice', candidate: null });
    expect(await b.open('vr-a', 'vr-b', there)).to.deep.equal({ t: 'ice', candidate: null });
    const back = await b.seal('vr-b', 'vr-a', { t: 'ice', candidate: null });
    expect(await a.open('vr-b', 'vr-a', back)).to.deep.equal({ t: 'ice', candidate: null });
    // A MAC not made with the sender's key does not pass.
    const forged = await b.seal('vr-b', 'vr-a', { t: 'ice', candidate: null });
    expect(await a.open('vr-b', 'vr-a', { ...forged, mac: there.mac })).to.equal(null);
  });
});
