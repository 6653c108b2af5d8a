/**
 * Whether this machine draws emoji in colour. A machine without an emoji font draws an empty box
 * (or nothing) for each; the short-code panel then shows the symbols' names alone, which are
 * enough to compare the code.
 */
let known: boolean | undefined;

/** Whether `sample` comes out in colour on a canvas (once per page; false where a canvas cannot be read). */
export function drawsColourEmoji(sample = '\u{1F436}'): boolean {
  if (known !== undefined) return known;
  known = false;
  try {
    const canvas = Object.assign(document.createElement('canvas'), { width: 32, height: 32 });
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    if (!ctx) return known;
    ctx.fillStyle = '#000';
    ctx.textBaseline = 'top';
    ctx.font = '24px sans-serif';
    ctx.fillText(sample, 0, 0);
    const pixels = ctx.getImageData(0, 0, 32, 32).data;
    // Text in black comes out grey at most; a colour emoji has pixels whose channels differ.
    for (let i = 0; i < pixels.length && !known; i += 4) {
      const [r, g, b, a] = [pixels[i]!, pixels[i + 1]!, pixels[i + 2]!, pixels[i + 3]!];
      known = a > 0 && Math.max(r, g, b) - Math.min(r, g, b) > 32;
    }
  } catch {
    // A canvas that cannot be read (a privacy setting): the names alone.
  }
  return known;
}
