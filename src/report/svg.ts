/** Inline SVG charts for the HTML report: no script, no external asset, readable without JavaScript. */
import type { DayFires, RuleFigures } from './types.js';

export const escapeHtml = (s: string | number): string =>
  String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

export const SEVERITY_COLORS: Record<string, string> = { P1: '#d62728', P2: '#ff7f0e', P3: '#1f77b4' };
const OTHER_COLOR = '#7f7f7f';
const colorOf = (sev: string) => SEVERITY_COLORS[sev] ?? OTHER_COLOR;
const TOP_RULES = 10;

/** Severities in a stable order: P1, P2, P3, then any other alphabetically. */
export function severitiesOf(days: DayFires[]): string[] {
  const all = new Set(days.flatMap((d) => Object.keys(d.bySeverity)));
  return [...all].sort((a, b) => (a in SEVERITY_COLORS ? 0 : 1) - (b in SEVERITY_COLORS ? 0 : 1) || a.localeCompare(b));
}

/** One stacked bar per day (a <g class="day">), one segment per severity that fired that day. */
export function firesPerDayChart(days: DayFires[]): string {
  const w = 640;
  const h = 220;
  const pad = { l: 36, b: 36, t: 12 };
  const sevs = severitiesOf(days);
  const max = Math.max(1, ...days.map((d) => Object.values(d.bySeverity).reduce((s, n) => s + n, 0)));
  const slot = (w - pad.l) / Math.max(1, days.length);
  const barW = slot * 0.6;
  const scale = (h - pad.b - pad.t) / max;
  const parts: string[] = [];
  parts.push(`<line x1="${pad.l}" y1="${h - pad.b}" x2="${w}" y2="${h - pad.b}" stroke="#999"/>`);
  parts.push(`<text x="${pad.l - 6}" y="${pad.t + 4}" text-anchor="end" class="tick">${max}</text><text x="${pad.l - 6}" y="${h - pad.b}" text-anchor="end" class="tick">0</text>`);
  days.forEach((d, i) => {
    const x = pad.l + i * slot + (slot - barW) / 2;
    let y = h - pad.b;
    const segs = sevs
      .filter((s) => d.bySeverity[s])
      .map((s) => {
        const bh = d.bySeverity[s] * scale;
        y -= bh;
        return `<rect class="bar sev-${escapeHtml(s)}" x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${barW.toFixed(1)}" height="${bh.toFixed(1)}" fill="${colorOf(s)}"><title>${escapeHtml(d.day)} ${escapeHtml(s)}: ${d.bySeverity[s]}</title></rect>`;
      });
    parts.push(`<g class="day">${segs.join('')}<text x="${(x + barW / 2).toFixed(1)}" y="${h - pad.b + 16}" text-anchor="middle" class="tick">${escapeHtml(d.day.slice(5))}</text></g>`);
  });
  const legend = sevs.map((s, i) => `<rect x="${pad.l + i * 70}" y="${h - 12}" width="10" height="10" fill="${colorOf(s)}"/><text x="${pad.l + i * 70 + 14}" y="${h - 3}" class="tick">${escapeHtml(s)}</text>`).join('');
  return `<svg class="chart fires-per-day" role="img" aria-label="Fires per day by severity" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" xmlns="http://www.w3.org/2000/svg">${parts.join('')}${legend}</svg>`;
}

/** Horizontal bars of the most-fired rules. */
export function topRulesChart(rules: RuleFigures[]): string {
  const top = rules.filter((r) => r.fired > 0).slice(0, TOP_RULES);
  const w = 640;
  const row = 24;
  const label = 230;
  const h = Math.max(1, top.length) * row + 8;
  const max = Math.max(1, ...top.map((r) => r.fired));
  const bars = top.map((r, i) => {
    const bw = ((w - label - 40) * r.fired) / max;
    const y = i * row + 4;
    return `<text x="${label - 8}" y="${y + 15}" text-anchor="end" class="label">${escapeHtml(r.alertname)}</text><rect class="bar" x="${label}" y="${y}" width="${bw.toFixed(1)}" height="${row - 6}" fill="${colorOf(r.severity)}"><title>${escapeHtml(r.alertname)}: ${r.fired} fires</title></rect><text x="${(label + bw + 6).toFixed(1)}" y="${y + 15}" class="tick">${r.fired}</text>`;
  });
  return `<svg class="chart top-rules" role="img" aria-label="Most-fired rules" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" xmlns="http://www.w3.org/2000/svg">${bars.join('')}</svg>`;
}

/** Per rule with feedback, one 100% bar split actionable (green) / noise (red). */
export function actionableShareChart(rules: RuleFigures[]): string {
  const rated = rules.filter((r) => r.actionable + r.noise > 0);
  const w = 640;
  const row = 24;
  const label = 230;
  const full = w - label - 60;
  const h = Math.max(1, rated.length) * row + 8;
  const bars = rated.map((r, i) => {
    const y = i * row + 4;
    const aw = (full * r.actionable) / (r.actionable + r.noise);
    return (
      `<g class="share"><text x="${label - 8}" y="${y + 15}" text-anchor="end" class="label">${escapeHtml(r.alertname)}</text>` +
      `<rect class="bar actionable" x="${label}" y="${y}" width="${aw.toFixed(1)}" height="${row - 6}" fill="#2ca02c"><title>actionable: ${r.actionable}</title></rect>` +
      `<rect class="bar noise" x="${(label + aw).toFixed(1)}" y="${y}" width="${(full - aw).toFixed(1)}" height="${row - 6}" fill="#d62728"><title>noise: ${r.noise}</title></rect>` +
      `<text x="${label + full + 6}" y="${y + 15}" class="tick">${Math.round((100 * r.actionable) / (r.actionable + r.noise))}%</text></g>`
    );
  });
  return `<svg class="chart actionable-share" role="img" aria-label="Share of fires marked actionable" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" xmlns="http://www.w3.org/2000/svg">${bars.join('')}</svg>`;
}
