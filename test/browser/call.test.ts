import { expect } from '@open-wc/testing';
import { executeServerCommand, setViewport } from '@web/test-runner-commands';
import { EVENTS } from '../../src/constants.js';
import { rendezvousIds } from '../../src/room/room-id.js';
import {
  audioSamples,
  decodedFrames,
  mountRooms,
  nextEvent,
  peerConnections,
  tileFrames,
  uniqueRoom,
  waitFor,
  waitForFullMeshMedia,
} from './helpers.js';
import { simultaneousJoins } from './mesh-report.js';

const isFirefox = navigator.userAgent.includes('Firefox');

interface BrokerLog {
  connected: string[];
  relayed: { type: string; src: string; dst: string; media?: string[] }[];
}

describe('calls between <video-room> elements over a real PeerServer', () => {
  it('two participants decode each other’s video', async () => {
    const [a, b] = await mountRooms(2, uniqueRoom('two'));
    await Promise.all([a.join(), b.join()]);
    expect(a.state).to.equal('joined');
    expect(b.state).to.equal('joined');
    await waitForFullMeshMedia([a, b]);
    expect(a.participants.map((p) => p.name)).to.deep.equal(['P1']);
    expect(b.participants.map((p) => p.name)).to.deep.equal(['P0']);
    // One RTCPeerConnection per remote participant.
    expect(peerConnections(a)).to.have.length(1);
    // Remote audio arrives and plays (or, where autoplay is refused, the sound button shows).
    await waitFor(async () => (await audioSamples(b))[0] > 4800, 'b receiving a’s audio');
    await a.updateComplete;
    const audio = a.shadowRoot!.querySelector<HTMLAudioElement>('audio')!;
    const soundButton = () => [...a.shadowRoot!.querySelectorAll('button')].some((button) => /enable sound/i.test(button.textContent ?? ''));
    await waitFor(() => !audio.paused || soundButton(), 'remote audio playing or the sound button shown');
    expect(audio.srcObject).to.be.instanceOf(MediaStream);
    expect((audio.srcObject as MediaStream).getAudioTracks()).to.have.length(1);
  });

  it('renders keep each tile’s player: a stream is given to a media element once, not on every render', async () => {
    const [a, b] = await mountRooms(2, uniqueRoom('reload'));
    await Promise.all([a.join(), b.join()]);
    await waitForFullMeshMedia([a, b]);
    const media = [...a.shadowRoot!.querySelectorAll<HTMLMediaElement>('video, audio')].filter((m) => m.srcObject);
    expect(media.length).to.be.at.least(3); // our tile, the remote tile, the remote audio
    // The load algorithm fires `emptied` on a media element that had a resource, then `loadstart`.
    let reloads = 0;
    for (const m of media) for (const type of ['emptied', 'loadstart']) m.addEventListener(type, () => reloads++);
    for (let i = 0; i < 5; i++) {
      a.requestUpdate();
      await a.updateComplete;
    }
    // A state change of the far end redraws a's whole grid too.
    b.toggleAudio(true);
    await waitFor(() => a.participants[0]?.audioMuted === true, 'b’s mute reaching a');
    await a.updateComplete;
    // A reload would run as a task after the renders: let the event loop turn before counting.
    const before = tileFrames(a);
    await waitFor(() => tileFrames(a).every((n, i) => n > before[i]), 'every tile presenting new frames');
    expect(reloads).to.equal(0);
  });

  it('the broker carries only the data-channel handshake and never sees the room name', async () => {
    const room = uniqueRoom('broker-blind');
    const [a, b] = await mountRooms(2, room);
    const ids = await Promise.all(
      [a, b].map(async (el) => {
        const joined = nextEvent<{ id: string }>(el, EVENTS.joined);
        await el.join();
        return (await joined).id;
      }),
    );
    await waitForFullMeshMedia([a, b]);
    const [rendezvous] = await rendezvousIds(room);
    const log = await executeServerCommand<BrokerLog, object>('vr-broker-log', { ids: [...ids, rendezvous] });
    // Our two ids and the room's rendezvous id are all the broker knew us by: no room name.
    expect([...new Set(log.connected)].sort()).to.deep.equal([...ids, rendezvous].sort());
    for (const id of log.connected) expect(id).not.to.contain('broker-blind');
    // One round: one offer and one answer for the pair, which negotiate the data channel and the
    // camera and microphone together. Nothing but their ICE candidates went through the broker.
    const sdps = log.relayed.filter((m) => m.type === 'OFFER' || m.type === 'ANSWER');
    expect(sdps.map((m) => m.type).sort()).to.deep.equal(['ANSWER', 'OFFER']);
    for (const m of sdps) expect([...m.media!].sort()).to.deep.equal(['application', 'audio', 'video']);
    expect(log.relayed.filter((m) => !['OFFER', 'ANSWER', 'CANDIDATE'].includes(m.type))).to.deep.equal([]);
    // No second round over the channel added a section: what is in use is what the broker saw.
    for (const el of [a, b]) {
      const pc = peerConnections(el)[0]!;
      expect([...pc.localDescription!.sdp.matchAll(/^m=(\w+)/gm)].map((m) => m[1])).to.deep.equal(sdps[0]!.media);
    }
    // And once the call is up, the broker relays nothing more for the pair.
    await waitFor(async () => (await audioSamples(b))[0] > 4800, 'b receiving a’s audio');
    const later = await executeServerCommand<BrokerLog, object>('vr-broker-log', { ids: [...ids, rendezvous] });
    expect(later.relayed).to.have.length(log.relayed.length);
  });

  it('four participants form a full mesh and each decodes every other’s video', async () => {
    // Every element in view (three 320-px elements to a row): Chromium pauses a muted autoplay
    // video out of view, and a tile of the third element, half outside an 800-px viewport,
    // stopped presenting frames under load while its frames still decoded.
    await setViewport({ width: 1000, height: 700 });
    try {
      const elements = await mountRooms(4, uniqueRoom('four'));
      for (const el of elements) await el.join();
      await waitForFullMeshMedia(elements);
      for (const el of elements) {
        expect(el.participants).to.have.length(3);
        expect(peerConnections(el)).to.have.length(3);
      }
    } finally {
      await setViewport({ width: 800, height: 600 });
    }
  });

  it('six simultaneous joins converge to one full mesh', async function () {
    this.timeout(180_000);
    await simultaneousJoins(6, 'six simultaneous joins');
  });

  it('a participant leaves and rejoins', async () => {
    const [a, b] = await mountRooms(2, uniqueRoom('rejoin'));
    await a.join();
    await b.join();
    await waitForFullMeshMedia([a, b]);

    const left = nextEvent<{ reason: string; participant: { name: string } }>(a, EVENTS.peerLeft);
    b.leave();
    const detail = await left;
    expect(detail.reason).to.equal('left');
    expect(detail.participant.name).to.equal('P1');
    expect(b.state).to.equal('left');
    expect(b.localStream).to.equal(null);
    expect(a.participants).to.have.length(0);
    await a.updateComplete;
    expect(tileFrames(a)).to.have.length(0);
    expect(peerConnections(b)).to.have.length(0);

    await b.join();
    await waitForFullMeshMedia([a, b]);
    expect((await decodedFrames(b)).length).to.equal(1);
  });

  it(`calls a participant in ${isFirefox ? 'Chromium' : 'Firefox'}`, async () => {
    const room = uniqueRoom('cross');
    const other = isFirefox ? 'chromium' : 'firefox';
    const [a] = await mountRooms(1, room);
    await a.join();
    const handle = await executeServerCommand<string, object>('vr-participant', { action: 'join', browser: other, room, name: 'Other' });
    try {
      await waitForFullMeshMedia([a], 5, 60_000, 1);
      expect(a.participants.map((p) => p.name)).to.deep.equal(['Other']);
      const remote = await waitFor(
        async () => {
          const frames = await executeServerCommand<number[], object>('vr-participant', { action: 'frames', handle });
          return frames.length === 1 && frames[0] >= 5 ? frames : null;
        },
        `the ${other} page decoding our video`,
      );
      expect(remote[0]).to.be.at.least(5);
    } finally {
      await executeServerCommand('vr-participant', { action: 'close', handle });
    }
  });
});
