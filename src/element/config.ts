/**
 * Parsing of the attribute values that need more than a type: each returns null for bad input,
 * so the element can answer with a `vr-error` and stay usable.
 */

/** Parses `ice-servers` (a JSON array of RTCIceServer). Empty or absent means none. */
export function parseIceServers(value: string | null | undefined): RTCIceServer[] | null {
  if (value === null || value === undefined || value.trim() === '') return [];
  let data: unknown;
  try {
    data = JSON.parse(value);
  } catch {
    return null;
  }
  if (!Array.isArray(data)) return null;
  const servers: RTCIceServer[] = [];
  for (const entry of data) {
    if (typeof entry !== 'object' || entry === null) return null;
    const { urls, username, credential } = entry as Record<string, unknown>;
    const list = typeof urls === 'string' ? [urls] : urls;
    if (!Array.isArray(list) || list.length === 0 || !list.every((u) => typeof u === 'string' && /^(stuns?|turns?):/i.test(u)))
      return null;
    if (username !== undefined && typeof username !== 'string') return null;
    if (credential !== undefined && typeof credential !== 'string') return null;
    const server: RTCIceServer = { urls: list as string[] };
    if (username !== undefined) server.username = username;
    if (credential !== undefined) server.credential = credential;
    servers.push(server);
  }
  return servers;
}

/**
 * Parses `ice-transport-policy`: `all` (the default) or `relay` (TURN only, which hides each
 * participant's IP addresses from the others). `relay` needs a TURN server among `servers`.
 */
export function parseIceTransportPolicy(value: string | null | undefined, servers: RTCIceServer[]): RTCIceTransportPolicy | null {
  const policy = (value ?? '').trim().toLowerCase() || 'all';
  if (policy === 'all') return 'all';
  if (policy !== 'relay') return null;
  const urls = servers.flatMap((server) => (typeof server.urls === 'string' ? [server.urls] : server.urls));
  return urls.some((url) => /^turns?:/i.test(url)) ? 'relay' : null;
}

/** Validates `max-participants`: a whole number of at least 2 (64 at most, a mesh's sane limit). */
export function parseMaxParticipants(value: unknown): number | null {
  const n = typeof value === 'string' ? Number(value) : value;
  return typeof n === 'number' && Number.isInteger(n) && n >= 2 && n <= 64 ? n : null;
}
