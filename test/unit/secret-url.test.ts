/**
 * The secret leaves the page URL once read: `urlWithoutSecret` keeps everything else, and
 * `takePageSecret` remembers the secret for the page (memory, then this tab's sessionStorage).
 */
import { expect } from '@open-wc/testing';
import { forgetPageSecret, secretStorageKey, takePageSecret, urlWithoutSecret, type SecretPage } from '../../src/e2ee/secret.js';

/** A page with an in-memory URL and storage, recording each URL replacement. */
function fakePage(href: string, storage = new Map<string, string>()): SecretPage & { href: string; replaced: string[]; stored: Map<string, string> } {
  const page = {
    href,
    replaced: [] as string[],
    stored: storage,
    replaceUrl(next: string) {
      page.replaced.push(next);
      page.href = next;
    },
    storage: {
      getItem: (key: string) => storage.get(key) ?? null,
      setItem: (key: string, value: string) => void storage.set(key, value),
      removeItem: (key: string) => void storage.delete(key),
    },
  };
  return page;
}

/** A page URL no other test uses (the remembered secret is per page). */
function uniquePage(rest = ''): string {
  return `https://x.test/${crypto.randomUUID()}${rest}`;
}

describe('the secret leaves the URL', () => {
  it('urlWithoutSecret keeps the query, the path and the other fragment parameters in order', () => {
    expect(urlWithoutSecret('https://x.test/a/b?x=1#vr-secret=S&other=1')).to.equal('https://x.test/a/b?x=1#other=1');
    expect(urlWithoutSecret('https://x.test/?x=1#a=1&vr-secret=S&b=2')).to.equal('https://x.test/?x=1#a=1&b=2');
    expect(urlWithoutSecret('https://x.test/p#a&vr-secret&b=')).to.equal('https://x.test/p#a&b=');
    expect(urlWithoutSecret('https://x.test/p#vr-secretive=1')).to.equal('https://x.test/p#vr-secretive=1');
    // The only parameter: no bare '#' is left behind.
    expect(urlWithoutSecret('https://x.test/p?q=1#vr-secret=S')).to.equal('https://x.test/p?q=1');
    expect(urlWithoutSecret('https://x.test/p')).to.equal('https://x.test/p');
  });

  it('keys the remembered secret by origin, path and query, never by the fragment', () => {
    expect(secretStorageKey('https://x.test/p?q=1#vr-secret=S&a=1')).to.equal('vr-secret:https://x.test/p?q=1');
    expect(secretStorageKey('https://x.test/p?q=1')).to.equal(secretStorageKey('https://x.test/p?q=1#other'));
    expect(secretStorageKey('https://x.test/p?q=2')).not.to.equal(secretStorageKey('https://x.test/p?q=1'));
  });

  it('takes the secret out of the URL once, and remembers it for the page', () => {
    const href = uniquePage('?x=1');
    const page = fakePage(`${href}#vr-secret=s%20one&other=1`);
    // Control: the URL held the secret before it was read.
    expect(page.href).to.contain('vr-secret=s%20one');
    expect(takePageSecret(page)).to.equal('s one');
    expect(page.replaced).to.deep.equal([`${href}#other=1`]);
    expect(page.href).not.to.contain('s%20one');
    expect(page.stored.get(secretStorageKey(href))).to.equal('s one');
    // A rejoin, or another element on the page: the same secret, the URL left alone.
    expect(takePageSecret(page)).to.equal('s one');
    expect(page.replaced).to.have.length(1);
  });

  it('a new #vr-secret wins over the remembered one', () => {
    const href = uniquePage();
    const page = fakePage(`${href}#vr-secret=first`);
    expect(takePageSecret(page)).to.equal('first');
    page.href = `${href}#vr-secret=second`;
    expect(takePageSecret(page)).to.equal('second');
    expect(page.href).to.equal(href);
    expect(takePageSecret(page)).to.equal('second');
  });

  it('a reload of the tab finds the secret in sessionStorage; another page does not', () => {
    const href = uniquePage('?room=a');
    const storage = new Map([[secretStorageKey(href), 'kept']]);
    // A fresh page (nothing in memory for it) with only the tab's storage.
    expect(takePageSecret(fakePage(href, storage))).to.equal('kept');
    expect(takePageSecret(fakePage(`${href}#tab=2`, storage))).to.equal('kept');
    expect(takePageSecret(fakePage(`${href}&room=b`, storage))).to.equal(undefined);
    expect(takePageSecret(fakePage(uniquePage(), storage))).to.equal(undefined);
  });

  it('an unusable #vr-secret is refused and stays, so every read refuses it', () => {
    const href = uniquePage();
    const page = fakePage(`${href}#vr-secret=`);
    expect(takePageSecret(page)).to.equal(null);
    expect(takePageSecret(page)).to.equal(null);
    expect(page.replaced).to.deep.equal([]);
    // Even over a remembered one.
    const other = fakePage(`${uniquePage()}#vr-secret=good`);
    expect(takePageSecret(other)).to.equal('good');
    other.href = `${other.href}#vr-secret=${'x'.repeat(257)}`;
    expect(takePageSecret(other)).to.equal(null);
  });

  it('forgetPageSecret forgets it in memory and in storage', () => {
    const href = uniquePage();
    const page = fakePage(`${href}#vr-secret=gone`);
    expect(takePageSecret(page)).to.equal('gone');
    forgetPageSecret(page);
    expect(page.stored.size).to.equal(0);
    expect(takePageSecret(page)).to.equal(undefined);
  });

  it('works without storage (a sandboxed frame): memory only', () => {
    const href = uniquePage();
    const page: SecretPage & { href: string } = { href: `${href}#vr-secret=mem`, replaceUrl: (next) => (page.href = next), storage: null };
    expect(takePageSecret(page)).to.equal('mem');
    expect(page.href).to.equal(href);
    expect(takePageSecret(page)).to.equal('mem');
  });
});
