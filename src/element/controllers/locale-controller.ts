/**
 * The element's texts: those of its language (its `lang`, the page's, else the browser's),
 * loaded when it changes, with the host's `strings` on top.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { ERROR_CODES } from '../../constants.js';
import { EN, format, loadStrings, localeFor, withOverrides, type StringKey, type VideoRoomStrings } from '../../i18n/strings.js';
import type { Fail } from '../config.js';

export class LocaleController implements ReactiveController {
  /** The texts in use: the language's, with `strings` on top. */
  texts: VideoRoomStrings = EN;
  /** Before the first render, while a language's texts load: nothing is drawn rather than English first. */
  loading: Promise<unknown> | null = null;
  /** The language whose texts are in use or loading. */
  #locale = 'en';
  #localeTexts: VideoRoomStrings = EN;

  readonly #host: ReactiveControllerHost & HTMLElement & { readonly hasUpdated: boolean; readonly strings: unknown };
  readonly #fail: Fail;

  constructor(
    host: ReactiveControllerHost & HTMLElement & { readonly hasUpdated: boolean; readonly strings: unknown },
    fail: Fail,
  ) {
    this.#host = host;
    this.#fail = fail;
    host.addController(this);
  }

  /** A text of the current language, with its placeholders filled. */
  readonly t = (key: StringKey, values?: Record<string, string | number>): string => {
    const text = this.texts[key];
    return values ? format(text, values) : text;
  };

  hostConnected(): void {
    void this.apply();
  }

  /** Loads the texts of the element's language, if it changed. */
  async apply(): Promise<void> {
    const locale = localeFor(this.#host.closest('[lang]')?.getAttribute('lang') || document.documentElement.lang || navigator.language);
    if (locale === this.#locale) return;
    this.#locale = locale;
    const loading = loadStrings(locale);
    // Before the first render, draw nothing rather than English first; later, keep the old texts until the new ones come.
    if (!this.#host.hasUpdated) this.loading = loading.catch(() => undefined);
    let texts = EN;
    try {
      texts = await loading;
    } catch {
      if (this.#locale === locale) this.#fail(ERROR_CODES.localeFailed, `The texts for "${locale}" could not be loaded; showing English.`);
    }
    if (this.#locale !== locale) return;
    this.loading = null;
    this.#localeTexts = texts;
    this.override(false);
  }

  /** Puts the host's `strings` on top of the language's texts; `report` fires `invalid-strings` for refused keys. */
  override(report: boolean): void {
    const { strings: texts, refused } = withOverrides(this.#localeTexts, this.#host.strings);
    if (report && refused.length) this.#fail(ERROR_CODES.invalidStrings, `strings: ignored ${refused.join(', ')} (unknown keys, or not text).`);
    this.texts = texts;
    this.#host.requestUpdate();
  }
}
