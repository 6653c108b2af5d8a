/**
 * The control bar's and the tiles' icons: Lucide's (ISC), drawn as inline SVG from their shapes.
 * No icon font and no request; nothing but attributes set through Lit, so a strict CSP is fine.
 * Each view imports the icons it draws from 'lucide', so only those reach the bundle, in the chunk
 * that draws them.
 */
import { html, nothing, svg } from 'lit';
type Shape = readonly [tag: string, attrs: Readonly<Record<string, string | number | undefined>>];
export type IconNode = readonly Shape[];

const a = (value: string | number | undefined) => value ?? nothing;

/** The shapes Lucide's icons are made of; the icons we draw use no others. */
function shape([tag, at]: Shape) {
  if (tag === 'circle') return svg`<circle cx=${a(at.cx)} cy=${a(at.cy)} r=${a(at.r)}></circle>`;
  if (tag === 'rect') return svg`<rect x=${a(at.x)} y=${a(at.y)} width=${a(at.width)} height=${a(at.height)} rx=${a(at.rx)} ry=${a(at.ry)}></rect>`;
  return svg`<path d=${a(at.d)}></path>`;
}

/** An icon, hidden from assistive technology: the button or badge it is in carries the name. */
export function icon(node: IconNode) {
  return html`<svg class="icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">${node.map(shape)}</svg>`;
}
