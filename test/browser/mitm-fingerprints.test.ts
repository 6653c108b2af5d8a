/**
 * A broker that lies cleverly: in the first handshake it lists two DTLS fingerprints, the real
 * party's and the attacker's (test/plugins/mitm-broker.mjs, `fingerprints: <shape>`). Browsers
 * accept such a description. Measured here: Chromium completes DTLS only against the last line
 * (a media-level line winning over a session-level one) and reads back only that line from
 * `remoteDescription`; Firefox completes it against either media-level line, and against a
 * media-level one over a session-level one, and reads the description back as given. A check
 * that reads the first line of the SDP can then verify the honest certificate while DTLS runs
 * with the attacker.
 *
 * The controls show the attack works on plain PeerJS (the attacker decodes both sides' video)
 * for the shapes each browser takes, and that it fails for the others. The product tests ask `<video-room>` to refuse every
 * shape, with a room secret and without, on both sides, before anything of the call crosses.
 */
import { expect } from '@open-wc/testing';
import type { MediaConnection } from 'peerjs';
import '../../src/video-room.js';
import { ERROR_CODES, EVENTS } from '../../src/constants.js';
import { participant, waitFor } from './helpers.js';
import {
  diversionLog,
  FINGERPRINT_SHAPES,
  fingerprints,
  fingerprintShape,
  sdpFingerprint,
  startAttacker,
  videoCounter,
  type Attacker,
  type FingerprintShape,
  type InterceptStats,
} from './mitm-attacker.js';
import { camera, FRAMES, growsBy, isFirefox, MITM, openPeer, roomThroughAttacker, type RoomMitm } from './mitm-room.js';

const browser = isFirefox ? 'Firefox' : 'Chromium';
/**
 * The shapes with which this browser completes DTLS with the attacker on both legs (measured
 * here with plain PeerJS media calls: Firefox too lets a media-level line win over a
 * session-level one, so the honest media-level line of `session-attacker` fails its DTLS).
 */
const ACCEPTED: readonly FingerprintShape[] = isFirefox ? ['media-real-first', 'media-attacker-first', 'session-real'] : ['media-real-first', 'session-real'];
/** Protocol messages that may cross the attacker before a refusal: the secret's proof, a heartbeat, a goodbye. Nothing of the call. */
const HARMLESS = new Set(['auth', 'hb', 'bye']);
const SECRET = 'only the room knows this';

/** What the attacker got of the call so far, or null if nothing: relayed messages beyond HARMLESS, decoded frames. */
function leaked(intercepts: InterceptStats[]): string | null {
  for (const seen of intercepts) {
    const types = [...Object.keys(seen.relayed.toTarget), ...Object.keys(seen.relayed.toVictim)].filter((t) => !HARMLESS.has(t));
    if (types.length > 0 || seen.victimLeg.framesDecoded > 0 || seen.targetLeg.framesDecoded > 0)
      return `the attacker got through: relayed ${JSON.stringify(seen.relayed)}, decoded ${seen.victimLeg.framesDecoded} (element) and ${seen.targetLeg.framesDecoded} (remote) frames`;
  }
  return null;
}

/** Both honest sides try to chat: the remote page (joined), and the element once joined. */
async function tryChat({ element, remote }: RoomMitm): Promise<void> {
  if (element.state === 'joined') element.sendMessage('from the element: not for the broker');
  await participant('chat', { handle: remote, text: 'from the remote page: not for the broker' });
}

describe('a broker listing two fingerprints in the first handshake', function () {
  // Room tests may first wait out a slow launch of the remote browser.
  this.timeout(180_000);

  /** Browser × shape → what plain PeerJS did, for the log. */
  const matrix: Record<string, string> = {};
  /** Shape → what each victim's remote description shows, for the log. */
  const views: Record<string, { a: string; b: string }> = {};
  after(() => console.log(`duplicate fingerprints, ${browser} (plain PeerJS): ${JSON.stringify(matrix)}; remote descriptions read back: ${JSON.stringify(views)}`));

  for (const shape of FINGERPRINT_SHAPES) {
    const accepted = ACCEPTED.includes(shape);
    const outcome = accepted ? 'the attacker gets video from both sides' : 'DTLS with the attacker fails';
    it(`control: plain PeerJS, ${shape}: ${outcome}`, async () => {
      const [a, b] = await Promise.all([openPeer(MITM), openPeer(MITM)]);
      const attacker = await startAttacker({ server: MITM, target: b.id, fingerprints: shape });
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
        const [pcA, pcB] = [callA.peerConnection, callB.peerConnection];
        const seen = async () => (await attacker.stats()).intercepts[0];

        // The broker mounted the attack: what it delivered to each victim lists the honest
        // party's fingerprint and the attacker's, in the shape.
        await waitFor(() => pcA?.remoteDescription && pcB?.remoteDescription, 'both victims holding a remote description');
        // Read now: where DTLS fails, PeerJS closes the connection, and Firefox then throws on
        // reading its descriptions (InvalidStateError), which a loaded machine reaches first.
        const remote = new Map([pcA, pcB].map((pc) => [pc, pc.remoteDescription?.sdp]));
        const [realA, realB] = [fingerprints(pcA).local!, fingerprints(pcB).local!];
        const lies = (await diversionLog(b.id)).filter((m) => m.fingerprints);
        const told = (victim: string) => lies.find((m) => m.deliveredTo === victim && (m.type === 'OFFER' || m.type === 'ANSWER'))?.fingerprints;
        expect(told(a.id), 'what the broker told A').to.deep.include({ shape, real: realB, attacker: attacker.fingerprint });
        expect(told(b.id), 'what the broker told B').to.deep.include({ shape, real: realA, attacker: attacker.fingerprint });
        // A reader of the relayed SDP's first line would see the honest fingerprint.
        expect(told(a.id)?.listed[0] === realB).to.equal(shape.includes('real-first') || shape === 'session-real');
        // What script then reads back from each victim's remote description (measured, see `views`).
        const view = (pc: RTCPeerConnection, real: string) => {
          const first = sdpFingerprint(remote.get(pc));
          return `${fingerprintShape(remote.get(pc), real, attacker.fingerprint) ?? 'one line'}, first ${first === real ? 'real' : first === attacker.fingerprint ? 'attacker' : first}`;
        };
        views[shape] = { a: view(pcA, realB), b: view(pcB, realA) };

        const result = await waitFor(
          async () => {
            const legs = await seen();
            if (legs && legs.victimLeg.framesDecoded > 0 && legs.targetLeg.framesDecoded > 0) return 'accepted';
            // A victim's DTLS failing ends the call: the attacker then closes the other leg too.
            return pcA.connectionState === 'failed' || pcB.connectionState === 'failed' ? 'refused' : null;
          },
          () => `the attacker decoding both sides, or a victim's connection failing (A ${pcA.connectionState}, B ${pcB.connectionState})`,
        );
        matrix[shape] = result;
        expect(result).to.equal(accepted ? 'accepted' : 'refused');

        if (accepted) {
          await growsBy(async () => (await seen())?.victimLeg.framesDecoded ?? 0, FRAMES, 'the attacker decoding A’s video');
          await growsBy(async () => (await seen())?.targetLeg.framesDecoded ?? 0, FRAMES, 'the attacker decoding B’s video');
          // Firefox keeps the description as given: where the honest line comes first, a first-line
          // reader of it verifies the honest certificate. Chromium re-serialises it with only the
          // line DTLS uses.
          const realFirst = shape === 'media-real-first' || shape === 'session-real';
          const first = isFirefox && realFirst ? [realB, realA] : [attacker.fingerprint, attacker.fingerprint];
          expect(sdpFingerprint(pcA.remoteDescription?.sdp), 'A’s first fingerprint line').to.equal(first[0]);
          expect(sdpFingerprint(pcB.remoteDescription?.sdp), 'B’s first fingerprint line').to.equal(first[1]);
        } else {
          const legs = await seen();
          expect(legs?.victimLeg.framesDecoded ?? 0, 'A’s video at the attacker').to.equal(0);
          expect(legs?.targetLeg.framesDecoded ?? 0, 'B’s video at the attacker').to.equal(0);
          expect(await videoCounter(pcA, 'inbound-rtp', 'framesDecoded'), 'video at A').to.equal(0);
        }
      } finally {
        await attacker.stop();
        for (const track of [...streamA.getTracks(), ...streamB.getTracks()]) track.stop();
        a.destroy();
        b.destroy();
      }
    });
  }

  for (const shape of FINGERPRINT_SHAPES)
    for (const secret of [SECRET, undefined]) {
      it(`video-room ${secret ? 'with' : 'without'} a secret refuses ${shape} on both sides: no media, chat or key crosses, e2ee-mitm-suspected`, async () => {
        const failed: { code: string; reason: string }[] = [];
        const errors: string[] = [];
        const onFailed = (event: Event) => failed.push((event as CustomEvent<{ code: string; reason: string }>).detail);
        const onError = (event: Event) => errors.push((event as CustomEvent<{ code: string }>).detail.code);
        document.addEventListener(EVENTS.peerVerificationFailed, onFailed);
        document.addEventListener(EVENTS.error, onError);
        let mitm: RoomMitm | undefined;
        try {
          // Not waiting for the join: where DTLS with the attacker fails, it may not end soon.
          mitm = await roomThroughAttacker({ secret, fingerprints: shape, awaitJoin: false });
          const { attacker, element, remote } = mitm;
          const room = mitm;
          // Both sides keep trying to chat, and the attacker is watched for anything of the call,
          // until both have refused.
          const result = await waitFor(
            async () => {
              await tryChat(room);
              const leak = leaked((await attacker.stats()).intercepts);
              if (leak) return leak;
              if (!secret && element.participants.some((p) => p.verificationCode)) return 'a short code was shown';
              const remoteErrors = await participant<string[]>('errors', { handle: remote });
              return failed.length > 0 && remoteErrors.includes(ERROR_CODES.e2eeMitmSuspected) ? 'refused' : null;
            },
            'both sides refusing the connection, or the attacker getting something',
          );
          expect(result).to.equal('refused');
          expect(failed[0]).to.include({ code: ERROR_CODES.e2eeMitmSuspected, reason: 'fingerprint-duplicate' });
          expect(errors).to.include(ERROR_CODES.e2eeMitmSuspected);

          // One more try at chat after the refusal, then what the attacker holds.
          await tryChat(room);
          await expectNothingCrossed(attacker, !!secret);
          // The broker did mount the attack on this connection.
          const lies = (await diversionLog()).filter((m) => m.fingerprints);
          expect(lies.some((m) => m.fingerprints?.shape === shape && m.deliveredTo === mitm!.elementId), 'a rewritten answer to the element').to.equal(true);
          expect(lies.some((m) => m.fingerprints?.shape === shape && m.deliveredTo === mitm!.rendezvous), 'a rewritten offer to the room').to.equal(true);
          expect(element.participants).to.deep.equal([]);
          expect((await participant<{ participants: string[] }>('state', { handle: remote })).participants).to.deep.equal([]);
        } finally {
          document.removeEventListener(EVENTS.peerVerificationFailed, onFailed);
          document.removeEventListener(EVENTS.error, onError);
          await mitm?.close();
        }
      });
    }
});

/** Asserts that no frame, chat, key or other message of the call reached the attacker (nor a short-code exchange without a secret). */
async function expectNothingCrossed(attacker: Attacker, secret: boolean): Promise<void> {
  const { intercepts } = await attacker.stats();
  expect(intercepts.length, 'connections the attacker intercepted').to.be.at.least(1);
  for (const seen of intercepts) {
    for (const relayed of [seen.relayed.toTarget, seen.relayed.toVictim]) {
      for (const type of ['chat', 'key', 'sealed', 'hello', 'roster', 'sas-commit', 'sas-reveal']) expect(relayed[type] ?? 0, `${type} relayed`).to.equal(0);
      expect(Object.keys(relayed).filter((t) => !HARMLESS.has(t)), 'relayed message types').to.deep.equal([]);
      if (!secret) expect(relayed.auth ?? 0, 'proofs relayed without a secret').to.equal(0);
    }
    expect(seen.victimLeg.framesDecoded, 'the element’s video at the attacker').to.equal(0);
    expect(seen.targetLeg.framesDecoded, 'the remote video at the attacker').to.equal(0);
  }
}
