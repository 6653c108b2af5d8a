/**
 * The room secret: where it comes from (the page URL's fragment, which browsers never send to
 * a server), how a fresh one is made, how an invite link carries it, and how it leaves the
 * address bar once read (remembered for the page instead, in memory and in this tab's sessionStorage).
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

/** `href` without `vr-secret` in its fragment: the other fragment parameters stay in order, and no bare `#` is left. */
export function urlWithoutSecret(href: string): string {
  const url = new URL(href);
  const params = fragmentParams(url.hash).filter((p) => p !== SECRET_PARAM && !p.startsWith(`${SECRET_PARAM}=`));
  // An empty hash removes the fragment altogether (URL Standard: setting hash to '' nulls it).
  url.hash = params.join('&');
  return url.href;
}

/**
 * The sessionStorage key of the secret remembered for the page at `href`: its origin, path and
 * query (not its fragment), so that a reload of the tab finds it and another page does not.
 */
export function secretStorageKey(href: string): string {
  const url = new URL(href);
  return `${SECRET_PARAM}:${url.origin}${url.pathname}${url.search}`;
}

/** The page the secret is read from and remembered for; `browserPage()` is the real one, tests pass their own. */
export interface SecretPage {
  /** The page URL. */
  readonly href: string;
  /** Replaces the page URL in place (no navigation, no new history entry). */
  replaceUrl(href: string): void;
  /** Where the secret outlives a reload of this tab; null where storage is unavailable. */
  readonly storage: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'> | null;
}

/** The secret read on this page, by storage key: module level, so every element and every rejoin get it. */
const remembered = new Map<string, string>();

/** The page this script runs in: `location`, `history` (its state kept) and `sessionStorage` (per tab, never sent to a server). */
export function browserPage(): SecretPage {
  let storage: Storage | null = null;
  try {
    storage = sessionStorage;
  } catch {
    // Sandboxed frames and storage-blocking settings throw on access: remember in memory only.
  }
  return {
    href: location.href,
    replaceUrl: (href) => history.replaceState(history.state, '', href),
    storage,
  };
}

/**
 * The page's room secret. A usable `#vr-secret` in the URL wins: it is then removed from the
 * URL (so it leaves the address bar, history and `location.href`) and remembered, in memory and
 * in this tab's sessionStorage. Without one, the secret remembered for this page, if any.
 * Returns `undefined` when there is none, `null` when the fragment's is unusable (that one is
 * left in the URL, so that every later read refuses it too).
 */
export function takePageSecret(page: SecretPage = browserPage()): string | null | undefined {
  const key = secretStorageKey(page.href);
  const fromFragment = secretFromFragment(new URL(page.href).hash);
  if (fromFragment === null) return null;
  if (fromFragment !== undefined) {
    remembered.set(key, fromFragment);
    try {
      page.storage?.setItem(key, fromFragment);
    } catch {
      // A full or blocked storage: the secret then lasts as long as this page.
    }
    page.replaceUrl(urlWithoutSecret(page.href));
    return fromFragment;
  }
  const inMemory = remembered.get(key);
  if (inMemory !== undefined) return inMemory;
  let stored: string | null = null;
  try {
    stored = page.storage?.getItem(key) ?? null;
  } catch {
    stored = null;
  }
  if (!isValidSecret(stored)) return undefined;
  remembered.set(key, stored);
  return stored;
}

/** Forgets the secret remembered for the page (memory and sessionStorage); the next join without one has none. */
export function forgetPageSecret(page: SecretPage = browserPage()): void {
  const key = secretStorageKey(page.href);
  remembered.delete(key);
  try {
    page.storage?.removeItem(key);
  } catch {
    // Nothing stored, then.
  }
}
