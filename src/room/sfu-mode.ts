/**
 * When a room's media moves from the mesh to the SFU, and to which server: the `sfu-threshold`
 * and `media-server` settings. Pure, and in the main chunk: the SFU itself (sfu/) loads only
 * when a room reaches it.
 */

/** A room size (participants, us included), or never (always a mesh), or always (the SFU from the start). */
export type SfuThreshold = number | 'never' | 'always';

/** From this many participants on, media goes through the SFU. */
export const DEFAULT_SFU_THRESHOLD = 5;

/** Most media servers in `media-server`. */
export const MAX_MEDIA_SERVERS = 16;

/** Whether `url` is a WebSocket URL (ws: or wss:) a media server may have. */
export function isMediaServerUrl(url: unknown): url is string {
  if (typeof url !== 'string' || url.length > 512) return false;
  try {
    const { protocol } = new URL(url);
    return protocol === 'ws:' || protocol === 'wss:';
  } catch {
    return false;
  }
}

/** Parses `sfu-threshold`: a whole number from 2 to 64, `never` or `always`; absent is the default, bad is null. */
export function parseSfuThreshold(value: unknown): SfuThreshold | null {
  if (value === null || value === undefined || value === '') return DEFAULT_SFU_THRESHOLD;
  const text = String(value).trim().toLowerCase();
  if (text === 'never' || text === 'always') return text;
  const n = Number(text);
  return text !== '' && Number.isInteger(n) && n >= 2 && n <= 64 ? n : null;
}

/**
 * Parses `media-server`: ws:// or wss:// URLs of Janus WebSocket servers, separated by commas or
 * spaces; absent means `auto` (the media server the broker's server names, if any); bad is null.
 */
export function parseMediaServers(value: string | null | undefined): string[] | 'auto' | null {
  if (value === null || value === undefined || value.trim() === '') return 'auto';
  const urls = value.split(/[\s,]+/).filter(Boolean);
  return urls.length <= MAX_MEDIA_SERVERS && urls.every(isMediaServerUrl) ? urls : null;
}
