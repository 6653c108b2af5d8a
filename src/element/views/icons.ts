/**
 * The control bar's and the tiles' icons: Lucide's (ISC), drawn as inline SVG from their shapes.
 * No icon font and no request; nothing but attributes set through Lit, so a strict CSP is fine.
 * Only the icons imported here reach the bundle.
 */
import { html, nothing, svg } from 'lit';
import {
  Ellipsis,
  Link,
  Maximize,
  MessageSquare,
  Mic,
  MicOff,
  MonitorUp,
  MonitorX,
  PhoneOff,
  PictureInPicture2,
  Settings,
  ShieldAlert,
  ShieldCheck,
  SwitchCamera,
  TriangleAlert,
  Video,
  VideoOff,
  Volume2,
  WifiOff,
} from 'lucide';

type Shape = readonly [tag: string, attrs: Readonly<Record<string, string | number | undefined>>];
export type IconNode = readonly Shape[];

export const ICONS = {
  mic: Mic,
  micOff: MicOff,
  camera: Video,
  cameraOff: VideoOff,
  screen: MonitorUp,
  screenOff: MonitorX,
  chat: MessageSquare,
  leave: PhoneOff,
  more: Ellipsis,
  settings: Settings,
  pip: PictureInPicture2,
  fullscreen: Maximize,
  invite: Link,
  switchCamera: SwitchCamera,
  sound: Volume2,
  verified: ShieldCheck,
  unverified: ShieldAlert,
  poor: TriangleAlert,
  reconnecting: WifiOff,
} satisfies Record<string, IconNode>;

export type IconName = keyof typeof ICONS;

const a = (value: string | number | undefined) => value ?? nothing;

/** The shapes Lucide's icons are made of; the icons above use no others. */
function shape([tag, at]: Shape) {
  if (tag === 'circle') return svg`<circle cx=${a(at.cx)} cy=${a(at.cy)} r=${a(at.r)}></circle>`;
  if (tag === 'rect') return svg`<rect x=${a(at.x)} y=${a(at.y)} width=${a(at.width)} height=${a(at.height)} rx=${a(at.rx)} ry=${a(at.ry)}></rect>`;
  return svg`<path d=${a(at.d)}></path>`;
}

/** An icon, hidden from assistive technology: the button or badge it is in carries the name. */
export function icon(name: IconName) {
  return html`<svg class="icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">${(ICONS[name] as IconNode).map(shape)}</svg>`;
}
