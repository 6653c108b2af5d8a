/**
 * A real man in the middle. The hostile broker (test/plugins/mitm-broker.mjs) is a stock
 * PeerServer behind a proxy that hands every connection addressed to a target to an attacker
 * (test/browser/mitm-attacker.ts), which terminates DTLS on both legs and relays. Plain PeerJS
 * falls to it (so the test has teeth); `<video-room>` with a secret refuses it on both sides, and
 * without one shows two different short codes.
 */
import { expect, fixture, html } from '@open-wc/testing';
import { Peer, type MediaConnection } from 'peerjs';
import '../../src/video-room.js';
import type { VideoRoomElement } from '../../src/video-room.component.js';
import { ERROR_CODES, EVENTS } from '../../src/constants.js';
import { loadRoom, type RoomController } from '../../src/controllers/room-controller.js';
import { rendezvousIds } from '../../src/core/room-id.js';
import { forgetPageSecret } from '../../src/core/secret.js';
import { decodedFrames, participant, peerConnections, tileFrames, uniqueRoom, waitFor, waitForFullMeshMedia } from './helpers.js';
import { diversionLog, fingerprints, startAttacker, videoCounter, type Attacker, type InterceptStats } from './mitm-attacker.js';

const isFirefox = navigator.userAgent.includes('Firefox');
/** The hostile broker's PeerServer URL. */
const MITM = (window as unknown as { __VR_TEST__: { mitmServer: string } }).__VR_TEST__.mitmServer;
/** Frames that must decode, beyond those already decoded when media first showed up. */
const FRAMES = 20;


/**
 * Waits until `read` gives a positive count, then until it has grown by `by` more.
 * Resolves with the last value.
 */
async function growsBy(read: () => Promise<number>, by: number, what: string): Promise<number> {
  let last = 0;
  const base = await waitFor(async () => ((last = await read()) > 0 ? last : 0), () => `${what}: any frames (last ${last})`);
  return waitFor(async () => ((last = await read()) >= base + by ? last : 0), () => `${what}: ${by} more frames than ${base} (last ${last})`);
}

/** A plain PeerJS Peer on `server`, open. */
async function openPeer(server: string): Promise<Peer> {
  const url = new URL(server);
  const peer = new Peer(`vr-${crypto.randomUUID().replaceAll('-', '')}`, {
    host: url.hostname,
    port: Number(url.port),
    path: `${url.pathname}/`,
    key: 'peerjs',
    config: { iceServers: [] },
    debug: 0,
  });
  await new Promise((resolve, reject) => {
    peer.once('open', resolve);
    peer.once('error', reject);
  });
  return peer;
}

/** A fresh fake camera and microphone. */
function camera(): Promise<MediaStream> {
  return navigator.mediaDevices.getUserMedia({ video: true, audio: true });
}

/** What a video-room call through the attacker looks like once set up. */
interface RoomMitm {
  room: string;
  rendezvous: string;
  attacker: Attacker;
  /** The <video-room> in this page: the victim who dials the rendezvous id. */
  element: VideoRoomElement;
  /** Its participant id. */
  elementId: string;
  /** The participants-plugin handle of the remote page that holds the room. */
  remote: string;
  close(): Promise<void>;
}

/**
 * The shared setup of the video-room MITM tests: a remote participant (another browser
 * process, same engine as this page) takes `room` on the hostile broker, an attacker has its
 * rendezvous id diverted to itself, and a `<video-room>` in this page joins through it.
 * `secret` (optional) goes into both pages' URL fragment as `#vr-secret=…` (the broker-blind
 * rendezvous id derived from it is the one diverted). Without a secret, resolves once the element
 * has joined; with one, once it has started joining (it is not expected to get in).
 */
async function roomThroughAttacker(options: { secret?: string } = {}): Promise<RoomMitm> {
  const room = uniqueRoom('mitm');
  const rendezvous = (await rendezvousIds(room, options.secret))[0];
  const hash = options.secret ? `vr-secret=${encodeURIComponent(options.secret)}` : undefined;
  const attacker = await startAttacker({ server: MITM, target: rendezvous });
  let remote: string | undefined;
  let element: VideoRoomElement | undefined;
  const previousUrl = location.href;
  const close = async () => {
    element?.leave();
    if (hash) {
      // The page remembers a secret it read (for a rejoin or a reload): the next test must not get it.
      forgetPageSecret();
      history.replaceState(null, '', previousUrl);
    }
    if (remote) await participant('close', { handle: remote });
    await attacker.stop();
  };
  try {
    const browser = isFirefox ? 'firefox' : 'chromium';
    // Launching can outlast one command's 20 s on a busy machine; the launch goes on meanwhile.
    await waitFor(() => participant('launch', { browser }).then(() => true, () => false), `the remote ${browser} started`, 90_000);
    remote = await participant<string>('join', {
      browser,
      room,
      name: 'Remote',
      server: MITM,
      hash,
    });
    // It holds the rendezvous id once it has joined an empty room.
    await waitFor(async () => (await participant<{ state: string }>('state', { handle: remote })).state === 'joined', 'the remote page joined');
    if (hash) history.replaceState(null, '', `#${hash}`);
    element = await fixture<VideoRoomElement>(html`<video-room room=${room} server=${MITM} name="Local"></video-room>`);
    const joined = new Promise<{ id: string }>((resolve) => element!.addEventListener(EVENTS.joined, (e) => resolve((e as CustomEvent<{ id: string }>).detail), { once: true }));
    // The call's code loaded first: join() then creates the room at once, and its id can be read.
    await loadRoom();
    const joining = element.join();
    const elementId = (element as unknown as { roomCtl: RoomController }).roomCtl.room!.id;
    if (!options.secret) {
      await joining;
      expect((await joined).id).to.equal(elementId);
    }
    return { room, rendezvous, attacker, element, elementId, remote, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** The one intercepted connection the attacker should hold. */
async function onlyIntercept(attacker: Attacker): Promise<InterceptStats> {
  const { intercepts } = await attacker.stats();
  expect(intercepts, 'connections the attacker intercepted').to.have.length(1);
  return intercepts[0];
}

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
        // Nothing but the two proofs ever crossed the attacker: no hello, name, roster or key.
        expect(Object.keys(seen.relayed.toTarget).filter((t) => t !== 'auth')).to.deep.equal([]);
        expect(Object.keys(seen.relayed.toVictim).filter((t) => t !== 'auth')).to.deep.equal([]);
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
      // The protocol went through it verbatim; the signalling it terminated on each leg.
      expect(seen.relayed.toTarget.hello, 'hellos relayed to the room').to.be.at.least(1);
      expect(seen.relayed.toVictim.hello, 'hellos relayed to the element').to.be.at.least(1);
      expect(seen.relayed.toVictim.roster, 'rosters relayed to the element').to.be.at.least(1);
      expect(seen.terminated.fromVictim.sdp).to.be.at.least(1);
      expect(seen.terminated.fromTarget.sdp).to.be.at.least(1);
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
