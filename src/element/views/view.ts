/**
 * What every view is drawn from: the call's snapshot, the texts of the element's language, and
 * what the controls call: the element's public methods (the page's own API), and the store for
 * the panels' state. Views are functions of these; they never reach into the element's internals.
 */
import type { StringKey } from '../../i18n/strings.js';
import type { CallState, LocalState } from '../../store/call-store.js';
import type { Area } from '../controllers/layout-controller.js';
import type { Layer } from '../../layout/layers.js';
import type { VideoRoomElement } from '../../video-room.component.js';

/** The element's public methods the controls call. */
export type ElementApi = Pick<
  VideoRoomElement,
  | 'renderRoot'
  | 'updateComplete'
  | 'join'
  | 'leave'
  | 'toggleAudio'
  | 'toggleVideo'
  | 'switchCamera'
  | 'setDevice'
  | 'copyInviteLink'
  | 'shareScreen'
  | 'stopScreenShare'
  | 'sendMessage'
  | 'togglePictureInPicture'
  | 'toggleFullscreen'
  | 'verifyParticipant'
>;

export interface View {
  readonly s: CallState;
  /** A text of the current language, with its placeholders filled. */
  t(key: StringKey, values?: Record<string, string | number>): string;
  /** Whether the element joins without its pre-join panel. */
  readonly autojoin: boolean;
  readonly el: ElementApi;
  /** The size of the box the tiles are laid out in. */
  readonly area: Area;
  /** The element's width: panels open as sheets when it is narrow (a phone, a sidebar), and the control bar keeps what fits. */
  readonly width: number;
  /** Changes the panels' state (the store's). */
  set(changes: Partial<LocalState>): void;
  /** Plays the sound the browser blocked (from a click). */
  sound(): void;
  /** The simulcast layer each remote camera needs, as the grid lays the tiles out (see layout/layers.ts). */
  layers(layers: ReadonlyMap<string, Layer>): void;
}
