/**
 * A real man in the middle. The hostile broker (test/plugins/mitm-broker.mjs) is a stock
 * PeerServer behind a proxy that hands every connection addressed to a target to an attacker
 * (test/browser/mitm-attacker.ts), which terminates DTLS on both legs and relays. Plain PeerJS
 * falls to it (so the test has teeth); `<video-room>` with a secret refuses it on both sides, and
 * without one shows two different short codes.
 */
import { expect, fixture, html } from '@open-wc/testing';
import type { MediaConnection } from 'peerjs';
import '../../src/video-room.js';
import { ERROR_CODES, EVENTS } from '../../src/constants.js';
import { decodedFrames, participant, peerConnections, tileFrames, uniqueRoom, waitFor, waitForFullMeshMedia } from './helpers.js';
import { diversionLog, fingerprints, startAttacker, videoCounter } from './mitm-attacker.js';
import { camera, FRAMES, growsBy, MITM, onlyIntercept, openPeer, roomThroughAttacker } from './mitm-room.js';

describe('a man in the middle on the broker', function () {
  // Room tests may first wait out a slow launch of the remote browser.
  this.timeout(180_000);

  it('without a diversion the hostile broker passes calls untouched (control)', async () => {
    const room = uniqueRoom('mitm-control');
    const container = await fixture<HTMLDivElement>(html`<div>
      <video-room room=${room} server=${MITM} name="P0"></video-room>
      <video-room room=${room} server=${MITM} name="P1"></video-room>
    </div>`);
    const [a, b] = [...container.querySelectorAll('video-room')];
    await a.join();
    await b.join();
    await waitForFullMeshMedia([a, b]);
    // End to end: each side sees the other's own certificate.
    const [fa, fb] = [a, b].map((el) => fingerprints(peerConnections(el)[0]));
    expect(fa.local).to.be.a('string');
    expect(fb.local).to.be.a('string');
    expect(fa.remote).to.equal(fb.local);
    expect(fb.remote).to.equal(fa.local);
    expect(await diversionLog()).to.deep.equal([]);
  });

  it('plain PeerJS through the attacker gets video', async () => {
    const [a, b] = await Promise.all([openPeer(MITM), openPeer(MITM)]);
    const attacker = await startAttacker({ server: MITM, target: b.id });
    const [streamA, streamB] = await Promise.all([camera(), camera()]);
    try {
      const answered = new Promise<MediaConnection>((resolve) =>
        b.on('call', (call) => {
          call.answer(streamB);
          resolve(call);
        }),
      );
      const callA = a.call(b.id, streamA);
      const callB = await answered;
      // The broker made the attacker's call look like A's.
      expect(callB.peer).to.equal(a.id);

      const bDecoded = await growsBy(() => videoCounter(callB.peerConnection, 'inbound-rtp', 'framesDecoded'), FRAMES, 'B decoding A’s video');
      const aDecoded = await growsBy(() => videoCounter(callA.peerConnection, 'inbound-rtp', 'framesDecoded'), FRAMES, 'A decoding B’s video');
      expect(bDecoded).to.be.at.least(FRAMES);
      expect(aDecoded).to.be.at.least(FRAMES);

      const seen = await onlyIntercept(attacker);
      expect(seen.kind).to.equal('media');
      expect(seen.victim).to.equal(a.id);
      expect(seen.target).to.equal(b.id);
      // Both legs carried media through the attacker, each way.
      expect(seen.victimLeg.framesDecoded, 'A’s video decoded by the attacker').to.be.at.least(FRAMES);
      expect(seen.targetLeg.framesDecoded, 'B’s video decoded by the attacker').to.be.at.least(FRAMES);
      expect(seen.victimLeg.relaying).to.deep.equal(['audio', 'video']);
      expect(seen.targetLeg.relaying).to.deep.equal(['audio', 'video']);

      // A man in the middle, not a pass-through: each side sees the attacker's certificate.
      const fa = fingerprints(callA.peerConnection);
      const fb = fingerprints(callB.peerConnection);
      expect(fb.remote).to.not.equal(fa.local);
      expect(fa.remote).to.not.equal(fb.local);
      expect(fb.remote).to.equal(attacker.fingerprint);
      expect(fa.remote).to.equal(attacker.fingerprint);
      expect(seen.victimLeg.remoteFingerprint).to.equal(fa.local);
      expect(seen.targetLeg.remoteFingerprint).to.equal(fb.local);

      // The broker's side of it: A's offer went to the attacker; the attacker's to B, as A.
      const log = await diversionLog(b.id);
      expect(log.some((m) => m.type === 'OFFER' && m.from === a.id && m.deliveredTo === attacker.id)).to.equal(true);
      expect(log.some((m) => m.type === 'OFFER' && m.from === attacker.id && m.deliveredTo === b.id && m.shownAs === a.id)).to.equal(true);
      expect(log.some((m) => m.type === 'ANSWER' && m.from === b.id && m.deliveredTo === attacker.id)).to.equal(true);
      console.log(`plain PeerJS via MITM: B decoded ${bDecoded}, A decoded ${aDecoded}; attacker decoded ${seen.victimLeg.framesDecoded} (A) and ${seen.targetLeg.framesDecoded} (B)`);
    } finally {
      await attacker.stop();
      for (const track of [...streamA.getTracks(), ...streamB.getTracks()]) track.stop();
      a.destroy();
      b.destroy();
    }
  });

  it('video-room with a secret refuses the attacker on both sides: no media, no protocol, e2ee-mitm-suspected', async () => {
    const failed: { code: string; reason: string }[] = [];
    const listen = (event: Event) => failed.push((event as CustomEvent<{ code: string; reason: string }>).detail);
    document.addEventListener(EVENTS.peerVerificationFailed, listen);
    const mitm = await roomThroughAttacker({ secret: 'only the room knows this' });
    const { attacker, element, elementId, remote } = mitm;
    try {
      await waitFor(() => failed.length > 0, 'the element refusing the connection');
      expect(failed[0]).to.include({ code: ERROR_CODES.e2eeMitmSuspected, reason: 'mismatch' });
      await waitFor(
        async () => (await participant<string[]>('errors', { handle: remote })).includes(ERROR_CODES.e2eeMitmSuspected),
        'the remote page refusing the connection',
      );
      const { intercepts } = await attacker.stats();
      expect(intercepts.length).to.be.at.least(1);
      // The element dials again every few seconds, so the last attempt may still be under way.
      expect(intercepts.some((seen) => seen.relayed.toTarget.auth && seen.relayed.toVictim.auth), 'proofs crossed both ways').to.equal(true);
      for (const seen of intercepts) {
        expect(seen.victim).to.equal(elementId);
        // Nothing but the two proofs (and empty heartbeats, which run from the channel's opening
        // and so may cross while the proofs are checked) ever crossed the attacker: no hello,
        // name, roster or key.
        const content = (relayed: Record<string, number>) => Object.keys(relayed).filter((t) => t !== 'auth' && t !== 'hb');
        expect(content(seen.relayed.toTarget)).to.deep.equal([]);
        expect(content(seen.relayed.toVictim)).to.deep.equal([]);
        // Neither side ever put a track on its connection to the attacker.
        expect(seen.victimLeg.framesDecoded, 'the element’s video at the attacker').to.equal(0);
        expect(seen.targetLeg.framesDecoded, 'the remote video at the attacker').to.equal(0);
      }
      expect(element.participants).to.deep.equal([]);
      expect(tileFrames(element)).to.deep.equal([]);
      expect((await participant<{ participants: string[] }>('state', { handle: remote })).participants).to.deep.equal([]);
      await element.updateComplete;
      expect(element.shadowRoot!.querySelector('[part="status"]')?.textContent).to.match(/could not be verified/);
      console.log(`video-room with a secret via MITM: ${intercepts.length} attempt(s) refused; relayed ${JSON.stringify(intercepts[0]?.relayed)}`);
    } finally {
      document.removeEventListener(EVENTS.peerVerificationFailed, listen);
      await mitm.close();
    }
  });

  it('video-room without a secret: the attacker can relay the call, but the two short codes differ', async () => {
    const mitm = await roomThroughAttacker();
    const { attacker, element, elementId, remote, rendezvous } = mitm;
    try {
      // Both sides see each other, by name and by decoded frames.
      await waitFor(() => element.participants.some((p) => p.name === 'Remote'), 'the element sees the remote participant');
      await waitFor(
        async () => (await participant<{ participants: string[] }>('state', { handle: remote })).participants.includes('Local'),
        'the remote page sees the element',
      );
      const tile = await growsBy(async () => tileFrames(element)[0] ?? 0, FRAMES, 'the element presenting the remote video');
      const decoded = await growsBy(async () => (await decodedFrames(element))[0] ?? 0, FRAMES, 'the element decoding the remote video');
      const remoteFrames = await growsBy(
        async () => (await participant<number[]>('frames', { handle: remote }))[0] ?? 0,
        FRAMES,
        'the remote page presenting the element’s video',
      );

      const seen = await onlyIntercept(attacker);
      expect(seen.kind).to.equal('data');
      expect(seen.victim).to.equal(elementId);
      expect(seen.target).to.equal(rendezvous);
      // The protocol went through it verbatim. The media was negotiated in each leg's one
      // handshake through the broker: no description crossed either channel.
      expect(seen.relayed.toTarget.hello, 'hellos relayed to the room').to.be.at.least(1);
      expect(seen.relayed.toVictim.hello, 'hellos relayed to the element').to.be.at.least(1);
      expect(seen.relayed.toVictim.roster, 'rosters relayed to the element').to.be.at.least(1);
      expect(seen.terminated.fromVictim.sdp).to.equal(undefined);
      expect(seen.terminated.fromTarget.sdp).to.equal(undefined);
      expect(seen.victimLeg.framesDecoded, 'the element’s video decoded by the attacker').to.be.at.least(FRAMES);
      expect(seen.targetLeg.framesDecoded, 'the remote video decoded by the attacker').to.be.at.least(FRAMES);
      expect(seen.victimLeg.relaying).to.deep.equal(['audio', 'video']);
      expect(seen.targetLeg.relaying).to.deep.equal(['audio', 'video']);

      // Each victim sees the attacker's certificate as the other's.
      const [pc] = peerConnections(element);
      const local = fingerprints(pc);
      const [far] = await participant<{ local: string | null; remote: string | null }[]>('fingerprints', { handle: remote });
      expect(local.remote).to.equal(attacker.fingerprint);
      expect(far.remote).to.equal(attacker.fingerprint);
      expect(local.remote).to.not.equal(far.local);
      expect(far.remote).to.not.equal(local.local);
      expect(seen.victimLeg.remoteFingerprint).to.equal(local.local);
      expect(seen.targetLeg.remoteFingerprint).to.equal(far.local);

      // The short-code exchange went through verbatim, and still the codes differ.
      expect(seen.relayed.toTarget['sas-commit']).to.equal(1);
      expect(seen.relayed.toVictim['sas-reveal']).to.equal(1);
      const here = await waitFor(() => element.participants[0]?.verificationCode, 'the element’s code');
      const [there] = await waitFor(
        async () => {
          const codes = await participant<(string | null)[]>('codes', { handle: remote });
          return codes[0] ? codes : null;
        },
        'the remote page’s code',
      );
      expect(here).to.not.equal(there);
      expect(element.participants[0]?.verified).to.equal(false);
      // The person sees the codes differ and says so: the connection goes.
      const rejected = new Promise<{ code: string }>((resolve) =>
        element.addEventListener(EVENTS.peerVerificationFailed, (e) => resolve((e as CustomEvent<{ code: string }>).detail), { once: true }),
      );
      expect(element.verifyParticipant(element.participants[0]!.id, false)).to.equal(true);
      expect((await rejected).code).to.equal(ERROR_CODES.e2eeMitmSuspected);
      console.log(`video-room without a secret via MITM: codes ${here} vs ${there}`);
      console.log(
        `video-room via MITM: element presented ${tile} / decoded ${decoded}, remote presented ${remoteFrames}; ` +
          `attacker decoded ${seen.victimLeg.framesDecoded} (element) and ${seen.targetLeg.framesDecoded} (remote); relayed ${JSON.stringify(seen.relayed)}`,
      );
    } finally {
      await mitm.close();
    }
  });
});
