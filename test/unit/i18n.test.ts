import { expect } from '@open-wc/testing';
import { ERROR_CODES } from '../../src/constants.js';
import { EN, format, loadStrings, localeFor, withOverrides } from '../../src/i18n/strings.js';

const SHIPPED = ['de', 'fr', 'es', 'pt'];

describe('texts and languages', () => {
  it('picks a shipped language by its primary subtag, case-insensitively, and English otherwise', () => {
    expect(['de', 'de-AT', 'FR-ca', 'es_MX', 'pt-BR', 'pt'].map(localeFor)).to.deep.equal(['de', 'de', 'fr', 'es', 'pt', 'pt']);
    expect(['en', 'en-GB', 'ja', '', null, undefined, 'deu', '-'].map(localeFor)).to.deep.equal(['en', 'en', 'en', 'en', 'en', 'en', 'en', 'en']);
  });

  for (const locale of SHIPPED) {
    it(`${locale}: translates every text and every error code, keeps every placeholder, and is not English`, async () => {
      const texts = await loadStrings(locale);
      const keys = Object.keys(EN) as (keyof typeof EN)[];
      expect(Object.keys(texts).filter((k) => k !== 'errors').sort()).to.deep.equal([...keys].sort());
      for (const key of keys) {
        expect(texts[key], key).to.be.a('string').and.not.equal('');
        const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
        expect(placeholders(texts[key]), key).to.deep.equal(placeholders(EN[key]));
      }
      expect(Object.keys(texts.errors ?? {}).sort()).to.deep.equal(Object.values(ERROR_CODES).sort());
      // A few texts every language words differently from English.
      for (const key of ['join', 'leave', 'yourName', 'empty'] as const) expect(texts[key], key).to.not.equal(EN[key]);
    });
  }

  it('fills placeholders with text and leaves unknown ones as they are', () => {
    expect(format('{name} joined; {count} people', { name: '<b>x</b>', count: 3 })).to.equal('<b>x</b> joined; 3 people');
    expect(format('{nope} stays', {})).to.equal('{nope} stays');
  });

  it('puts a page’s overrides on top, refusing unknown keys, non-text values and unknown error codes', () => {
    const { strings, refused } = withOverrides(EN, {
      join: 'Enter',
      leave: 42,
      bogus: 'x',
      errors: { 'room-full': 'No seats left.', 'no-such-code': 'x', 'broker-unreachable': {} },
    });
    expect(strings.join).to.equal('Enter');
    expect(strings.leave).to.equal(EN.leave);
    expect(strings.errors).to.deep.equal({ 'room-full': 'No seats left.' });
    expect(refused.sort()).to.deep.equal(['bogus', 'errors.broker-unreachable', 'errors.no-such-code', 'leave']);
    expect(EN).to.not.have.property('errors');
    expect(withOverrides(EN, null)).to.deep.equal({ strings: EN, refused: [] });
    expect(withOverrides(EN, 'Enter').refused).to.deep.equal(['strings']);
    expect(withOverrides(EN, ['x']).refused).to.deep.equal(['strings']);
  });
});
