/**
 * `place(box)`: puts an element at a box of the layout (left, top, width, height in pixels).
 * Through the CSSOM, never a style attribute: pages with a strict CSP (no 'unsafe-inline' for
 * styles) block those, and Lit's styleMap writes one on its first render.
 */
import { noChange } from 'lit';
import { Directive, PartType, directive, type ElementPart, type PartInfo } from 'lit/directive.js';
import type { Box } from '../../layout/grid.js';

class PlaceDirective extends Directive {
  constructor(info: PartInfo) {
    super(info);
    if (info.type !== PartType.ELEMENT) throw new Error('place() goes on an element');
  }

  // eslint-disable-next-line @typescript-eslint/no-unused-vars -- the signature types place()'s argument; update() does the work.
  render(_box: Box) {
    return noChange;
  }

  override update(part: ElementPart, [box]: [Box]) {
    const style = (part.element as HTMLElement).style;
    style.setProperty('left', `${box.x}px`);
    style.setProperty('top', `${box.y}px`);
    style.setProperty('width', `${box.width}px`);
    style.setProperty('height', `${box.height}px`);
    return noChange;
  }
}

export const place = directive(PlaceDirective);
