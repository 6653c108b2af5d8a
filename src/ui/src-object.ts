/**
 * `srcObject(stream)`: an element directive that gives a `<video>` or `<audio>` its stream only
 * when the stream changed. A `.srcObject=${stream}` binding would not do: Lit commits object
 * values on every render, and assigning `srcObject` runs the media element's load algorithm again
 * even for the same stream (https://html.spec.whatwg.org/multipage/media.html#dom-media-srcobject),
 * which tears down and rebuilds every tile's player on each render.
 */
import { noChange } from 'lit';
import { Directive, PartType, directive, type ElementPart, type PartInfo } from 'lit/directive.js';

class SrcObjectDirective extends Directive {
  constructor(info: PartInfo) {
    super(info);
    if (info.type !== PartType.ELEMENT) throw new Error('srcObject() belongs on a media element, as <video ${srcObject(stream)}>');
  }

  // Declares the argument; update() does the work, on the element itself.
  render(stream: MediaStream | null): typeof noChange {
    void stream;
    return noChange;
  }

  override update(part: ElementPart, [stream]: [MediaStream | null]): typeof noChange {
    const media = part.element as HTMLMediaElement;
    if (media.srcObject !== stream) media.srcObject = stream;
    return noChange;
  }
}

export const srcObject = directive(SrcObjectDirective);
