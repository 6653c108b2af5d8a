import { expect, fixture, html } from '@open-wc/testing';
import { executeServerCommand } from '@web/test-runner-commands';
import { ERROR_CODES, EVENTS } from '../../src/constants.js';
import type { VideoRoomElement } from '../../src/video-room.component.js';
import { SERVER, mountRooms, nextEvent, uniqueRoom, waitFor, waitForFullMeshMedia } from './helpers.js';

type ErrorDetail = { code: string; message: string };

function shadow(el: VideoRoomElement): ShadowRoot {
  return el.shadowRoot!;
}

function button(el: VideoRoomElement, text: RegExp): HTMLButtonElement {
  const found = [...shadow(el).querySelectorAll('button')].find((b) => text.test(b.textContent ?? ''));
  if (!found) throw new Error(`no button ${text}`);
  return found;
}

describe('<video-room> element', () => {
  it('shows a pre-join panel with a mirrored, muted local preview, a name field and a Join button', async () => {
    const [el] = await mountRooms(1, uniqueRoom('prejoin'));
    expect(el.state).to.equal('idle');
    await waitFor(() => el.localStream, 'the preview stream');
    await el.updateComplete;
    const tile = shadow(el).querySelector('[part~="tile"]')!;
    expect(tile.getAttribute('part')).to.equal('tile local');
    const video = tile.querySelector<HTMLVideoElement>('video[part="video"]')!;
    expect(video.muted).to.equal(true);
    expect((video.srcObject as MediaStream).getTracks()).to.deep.equal(el.localStream!.getTracks());
    expect(getComputedStyle(video).transform).to.not.equal('none');
    expect(shadow(el).querySelector('input')!.value).to.equal('P0');
    expect(button(el, /^\s*Join\s*$/).type).to.equal('submit');
    expect(shadow(el).querySelector('[role="status"]')!.textContent).to.contain('Ready to join');
  });

  it('reports bad attributes with documented vr-error codes and stays usable', async () => {
    const [el] = await mountRooms(1, '');
    const cases: [() => void, string][] = [
      [() => (el.room = '  '), ERROR_CODES.invalidRoom],
      [() => ((el.room = 'x'), (el.iceServers = '{not json')), ERROR_CODES.invalidIceServers],
      [() => ((el.iceServers = null), (el.maxParticipants = 1)), ERROR_CODES.invalidMaxParticipants],
      [() => ((el.maxParticipants = 8), (el.server = 'ftp://nowhere/')), ERROR_CODES.invalidServer],
    ];
    for (const [set, code] of cases) {
      set();
      const error = nextEvent<ErrorDetail>(el, EVENTS.error);
      await el.join();
      expect((await error).code).to.equal(code);
      expect(el.state).to.equal('idle');
      await el.updateComplete;
      expect(shadow(el).querySelector('.message')!.textContent).to.equal((await error).message);
    }
    // Corrected, the same element joins.
    el.server = SERVER;
    el.room = uniqueRoom('usable');
    await el.join();
    expect(el.state).to.equal('joined');
  });

  it('fires broker-unreachable and shows the error state when the PeerServer is down', async () => {
    const [el] = await mountRooms(1, uniqueRoom('down'));
    el.server = 'http://127.0.0.1:9/peerjs';
    const error = nextEvent<ErrorDetail>(el, EVENTS.error);
    await el.join();
    expect((await error).code).to.equal(ERROR_CODES.brokerUnreachable);
    expect(el.state).to.equal('error');
    await el.updateComplete;
    expect(shadow(el).querySelector('[role="status"]')!.textContent).to.contain('Something went wrong');
  });

  it('fires state, join, peer and leave events in order', async () => {
    const [a, b] = await mountRooms(2, uniqueRoom('events'));
    const states: string[] = [];
    a.addEventListener(EVENTS.stateChange, (e) => states.push(`${e.detail.previous}>${e.detail.state}`));
    const joined = nextEvent<{ room: string; id: string }>(a, EVENTS.joined);
    await a.join();
    expect((await joined).room).to.equal(a.room);
    const peerJoined = nextEvent<{ participant: { name: string } }>(a, EVENTS.peerJoined);
    await b.join();
    expect((await peerJoined).participant.name).to.equal('P1');
    const left = nextEvent<{ room: string }>(a, EVENTS.left);
    a.leave();
    await left;
    expect(states).to.deep.equal(['idle>joining', 'joining>joined', 'joined>left']);
    await waitFor(() => b.participants.length === 0, 'b sees a leave');
  });

  it('mutes microphone and camera locally and on every remote tile', async () => {
    const [a, b] = await mountRooms(2, uniqueRoom('mute'));
    await a.join();
    await b.join();
    await waitForFullMeshMedia([a, b]);

    const local = nextEvent<{ local: boolean; audioMuted: boolean }>(a, EVENTS.muteChange);
    const remote = nextEvent<{ local: boolean; audioMuted: boolean; name: string }>(b, EVENTS.muteChange);
    expect(a.toggleAudio()).to.equal(true);
    expect((await local).local).to.equal(true);
    expect(a.hasAttribute('audio-muted')).to.equal(true);
    expect(a.localStream!.getAudioTracks()[0].enabled).to.equal(false);
    const seen = await remote;
    expect(seen).to.include({ local: false, audioMuted: true, name: 'P0' });
    expect(b.participants[0].audioMuted).to.equal(true);
    await b.updateComplete;
    expect(shadow(b).querySelector('[part~="tile"]:not([part~="local"]) [part="name"]')!.textContent).to.contain('muted');

    a.toggleVideo(true);
    await waitFor(() => b.participants[0].videoMuted, 'b sees the camera off');
    await b.updateComplete;
    const remoteTile = shadow(b).querySelector('[part~="tile"]:not([part~="local"])')!;
    expect(remoteTile.querySelector('video')!.hidden).to.equal(true);
    expect(remoteTile.querySelector('.avatar')!.textContent).to.equal('P');

    // The host setting the attribute mutes too.
    a.removeAttribute('audio-muted');
    await waitFor(() => !b.participants[0].audioMuted, 'b sees the microphone back');
  });

  it('turns away a joiner when the room is full, leaving the others alone', async () => {
    const [a, b, c] = await mountRooms(3, uniqueRoom('full'), 2);
    await a.join();
    await b.join();
    await waitFor(() => a.participants.length === 1 && b.participants.length === 1, 'two in the room');
    // Any verification failure on the way is named in the assertion's message.
    const failures: string[] = [];
    c.addEventListener(EVENTS.peerVerificationFailed, (e) => failures.push(JSON.stringify((e as CustomEvent).detail)));
    const error = nextEvent<ErrorDetail>(c, EVENTS.error);
    await c.join();
    expect((await error).code, failures.join('; ')).to.equal(ERROR_CODES.roomFull);
    expect(c.state).to.equal('error');
    expect(a.participants.map((p) => p.name)).to.deep.equal(['P1']);
    expect(b.participants.map((p) => p.name)).to.deep.equal(['P0']);
  });

  it('shows a peer’s name as text, never as HTML', async () => {
    const [a, b] = await mountRooms(2, uniqueRoom('names'));
    b.name = '<img src=x onerror="window.__pwned=1">';
    await a.join();
    await b.join();
    await waitFor(() => a.participants.length === 1, 'a sees b');
    await a.updateComplete;
    const label = shadow(a).querySelector('[part~="tile"]:not([part~="local"]) [part="name"]')!;
    expect(label.textContent).to.contain('<img');
    expect(shadow(a).querySelector('img')).to.equal(null);
    expect((window as unknown as { __pwned?: number }).__pwned).to.equal(undefined);
  });

  it('makes Lit print no dev-mode warnings through a whole call', async () => {
    const warnings: string[] = [];
    const original = console.warn;
    console.warn = (...args: unknown[]) => {
      warnings.push(args.map(String).join(' '));
      original.apply(console, args);
    };
    try {
      const [a, b] = await mountRooms(2, uniqueRoom('warnings'));
      await a.join();
      await b.join();
      await waitForFullMeshMedia([a, b]);
      a.toggleAudio();
      a.toggleVideo();
      await waitFor(() => b.participants[0]?.videoMuted, 'b sees a’s camera off');
      a.leave();
      await waitFor(() => b.participants.length === 0, 'b sees a leave');
      await Promise.all([a.updateComplete, b.updateComplete]);
    } finally {
      console.warn = original;
    }
    expect(warnings.filter((w) => w.includes('lit.dev'))).to.deep.equal([]);
  });

  it('joins by itself with autojoin and skips the pre-join panel', async () => {
    const room = uniqueRoom('autojoin');
    const el = await fixture<VideoRoomElement>(html`<video-room room=${room} server=${SERVER} autojoin></video-room>`);
    await waitFor(() => el.state === 'joined', 'autojoin joined');
    await el.updateComplete;
    expect(shadow(el).querySelector('[part="prejoin"]')).to.equal(null);
    expect(shadow(el).querySelector('[part="grid"]')).to.not.equal(null);
  });

  it('releases camera, microphone and connections when removed from the page', async () => {
    const [a, b] = await mountRooms(2, uniqueRoom('removed'));
    await a.join();
    await b.join();
    await waitForFullMeshMedia([a, b]);
    const tracks = a.localStream!.getTracks();
    const pcs = (a as unknown as { roomCtl: { room: { peerConnections: RTCPeerConnection[] } } }).roomCtl.room.peerConnections;
    const left = nextEvent<{ reason: string }>(b, EVENTS.peerLeft);
    a.remove();
    expect(tracks.every((t) => t.readyState === 'ended')).to.equal(true);
    expect((await left).reason).to.equal('left');
    // Links close once the goodbye is through (the peer closes in answer).
    await waitFor(() => pcs.every((pc) => pc.connectionState === 'closed'), 'every peer connection closed', 5000);
  });

  it('offers “click to enable sound” where autoplay is blocked, and plays on click', async () => {
    // The blocked page is a separate Chromium, whichever browser runs this test.
    const room = uniqueRoom('autoplay');
    const [a] = await mountRooms(1, room);
    await a.join();
    const handle = await executeServerCommand<string, object>('vr-participant', { action: 'join', browser: 'chromium-no-autoplay', room, name: 'Blocked' });
    try {
      await waitFor(() => a.participants.length === 1, 'the blocked page joins');
      const shown = await waitFor(
        () => executeServerCommand<boolean, object>('vr-participant', { action: 'soundBlocked', handle }),
        'the sound button on the blocked page',
      );
      expect(shown).to.equal(true);
      const playing = await executeServerCommand<boolean, object>('vr-participant', { action: 'enableSound', handle });
      expect(playing).to.equal(true);
      // That page was refused the camera: it said so, and still joined to see and hear us.
      expect(await executeServerCommand<string[], object>('vr-participant', { action: 'errors', handle })).to.deep.equal([
        'media-permission-denied',
      ]);
      // We see its name on an avatar tile, not a black video.
      await waitFor(() => a.participants[0]?.videoMuted && a.participants[0]?.audioMuted, 'the receive-only peer shown as off');
      await a.updateComplete;
      const tile = a.shadowRoot!.querySelector('[part~="tile"]:not([part~="local"])')!;
      expect(tile.querySelector('video')!.hidden).to.equal(true);
      expect(tile.querySelector('.avatar')!.textContent).to.equal('B');
      expect(tile.getAttribute('aria-label')).to.equal('Blocked');
      await waitFor(
        async () => (await executeServerCommand<number[], object>('vr-participant', { action: 'frames', handle }))[0] >= 5,
        'the receive-only page decoding our video',
      );
    } finally {
      await executeServerCommand('vr-participant', { action: 'close', handle });
    }
  });
});

describe('slots', () => {
  it('shows the host’s empty-room message while alone, and the host’s extra buttons in the control bar', async () => {
    const container = await fixture<HTMLDivElement>(html`<div>
      <video-room room=${uniqueRoom('slots')} server=${SERVER} name="P0">
        <span slot="empty">Your tutor will be with you shortly.</span>
        <button slot="controls" type="button">Raise hand</button>
      </video-room>
      <video-room server=${SERVER} name="P1"></video-room>
    </div>`);
    const [a, b] = [...container.querySelectorAll('video-room')] as VideoRoomElement[];
    b!.room = a!.room;
    await a!.join();
    await a!.updateComplete;
    const empty = a!.shadowRoot!.querySelector<HTMLSlotElement>('slot[name="empty"]')!;
    expect(empty.assignedElements().map((e) => e.textContent)).to.deep.equal(['Your tutor will be with you shortly.']);
    const controls = a!.shadowRoot!.querySelector<HTMLSlotElement>('[part="controls"] slot[name="controls"]')!;
    expect(controls.assignedElements().map((e) => e.textContent)).to.deep.equal(['Raise hand']);
    // Someone else arrives: the empty-room message goes.
    await b!.join();
    await waitFor(() => a!.participants.length === 1, 'P1 in the call');
    await a!.updateComplete;
    expect(a!.shadowRoot!.querySelector('slot[name="empty"]')).to.equal(null);
    // The default message, without a slotted one.
    await waitFor(() => b!.participants.length === 1, 'P0 seen by P1');
    a!.leave();
    await waitFor(() => b!.participants.length === 0, 'P0 gone');
    await b!.updateComplete;
    expect(b!.shadowRoot!.querySelector('[part="empty"]')!.textContent!.trim()).to.equal('Nobody else is here yet.');
    b!.leave();
  });
});
