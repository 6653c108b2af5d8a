/**
 * Cameras, microphones and speakers: listing them, and remembering the person's choice per
 * origin (localStorage of the host page; nothing leaves the browser).
 */

export const DEVICE_KINDS = ['audioinput', 'videoinput', 'audiooutput'] as const;
export type DeviceKind = (typeof DEVICE_KINDS)[number];

/** A device as the public API shows it. */
export interface DeviceInfo {
  kind: DeviceKind;
  deviceId: string;
  /** The browser's label; empty until the page has been granted capture. */
  label: string;
  groupId: string;
  /** Whether the call uses this device now. */
  selected: boolean;
}

export function isDeviceKind(value: unknown): value is DeviceKind {
  return typeof value === 'string' && (DEVICE_KINDS as readonly string[]).includes(value);
}

/** Every device the browser lists, in its order. Empty where enumeration is not available. */
export async function listDevices(selected: Partial<Record<DeviceKind, string>>): Promise<DeviceInfo[]> {
  const all = (await navigator.mediaDevices?.enumerateDevices?.()) ?? [];
  const devices: DeviceInfo[] = [];
  for (const d of all) {
    if (!isDeviceKind(d.kind) || !d.deviceId) continue;
    devices.push({ kind: d.kind, deviceId: d.deviceId, label: d.label, groupId: d.groupId, selected: false });
  }
  for (const kind of DEVICE_KINDS) {
    const ofKind = devices.filter((d) => d.kind === kind);
    // A browser that gives no id for the device in use (or a default speaker) marks the first.
    const chosen = ofKind.find((d) => d.deviceId === selected[kind]) ?? ofKind.find((d) => d.deviceId === 'default') ?? ofKind[0];
    if (chosen) chosen.selected = true;
  }
  return devices;
}

const STORAGE_KEY = 'video-room:devices';
const MAX_ID_LENGTH = 256;

/** The storage the preferences live in: localStorage in a page, anything alike in a test. */
export type PreferenceStorage = Pick<Storage, 'getItem' | 'setItem'>;

/** Remembers the chosen device of each kind. A storage that throws (privacy modes) is ignored. */
export class DevicePreferences {
  readonly #storage: PreferenceStorage | null;
  constructor(storage: PreferenceStorage | null) {
    this.#storage = storage;
  }

  /** All remembered choices. */
  all(): Partial<Record<DeviceKind, string>> {
    let data: unknown;
    try {
      data = JSON.parse(this.#storage?.getItem(STORAGE_KEY) ?? '{}');
    } catch {
      return {};
    }
    const result: Partial<Record<DeviceKind, string>> = {};
    if (typeof data !== 'object' || data === null) return result;
    for (const kind of DEVICE_KINDS) {
      const id = (data as Record<string, unknown>)[kind];
      if (typeof id === 'string' && id.length > 0 && id.length <= MAX_ID_LENGTH) result[kind] = id;
    }
    return result;
  }

  /** The remembered device of one kind. */
  get(kind: DeviceKind): string | undefined {
    return this.all()[kind];
  }

  /** Remembers a choice. */
  set(kind: DeviceKind, deviceId: string): void {
    try {
      this.#storage?.setItem(STORAGE_KEY, JSON.stringify({ ...this.all(), [kind]: deviceId }));
    } catch {
      // Storage full or refused: the choice holds for this page only.
    }
  }
}

/** The page's localStorage, or null where it is blocked (sandboxed iframes, some privacy modes). */
export function pageStorage(): PreferenceStorage | null {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null;
  }
}
