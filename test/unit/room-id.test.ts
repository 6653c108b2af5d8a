import { expect } from '@open-wc/testing';
import { PEER_ID_PATTERN, isVideoRoomId, normaliseRoomName, randomParticipantId, rendezvousIds } from '../../src/room/room-id.js';

describe('room id derivation', () => {
  it('derives the same PeerJS-valid rendezvous id for the same room', async () => {
    const [a] = await rendezvousIds('standup');
    const [b] = await rendezvousIds('standup');
    expect(a).to.equal(b);
    expect(a).to.match(PEER_ID_PATTERN);
    expect(isVideoRoomId(a)).to.equal(true);
  });

  it('matches the documented derivation (SHA-256 of the versioned label, 128 bits in hex)', async () => {
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode('video-room/v1/rendezvous/0/standup')));
    const hex = Array.from(digest.slice(0, 16), (x) => x.toString(16).padStart(2, '0')).join('');
    expect((await rendezvousIds('standup'))[0]).to.equal(`vr-${hex}`);
  });

  it('never contains the room name', async () => {
    const [id] = await rendezvousIds('abc');
    expect(id).not.to.contain('abc');
  });

  it('gives different rooms and different indexes different ids', async () => {
    const [a] = await rendezvousIds('standup');
    const [b] = await rendezvousIds('Standup');
    expect(a).not.to.equal(b);
    const two = await rendezvousIds('standup', null, 2);
    expect(two[0]).to.equal(a);
    expect(two[1]).not.to.equal(a);
  });

  it('normalises Unicode and surrounding space', async () => {
    expect(normaliseRoomName('  caf\u0065\u0301 ')).to.equal('caf\u00e9');
    expect(await rendezvousIds('caf\u0065\u0301')).to.deep.equal(await rendezvousIds('caf\u00e9'));
  });

  it('rejects an empty room', async () => {
    let error: unknown;
    await rendezvousIds('   ').catch((e) => (error = e));
    expect(error).to.be.instanceOf(RangeError);
  });

  it('makes random participant ids that are valid and distinct', () => {
    const a = randomParticipantId();
    const b = randomParticipantId();
    expect(a).to.match(PEER_ID_PATTERN);
    expect(isVideoRoomId(a)).to.equal(true);
    expect(a).not.to.equal(b);
  });
});
