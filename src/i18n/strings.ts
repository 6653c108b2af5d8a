/**
 * Every text the element shows, in English, and how a page's language picks a translation.
 * `{name}`-style placeholders are filled with text (never HTML). Translations live in
 * `./locales/`, one module each, loaded only by pages that use that language.
 */
import { ERROR_CODES, type ErrorCode } from '../constants.js';

export const EN = {
  idle: 'Ready to join',
  joining: 'Joining…',
  joined: 'In the call',
  left: 'You left the call',
  error: 'Something went wrong',
  onePerson: '1 person',
  people: '{count} people',
  encrypted: 'end-to-end encrypted with the room secret',
  offBroker: 'reconnecting to the server (the call goes on; newcomers can join once it is back)',
  good: 'Good connection',
  poor: 'Poor connection',
  reconnecting: 'Reconnecting…',
  you: '{name} (you)',
  youUnnamed: 'You',
  guest: 'Guest',
  screenOf: '{name} · screen',
  muted: 'muted',
  peerJoined: '{name} joined the call.',
  peerLeft: '{name} left the call.',
  peerLost: '{name} was disconnected.',
  cameraFallback: 'Camera disconnected; now using {label}.',
  microphoneFallback: 'Microphone disconnected; now using {label}.',
  defaultDevice: 'the default one',
  yourName: 'Your name',
  join: 'Join',
  rejoin: 'Rejoin',
  mute: 'Mute',
  cameraOff: 'Camera off',
  switchCamera: 'Switch camera',
  shareScreen: 'Share screen',
  settings: 'Settings',
  close: 'Close',
  more: 'More options',
  leave: 'Leave',
  enableSound: 'Click to enable sound',
  empty: 'Nobody else is here yet.',
  morePeople: '{count} more people: show page {page} of {pages}',
  copyInvite: 'Copy invite link',
  inviteLink: 'Invite link',
  inviteCopied: 'Invite link copied.',
  camera: 'Camera',
  microphone: 'Microphone',
  speaker: 'Speaker',
  level: 'Microphone level',
  verified: 'Verified',
  unverified: 'Unverified',
  verify: 'Verify',
  verifyTitle: 'Verify {name}',
  verifyPrompt: 'Ask {name} what their screen shows. If you both see the same symbols, nobody is listening in.',
  thisParticipant: 'this participant',
  shortCode: 'Short code',
  match: 'They match',
  noMatch: "They don't match",
  later: 'Later',
  chat: 'Chat',
  unread: '{count} unread',
  message: 'Message',
  send: 'Send',
  noMessages: 'No messages yet.',
  chatUnverifiedNote: 'Messages go to everyone in the call, including people you have not verified.',
  pip: 'Picture-in-picture',
  fullscreen: 'Fullscreen',
  fullscreenOf: 'Fullscreen: {name}',
};

/** Keys of the texts; `errors` holds per-code messages (English shows each error's own message). */
export type StringKey = keyof typeof EN;

/** All texts of one language. */
export type VideoRoomStrings = Record<StringKey, string> & {
  /** What the element shows for each `vr-error` code; missing codes show the error's English message. */
  errors?: Partial<Record<ErrorCode, string>>;
};

/** Fills `{key}` placeholders with text. */
export function format(template: string, values: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (whole, key: string) => (key in values ? String(values[key]) : whole));
}

/** The languages shipped besides English, loaded on demand. */
const LOCALES: Record<string, () => Promise<{ default: VideoRoomStrings }>> = {
  de: () => import('./locales/de.js'),
  fr: () => import('./locales/fr.js'),
  es: () => import('./locales/es.js'),
  pt: () => import('./locales/pt.js'),
};

/** The shipped language for a BCP 47 tag (`pt-BR` → `pt`), or `en`. */
export function localeFor(lang: string | null | undefined): string {
  const primary = (lang ?? '').trim().toLowerCase().split(/[-_]/)[0] ?? '';
  return primary in LOCALES ? primary : 'en';
}

/** The texts of a shipped language (`en` at once); rejects when its module cannot be loaded. */
export async function loadStrings(locale: string): Promise<VideoRoomStrings> {
  const load = LOCALES[locale];
  return load ? (await load()).default : EN;
}

/**
 * The texts of `base` with a page's overrides on top. Returns the keys that were refused
 * (unknown, or not a string), which are ignored.
 */
export function withOverrides(base: VideoRoomStrings, overrides: unknown): { strings: VideoRoomStrings; refused: string[] } {
  if (overrides === null || overrides === undefined) return { strings: base, refused: [] };
  if (typeof overrides !== 'object' || Array.isArray(overrides)) return { strings: base, refused: ['strings'] };
  const strings: VideoRoomStrings = { ...base, errors: { ...base.errors } };
  const refused: string[] = [];
  for (const [key, value] of Object.entries(overrides as Record<string, unknown>)) {
    if (key === 'errors' && typeof value === 'object' && value !== null) {
      for (const [code, text] of Object.entries(value as Record<string, unknown>)) {
        if (typeof text === 'string' && (Object.values(ERROR_CODES) as string[]).includes(code)) (strings.errors as Record<string, string>)[code] = text;
        else refused.push(`errors.${code}`);
      }
    } else if (key in EN && typeof value === 'string') strings[key as StringKey] = value;
    else refused.push(key);
  }
  return { strings, refused };
}
