/**
 * Mesh-aware upstream budget. In a mesh every participant sends one copy of its camera (and of
 * its screen, while sharing) to each of the others, so the upload grows with the room. This
 * splits `max-upstream-kbps` over the copies: each camera copy gets a bitrate cap and, when the
 * cap is well below what its quality wants, a lower resolution. Applied with
 * RTCRtpSender.setParameters, so nothing is renegotiated.
 */
import { VIDEO_QUALITIES, type VideoQuality } from './quality.js';

/** Default for `max-upstream-kbps`: a modest home uplink. */
export const DEFAULT_MAX_UPSTREAM_KBPS = 2500;
/** What one Opus voice copy costs, with headers, counted before video gets the rest. */
export const AUDIO_KBPS = 40;
/** The least a video copy is given, even when the budget says less: below it, video is useless. */
export const MIN_VIDEO_KBPS = 60;
/** Most a screen copy may use: text needs bits, but a screen changes little. */
export const MAX_SCREEN_KBPS = 1500;
/** The share of a copy's video budget that goes to the screen while sharing. */
export const SCREEN_SHARE = 0.7;
const SCALES = [1, 1.5, 2, 3, 4] as const;

/** Caps for one sender. `maxBitrate` in bits per second, as RTCRtpEncodingParameters wants it. */
export interface SenderCaps {
  maxBitrate: number;
  scaleResolutionDownBy: number;
}

/** Caps for the camera and (while sharing) the screen sender of every link. */
export interface UpstreamCaps {
  camera: SenderCaps;
  screen: SenderCaps | null;
}

/** Validates `max-upstream-kbps`: a whole number from 200 to 100000; absent means the default. */
export function parseMaxUpstreamKbps(value: unknown): number | null {
  if (value === null || value === undefined || value === '') return DEFAULT_MAX_UPSTREAM_KBPS;
  const n = typeof value === 'string' ? Number(value) : value;
  return typeof n === 'number' && Number.isInteger(n) && n >= 200 && n <= 100_000 ? n : null;
}

/** The smallest downscale at which the quality's full bitrate, spread over fewer pixels, fits. */
function scaleFor(wantKbps: number, haveKbps: number): number {
  // An encoder does fine on two thirds of its ideal bitrate; below that, fewer pixels look better.
  return SCALES.find((s) => wantKbps / (s * s) <= haveKbps * 1.5) ?? SCALES[SCALES.length - 1];
}

/**
 * Splits the upstream budget over `peers` copies. With no peers the caps are what one copy
 * would get.
 */
export function allocateUpstream(options: {
  maxUpstreamKbps: number;
  peers: number;
  quality: VideoQuality;
  sharingScreen: boolean;
}): UpstreamCaps {
  const copies = Math.max(1, options.peers);
  const want = VIDEO_QUALITIES[options.quality].maxKbps;
  const videoPerCopy = Math.max(MIN_VIDEO_KBPS, options.maxUpstreamKbps / copies - AUDIO_KBPS);
  let cameraKbps = videoPerCopy;
  let screen: SenderCaps | null = null;
  if (options.sharingScreen) {
    const screenKbps = Math.max(MIN_VIDEO_KBPS, Math.min(MAX_SCREEN_KBPS, videoPerCopy * SCREEN_SHARE));
    cameraKbps = Math.max(MIN_VIDEO_KBPS, videoPerCopy - screenKbps);
    // The screen keeps its full resolution: text must stay legible.
    screen = { maxBitrate: Math.round(screenKbps * 1000), scaleResolutionDownBy: 1 };
  }
  const cameraCap = Math.min(want, cameraKbps);
  return {
    camera: { maxBitrate: Math.round(cameraCap * 1000), scaleResolutionDownBy: scaleFor(want, cameraCap) },
    screen,
  };
}
