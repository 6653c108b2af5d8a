/**
 * Applies the element's attributes to the call: each checked (a bad one is reported and a
 * default used) and handed to the store, the local media and the room. Runs before each render,
 * so that the media and room events they cause join that update.
 */
import type { PropertyValues } from 'lit';
import { ERROR_CODES } from '../constants.js';
import type { Room } from '../room/room.js';
import type { CallStore } from '../store/call-store.js';
import type { VideoRoomElement } from '../video-room.component.js';
import { readFacingMode, readQuality, readUpstream, type Fail } from './config.js';
import type { LocaleController } from './controllers/locale-controller.js';
import type { MediaController } from './controllers/media-controller.js';

const THEMES = ['light', 'dark', 'auto'];

/** Where the attributes go. */
export interface AttributeTargets {
  store: CallStore;
  localeCtl: LocaleController;
  mediaCtl: MediaController;
  room: Room | null;
  fail: Fail;
}

export function applyAttributes(el: VideoRoomElement, changed: PropertyValues<VideoRoomElement>, to: AttributeTargets): void {
  const { store, mediaCtl, room, fail } = to;
  const { media } = mediaCtl;
  if (changed.has('strings')) to.localeCtl.override(true);
  if (changed.has('theme') && el.theme !== null && !THEMES.includes(el.theme))
    fail(ERROR_CODES.invalidTheme, 'theme must be light, dark or auto; following the page.');
  if (changed.has('chat') && el.chat !== null && el.chat !== 'on' && el.chat !== 'off') fail(ERROR_CODES.invalidChat, 'chat must be on or off; chat stays on.');
  const { audioMuted, videoMuted } = el;
  store.set({ chatOff: el.chat === 'off', audioMuted, videoMuted });
  if (changed.has('name')) {
    store.set({ name: el.name });
    if (changed.get('name') !== undefined) room?.updateLocal({ name: el.name });
  }
  if (changed.has('audioMuted') || changed.has('videoMuted')) {
    if (media.audioMuted !== audioMuted) media.setAudioMuted(audioMuted);
    if (media.videoMuted !== videoMuted) media.setVideoMuted(videoMuted);
    room?.updateLocal({ audioMuted, videoMuted });
  }
  // After the first update, a new quality, facing mode or budget applies to the running call.
  if (!el.hasUpdated) return;
  if (changed.has('videoQuality')) {
    mediaCtl.quality = readQuality(el.videoQuality, fail);
    void media.setQuality(mediaCtl.quality);
    room?.setUpstream({ quality: mediaCtl.quality });
  }
  if (changed.has('maxUpstreamKbps')) {
    mediaCtl.upstreamKbps = readUpstream(el.maxUpstreamKbps, fail);
    room?.setUpstream({ maxUpstreamKbps: mediaCtl.upstreamKbps });
  }
  if (changed.has('facingMode')) {
    applyCapture(el, mediaCtl, fail);
    if (media.stream?.getVideoTracks().length) void media.restartVideo().catch(mediaCtl.report);
  }
}

/** What the next capture asks for: attributes first, then the devices remembered for this site. */
export function applyCapture(el: VideoRoomElement, mediaCtl: MediaController, fail: Fail): void {
  if (!el.hasUpdated) {
    mediaCtl.quality = readQuality(el.videoQuality, fail);
    mediaCtl.upstreamKbps = readUpstream(el.maxUpstreamKbps, fail);
  }
  mediaCtl.prefer(readFacingMode(el.facingMode, fail));
}
