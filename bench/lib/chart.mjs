// A grouped bar chart as a standalone SVG (no dependency): one group per configuration (for
// example 2, 4 and 6 participants), one bar per series (the element, raw PeerJS), each bar
// labelled with its value.
const COLORS = ['#2563eb', '#a1a1aa', '#16a34a', '#f59e0b'];

const escapeXml = (text) => String(text).replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]);

/**
 * @param {{ title: string, unit: string, series: string[], groups: { label: string, values: number[] }[], digits?: number }} chart
 * @returns {string} SVG markup
 */
export function barChart({ title, unit, series, groups, digits = 0 }) {
  const width = 640;
  const height = 300;
  const top = 48;
  const bottom = 40;
  const left = 56;
  const plotHeight = height - top - bottom;
  const plotWidth = width - left - 16;
  const max = Math.max(1e-9, ...groups.flatMap((g) => g.values.filter(Number.isFinite)));
  const groupWidth = plotWidth / groups.length;
  const barWidth = Math.min(56, (groupWidth * 0.7) / series.length);
  const y = (value) => top + plotHeight - (value / max) * plotHeight;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" font-family="system-ui, sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="${left}" y="20" font-size="14" font-weight="600">${escapeXml(title)}</text>`,
    ...series.map(
      (name, s) =>
        `<rect x="${left + s * 150}" y="30" width="10" height="10" fill="${COLORS[s % COLORS.length]}"/><text x="${left + s * 150 + 14}" y="39">${escapeXml(name)}</text>`,
    ),
    `<line x1="${left}" y1="${top + plotHeight}" x2="${width - 16}" y2="${top + plotHeight}" stroke="#52525b"/>`,
    `<text x="12" y="${top + plotHeight / 2}" transform="rotate(-90 12 ${top + plotHeight / 2})" text-anchor="middle">${escapeXml(unit)}</text>`,
  ];
  groups.forEach((group, g) => {
    const center = left + groupWidth * (g + 0.5);
    const start = center - (barWidth * series.length) / 2;
    group.values.forEach((value, s) => {
      const x = start + s * barWidth;
      if (!Number.isFinite(value)) {
        parts.push(`<text x="${x + barWidth / 2}" y="${top + plotHeight - 4}" text-anchor="middle">n/a</text>`);
        return;
      }
      parts.push(
        `<rect x="${x + 2}" y="${y(value)}" width="${barWidth - 4}" height="${top + plotHeight - y(value)}" fill="${COLORS[s % COLORS.length]}"/>`,
        `<text x="${x + barWidth / 2}" y="${y(value) - 4}" text-anchor="middle">${escapeXml(value.toFixed(digits))}</text>`,
      );
    });
    parts.push(`<text x="${center}" y="${height - 16}" text-anchor="middle">${escapeXml(group.label)}</text>`);
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
