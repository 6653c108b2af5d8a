// Debian's Janus for the browser tests, started by the test configuration and stopped with it.
// Janus offers no loopback candidates, so it runs in a network namespace of its own, joined to
// this machine's by a veth pair on 198.18.250.0/30 (reserved for benchmarking; nothing else is
// routed there): the browsers, in the machine's namespace, reach it at 198.18.250.2, for its
// WebSocket and for media alike. (A second run at the same time takes the next free /30.)
// That needs root (ip netns); without it there is no Janus.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { hasJanus, startJanus } from '../../server/janus.mjs';

const NS_PREFIX = 'vr-janus-';
// Interface names have at most 15 characters: the prefix and a pid fit.
const LINK_PREFIX = 'vrj-';
const SUBNET = '198.18.250';
const WS_PORT = 8188;

/** Runs a command and returns its output; throws with its stderr. @param {string} cmd @param {string[]} args */
function run(cmd, args) {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Whether process `pid` still runs. @param {number} pid */
function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return /** @type {NodeJS.ErrnoException} */ (error).code === 'EPERM';
  }
}

/**
 * Removes a link and a namespace. The link first: the kernel removes a namespace's links only
 * some time after `ip netns del`, and the next run would find the address taken.
 * @param {string} link @param {string} ns
 */
function remove(link, ns) {
  try {
    run('ip', ['link', 'del', link]);
  } catch {
    // gone already
  }
  try {
    for (const pid of run('ip', ['netns', 'pids', ns]).split('\n').filter(Boolean)) process.kill(Number(pid), 'SIGKILL');
    run('ip', ['netns', 'del', ns]);
  } catch {
    // gone already
  }
}

/** Removes what a run that died without cleaning up left behind: its namespace and its link. */
function sweep() {
  for (const line of run('ip', ['-o', 'link', 'show']).split('\n')) {
    const name = /^\d+: ([^:@]+)/.exec(line)?.[1];
    const pid = Number(name?.slice(LINK_PREFIX.length));
    if (name?.startsWith(LINK_PREFIX) && !alive(pid)) remove(name, `${NS_PREFIX}${pid}`);
  }
  for (const line of run('ip', ['netns', 'list']).split('\n')) {
    const name = line.split(' ')[0];
    const pid = Number(name?.slice(NS_PREFIX.length));
    if (name?.startsWith(NS_PREFIX) && !alive(pid)) remove(`${LINK_PREFIX}${pid}`, name);
  }
}

/** The last bytes of the 198.18.250.x addresses links here have. */
const taken = () => [...run('ip', ['-o', '-4', 'addr', 'show']).matchAll(/inet 198\.18\.250\.(\d+)\//g)].map((match) => Number(match[1]));

/**
 * A /30 of 198.18.250.0/24 that no link here has an address of (another test run's): the first
 * one, or with `anyFree` a random one (after a clash with a run that started at the same time).
 * @param {boolean} anyFree
 * @returns {{ host: string, janus: string }} this machine's end and Janus's
 */
function freeSubnet(anyFree) {
  const used = new Set(taken().map((byte) => byte & ~3));
  const free = [...Array(64).keys()].map((i) => i * 4).filter((base) => !used.has(base));
  if (free.length === 0) throw new Error(`${SUBNET}.0/24 is full`);
  const base = anyFree ? free[Math.floor(Math.random() * free.length)] : free[0];
  return { host: `${SUBNET}.${base + 1}`, janus: `${SUBNET}.${base + 2}` };
}

/**
 * The namespace and its veth pair: 198.18.250.1 here, 198.18.250.2 (`eth0`) there, IPv4 only.
 * Returns the namespace, Janus's address and the function that removes them.
 * @param {boolean} [anyFree] a random free /30 instead of the first
 */
function buildNamespace(anyFree = false) {
  const ns = `${NS_PREFIX}${process.pid}`;
  const { host, janus } = freeSubnet(anyFree);
  const link = `${LINK_PREFIX}${process.pid}`;
  const inNs = (/** @type {string[]} */ args) => run('ip', ['netns', 'exec', ns, ...args]);
  run('ip', ['netns', 'add', ns]);
  const removeBoth = () => remove(link, ns);
  try {
    // No IPv6: a link-local address finishing its duplicate detection a second after the link
    // comes up is a network change to Chromium (ERR_NETWORK_CHANGED), here or in the namespace.
    inNs(['sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
    inNs(['ip', 'link', 'set', 'lo', 'up']);
    run('ip', ['link', 'add', link, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
    writeFileSync(`/proc/sys/net/ipv6/conf/${link}/disable_ipv6`, '1');
    run('ip', ['addr', 'add', `${host}/30`, 'dev', link]);
    run('ip', ['link', 'set', link, 'up']);
    inNs(['ip', 'addr', 'add', `${janus}/30`, 'dev', 'eth0']);
    inNs(['ip', 'link', 'set', 'eth0', 'up']);
  } catch (error) {
    removeBoth();
    throw error;
  }
  // Another run that started at the same moment may have taken the same /30: then again.
  if (taken().filter((byte) => `${SUBNET}.${byte}` === host).length > 1) {
    removeBoth();
    if (anyFree) throw new Error(`${SUBNET}.0/24: no /30 of its own after two tries`);
    return buildNamespace(true);
  }
  return { ns, ip: janus, remove: removeBoth };
}

/**
 * Starts Janus in a namespace of its own. Resolves with `{ url, log, close }` (`url`: its
 * WebSocket, ws://198.18.250.2:8188), or with null and the reason when it cannot run here
 * (not installed, not root); the test configuration prints the reason.
 * @returns {Promise<{ janus: { url: string, pid: number | undefined, log: (n?: number) => string[], close: () => Promise<void> } | null, reason?: string }>}
 */
export async function startTestJanus() {
  if (!hasJanus()) return { janus: null, reason: 'janus is not installed (apt-get install janus)' };
  if (process.getuid?.() !== 0) return { janus: null, reason: 'Janus runs in a network namespace of its own, which needs root' };
  let namespace;
  try {
    sweep();
    namespace = buildNamespace();
  } catch (error) {
    return { janus: null, reason: `no network namespace for Janus: ${/** @type {Error} */ (error).message}` };
  }
  const { ns, ip, remove } = namespace;
  process.once('exit', remove);
  try {
    // Its own namespace: its own ports too. Media on its veth only.
    const janus = await startJanus({ netns: ns, wsIp: ip, wsPort: WS_PORT, iceIp: ip, rtpMinPort: 20000, rtpMaxPort: 20199 });
    return {
      janus: {
        url: janus.url,
        pid: janus.pid,
        log: janus.log,
        close: async () => {
          await janus.close();
          process.off('exit', remove);
          remove();
        },
      },
    };
  } catch (error) {
    process.off('exit', remove);
    remove();
    return { janus: null, reason: /** @type {Error} */ (error).message };
  }
}

/**
 * Lets tests read Janus's last log lines for their failure messages: `vr-janus-log` with
 * `{ lines?: number }` (default 100) answers an array of lines, empty without Janus. Pages
 * find Janus itself at `window.__VR_TEST__.janus` (ws://198.18.250.2:8188, or null), and the
 * test server's proxy to it in the ICE servers endpoint's `mediaServers`.
 * @param {{ log: (n?: number) => string[], close: () => Promise<void> } | null} janus
 */
export function janusPlugin(janus) {
  return {
    name: 'vr-janus',
    /** @param {{ command: string, payload?: { lines?: number } }} options */
    executeCommand({ command, payload }) {
      if (command !== 'vr-janus-log') return undefined;
      return janus ? janus.log(payload?.lines ?? 100) : [];
    },
    // Stopped with the test server; a run that dies instead cleans up on exit (startTestJanus).
    serverStop: () => janus?.close(),
  };
}
