import type { ScenarioSummary } from './http/rounds.js';

/**
 * A horizontal bar chart of req/s relative to bare Fastify (same run), as a plain SVG string:
 * no dependency, readable on GitHub. A dashed line marks 1.0 (bare) and one 0.8 (issue 4's
 * bar for Tessera's cookie and seen-token paths).
 */

const COLORS: Record<ScenarioSummary['group'], string> = {
  baseline: '#6b7280',
  tessera: '#2563eb',
  floor: '#059669',
  peer: '#d97706',
};

const escape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function ratioChart(scenarios: ScenarioSummary[], title: string): string {
  const rows = scenarios.filter((s) => Number.isFinite(s.ratioToBare));
  const labelWidth = 330;
  const barArea = 420;
  const rowHeight = 24;
  const top = 48;
  const width = labelWidth + barArea + 80;
  const height = top + rows.length * rowHeight + 40;
  const max = Math.max(1.1, ...rows.map((s) => s.ratioToBare));
  const xOf = (ratio: number): number => labelWidth + (ratio / max) * barArea;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="12" y="22" font-size="15" font-weight="600">${escape(title)}</text>`,
    `<text x="12" y="38" fill="#4b5563">req/s ÷ bare Fastify, median of rounds; gray: bare, blue: Tessera, green: floors, orange: peers</text>`,
  ];
  rows.forEach((s, i) => {
    const y = top + i * rowHeight;
    const barWidth = Math.max(1, xOf(s.ratioToBare) - labelWidth);
    parts.push(
      `<text x="${labelWidth - 8}" y="${y + 16}" text-anchor="end">${escape(s.label)}</text>`,
      `<rect x="${labelWidth}" y="${y + 4}" width="${barWidth.toFixed(1)}" height="${rowHeight - 8}" fill="${COLORS[s.group]}"/>`,
      `<text x="${(labelWidth + barWidth + 6).toFixed(1)}" y="${y + 16}">${s.ratioToBare.toFixed(2)} (${s.rps.toFixed(0)}/s)</text>`,
    );
  });
  const bottom = top + rows.length * rowHeight;
  for (const [ratio, label] of [
    [1, '1.0 bare'],
    [0.8, '0.8'],
  ] as const) {
    const x = xOf(ratio).toFixed(1);
    parts.push(
      `<line x1="${x}" y1="${top}" x2="${x}" y2="${bottom}" stroke="#111827" stroke-dasharray="4 3" stroke-width="1"/>`,
      `<text x="${x}" y="${bottom + 16}" text-anchor="middle" fill="#374151">${label}</text>`,
    );
  }
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
