// A small hand-written SVG bar chart: panels of grouped vertical bars, value
// labels, and dashed goal lines. No plotting library.

export interface Bar {
  value: number;
  color: string;
  /** Shown in the legend. */
  series?: string;
}

export interface Group {
  label: string;
  bars: Bar[];
}

export interface GoalLine {
  value: number;
  label: string;
  color?: string;
}

export interface Panel {
  title: string;
  groups: Group[];
  goals?: GoalLine[];
  format: (v: number) => string;
  /** Logarithmic value axis (decades), for latencies whose tails dwarf the medians. */
  log?: boolean;
}

const FONT = 'font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif"';

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A round tick step near `v`: 1, 2, 2.5 or 5 times a power of ten. */
function niceStep(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

interface Axis {
  y: (v: number) => number;
  ticks: number[];
}

function linearAxis(values: number[], bottom: number, height: number): Axis {
  const step = niceStep((Math.max(...values) * 1.1) / 4);
  const max = Math.max(step, Math.ceil((Math.max(...values) * 1.1) / step) * step);
  const ticks = Array.from({ length: Math.round(max / step) + 1 }, (_, i) => i * step);
  return { y: (v) => bottom - (Math.max(0, v) / max) * height, ticks };
}

function logAxis(values: number[], bottom: number, height: number): Axis {
  const lo = Math.floor(Math.log10(Math.min(...values.filter((v) => v > 0))));
  const hi = Math.max(lo + 1, Math.ceil(Math.log10(Math.max(...values) * 1.2)));
  const ticks = Array.from({ length: hi - lo + 1 }, (_, i) => 10 ** (lo + i));
  return { y: (v) => bottom - ((Math.log10(Math.max(v, 10 ** lo)) - lo) / (hi - lo)) * height, ticks };
}

function panelSvg(panel: Panel, x0: number, y0: number, w: number, h: number): string {
  const left = 62;
  const top = 34;
  const bottom = 40;
  const right = panel.goals?.length ? 118 : 12;
  const plotW = w - left - right;
  const plotH = h - top - bottom;
  const base = y0 + top + plotH;
  const values = panel.groups.flatMap((g) => g.bars.map((b) => b.value)).concat((panel.goals ?? []).map((g) => g.value)).filter((v) => Number.isFinite(v) && v > 0);
  const axis = panel.log ? logAxis(values.length ? values : [1], base, plotH) : linearAxis(values.length ? values : [1], base, plotH);
  const y = axis.y;
  const out: string[] = [`<text x="${x0 + w / 2}" y="${y0 + 18}" text-anchor="middle" font-size="14" font-weight="600" ${FONT}>${escapeXml(panel.title)}</text>`];
  for (const v of axis.ticks) {
    out.push(`<line x1="${x0 + left}" x2="${x0 + left + plotW}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#e3e3e3"/>`);
    out.push(`<text x="${x0 + left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end" font-size="11" fill="#555" ${FONT}>${escapeXml(panel.format(v))}</text>`);
  }
  const slot = plotW / panel.groups.length;
  panel.groups.forEach((g, gi) => {
    const barW = Math.min(46, (slot * 0.74) / g.bars.length);
    const start = x0 + left + gi * slot + (slot - barW * g.bars.length) / 2;
    g.bars.forEach((b, bi) => {
      const bx = start + bi * barW;
      const by = Number.isFinite(b.value) ? y(b.value) : base;
      out.push(`<rect x="${bx.toFixed(1)}" y="${by.toFixed(1)}" width="${(barW - 3).toFixed(1)}" height="${(base - by).toFixed(1)}" fill="${b.color}"/>`);
      out.push(`<text x="${(bx + (barW - 3) / 2).toFixed(1)}" y="${(by - 4).toFixed(1)}" text-anchor="middle" font-size="10" fill="#222" ${FONT}>${escapeXml(Number.isFinite(b.value) ? panel.format(b.value) : 'n/a')}</text>`);
    });
    out.push(`<text x="${(x0 + left + gi * slot + slot / 2).toFixed(1)}" y="${base + 16}" text-anchor="middle" font-size="11" ${FONT}>${escapeXml(g.label)}</text>`);
  });
  // Goal lines across the plot, their labels in the right margin, kept apart.
  let lastLabelY = -Infinity;
  for (const goal of [...(panel.goals ?? [])].sort((a, b) => y(a.value) - y(b.value))) {
    const gy = y(goal.value);
    const color = goal.color ?? '#c0392b';
    const ly = Math.max(gy + 4, lastLabelY + 13);
    lastLabelY = ly;
    out.push(`<line x1="${x0 + left}" x2="${x0 + left + plotW + 4}" y1="${gy.toFixed(1)}" y2="${gy.toFixed(1)}" stroke="${color}" stroke-width="1.5" stroke-dasharray="6 4"/>`);
    out.push(`<text x="${x0 + left + plotW + 8}" y="${ly.toFixed(1)}" font-size="10" fill="${color}" ${FONT}>${escapeXml(goal.label)}</text>`);
  }
  out.push(`<line x1="${x0 + left}" x2="${x0 + left + plotW}" y1="${base}" y2="${base}" stroke="#333"/>`);
  return out.join('\n');
}

/** The series of one panel's bars, under that panel. */
function legendSvg(panel: Panel, x: number, y: number): string {
  const seen = new Map<string, string>();
  for (const b of panel.groups.flatMap((g) => g.bars)) if (b.series && !seen.has(b.series)) seen.set(b.series, b.color);
  let cx = x;
  const out: string[] = [];
  for (const [series, color] of seen) {
    out.push(`<rect x="${cx}" y="${y - 9}" width="10" height="10" fill="${color}"/>`);
    out.push(`<text x="${cx + 14}" y="${y}" font-size="11" ${FONT}>${escapeXml(series)}</text>`);
    cx += 24 + series.length * 6.2;
  }
  return out.join('\n');
}

/** Panels side by side, a caption below. */
export function barChartSvg(panels: readonly Panel[], caption: string, panelW = 480, panelH = 300): string {
  const width = panelW * panels.length;
  const height = panelH + 46;
  const body = panels.map((p, i) => panelSvg(p, i * panelW, 0, panelW, panelH)).join('\n');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    body,
    ...panels.map((p, i) => legendSvg(p, i * panelW + 62, panelH + 8)),
    `<text x="${width / 2}" y="${height - 8}" text-anchor="middle" font-size="10" fill="#666" ${FONT}>${escapeXml(caption)}</text>`,
    '</svg>',
    '',
  ].join('\n');
}
