/**
 * The CDN builds in a real page: the classic-script build (no modules) joins a call, and a
 * second copy of the script on the same page neither throws nor redefines the tag.
 */
import { expect } from '@open-wc/testing';
import { mountRooms, participant, uniqueRoom, waitFor, waitForFullMeshMedia } from './helpers.js';

const browser = navigator.userAgent.includes('Firefox') ? 'firefox' : 'chromium';

describe('CDN builds', function () {
  this.timeout(180_000);

  it('the classic-script build, included twice on a page, joins a call with decoded video both ways', async () => {
    await waitFor(() => participant('launch', { browser }).then(() => true, () => false), `the remote ${browser} started`, 90_000);
    const room = uniqueRoom('classic');
    const [el] = await mountRooms(1, room);
    await el!.join();
    const remote = await participant<string>('join', { browser, room, name: 'Classic', page: '/classic.html' });
    await waitForFullMeshMedia([el!], 5, 60_000, 1);
    await waitFor(async () => ((await participant<number[]>('frames', { handle: remote }))[0] ?? 0) > 5, 'the classic page decoding our video');
    expect(el!.participants.map((p) => p.name)).to.deep.equal(['Classic']);
    expect(await participant<string[]>('pageErrors', { handle: remote })).to.deep.equal([]);
    expect(await participant<string[]>('errors', { handle: remote })).to.deep.equal([]);
    await participant('close', { handle: remote });
    el!.leave();
  });
});
