/**
 * The room secret: where it comes from (the page URL's fragment, which browsers never send to
 * a server), how a fresh one is made, and how an invite link carries it.
 */

/** The fragment parameter that carries the secret: `#vr-secret=<value>`. */
export const SECRET_PARAM = 'vr-secret';
/** Longest secret accepted, in characters. */
export const MAX_SECRET_LENGTH = 256;

/** Whether `value` can be used as a room secret: a non-empty string of at most 256 characters. */
export function isValidSecret(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_SECRET_LENGTH;
}

/** Splits a fragment (`#a=1&vr-secret=x`) into its `&`-separated parameters, in order. */
function fragmentParams(hash: string): string[] {
  const body = hash.startsWith('#') ? hash.slice(1) : hash;
  return body ? body.split('&') : [];
}

function decode(value: string): string | null {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return null;
  }
}

/**
 * Reads the secret from a URL fragment. Returns `undefined` when the fragment has no
 * `vr-secret`, `null` when it has one that cannot be used (empty, too long, badly encoded).
 */
export function secretFromFragment(hash: string): string | null | undefined {
  for (const param of fragmentParams(hash)) {
    const eq = param.indexOf('=');
    const key = eq < 0 ? param : param.slice(0, eq);
    if (key !== SECRET_PARAM) continue;
    const value = eq < 0 ? '' : decode(param.slice(eq + 1));
    return isValidSecret(value) ? value : null;
  }
  return undefined;
}

/** A fresh secret: 128 random bits in base64url (22 characters). */
export function generateSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/**
 * `pageUrl` with `vr-secret=<secret>` in its fragment (or, for null, without one), replacing any
 * there and keeping the page's other fragment parameters in place.
 */
export function inviteUrl(pageUrl: string, secret: string | null): string {
  const url = new URL(pageUrl);
  const params = fragmentParams(url.hash);
  const index = params.findIndex((p) => p === SECRET_PARAM || p.startsWith(`${SECRET_PARAM}=`));
  const param = secret === null ? [] : [`${SECRET_PARAM}=${encodeURIComponent(secret)}`];
  if (index >= 0) params.splice(index, 1, ...param);
  else params.push(...param);
  url.hash = params.join('&');
  return url.href;
}
