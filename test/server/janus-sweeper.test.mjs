// The rooms browsers create on our Janus through the proxy are destroyed once empty
// (server/janus-sweeper.mjs), against a real Janus. Skipped, with the reason, where Janus is not
// installed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../../server/app.mjs';
import { hasJanus } from '../../server/janus.mjs';
import { createRequest, MEDIA_PATH } from '../../server/janus-proxy.mjs';
import { IDLE_LOOKS } from '../../server/janus-sweeper.mjs';
import { JanusClient, startTestJanus } from './janus-client.mjs';

const skip = hasJanus() ? false : 'janus is not installed (apt-get install janus; scripts/test.sh does)';

test('createRequest: the room and secret of a VideoRoom create, nothing else', () => {
  const create = { janus: 'message', session_id: 1, handle_id: 2, transaction: 't', body: { request: 'create', room: 'r', secret: 's' } };
  assert.deepEqual(createRequest(JSON.stringify(create)), { room: 'r', secret: 's' });
  for (const other of [
    { ...create, body: { ...create.body, request: 'join' } },
    { ...create, body: { request: 'create', room: 'r' } },
    { ...create, body: { request: 'create', room: 7, secret: 's' } },
    { ...create, janus: 'keepalive' },
  ])
    assert.equal(createRequest(JSON.stringify(other)), null, JSON.stringify(other));
  assert.equal(createRequest('not json'), null);
});

test('a room created through the proxy goes once it has had nobody at two looks in a row; one with a participant stays; the first secret of a room counts', { skip }, async () => {
  const janus = await startTestJanus();
  // Looked at only when the test says (an hour between the sweeper's own looks).
  const server = await startServer({ port: 0, host: '127.0.0.1', media: { janus: janus.url, sweepIntervalMs: 3_600_000 } });
  const sweeper = /** @type {NonNullable<typeof server.sweeper>} */ (server.sweeper);
  const browser = new JanusClient(`ws://127.0.0.1:${server.port}${MEDIA_PATH}`);
  const other = new JanusClient(`ws://127.0.0.1:${server.port}${MEDIA_PATH}`);
  const direct = new JanusClient(janus.url);
  try {
    await Promise.all([browser.opened, other.opened, direct.opened]);
    const owner = await browser.videoRoom();
    const create = (/** @type {string} */ room, /** @type {string} */ secret, handle = owner) => handle.message({ request: 'create', room, secret, require_e2ee: true, is_private: true });
    assert.equal((await create('empty', 'secret-1')).plugindata.data.videoroom, 'created');
    assert.equal((await create('busy', 'secret-2')).plugindata.data.videoroom, 'created');
    // Someone else's create of an existing room, with another secret: Janus refuses it, and the sweeper keeps the first.
    const rival = await other.videoRoom();
    assert.equal((await create('empty', 'not-its-secret', rival)).plugindata.data.error_code, 427);
    const member = await browser.videoRoom();
    const joined = await member.message({ request: 'join', ptype: 'publisher', room: 'busy', id: 'feed-a' });
    assert.equal(joined.plugindata.data.videoroom, 'joined');
    assert.equal(sweeper.size, 2);

    const look = await direct.videoRoom();
    const exists = async (/** @type {string} */ room) => (await look.message({ request: 'exists', room })).plugindata.data.exists;
    for (let i = 1; i < IDLE_LOOKS; i++) await sweeper.sweep();
    assert.deepEqual([await exists('empty'), await exists('busy')], [true, true], 'empty at one look only: still there');
    await sweeper.sweep();
    assert.deepEqual([await exists('empty'), await exists('busy')], [false, true], 'empty at two looks: destroyed; the one with a participant stays');
    assert.equal(sweeper.size, 1);
    const health = await (await fetch(`${server.url}/health`)).json();
    assert.equal(health.mediaRooms, 1);

    // Its participant leaves: the room goes after two more looks. A browser coming back creates it anew.
    await member.message({ request: 'leave' });
    for (let i = 0; i < IDLE_LOOKS; i++) await sweeper.sweep();
    assert.equal(await exists('busy'), false);
    assert.equal(sweeper.size, 0);
    assert.equal((await create('busy', 'secret-3')).plugindata.data.videoroom, 'created');
    assert.equal(sweeper.size, 1);
  } finally {
    await Promise.all([browser.close(), other.close(), direct.close()]);
    await server.close();
    await janus.close();
  }
});
