/**
 * Video quality presets and the capture constraints they map to. Every value is `ideal`, so a
 * camera that cannot meet it gives its nearest mode instead of failing the join.
 */

/** What each `video-quality` value asks the camera for, and the most bitrate one copy may use. */
export const VIDEO_QUALITIES = {
  low: { width: 320, height: 180, frameRate: 15, maxKbps: 250 },
  medium: { width: 640, height: 360, frameRate: 24, maxKbps: 700 },
  high: { width: 1280, height: 720, frameRate: 30, maxKbps: 1800 },
} as const;
export type VideoQuality = keyof typeof VIDEO_QUALITIES;
export const DEFAULT_VIDEO_QUALITY: VideoQuality = 'medium';

/** The `facing-mode` values. */
export const FACING_MODES = ['user', 'environment'] as const;
export type FacingMode = (typeof FACING_MODES)[number];

/** Parses `video-quality`; absent or empty means the default, anything else unknown is null. */
export function parseVideoQuality(value: string | null | undefined): VideoQuality | null {
  if (value === null || value === undefined || value.trim() === '') return DEFAULT_VIDEO_QUALITY;
  const v = value.trim().toLowerCase();
  return Object.hasOwn(VIDEO_QUALITIES, v) ? (v as VideoQuality) : null;
}

/** Parses `facing-mode`; absent or empty means no preference (undefined), unknown is null. */
export function parseFacingMode(value: string | null | undefined): FacingMode | undefined | null {
  if (value === null || value === undefined || value.trim() === '') return undefined;
  const v = value.trim().toLowerCase();
  return (FACING_MODES as readonly string[]).includes(v) ? (v as FacingMode) : null;
}

/** What the camera should capture. */
export interface VideoPreferences {
  quality: VideoQuality;
  facingMode?: FacingMode | undefined;
  /** A camera the person chose. `exact` for a choice made now, `ideal` for a remembered one. */
  deviceId?: { exact: string } | { ideal: string } | undefined;
}

/** The getUserMedia video constraints for a quality, facing mode and device. */
export function videoConstraints({ quality, facingMode, deviceId }: VideoPreferences): MediaTrackConstraints {
  const preset = VIDEO_QUALITIES[quality];
  const constraints: MediaTrackConstraints = {
    width: { ideal: preset.width },
    height: { ideal: preset.height },
    frameRate: { ideal: preset.frameRate },
  };
  // A chosen camera wins over the facing mode: both at once could contradict each other.
  if (deviceId) constraints.deviceId = deviceId;
  else if (facingMode) constraints.facingMode = { ideal: facingMode };
  return constraints;
}

/** The getUserMedia audio constraints for a microphone. */
export function audioConstraints(deviceId?: { exact: string } | { ideal: string }): MediaTrackConstraints | true {
  return deviceId ? { deviceId } : true;
}
