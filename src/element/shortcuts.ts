/** The element's keyboard shortcuts. */
import type { VideoRoomElement } from '../video-room.component.js';

/**
 * Keyboard shortcuts while focus is in the element (the host page's own keys stay its own):
 * Ctrl+D (⌘D) microphone, Ctrl+E (⌘E) camera, Ctrl+Shift+L (⌘⇧L) leave.
 */
export function onShortcut(el: VideoRoomElement, event: KeyboardEvent): void {
  if (!(event.ctrlKey || event.metaKey) || event.altKey || event.repeat) return;
  const key = event.key.toLowerCase();
  if (key === 'd' && !event.shiftKey) el.toggleAudio();
  else if (key === 'e' && !event.shiftKey) el.toggleVideo();
  else if (key === 'l' && event.shiftKey && (el.state === 'joining' || el.state === 'joined')) el.leave();
  else return;
  event.preventDefault();
}
