// Real browsers (Debian's Chromium and Firefox ESR, fake camera and microphone) against a real
// PeerServer: the same server `npm start` runs, started here on a free port.
import { esbuildPlugin } from '@web/dev-server-esbuild';
import { fromRollup } from '@web/dev-server-rollup';
import rollupCommonjs from '@rollup/plugin-commonjs';
import { chromeLauncher } from '@web/test-runner-chrome';
import { puppeteerLauncher } from '@web/test-runner-puppeteer';
import { startServer } from './server/app.mjs';
import { participantsPlugin, CHROMIUM_ARGS, FIREFOX_PREFS } from './test/plugins/participants.mjs';
import { brokerLogPlugin } from './test/plugins/broker-log.mjs';
import { startTurn, turnPlugin } from './test/plugins/turn.mjs';
import { janusPlugin, startTestJanus } from './test/plugins/janus.mjs';
import { startMitmBroker, mitmBrokerPlugin } from './test/plugins/mitm-broker.mjs';
import { spareBrokersPlugin } from './test/plugins/spare-brokers.mjs';
import { screenshotPlugin } from './test/plugins/screenshot.mjs';

const commonjs = fromRollup(rollupCommonjs);
// Debian's Janus in a network namespace of its own (it offers no loopback candidates), for the
// media-server tests; null where it cannot run (not root, not installed).
const { janus, reason: noJanus } = await startTestJanus();
if (!janus) console.log(`No Janus for the media-server tests: ${noJanus}`);
// The main server names no media server: the mesh tests stay a mesh at any size.
const server = await startServer({ port: 0, host: '127.0.0.1' });
// A second one whose ICE servers endpoint lists the proxy to that Janus (mediaServers), as `npm
// start` does: for the rooms that find their media server by default.
const sfuServer = await startServer({ port: 0, host: '127.0.0.1', media: janus ? { janus: janus.url } : null });
// A second, hostile broker (a stock PeerServer behind a rewriting proxy) for the MITM tests.
const mitm = await startMitmBroker({ host: '127.0.0.1' });
// Debian's coturn on loopback, for the relay (TURN-only) tests.
const turn = await startTurn();
const only = process.env.VR_BROWSERS?.split(',');

const browsers = [
  chromeLauncher({
    launchOptions: { executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS },
  }),
  puppeteerLauncher({
    launchOptions: {
      browser: 'firefox',
      executablePath: '/usr/bin/firefox-esr',
      headless: true,
      extraPrefsFirefox: FIREFOX_PREFS,
    },
  }),
].filter((launcher) => !only || only.some((name) => launcher.name.toLowerCase().includes(name)));

export default {
  files: ['test/**/*.test.ts'],
  nodeResolve: { browser: true },
  // Calls are heavy: one test file at a time keeps the frame rates honest on two cores.
  concurrency: 1,
  concurrentBrowsers: 1,
  browserStartTimeout: 60_000,
  testsStartTimeout: 60_000,
  // A file's whole run; the convergence runs (VR_JOIN_RUNS: six and eight joins, that many times
  // each) may take up to the two tests' own timeouts per run.
  testsFinishTimeout: Math.max(600_000, Number(process.env.VR_JOIN_RUNS ?? 0) * 800_000),
  testFramework: { config: { timeout: 90_000 } },
  browsers,
  plugins: [
    commonjs({ include: ['**/node_modules/sdp/**', '**/node_modules/webrtc-adapter/**'] }),
    esbuildPlugin({ ts: true, target: 'es2022', tsconfig: 'tsconfig.json' }),
    participantsPlugin({ serverUrl: server.url }),
    brokerLogPlugin(server.peerServer),
    mitmBrokerPlugin(mitm),
    spareBrokersPlugin(),
    turnPlugin(turn),
    janusPlugin(janus),
    screenshotPlugin(),
  ],
  testRunnerHtml: (testFramework) => `<!doctype html>
    <html lang="en"><body>
      <script>window.__VR_TEST__ = ${JSON.stringify({ server: `${server.url}/peerjs`, serverUrl: server.url, mitmServer: mitm.peerUrl, turn: turn.iceServer, janus: janus?.url ?? null, sfuServer: `${sfuServer.url}/peerjs`, joinRuns: Number(process.env.VR_JOIN_RUNS ?? 0), joinCold: process.env.VR_JOIN_COLD === '1', busyRoom: process.env.VR_BUSY_ROOM === '1' })};</script>
      <script type="module" src="${testFramework}"></script>
    </body></html>`,
};
