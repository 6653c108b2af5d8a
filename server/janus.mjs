// The media server for rooms too large for a mesh: Debian's Janus Gateway (`janus`), VideoRoom
// plugin only, started beside the server with a configuration of its own in a temporary folder.
// Browsers reach its WebSocket API through our server (janus-proxy.mjs), so TLS and the one port
// serve it too; its media goes over UDP, from the RTP port range.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Defaults of the Janus that `npm start` runs (README, "Media server (Janus)"). */
export const DEFAULT_JANUS = Object.freeze({
  // Janus's own default WebSocket port, on loopback: only our proxy talks to it.
  wsPort: 8188,
  wsIp: '127.0.0.1',
  // Media ports: below the kernel's ephemeral ports (32768-60999) and coturn's relay range
  // (49152-65535), so neither takes them.
  rtpMinPort: 20000,
  rtpMaxPort: 20999,
});

/** The plugin and the transport we load; every other one found is disabled. */
const PLUGIN = 'libjanus_videoroom.so';
const TRANSPORT = 'libjanus_websockets.so';

/** What Debian's package installs, for janusConfig's defaults (startJanus lists the real folders). */
export const DEBIAN_LIBRARIES = Object.freeze({
  plugins: ['audiobridge', 'duktape', 'echotest', 'lua', 'nosip', 'recordplay', 'sip', 'streaming', 'textroom', 'videocall', 'videoroom', 'voicemail'].map((name) => `libjanus_${name}.so`),
  transports: ['http', 'mqtt', 'nanomsg', 'pfunix', 'rabbitmq', 'websockets'].map((name) => `libjanus_${name}.so`),
  events: ['gelfevh', 'mqttevh', 'nanomsgevh', 'rabbitmqevh', 'sampleevh', 'wsevh'].map((name) => `libjanus_${name}.so`),
  loggers: ['libjanus_jsonlog.so'],
});

/**
 * One value in libconfig's syntax (what .jcfg files are): strings quoted and escaped as JSON
 * does, which libconfig reads the same way.
 * @param {string | number | boolean | string[]} value
 */
function jcfgValue(value) {
  if (Array.isArray(value)) return `[${value.map((item) => JSON.stringify(item)).join(', ')}]`;
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

/**
 * A whole .jcfg file: one group per key, one setting per line (unset ones left out).
 * @param {Record<string, Record<string, string | number | boolean | string[] | undefined>>} groups
 */
function jcfg(groups) {
  return Object.entries(groups)
    .map(([name, settings]) => {
      const lines = Object.entries(settings)
        .filter(([, value]) => value !== undefined)
        .map(([key, value]) => `\t${key} = ${jcfgValue(/** @type {string | number | boolean | string[]} */ (value))}`);
      return `${name}: {\n${lines.join('\n')}\n}\n`;
    })
    .join('');
}

/**
 * The text of each configuration file Janus reads, by file name. Pure: startJanus writes them.
 * Only the VideoRoom plugin and the WebSockets transport are enabled; no admin API, no event
 * handlers, no loggers, no STUN server (Janus offers the addresses it has, or `natIp`).
 * @param {{
 *   dir: string,
 *   libDir: string,
 *   wsPort: number,
 *   wsIp: string,
 *   rtpMinPort: number,
 *   rtpMaxPort: number,
 *   iceEnforce?: string,
 *   natIp?: string,
 *   available?: { plugins: readonly string[], transports: readonly string[], events: readonly string[], loggers: readonly string[] },
 * }} o
 * `dir`: the folder the files go into. `libDir`: where Janus's plugins/, transports/, events/
 * and loggers/ folders are. `iceEnforce`: the interface or address media is offered on.
 * `natIp`: the public address put in every candidate (a 1:1 NAT, as on most clouds).
 * @returns {Record<string, string>}
 */
export function janusConfig({ dir, libDir, wsPort, wsIp, rtpMinPort, rtpMaxPort, iceEnforce, natIp, available = DEBIAN_LIBRARIES }) {
  const except = (/** @type {readonly string[]} */ names, /** @type {string} */ keep = '') => names.filter((name) => name !== keep).join(',') || undefined;
  return {
    'janus.jcfg': jcfg({
      general: {
        configs_folder: dir,
        plugins_folder: path.join(libDir, 'plugins'),
        transports_folder: path.join(libDir, 'transports'),
        events_folder: path.join(libDir, 'events'),
        loggers_folder: path.join(libDir, 'loggers'),
        debug_level: 4,
        server_name: 'video-room',
        // Janus's default (60 s): a browser sends a keepalive more often.
        session_timeout: 60,
        // The info request answers without the versions of Janus's libraries.
        hide_dependencies: true,
        // No admin_secret: the admin API is off (janus.transport.websockets.jcfg).
        // Where recordings may never go (the proxy refuses recording requests anyway).
        protected_folders: ['/bin', '/boot', '/dev', '/etc', '/lib', '/lib64', '/proc', '/sbin', '/sys', '/usr', '/var', '/root', '/home', dir],
      },
      media: {
        rtp_port_range: `${rtpMinPort}-${rtpMaxPort}`,
      },
      nat: {
        nice_debug: false,
        ice_enforce_list: iceEnforce,
        nat_1_1_mapping: natIp,
      },
      plugins: { disable: except(available.plugins, PLUGIN) },
      transports: { disable: except(available.transports, TRANSPORT) },
      events: { broadcast: false, disable: except(available.events) },
      loggers: { disable: except(available.loggers) },
    }),
    'janus.plugin.videoroom.jcfg': jcfg({
      general: {
        // Our room ids are strings (derived from the room's secret), as are feed ids.
        string_ids: true,
        // No admin_key: browsers create their rooms themselves. lock_rtp_forward takes effect
        // only with an admin_key (janus_videoroom.c), so it is here for the day one is set;
        // meanwhile the proxy refuses rtp_forward (janus-proxy.mjs).
        lock_rtp_forward: true,
        events: false,
      },
    }),
    'janus.transport.websockets.jcfg': jcfg({
      general: {
        json: 'compact',
        ws: true,
        ws_port: wsPort,
        ws_ip: wsIp,
        wss: false,
      },
      admin: {
        admin_ws: false,
        admin_wss: false,
      },
    }),
  };
}

/** Whether `janus` can be started here. (`janus -V` prints its version, then exits with 1.) */
export function hasJanus() {
  const run = spawnSync('janus', ['-V'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return run.error === undefined && /^Janus version/m.test(run.stdout);
}

/** Where Janus's plugins/ and transports/ folders are (Debian: /usr/lib/<arch>/janus). */
export function janusLibDir() {
  const candidates = [];
  try {
    for (const entry of readdirSync('/usr/lib')) if (entry.endsWith('-linux-gnu')) candidates.push(path.join('/usr/lib', entry, 'janus'));
  } catch {
    // no /usr/lib: only the other places
  }
  candidates.push('/usr/lib/janus', '/usr/local/lib/janus', '/opt/janus/lib/janus');
  const found = candidates.find((dir) => existsSync(path.join(dir, 'plugins', PLUGIN)));
  if (!found) throw new Error(`Janus's ${PLUGIN} was found in none of ${candidates.join(', ')}`);
  return found;
}

/** The .so files of one of Janus's folders. @param {string} dir */
function libraries(dir) {
  try {
    return readdirSync(dir).filter((name) => name.endsWith('.so'));
  } catch {
    return [];
  }
}

/** How many of Janus's last log lines are kept, for error messages and the tests. */
const KEPT_LINES = 400;

/**
 * Starts Janus with a configuration of its own. Resolves with `{ url, port, pid, dir, exited, log,
 * close }` once its WebSocket server listens; rejects if it exits or does not listen within 15 s
 * (the error carries its output).
 * `netns`: a network namespace to run it in (`ip netns exec`, root only; the browser tests).
 * `log`: called with each line of its output after the start (unset: kept only in `log()`).
 * @param {{
 *   wsPort?: number,
 *   wsIp?: string,
 *   rtpMinPort?: number,
 *   rtpMaxPort?: number,
 *   iceIp?: string,
 *   natIp?: string,
 *   netns?: string,
 *   log?: (line: string) => void,
 * }} [options]
 * `iceIp`: the interface name or address media is offered on (ice_enforce_list); unset, every
 * interface Janus finds (loopback aside: Janus never offers 127.0.0.1).
 */
export async function startJanus({ wsPort = DEFAULT_JANUS.wsPort, wsIp = DEFAULT_JANUS.wsIp, rtpMinPort = DEFAULT_JANUS.rtpMinPort, rtpMaxPort = DEFAULT_JANUS.rtpMaxPort, iceIp, natIp, netns, log } = {}) {
  const libDir = janusLibDir();
  const available = {
    plugins: libraries(path.join(libDir, 'plugins')),
    transports: libraries(path.join(libDir, 'transports')),
    events: libraries(path.join(libDir, 'events')),
    loggers: libraries(path.join(libDir, 'loggers')),
  };
  // mkdtemp makes it 0700: nobody else reads the configuration.
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vr-janus-'));
  for (const [name, text] of Object.entries(janusConfig({ dir, libDir, wsPort, wsIp, rtpMinPort, rtpMaxPort, iceEnforce: iceIp, natIp, available }))) {
    writeFileSync(path.join(dir, name), text, { mode: 0o600 });
  }
  const args = ['-F', dir, '-C', path.join(dir, 'janus.jcfg'), '--disable-colors'];
  // `ip netns exec` execs janus itself: the child's pid is Janus's, and signals reach it.
  const child = netns ? spawn('ip', ['netns', 'exec', netns, 'janus', ...args], { stdio: ['ignore', 'pipe', 'pipe'] }) : spawn('janus', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  // Never outlive this process, nor leave the folder behind (exit handlers run synchronously).
  const kill = () => {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', kill);

  /** @type {string[]} */
  const lines = [];
  let partial = '';
  /** @type {((line: string) => void) | undefined} */
  let onLine;
  const onData = (/** @type {Buffer} */ chunk) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) {
      lines.push(line);
      if (lines.length > KEPT_LINES) lines.shift();
      onLine?.(line);
    }
  };
  // Read its output to the end, or it blocks on a full pipe.
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const output = () => [...lines, partial].join('\n');
  try {
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`Janus did not start in 15 s:\n${output()}`)), 15_000);
      const done = (/** @type {Error | undefined} */ error) => {
        clearTimeout(timer);
        onLine = undefined;
        child.removeAllListeners('exit');
        if (error) reject(error);
        else resolve(undefined);
      };
      // Janus 1.1.2 says "WebSockets server started (port 8188)..." once it listens.
      onLine = (line) => {
        if (/WebSockets server started \(port \d+\)/i.test(line)) done(undefined);
      };
      child.once('error', (error) => done(new Error(`Janus could not be started: ${error.message}`)));
      child.once('exit', (code, signal) => done(new Error(`Janus exited with ${code ?? signal}:\n${output()}`)));
    });
  } catch (error) {
    process.off('exit', kill);
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  onLine = log;
  /** Resolves with its exit code (or signal) whenever it exits: a crash, or close(). @type {Promise<number | string>} */
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'exit')));
  const host = wsIp.includes(':') ? `[${wsIp}]` : wsIp;
  /** @type {Promise<void> | undefined} */
  let closing;
  return {
    url: `ws://${host}:${wsPort}`,
    port: wsPort,
    pid: child.pid,
    dir,
    exited,
    /** The last lines of its output (all kept ones without `n`). @param {number} [n] */
    log: (n = KEPT_LINES) => lines.slice(-n),
    /** Stops Janus (SIGTERM, SIGKILL after 5 s) and removes its folder; resolves once it exited. */
    close: () =>
      (closing ??= new Promise((resolve) => {
        process.off('exit', kill);
        const finish = () => {
          clearTimeout(timer);
          rmSync(dir, { recursive: true, force: true });
          resolve(undefined);
        };
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        if (child.exitCode !== null || child.signalCode !== null) return finish();
        child.once('exit', finish);
        child.kill('SIGTERM');
      })),
  };
}
