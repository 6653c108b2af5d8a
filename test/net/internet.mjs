// A simulated internet of Linux network namespaces, for the real-network tests. Only addresses
// of 198.18.0.0/15 (reserved for benchmarking) are used, and only inside namespaces made here:
// nothing is routed to an interface of the machine.
//
//   home A (198.19.1.2) ── router A [NAT] ── 198.18.1.0/30 ─┐
//                                                           internet (198.18.0.1: npm start, coturn)
//   home B (198.19.2.2) ── router B [NAT] ── 198.18.1.4/30 ─┘
//
// A router's NAT is one of: `none` (its home is a public network: routed, not translated),
// `cone` (nftables masquerade: one outside port per inside socket, whatever the destination;
// replies only from where a packet went, as a home router's connection tracking allows; and,
// as a home router's firewall does, nothing unasked-for reaches the router itself: a packet
// accepted there would hold the outside port, and the next mapping would get another) or
// `symmetric` (masquerade random,fully-random: a new outside port per destination).
import { execFileSync } from 'node:child_process';

/** @typedef {'none' | 'cone' | 'symmetric'} Nat */

const PREFIX = 'vrn-';
export const SERVER_IP = '198.18.0.1';
/** Where the internet's default route leads: nowhere (see buildInternet). */
const VOID = `${PREFIX}void`;

/** Runs `ip` (or another command) and returns its output; throws with its stderr. @param {string} cmd @param {string[]} args @param {string} [input] */
function run(cmd, args, input) {
  return execFileSync(cmd, args, { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] });
}

/** Runs `args` inside namespace `ns`. @param {string} ns @param {string} cmd @param {string[]} args @param {string} [input] */
export function inNs(ns, cmd, args, input) {
  return run('ip', ['netns', 'exec', ns, cmd, ...args], input);
}

/** Replaces nftables table `name` of namespace `ns` with `body` (none: just removes it). @param {string} ns @param {string} name @param {string} [body] */
function table(ns, name, body) {
  try {
    inNs(ns, 'nft', ['delete', 'table', 'inet', name]);
  } catch {
    // not there yet
  }
  if (body) inNs(ns, 'nft', ['-f', '-'], `table inet ${name} {\n${body}\n}\n`);
}

/** Removes namespace `ns` and whatever still runs there (a browser's helper, say). @param {string} ns */
function remove(ns) {
  try {
    for (const pid of run('ip', ['netns', 'pids', ns]).split('\n').filter(Boolean)) process.kill(Number(pid), 'SIGKILL');
    run('ip', ['netns', 'del', ns]);
  } catch {
    // gone already
  }
}

/**
 * Makes namespace `ns`, IPv4 only. With IPv6 on, each link that comes up gets a link-local
 * address whose duplicate-address detection ends a second or so later; Chromium sees that as a
 * network change and fails a navigation under way with ERR_NETWORK_CHANGED.
 * @param {string} ns
 */
function addNs(ns) {
  run('ip', ['netns', 'add', ns]);
  inNs(ns, 'sysctl', ['-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
}

/** Removes namespaces an earlier run left behind (a killed test cannot clean up). */
export function sweep() {
  for (const line of run('ip', ['netns', 'list']).split('\n')) {
    const name = line.split(' ')[0];
    if (name?.startsWith(PREFIX)) remove(name);
  }
}

/** One home: its namespace (where its browser runs), its router's, and the knobs on its uplink. */
export class Home {
  /** @param {string} name @param {number} index */
  constructor(name, index) {
    this.name = name;
    this.index = index;
    this.ns = `${PREFIX}h-${name}`;
    this.router = `${PREFIX}r-${name}`;
    this.address = `198.19.${index}.2`;
    /** The router's address on the internet side. */
    this.wan = `198.18.1.${index * 4 + 2}`;
    /** @type {Nat} */
    this.nat = 'none';
  }

  /**
   * Puts the router in front of this home in NAT mode `nat`.
   * @param {Nat} nat
   */
  setNat(nat) {
    this.nat = nat;
    const lan = `198.19.${this.index}.0/24`;
    // A public home is routed from the internet; a NATed one is not reachable but through its router.
    try {
      inNs(`${PREFIX}inet`, 'ip', ['route', 'del', lan]);
    } catch {
      // not routed
    }
    if (nat === 'none') {
      inNs(`${PREFIX}inet`, 'ip', ['route', 'add', lan, 'via', this.wan]);
      table(this.router, 'nat');
      return;
    }
    const flags = nat === 'symmetric' ? ' random,fully-random' : '';
    table(
      this.router,
      'nat',
      `  chain c_post { type nat hook postrouting priority srcnat; oifname "wan" masquerade${flags}; }
  chain c_fwd { type filter hook forward priority filter; iifname "wan" ct state established,related accept; iifname "wan" drop; }
  chain c_in { type filter hook input priority filter; iifname "wan" ct state established,related accept; iifname "wan" drop; }`,
    );
    // A new call must not ride on the mappings of the last test's calls.
    inNs(this.router, 'conntrack', ['-F']);
  }

  /** Cuts the uplink (every packet through the router is dropped: a dead line), or restores it. @param {boolean} cut */
  setCut(cut) {
    table(this.router, 'cut', cut ? '  chain c_fwd { type filter hook forward priority -20; policy drop; }' : undefined);
  }

  /** Drops `percent` % of the packets through the router, both ways (0: none). @param {number} percent */
  setLoss(percent) {
    table(this.router, 'loss', percent > 0 ? `  chain c_fwd { type filter hook forward priority -10; numgen random mod 100 < ${percent} drop; }` : undefined);
  }

  /** Caps the uplink (the router's sending to the internet) at `kbit` kbit/s (0: no cap). @param {number} kbit */
  setUplink(kbit) {
    try {
      inNs(this.router, 'tc', ['qdisc', 'del', 'dev', 'wan', 'root']);
    } catch {
      // no qdisc yet
    }
    if (kbit > 0) inNs(this.router, 'tc', ['qdisc', 'add', 'dev', 'wan', 'root', 'tbf', 'rate', `${kbit}kbit`, 'burst', '16kb', 'latency', '300ms']);
  }
}

/**
 * Builds the internet namespace and one home (with its router) per name. Returns the homes and a
 * `destroy()` that removes every namespace.
 * @param {string[]} names
 */
export function buildInternet(names) {
  sweep();
  const inet = `${PREFIX}inet`;
  addNs(inet);
  inNs(inet, 'ip', ['link', 'set', 'lo', 'up']);
  inNs(inet, 'sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
  // The server's address (this kernel has no dummy interfaces: on the namespace's own loopback).
  inNs(inet, 'ip', ['addr', 'add', `${SERVER_IP}/32`, 'dev', 'lo']);
  // The rest of the internet: a default route into a namespace that silently drops everything.
  // Without it, sending to an address nobody routes (a NATed home's own address, say, which ICE
  // tries) fails at once with ENETUNREACH; on the internet such packets just vanish. coturn took
  // that error on a relay badly: its relays stopped carrying the call they had set up.
  addNs(VOID);
  run('ip', ['-n', inet, 'link', 'add', 'void', 'type', 'veth', 'peer', 'name', 'void', 'netns', VOID]);
  inNs(inet, 'ip', ['addr', 'add', '198.18.255.253/30', 'dev', 'void']);
  inNs(inet, 'ip', ['link', 'set', 'void', 'up']);
  inNs(VOID, 'ip', ['addr', 'add', '198.18.255.254/30', 'dev', 'void']);
  inNs(VOID, 'ip', ['link', 'set', 'void', 'up']);
  inNs(VOID, 'nft', ['-f', '-'], 'table inet void {\n  chain c_pre { type filter hook prerouting priority -300; policy drop; }\n}\n');
  inNs(inet, 'ip', ['route', 'add', 'default', 'via', '198.18.255.254']);
  const homes = names.map((name, i) => {
    const home = new Home(name, i + 1);
    const up = `up${home.index}`;
    for (const ns of [home.router, home.ns]) {
      addNs(ns);
      inNs(ns, 'ip', ['link', 'set', 'lo', 'up']);
    }
    inNs(home.router, 'sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
    // internet ↔ router: a /30 of its own.
    run('ip', ['-n', inet, 'link', 'add', up, 'type', 'veth', 'peer', 'name', 'wan', 'netns', home.router]);
    inNs(inet, 'ip', ['addr', 'add', `198.18.1.${home.index * 4 + 1}/30`, 'dev', up]);
    inNs(inet, 'ip', ['link', 'set', up, 'up']);
    inNs(home.router, 'ip', ['addr', 'add', `${home.wan}/30`, 'dev', 'wan']);
    inNs(home.router, 'ip', ['link', 'set', 'wan', 'up']);
    inNs(home.router, 'ip', ['route', 'add', 'default', 'via', `198.18.1.${home.index * 4 + 1}`]);
    // router ↔ home.
    run('ip', ['-n', home.router, 'link', 'add', 'lan', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', home.ns]);
    inNs(home.router, 'ip', ['addr', 'add', `198.19.${home.index}.1/24`, 'dev', 'lan']);
    inNs(home.router, 'ip', ['link', 'set', 'lan', 'up']);
    inNs(home.ns, 'ip', ['addr', 'add', `${home.address}/24`, 'dev', 'eth0']);
    inNs(home.ns, 'ip', ['link', 'set', 'eth0', 'up']);
    inNs(home.ns, 'ip', ['route', 'add', 'default', 'via', `198.19.${home.index}.1`]);
    home.setNat('none');
    return home;
  });
  return {
    inet,
    homes,
    destroy() {
      for (const ns of [inet, VOID, ...homes.flatMap((h) => [h.router, h.ns])]) remove(ns);
    },
  };
}
