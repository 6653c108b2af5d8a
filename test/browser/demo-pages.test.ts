/**
 * The demo pages `npm start` serves, loaded in another browser: the strict-CSP page (no
 * unsafe-inline, no unsafe-eval) holds an end-to-end encrypted call without a single CSP
 * violation, the CMS page's attribute-configured rooms each come up as configured, and the
 * React page (React 19 setting the element's properties and keeping a list from its events)
 * holds a call.
 */
import { expect } from '@open-wc/testing';
import { EVENTS } from '../../src/constants.js';
import { mountRooms, nextEvent, participant, uniqueRoom, waitFor, waitForFullMeshMedia } from './helpers.js';

const browser = navigator.userAgent.includes('Firefox') ? 'firefox' : 'chromium';

describe('demo pages', function () {
  this.timeout(180_000);

  before(async () => {
    await waitFor(() => participant('launch', { browser }).then(() => true, () => false), `the remote ${browser} started`, 90_000);
  });

  it('the strict-CSP page holds an encrypted call (blob: worker) with no CSP violation', async () => {
    const room = uniqueRoom('csp');
    const secret = `csp-${crypto.randomUUID()}`;
    const [el] = await mountRooms(1, room);
    el!.secret = secret;
    const verified = nextEvent<{ method: string }>(el!, EVENTS.peerVerified, 60_000);
    await el!.join();
    const remote = await participant<string>('join', { browser, room, name: 'Strict', page: '/csp.html', hash: `vr-secret=${secret}` });
    expect((await verified).method).to.equal('secret');
    await waitForFullMeshMedia([el!], 5, 60_000, 1);
    await waitFor(async () => ((await participant<number[]>('frames', { handle: remote }))[0] ?? 0) > 5, 'the CSP page decoding our video');
    // Frames went through the decryptor here, so the CSP page encrypted them in its blob: worker.
    const stats = await (el as unknown as { roomCtl: { room: { frameStats(): Promise<{ decrypted: number }> } } }).roomCtl.room.frameStats();
    expect(stats.decrypted).to.be.greaterThan(0);
    expect(await participant<string[]>('errors', { handle: remote })).to.deep.equal([]);
    expect(await participant<string[]>('pageErrors', { handle: remote })).to.deep.equal([]);
    await participant('close', { handle: remote });
    el!.leave();
  });

  it('the CMS page’s rooms come up each as its attributes say (language and theme too), with no script of the page’s own', async () => {
    const page = await participant<string>('join', { browser, room: 'unused', page: '/cms.html' });
    type Info = {
      room: string;
      state: string;
      maxParticipants: number;
      videoQuality: string | null;
      audioMuted: boolean;
      videoMuted: boolean;
      upgraded: boolean;
      joinButton: boolean;
      joinText: string | null;
      background: string;
    };
    const elements = await waitFor(async () => {
      const list = await participant<Info[]>('elements', { handle: page });
      return list.length === 3 && list.every((e) => e.upgraded && e.joinButton) ? list : null;
    }, 'three upgraded rooms with a Join button');
    expect(elements.map((e) => [e.room, e.state, e.maxParticipants, e.videoQuality, e.audioMuted, e.videoMuted])).to.deep.equal([
      ['office-hours-maths', 'idle', 4, 'low', false, false],
      ['office-hours-physics', 'idle', 6, null, true, false],
      ['office-hours-chemistry', 'idle', 8, null, false, true],
    ]);
    // Languages from the CDN bundle's chunks: a German section, a French room; the German one light.
    expect(elements.map((e) => e.joinText)).to.deep.equal(['Join', 'Beitreten', 'Rejoindre']);
    expect(elements[1]!.background).to.equal('rgb(250, 250, 250)');
    expect(await participant<string[]>('errors', { handle: page })).to.deep.equal([]);
    expect(await participant<string[]>('pageErrors', { handle: page })).to.deep.equal([]);
    await participant('close', { handle: page });
  });

  it('the React page holds a call: React sets the element’s properties and lists who is in it from its events', async () => {
    const room = uniqueRoom('react');
    const [el] = await mountRooms(1, room);
    await el!.join();
    const remote = await participant<string>('join', { browser, room, name: 'React', page: '/react.html' });
    await waitForFullMeshMedia([el!], 5, 60_000, 1);
    expect(el!.participants.map((p) => p.name)).to.deep.equal(['React']);
    await waitFor(async () => ((await participant<number[]>('frames', { handle: remote }))[0] ?? 0) > 5, 'the React page decoding our video');
    // React's own list, kept from vr-joined and vr-peer-joined: itself, then us.
    const list = await waitFor(async () => {
      const text = await participant<string | null>('text', { handle: remote, selector: '.participants' });
      return text?.includes('P0') ? text : null;
    }, 'our name in the React page’s participant list');
    expect(list.split('\n').map((line) => line.trim()).filter(Boolean)).to.deep.equal(['React (you)', 'P0']);
    // A prop the element has arrives as a property: the number, which no attribute named
    // `maxParticipants` would have set.
    const [info] = await participant<{ room: string; state: string; maxParticipants: number }[]>('elements', { handle: remote });
    expect([info!.room, info!.state, info!.maxParticipants]).to.deep.equal([room, 'joined', 4]);
    // We leave: React's list drops us on vr-peer-left.
    el!.leave();
    await waitFor(async () => {
      const text = await participant<string | null>('text', { handle: remote, selector: '.participants' });
      return text !== null && !text.includes('P0');
    }, 'our name gone from the React page’s participant list');
    // An object prop arrives as a property too: the page's own text for the empty room.
    const [alone] = await waitFor(async () => {
      const list = await participant<{ emptyText: string | null }[]>('elements', { handle: remote });
      return list[0]?.emptyText ? list : null;
    }, 'the React page alone in its room');
    expect(alone!.emptyText).to.equal('Nobody else yet: open this page in another tab to join.');
    expect(await participant<string[]>('errors', { handle: remote })).to.deep.equal([]);
    expect(await participant<string[]>('pageErrors', { handle: remote })).to.deep.equal([]);
    await participant('close', { handle: remote });
  });
});
