import { expect } from '@open-wc/testing';
import { CallStore, type CallState } from '../../src/store/call-store.js';
import type { CoreEvents } from '../../src/store/public-events.js';
import { EN, format, type StringKey } from '../../src/i18n/strings.js';
import { FakeRoom, videoTrack } from './fake-room.js';

const t = (key: StringKey, values?: Record<string, string>) => (values ? format(EN[key], values) : EN[key]);

/** A store following a fake room, with every snapshot and every core event it passed on. */
function setup() {
  const events: [keyof CoreEvents, unknown][] = [];
  const store = new CallStore(t, (name, detail) => events.push([name, detail]));
  const snapshots: CallState[] = [];
  store.subscribe((s) => snapshots.push(s));
  const room = new FakeRoom();
  store.attach(room.asRoom());
  return { store, room, snapshots, events };
}

describe('call store', () => {
  it('works without a room: idle, with the local preview as its only tile', () => {
    const store = new CallStore(t, () => undefined);
    const camera = new MediaStream([videoTrack()]);
    store.set({ name: 'Ada' });
    store.dispatch('media:stream', { stream: camera });
    const s = store.getState();
    expect(s.state).to.equal('idle');
    expect(s.id).to.equal('');
    expect(s.verification).to.equal(null);
    expect(s.tiles.map((tile) => [tile.id, tile.local, tile.name])).to.deep.equal([['local', true, 'Ada']]);
    // A stream of its own (a new object reloads the video element), with the same tracks.
    expect(s.tiles[0]!.stream).to.not.equal(camera);
    expect(s.tiles[0]!.stream!.getTracks()).to.deep.equal(camera.getTracks());
  });

  it('publishes frozen snapshots and replaces them on every change, never changing an old one', () => {
    const { store, room, snapshots } = setup();
    const before = store.getState();
    room.setState('joining');
    room.join('bob');
    const after = store.getState();
    expect(after).to.not.equal(before);
    expect(snapshots.at(-1)).to.equal(after);
    for (const s of [before, after]) {
      expect(Object.isFrozen(s), 'snapshot').to.equal(true);
      for (const list of [s.tiles, s.participants, s.messages, s.devices]) expect(Object.isFrozen(list), 'list').to.equal(true);
      for (const tile of s.tiles) expect(Object.isFrozen(tile), 'tile').to.equal(true);
      for (const p of s.participants) expect(Object.isFrozen(p), 'participant').to.equal(true);
    }
    // The old snapshot still shows the call as it was.
    expect(before.state).to.equal('idle');
    expect(before.participants).to.have.length(0);
    expect(after.participants.map((p) => p.id)).to.deep.equal(['bob']);
    expect(() => {
      (after as { state: string }).state = 'left';
    }).to.throw(TypeError);
  });

  it('publishes nothing when a request changes nothing (a render that sets what it found must not render again)', () => {
    const { store, snapshots } = setup();
    store.set({ soundBlocked: true, name: 'Ada' });
    const count = snapshots.length;
    store.set({ soundBlocked: true });
    store.set({ name: 'Ada', soundBlocked: true });
    expect(snapshots.length).to.equal(count);
    store.set({ soundBlocked: false });
    expect(snapshots.length).to.equal(count + 1);
  });

  it('orders tiles: screens first (ours, then others), then this participant, then everyone else', () => {
    const { store, room } = setup();
    room.setState('joined');
    room.join('bob');
    const carol = room.join('carol');
    carol.screenSharing = true;
    room.fire('peer-screen', { participant: carol, sharing: true });
    store.dispatch('screen:start', { track: videoTrack() });
    const tiles = store.getState().tiles;
    expect(tiles.map((tile) => tile.id)).to.deep.equal(['me:screen', 'carol:screen', 'me', 'bob', 'carol']);
    expect(tiles.map((tile) => !!tile.screen)).to.deep.equal([true, true, false, false, false]);
    expect(tiles.map((tile) => tile.local)).to.deep.equal([true, false, true, false, false]);
    // Our screen went to the room.
    expect(room.calls).to.deep.equal(['screen:on']);
  });

  it('gives remote tiles their own streams, renewed when tracks arrive, with their badges', () => {
    const { store, room } = setup();
    const bob = room.join('bob', { verified: true, quality: 'poor', audioMuted: true });
    const first = store.getState().tiles.find((tile) => tile.id === 'bob')!;
    expect(first.stream).to.be.instanceOf(MediaStream);
    expect(first.stream).to.not.equal(bob.stream);
    expect([first.verified, first.canCompare, first.quality, first.audioMuted]).to.deep.equal([true, false, 'poor', true]);
    const track = videoTrack();
    bob.stream.addTrack(track);
    room.fire('peer-track', { participant: bob, track, screen: false });
    const renewed = store.getState().tiles.find((tile) => tile.id === 'bob')!;
    expect(renewed.stream).to.not.equal(first.stream);
    expect(renewed.stream!.getTracks()).to.deep.equal([track]);
  });

  it('removes the tiles and streams of a participant who left, and announces it', () => {
    const { store, room } = setup();
    const bob = room.join('bob');
    expect(store.getState().announcement).to.equal(format(EN.peerJoined, { name: 'BOB' }));
    bob.screenSharing = true;
    room.fire('peer-screen', { participant: bob, sharing: true });
    const track = videoTrack();
    bob.screenStream.addTrack(track);
    room.fire('peer-track', { participant: bob, track, screen: true });
    expect(store.getState().tiles.find((tile) => tile.id === 'bob:screen')!.stream instanceof MediaStream).to.equal(true);
    room.leave('bob', 'lost');
    const s = store.getState();
    expect(s.tiles.map((tile) => tile.id)).to.deep.equal(['me']);
    expect(s.participants).to.have.length(0);
    expect(s.announcement).to.equal(format(EN.peerLost, { name: 'BOB' }));
    // Back again: no stream of the earlier visit is reused.
    bob.screenSharing = true;
    room.people.set('bob', bob);
    room.fire('peer-screen', { participant: bob, sharing: true });
    expect(store.getState().tiles.find((tile) => tile.id === 'bob:screen')!.stream === null, 'a stream of the earlier visit').to.equal(true);
  });

  it('logs chat messages, counts those that came while the panel was closed, and clears them on opening', () => {
    const { store, room } = setup();
    const bob = room.join('bob');
    room.fire('chat', { participant: bob, text: 'one', verified: false });
    room.fire('chat', { participant: bob, text: 'two', verified: true });
    store.chat({ local: true, id: 'me', name: 'Me', text: 'mine', time: 1, verified: true });
    let s = store.getState();
    expect(s.messages.map((m) => [m.text, m.local, m.verified])).to.deep.equal([
      ['one', false, false],
      ['two', false, true],
      ['mine', true, true],
    ]);
    expect(s.unread).to.equal(2);
    store.set({ chatOpen: true });
    expect(store.getState().unread).to.equal(0);
    room.fire('chat', { participant: bob, text: 'seen', verified: true });
    expect(store.getState().unread).to.equal(0);
    // With chat off, nothing is logged and the panel stays closed.
    store.set({ chatOff: true, chatOpen: true });
    room.fire('chat', { participant: bob, text: 'ignored', verified: true });
    s = store.getState();
    expect(s.chatOpen).to.equal(false);
    expect(s.messages.map((m) => m.text)).to.not.include('ignored');
    // A new join starts with an empty log, in the same room too.
    store.join('next');
    expect(store.getState().messages).to.have.length(0);
    expect(store.getState().roomName).to.equal('next');
    store.chat({ local: true, id: 'me', name: 'Me', text: 'again', time: 2, verified: true });
    store.join('next');
    expect(store.getState().messages).to.have.length(0);
  });

  it('follows the room state, the broker and the code being compared', () => {
    const { store, room } = setup();
    room.setState('joining');
    room.setState('joined');
    expect([store.getState().state, store.getState().previous]).to.deep.equal(['joined', 'joining']);
    expect(store.getState().verification).to.equal('sas');
    const bob = room.join('bob', { code: { emoji: ['🐶'], names: ['dog'] } });
    store.set({ verifying: 'bob' });
    expect(store.getState().verifying).to.deep.equal({ id: 'bob', name: 'BOB', code: bob.code });
    bob.verified = true;
    room.fire('peer-verified', { participant: bob, method: 'sas' });
    expect(store.getState().verifying).to.equal(null);
    room.fire('broker', { connected: false, server: 'wss://b/' });
    expect(store.getState().offBroker).to.equal(true);
    room.fire('broker', { connected: true, server: 'wss://b/' });
    expect(store.getState().offBroker).to.equal(false);
    store.dispatch('speaker', { id: 'bob' });
    expect(store.getState().speaker).to.equal('bob');
    room.setState('left');
    expect([store.getState().state, store.getState().previous, store.getState().speaker]).to.deep.equal(['left', 'joined', null]);
    expect(store.getState().verification).to.equal(null);
  });

  it('is joining while the call code loads, and tells the element of every core event after the state follows it', () => {
    const { store, room, events } = setup();
    store.set({ loading: true });
    expect(store.getState().state).to.equal('joining');
    store.set({ loading: false });
    expect(store.getState().state).to.equal('idle');
    let seen: string | undefined;
    const other = new CallStore(t, () => (seen = other.getState().announcement));
    other.attach(room.asRoom());
    room.join('bob');
    expect(seen).to.equal(format(EN.peerJoined, { name: 'BOB' }));
    expect(events.map(([name]) => name)).to.deep.equal(['peer-joined']);
  });

  it('hears no more of a room once detached, and keeps its last state', () => {
    const { store, room, events } = setup();
    room.join('bob');
    store.detach();
    room.join('carol');
    expect(events).to.have.length(1);
    // The participants are the room's own: its last state shows.
    expect(store.getState().participants.map((p) => p.id)).to.deep.equal(['bob']);
  });
});
