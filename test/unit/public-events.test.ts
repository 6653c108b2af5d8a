import { expect } from '@open-wc/testing';
import { ERROR_CODES, EVENTS } from '../../src/constants.js';
import type { Participant, RoomEvents } from '../../src/room/room.js';
import { CallStore, type CallState } from '../../src/store/call-store.js';
import { PUBLIC_EVENTS, ROOM_EVENT_NAMES, publicEvents, type CoreEvents, type MediaEvents, type PublicEvent } from '../../src/store/public-events.js';
import { MediaError } from '../../src/media/local-media.js';
import { EN } from '../../src/i18n/strings.js';
import { FakeRoom, videoTrack } from './fake-room.js';

// Every event of the Room and of the local media, by name: the compiler checks these lists against
// RoomEvents and MediaEvents (a key missing or extra fails `tsc`), the tests below check the table.
const ROOM_EVENTS = {
  state: 1,
  'peer-joined': 1,
  'peer-left': 1,
  'peer-updated': 1,
  'peer-track': 1,
  'peer-screen': 1,
  'peer-verified': 1,
  'peer-code': 1,
  'peer-reconnecting': 1,
  'peer-quality': 1,
  chat: 1,
  'verification-failed': 1,
  'key-epoch': 1,
  broker: 1,
  error: 1,
} satisfies Record<keyof RoomEvents, 1>;
const MEDIA_EVENTS = {
  'media:stream': 1,
  'media:mute': 1,
  'media:device': 1,
  'media:devices': 1,
  'media:error': 1,
  'screen:start': 1,
  'screen:stop': 1,
} satisfies Record<keyof MediaEvents, 1>;
/** Events with no public event, on purpose (each says why in the table). */
const INTERNAL = ['peer-track', 'peer-code', 'key-epoch', 'media:stream', 'media:mute', 'media:devices'];

const bob: Participant = {
  id: 'bob',
  name: 'Bob',
  audioMuted: true,
  videoMuted: false,
  screenSharing: false,
  stream: new MediaStream(),
  screenStream: new MediaStream(),
  verified: false,
  code: { emoji: ['🐶', '🐱'], names: ['dog', 'cat'] },
  quality: 'poor',
};
const bobInfo = {
  id: 'bob',
  name: 'Bob',
  audioMuted: true,
  videoMuted: false,
  screenSharing: false,
  verified: false,
  verificationCode: '🐶 🐱',
  connectionQuality: 'poor',
};

/** A snapshot in a call: we are `me`, in room `lobby`, with Bob. */
function callState(changes: Partial<CallState> = {}): CallState {
  const store = new CallStore((key) => EN[key], () => undefined);
  const room = new FakeRoom();
  room.people.set('bob', bob);
  room.state = 'joined';
  store.attach(room.asRoom());
  store.set({ name: 'Me', roomName: 'lobby' });
  return { ...store.getState(), ...changes };
}

const events = <K extends keyof CoreEvents>(name: K, detail: CoreEvents[K], state = callState()) => {
  const out: PublicEvent[] = [];
  publicEvents(name, detail, state, (...event) => out.push(event));
  return out;
};

describe('public events: the table from core events to vr-* events', () => {
  it('lists every Room event (the store follows all of them) and every media event', () => {
    const mapped = Object.keys(PUBLIC_EVENTS);
    for (const name of [...Object.keys(ROOM_EVENTS), ...Object.keys(MEDIA_EVENTS)]) expect(mapped, name).to.include(name);
    expect([...ROOM_EVENT_NAMES].sort()).to.deep.equal(Object.keys(ROOM_EVENTS).sort());
  });

  it('maps every event to a public one, except those internal on purpose', () => {
    const silent = Object.entries(PUBLIC_EVENTS)
      .filter(([, rows]) => rows.length === 0)
      .map(([name]) => name);
    expect(silent.sort()).to.deep.equal([...INTERNAL].sort());
  });

  it('maps the room state to vr-state-change, then vr-joined or vr-left', () => {
    const state = callState({ previous: 'joining', id: 'me' });
    expect(events('state', { state: 'joined' }, state)).to.deep.equal([
      [EVENTS.stateChange, { state: 'joined', previous: 'joining' }],
      [EVENTS.joined, { room: 'lobby', id: 'me' }],
    ]);
    expect(events('state', { state: 'left' }, callState({ previous: 'joined' }))).to.deep.equal([
      [EVENTS.stateChange, { state: 'left', previous: 'joined' }],
      [EVENTS.left, { room: 'lobby' }],
    ]);
    expect(events('state', { state: 'error' }, callState({ previous: 'joining' }))).to.deep.equal([[EVENTS.stateChange, { state: 'error', previous: 'joining' }]]);
  });

  it('maps participants coming, going and changing, with the public view of them', () => {
    expect(events('peer-joined', { participant: bob })).to.deep.equal([[EVENTS.peerJoined, { participant: bobInfo }]]);
    expect(events('peer-left', { participant: bob, reason: 'lost' })).to.deep.equal([[EVENTS.peerLeft, { participant: bobInfo, reason: 'lost' }]]);
    expect(events('peer-updated', { participant: bob })).to.deep.equal([
      [EVENTS.muteChange, { local: false, id: 'bob', name: 'Bob', audioMuted: true, videoMuted: false, screenSharing: false }],
    ]);
    expect(events('peer-screen', { participant: bob, sharing: true })).to.deep.equal([[EVENTS.screenShareStart, { local: false, id: 'bob', name: 'Bob' }]]);
    expect(events('peer-screen', { participant: bob, sharing: false })).to.deep.equal([[EVENTS.screenShareStop, { local: false, id: 'bob', name: 'Bob' }]]);
    expect(events('peer-verified', { participant: bob, method: 'sas' })).to.deep.equal([[EVENTS.peerVerified, { participant: bobInfo, method: 'sas' }]]);
    expect(events('peer-reconnecting', { participant: bob, reconnecting: true })).to.deep.equal([
      [EVENTS.reconnecting, { local: false, id: 'bob', name: 'Bob', reconnecting: true }],
    ]);
    expect(events('peer-quality', { participant: bob, quality: 'poor', rttMs: 450, lossPercent: 2 })).to.deep.equal([
      [EVENTS.connectionQuality, { local: false, id: 'bob', name: 'Bob', quality: 'poor', rttMs: 450, lossPercent: 2 }],
    ]);
    expect(events('peer-track', { participant: bob, track: videoTrack(), screen: false })).to.deep.equal([]);
  });

  it('maps a failed verification to vr-peer-verification-failed and vr-error, with the same message', () => {
    const [failed, error] = events('verification-failed', { id: 'bob', name: 'Bob', reason: 'rejected' });
    const message = 'The code of Bob did not match yours, so that connection was closed: someone may be listening in.';
    expect(failed).to.deep.equal([EVENTS.peerVerificationFailed, { code: ERROR_CODES.e2eeMitmSuspected, message, id: 'bob', name: 'Bob', reason: 'rejected' }]);
    expect(error).to.deep.equal([EVENTS.error, { code: ERROR_CODES.e2eeMitmSuspected, message }]);
    const [, timeout] = events('verification-failed', { id: 'x', name: '', reason: 'timeout' });
    expect(timeout![1]).to.deep.equal({
      code: ERROR_CODES.e2eeMitmSuspected,
      message: 'The connection to a participant could not be verified (timeout), so it was closed: someone may be listening in.',
    });
  });

  it('maps chat to the message the store logged, and nothing while chat is off', () => {
    const message = { local: false, id: 'bob', name: 'Bob', text: 'hi', time: 5, verified: false };
    const state = callState({ messages: [message] });
    const [[type, detail]] = events('chat', { participant: bob, text: 'hi', verified: false }, state) as [PublicEvent];
    expect(type).to.equal(EVENTS.message);
    expect(detail).to.deep.equal(message);
    expect(detail).to.not.equal(message);
    expect(events('chat', { participant: bob, text: 'hi', verified: false }, callState({ chatOff: true, messages: [message] }))).to.deep.equal([]);
  });

  it('maps the broker, errors, local media and view events', () => {
    expect(events('broker', { connected: false, server: 'wss://b/' })).to.deep.equal([[EVENTS.brokerChange, { connected: false, server: 'wss://b/' }]]);
    expect(events('error', { code: ERROR_CODES.peerConnectionFailed, message: 'm' })).to.deep.equal([[EVENTS.error, { code: ERROR_CODES.peerConnectionFailed, message: 'm' }]]);
    const device = { kind: 'videoinput', deviceId: 'cam', label: 'Cam', reason: 'fallback' } as const;
    expect(events('media:device', device)).to.deep.equal([[EVENTS.deviceChange, device]]);
    expect(events('media:error', { error: new MediaError(ERROR_CODES.mediaNotFound, 'Gone.') })).to.deep.equal([
      [EVENTS.error, { code: ERROR_CODES.deviceLost, message: 'Gone. The device in use went away and no other could take over.' }],
    ]);
    const me = callState({ id: 'me' });
    expect(events('screen:start', { track: videoTrack() }, me)).to.deep.equal([[EVENTS.screenShareStart, { local: true, id: 'me', name: 'Me' }]]);
    expect(events('screen:stop', undefined, me)).to.deep.equal([[EVENTS.screenShareStop, { local: true, id: 'me', name: 'Me' }]]);
    expect(events('speaker', { id: 'bob' }, me)).to.deep.equal([[EVENTS.activeSpeaker, { local: false, id: 'bob', name: 'Bob' }]]);
    expect(events('speaker', { id: 'me' }, me)).to.deep.equal([[EVENTS.activeSpeaker, { local: true, id: 'me', name: 'Me' }]]);
    expect(events('speaker', { id: null }, me)).to.deep.equal([]);
    expect(events('view:pip', { mode: 'video' })).to.deep.equal([[EVENTS.pipChange, { open: true, mode: 'video' }]]);
    expect(events('view:fullscreen', { id: null })).to.deep.equal([[EVENTS.fullscreenChange, { fullscreen: false, id: null }]]);
  });
});
