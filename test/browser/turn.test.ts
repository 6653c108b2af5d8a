/**
 * Calls through a TURN relay only: Debian's coturn on loopback (started by the test
 * configuration), `ice-transport-policy="relay"`.
 */
import { expect, fixture, html } from '@open-wc/testing';
import { ERROR_CODES, EVENTS } from '../../src/constants.js';
import type { VideoRoomElement } from '../../src/video-room.component.js';
import { mountRelayPair, nextEvent, peerConnections, SERVER, uniqueRoom, waitForFullMeshMedia } from './helpers.js';

/** The types of the local and remote candidates of `pc`'s selected pair(s). */
async function selectedPairTypes(pc: RTCPeerConnection): Promise<string[]> {
  const stats = await pc.getStats();
  const byId = new Map<string, Record<string, unknown>>();
  stats.forEach((report: Record<string, unknown>) => byId.set(report.id as string, report));
  const selectedIds = new Set<string>();
  for (const report of byId.values()) {
    if (report.type === 'transport' && typeof report.selectedCandidatePairId === 'string') selectedIds.add(report.selectedCandidatePairId);
    // Firefox marks the pair itself.
    if (report.type === 'candidate-pair' && report.selected === true) selectedIds.add(report.id as string);
  }
  return [...selectedIds].flatMap((id) => {
    const pair = byId.get(id);
    const local = byId.get(pair?.localCandidateId as string);
    const remote = byId.get(pair?.remoteCandidateId as string);
    return [`local:${String(local?.candidateType)}`, `remote:${String(remote?.candidateType)}`];
  });
}

describe('TURN relay', () => {
  it('connects through the relay alone (ice-transport-policy="relay") and decodes video', async () => {
    const room = uniqueRoom('relay');
    const [a, b] = await mountRelayPair(room);
    const start = performance.now();
    await Promise.all([a!.join(), b!.join()]);
    await waitForFullMeshMedia([a!, b!], 30);
    console.log(`relay-only call: 30 frames each way after ${Math.round(performance.now() - start)} ms`);
    for (const el of [a!, b!]) {
      const [pc] = peerConnections(el);
      expect(pc, 'a peer connection').to.be.instanceOf(RTCPeerConnection);
      const types = await selectedPairTypes(pc!);
      // Our own candidate is a relay one; the far end's, as seen from here, is its relay address.
      expect(types, JSON.stringify(types)).to.include('local:relay');
      expect(types.filter((t) => t.startsWith('local:')).every((t) => t === 'local:relay'), JSON.stringify(types)).to.equal(true);
      // With the relay policy, no host or server-reflexive candidate was gathered at all.
      const gathered: string[] = [];
      (await pc!.getStats()).forEach((report: { type: string; candidateType?: string }) => {
        if (report.type === 'local-candidate') gathered.push(report.candidateType ?? '');
      });
      expect(gathered.length).to.be.greaterThan(0);
      expect(gathered.every((type) => type === 'relay'), gathered.join()).to.equal(true);
    }
  });

  it('refuses relay without a TURN server, and an unknown policy, with invalid-ice-transport-policy', async () => {
    for (const [servers, policy] of [['[]', 'relay'], [JSON.stringify([{ urls: 'stun:127.0.0.1:3478' }]), 'relay'], ['[]', 'sometimes']]) {
      const el = await fixture<VideoRoomElement>(
        html`<video-room room=${uniqueRoom('bad-policy')} server=${SERVER} ice-servers=${servers!} ice-transport-policy=${policy!}></video-room>`,
      );
      const error = nextEvent<{ code: string }>(el, EVENTS.error);
      await el.join();
      expect((await error).code).to.equal(ERROR_CODES.invalidIceTransportPolicy);
      expect(el.state).to.equal('idle');
    }
  });
});
