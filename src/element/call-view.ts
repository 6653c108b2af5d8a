/**
 * The call's views, a chunk of their own: the grid and its layout, the control bar, the panels and
 * picture-in-picture. Only a page that joins loads them, with the call's code (room-controller.ts).
 */
export { renderCall } from './views/call.js';
export { renderPip } from './views/pip.js';
