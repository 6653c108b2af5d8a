/**
 * The one key material every secret-derived key starts from: a generated secret used as it is,
 * any other stretched with PBKDF2-SHA-256 (600,000 iterations, salted with the room) first,
 * and memoized so that one join stretches once.
 */
import { expect } from '@open-wc/testing';
import { rendezvousIds } from '../../src/room/room-id.js';
import { hkdfParams, PBKDF2_ITERATIONS, secretKeyMaterial, deriveAuthKey } from '../../src/e2ee/keys.js';
import { generateSecret } from '../../src/e2ee/secret.js';

const encoder = new TextEncoder();

/** 256 bits derived by HKDF (info "probe") from `material`: equal bits, equal material. */
async function probe(material: CryptoKey): Promise<string> {
  const bits = await crypto.subtle.deriveBits(hkdfParams('probe'), material, 256);
  return Array.from(new Uint8Array(bits), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** The secret's bytes as HKDF key material, with no stretching. */
function plainMaterial(secret: string): Promise<CryptoKey> {
  return crypto.subtle.importKey('raw', encoder.encode(secret), 'HKDF', false, ['deriveBits', 'deriveKey']);
}

/** Written here independently of room-id.ts: PBKDF2-SHA-256(secret, 600000, "video-room/v1/pbkdf2/<room>", 256 bits), as HKDF material. */
async function independentlyStretched(secret: string, room: string): Promise<CryptoKey> {
  const password = await crypto.subtle.importKey('raw', encoder.encode(secret), 'PBKDF2', false, ['deriveBits']);
  const bits = await crypto.subtle.deriveBits(
    { name: 'PBKDF2', hash: 'SHA-256', salt: encoder.encode(`video-room/v1/pbkdf2/${room}`), iterations: 600000 },
    password,
    256,
  );
  return crypto.subtle.importKey('raw', bits, 'HKDF', false, ['deriveBits', 'deriveKey']);
}

describe('secret key material', () => {
  it('uses a generated secret as it is: no PBKDF2', async () => {
    const secret = generateSecret();
    const material = await probe(await secretKeyMaterial(secret, 'standup'));
    expect(material).to.equal(await probe(await plainMaterial(secret)));
    // Teeth: the stretched form of the same secret would differ.
    expect(material).not.to.equal(await probe(await independentlyStretched(secret, 'standup')));
  });

  it('stretches every other secret with PBKDF2-SHA-256, 600,000 iterations, salted with the room', async () => {
    expect(PBKDF2_ITERATIONS).to.equal(600_000);
    const cases = [
      'correct horse battery staple',
      'ABCDEFGHIJKLMNOPQRSTU', // 21 base64url characters: not the generated form
      'ABCDEFGHIJKLMNOPQRSTU+', // 22 characters, one outside base64url
    ];
    for (const secret of cases) {
      const material = await probe(await secretKeyMaterial(secret, 'standup'));
      expect(material, secret).to.equal(await probe(await independentlyStretched(secret, 'standup')));
      expect(material, secret).not.to.equal(await probe(await plainMaterial(secret)));
    }
  });

  it('differs by room, and the room name is normalised first', async () => {
    const secret = 'one shared phrase';
    const standup = await probe(await secretKeyMaterial(secret, 'standup'));
    expect(await probe(await secretKeyMaterial(secret, 'retro'))).not.to.equal(standup);
    expect(await probe(await secretKeyMaterial(secret, '  standup '))).to.equal(standup);
    const generated = generateSecret();
    // A generated secret's material is the secret itself; the room enters with each HKDF info.
    expect(await probe(await secretKeyMaterial(generated, 'retro'))).to.equal(await probe(await secretKeyMaterial(generated, 'standup')));
  });

  it('memoizes: the same room and secret give the same promise, and only the last few are kept', async () => {
    const first = secretKeyMaterial('memo phrase', 'memo');
    expect(secretKeyMaterial('memo phrase', 'memo')).to.equal(first);
    expect(secretKeyMaterial('memo phrase', ' memo ')).to.equal(first);
    expect(secretKeyMaterial('memo phrase', 'other')).not.to.equal(first);
    // Four other pairs (generated secrets: nothing to stretch) push it out.
    for (let i = 0; i < 4; i++) await secretKeyMaterial(generateSecret(), 'memo');
    const again = secretKeyMaterial('memo phrase', 'memo');
    expect(again).not.to.equal(first);
    expect(await probe(await again)).to.equal(await probe(await first));
  });

  it('is where the rendezvous ids and the auth key start from', async () => {
    const secret = 'the team phrase';
    const stretched = await independentlyStretched(secret, 'standup');
    const bits = await crypto.subtle.deriveBits(hkdfParams('rendezvous/0/standup'), stretched, 128);
    const hex = Array.from(new Uint8Array(bits), (b) => b.toString(16).padStart(2, '0')).join('');
    expect(await rendezvousIds('standup', secret)).to.deep.equal([`vr-${hex}`]);
    const auth = await crypto.subtle.deriveKey(hkdfParams('auth/standup'), stretched, { name: 'HMAC', hash: 'SHA-256', length: 256 }, false, ['sign']);
    const message = encoder.encode('proof');
    const expected = new Uint8Array(await crypto.subtle.sign('HMAC', auth, message));
    expect(new Uint8Array(await crypto.subtle.sign('HMAC', await deriveAuthKey('standup', secret), message))).to.deep.equal(expected);
  });
});
