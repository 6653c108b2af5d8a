/** Below this width (in pixels) an element counts as narrow (a phone, a sidebar): fewer tiles, panels as sheets. */
export const NARROW_WIDTH = 600;
