/** A named polyline of (x, y) points. */
export interface Series {
  label: string;
  color: string;
  points: [number, number][];
}

export interface Panel {
  title: string;
  xLabel: string;
  series: Series[];
  /** Fixed y range (e.g. [0, 1] for accuracy); default: the data's range. */
  yRange?: [number, number];
  /**
   * Fixed x range; an evaluation panel takes the run's steps (runStepRange) so that it lines up
   * with the loss panel, even with a single evaluation. Default: the data's range.
   */
  xRange?: [number, number];
}

/** [first, last] of a run's steps, or undefined when there are fewer than two distinct steps. */
export function runStepRange(steps: readonly number[]): [number, number] | undefined {
  const range = finiteRange(steps);
  return range && range[0] < range[1] ? range : undefined;
}

export const PANEL_WIDTH = 400;
export const PANEL_HEIGHT = 320;
const M = { left: 58, right: 14, top: 30, bottom: 40 };

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function niceNumber(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 1000 || a < 0.01 ? v.toExponential(1) : Number(v.toPrecision(3)).toString();
}

/** Smallest and largest finite value, in one pass (runs log up to ~1e5 records: no spread). */
function finiteRange(values: readonly number[]): [number, number] | undefined {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  return lo === Infinity ? undefined : [lo, hi];
}

function extent(values: number[]): [number, number] {
  const range = finiteRange(values);
  if (!range) return [0, 1];
  const [lo, hi] = range;
  if (lo === hi) return [lo - (Math.abs(lo) || 1) * 0.5, hi + (Math.abs(hi) || 1) * 0.5];
  return [lo, hi];
}

function panelSvg(p: Panel, x0: number): string {
  const w = PANEL_WIDTH - M.left - M.right;
  const h = PANEL_HEIGHT - M.top - M.bottom;
  const all = p.series.flatMap((s) => s.points);
  const [xlo, xhi] = p.xRange ?? extent(all.map((q) => q[0]));
  const [ylo, yhi] = p.yRange ?? extent(all.map((q) => q[1]));
  const sx = (x: number) => x0 + M.left + ((x - xlo) / (xhi - xlo)) * w;
  const sy = (y: number) => M.top + h - ((y - ylo) / (yhi - ylo)) * h;
  const parts: string[] = [];
  parts.push(`<rect x="${x0 + M.left}" y="${M.top}" width="${w}" height="${h}" fill="#fff" stroke="#444"/>`);
  parts.push(`<text x="${x0 + PANEL_WIDTH / 2}" y="20" text-anchor="middle" font-size="15" font-family="sans-serif">${escapeXml(p.title)}</text>`);
  parts.push(`<text x="${x0 + M.left + w / 2}" y="${PANEL_HEIGHT - 6}" text-anchor="middle" font-size="12" font-family="sans-serif">${escapeXml(p.xLabel)}</text>`);
  for (let i = 0; i <= 4; i++) {
    const y = ylo + ((yhi - ylo) * i) / 4;
    const x = xlo + ((xhi - xlo) * i) / 4;
    parts.push(`<line x1="${x0 + M.left}" x2="${x0 + M.left + w}" y1="${sy(y)}" y2="${sy(y)}" stroke="#ddd"/>`);
    parts.push(`<text x="${x0 + M.left - 4}" y="${sy(y) + 4}" text-anchor="end" font-size="11" font-family="sans-serif">${niceNumber(y)}</text>`);
    parts.push(`<text x="${sx(x)}" y="${M.top + h + 15}" text-anchor="middle" font-size="11" font-family="sans-serif">${niceNumber(Math.round(x))}</text>`);
  }
  p.series.forEach((s, i) => {
    const pts = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    if (pts.length === 1) parts.push(`<circle cx="${sx(pts[0][0])}" cy="${sy(pts[0][1])}" r="3" fill="${s.color}"/>`);
    if (pts.length > 1) parts.push(`<polyline fill="none" stroke="${s.color}" stroke-width="1.6" points="${pts.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ')}"/>`);
    const ly = M.top + 16 + i * 16;
    parts.push(`<line x1="${x0 + M.left + w - 90}" x2="${x0 + M.left + w - 72}" y1="${ly - 4}" y2="${ly - 4}" stroke="${s.color}" stroke-width="2"/>`);
    parts.push(`<text x="${x0 + M.left + w - 68}" y="${ly}" font-size="11" font-family="sans-serif">${escapeXml(s.label)}</text>`);
  });
  return parts.join('\n');
}

/** Panels side by side as one SVG document of PANEL_WIDTH·n × PANEL_HEIGHT pixels. */
export function curvesSvg(panels: Panel[]): string {
  const width = PANEL_WIDTH * panels.length;
  const body = panels.map((p, i) => panelSvg(p, i * PANEL_WIDTH)).join('\n');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${PANEL_HEIGHT}" viewBox="0 0 ${width} ${PANEL_HEIGHT}">\n<rect width="100%" height="100%" fill="#f7f7f7"/>\n${body}\n</svg>\n`;
}
