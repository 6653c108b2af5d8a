/**
 * Mesh-aware upstream budget. In a mesh every participant sends one copy of its camera (and of
 * its screen, while sharing) to each of the others, so the upload and the encoding work grow
 * with the room. This splits `max-upstream-kbps` over the copies: each camera copy gets a
 * bitrate cap and, when the cap is well below what its quality wants, a lower resolution. The
 * encoding work is split too: past ENCODE_BUDGET_COPIES copies, each gets fewer pixels (down to
 * 180 lines, what a tile in a grid of that many shows anyway), then fewer frames. Applied with
 * RTCRtpSender.setParameters, so nothing is renegotiated.
 */
import { VIDEO_QUALITIES, type VideoQuality } from '../media/quality.js';

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
/** Most frames a second a screen copy sends: a screen changes little. */
export const SCREEN_FRAME_RATE = 15;
const SCALES = [1, 1.5, 2, 3, 4] as const;
/** The encoding work (pixels a second) a participant takes on, in copies of its camera at full quality. */
export const ENCODE_BUDGET_COPIES = 2;
/** Encoding work alone never makes a camera copy smaller than this many lines. */
export const MIN_ENCODE_LINES = 180;
/** Nor slower than this many frames a second. */
export const MIN_FRAME_RATE = 12;

/** Caps for one sender. `maxBitrate` in bits per second, as RTCRtpEncodingParameters wants it. */
export interface SenderCaps {
  maxBitrate: number;
  scaleResolutionDownBy: number;
  maxFramerate: number;
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
 * The smallest downscale, and then the frame rate, at which one of `copies` camera copies fits
 * its share of the encoding budget.
 */
function encodeCaps(quality: VideoQuality, copies: number): { scale: number; frameRate: number } {
  const { width, height, frameRate } = VIDEO_QUALITIES[quality];
  const share = (ENCODE_BUDGET_COPIES / copies) * width * height * frameRate;
  const maxScale = Math.max(1, height / MIN_ENCODE_LINES);
  const fits = (scale: number) => ((width * height) / (scale * scale)) * frameRate <= share;
  const scale = SCALES.find((s) => s <= maxScale && fits(s)) ?? Math.max(...SCALES.filter((s) => s <= maxScale));
  const pixels = (width * height) / (scale * scale);
  return { scale, frameRate: Math.max(Math.min(frameRate, MIN_FRAME_RATE), Math.min(frameRate, Math.floor(share / pixels))) };
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
    screen = { maxBitrate: Math.round(screenKbps * 1000), scaleResolutionDownBy: 1, maxFramerate: SCREEN_FRAME_RATE };
  }
  const cameraCap = Math.min(want, cameraKbps);
  const encode = encodeCaps(options.quality, copies);
  return {
    camera: {
      maxBitrate: Math.round(cameraCap * 1000),
      scaleResolutionDownBy: Math.max(scaleFor(want, cameraCap), encode.scale),
      maxFramerate: encode.frameRate,
    },
    screen,
  };
}
