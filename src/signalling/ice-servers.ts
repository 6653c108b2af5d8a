/**
 * Lists of STUN and TURN servers, as the page's `ice-servers` or the broker's server give them:
 * what is valid, and whether one is TURN. Apart from ice-source.ts (the asking), which only the
 * call needs: this is in the bundle every page loads.
 */

/** Validates a list of RTCIceServer (from `ice-servers`, or from the server): null when anything is off. */
export function toIceServers(data: unknown): RTCIceServer[] | null {
  if (!Array.isArray(data)) return null;
  const servers: RTCIceServer[] = [];
  for (const entry of data) {
    if (typeof entry !== 'object' || entry === null) return null;
    const { urls, username, credential } = entry as Record<string, unknown>;
    const list = typeof urls === 'string' ? [urls] : urls;
    if (!Array.isArray(list) || list.length === 0 || !list.every((u) => typeof u === 'string' && /^(stuns?|turns?):/i.test(u))) return null;
    if (username !== undefined && typeof username !== 'string') return null;
    if (credential !== undefined && typeof credential !== 'string') return null;
    const server: RTCIceServer = { urls: list as string[] };
    if (username !== undefined) server.username = username;
    if (credential !== undefined) server.credential = credential;
    servers.push(server);
  }
  return servers;
}

/** Whether `servers` include a TURN server. */
export function hasTurn(servers: readonly RTCIceServer[]): boolean {
  return servers.some((server) => (typeof server.urls === 'string' ? [server.urls] : server.urls).some((url) => /^turns?:/i.test(url)));
}

