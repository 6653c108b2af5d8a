/**
 * Registers `<video-room>`. This is the package's only module with a side effect; loading it
 * twice (two copies of the script on one page) keeps the first definition.
 */
import { VideoRoomElement } from './video-room.component.js';

export { VideoRoomElement };

if (!customElements.get('video-room')) customElements.define('video-room', VideoRoomElement);

declare global {
  interface HTMLElementTagNameMap {
    'video-room': VideoRoomElement;
  }
}
