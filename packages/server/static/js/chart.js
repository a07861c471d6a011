// Horizontal bar charts as inline SVG built with DOM calls (no library, no inline style), and
// the benchmark results of `npm run bench` / `tessera bench` for the lab.
import { h, s } from './dom.js';
import { formatNumber } from './format.js';

/** Fill colours by mode; each has ≥ 3:1 contrast against white (WCAG 1.4.11). */
const FILLS = { session: '#0b57d0', jwt: '#a1420a', other: '#4a5360' };

let chartCount = 0;

/**
 * A horizontal bar chart. `bars`: [{ label, value, kind ('session' | 'jwt' | 'other'),
 * valueText }]. Returns an <svg role="img"> with a title naming every value.
 */
export function barChart(title, bars, options) {
  const opts = options || {};
  const width = opts.width || 640;
  const labelWidth = opts.labelWidth || 230;
  const valueWidth = 120;
  const rowHeight = 30;
  const top = 8;
  const height = top * 2 + rowHeight * bars.length;
  const max = Math.max(1, ...bars.map((b) => b.value));
  const span = width - labelWidth - valueWidth;
  const id = 'chart-title-' + ++chartCount;
  const summary = title + ': ' + bars.map((b) => b.label + ' ' + b.valueText).join('; ') + '.';
  const svg = s('svg', {
    viewBox: '0 0 ' + width + ' ' + height,
    width: '100%',
    role: 'img',
    'aria-labelledby': id,
    class: 'bar-chart',
    preserveAspectRatio: 'xMinYMin meet',
  }, s('title', { id: id }, summary));
  bars.forEach((bar, i) => {
    const y = top + i * rowHeight;
    const barWidth = Math.max(2, Math.round((bar.value / max) * span));
    svg.append(
      s('text', { x: labelWidth - 8, y: y + rowHeight / 2 + 5, 'text-anchor': 'end', fill: '#1b1f24', 'font-size': '13' }, bar.label),
      s('rect', { x: labelWidth, y: y + 5, width: barWidth, height: rowHeight - 10, rx: 3, fill: FILLS[bar.kind] || FILLS.other }),
      s('text', { x: labelWidth + barWidth + 6, y: y + rowHeight / 2 + 5, fill: '#1b1f24', 'font-size': '13' }, bar.valueText),
    );
  });
  return svg;
}

function num(...values) {
  for (const v of values) {
    const n = typeof v === 'string' ? Number(v) : v;
    if (typeof n === 'number' && Number.isFinite(n)) return n;
  }
  return null;
}

function str(...values) {
  for (const v of values) if (typeof v === 'string' && v !== '') return v;
  return null;
}

function kindOf(row, name) {
  const mode = str(row.mode, row.kind) || '';
  if (/jwt|token|bearer/i.test(mode) || /jwt|token|bearer/i.test(name)) return 'jwt';
  if (/session|cookie/i.test(mode) || /session|cookie/i.test(name)) return 'session';
  return 'other';
}

/**
 * The rows of a benchmark results file, tolerant of its exact shape: an array, or an object
 * with `results` / `rows` / `http` / `benchmarks`; per row a name (`name` | `label` |
 * `scenario` | `target`, else mode and store), req/s (`reqPerSec` | `requestsPerSecond` |
 * `rps`) and p99 in ms (`p99Ms` | `p99` | `latencyP99Ms` | `latency.p99`).
 */
export function benchRows(data) {
  const list = Array.isArray(data) ? data
    : data === null || typeof data !== 'object' ? []
      : [data.results, data.rows, data.http, data.benchmarks].find(Array.isArray) || [];
  const rows = [];
  for (const r of list) {
    if (r === null || typeof r !== 'object') continue;
    const latency = r.latency !== null && typeof r.latency === 'object' ? r.latency : {};
    const name = str(r.name, r.label, r.scenario, r.target) || [str(r.mode), str(r.store)].filter(Boolean).join(', ');
    const rps = num(r.reqPerSec, r.requestsPerSecond, r.rps, r.req_per_sec, r.throughput);
    const p99 = num(r.p99Ms, r.p99, r.latencyP99Ms, r.p99_ms, latency.p99);
    if (name && rps !== null) rows.push({ name: name, rps: rps, p99: p99, kind: kindOf(r, name) });
  }
  return rows.slice(0, 40);
}

/** Renders the benchmark section's content into `container`. */
export function renderBench(container, data) {
  const rows = benchRows(data);
  if (rows.length === 0) {
    container.replaceChildren(h('p', {}, 'The benchmark results file has no rows this page understands.'));
    return;
  }
  const meta = data !== null && typeof data === 'object' && !Array.isArray(data) ? data : {};
  const when = str(meta.generatedAt, meta.date, meta.time);
  const machine = str(meta.machine, meta.host, meta.cpu);
  const intro = h('p', {}, 'From the last ', h('code', { text: 'npm run bench' }), ' run' + (when ? ' (' + when + ')' : '') + (machine ? ' on ' + machine : '') + '. Higher is better for requests per second, lower for p99 latency.');
  const charts = [
    h('h3', { text: 'Requests per second' }),
    barChart('Requests per second', rows.map((r) => ({ label: r.name, value: r.rps, kind: r.kind, valueText: formatNumber(r.rps) + ' req/s' }))),
  ];
  const withP99 = rows.filter((r) => r.p99 !== null);
  if (withP99.length > 0) {
    charts.push(
      h('h3', { text: 'p99 latency' }),
      barChart('p99 latency in milliseconds', withP99.map((r) => ({ label: r.name, value: r.p99, kind: r.kind, valueText: formatNumber(r.p99, 2) + ' ms' }))),
    );
  }
  const table = h('table', { className: 'bench-table' },
    h('caption', { text: 'Benchmark results' }),
    h('thead', {}, h('tr', {}, h('th', { attrs: { scope: 'col' }, text: 'Scenario' }), h('th', { attrs: { scope: 'col' }, text: 'Requests per second' }), h('th', { attrs: { scope: 'col' }, text: 'p99 latency' }))),
    h('tbody', {}, ...rows.map((r) => h('tr', {},
      h('th', { attrs: { scope: 'row' }, text: r.name }),
      h('td', { className: 'num', text: formatNumber(r.rps) }),
      h('td', { className: 'num', text: r.p99 === null ? '–' : formatNumber(r.p99, 2) + ' ms' }),
    ))),
  );
  container.replaceChildren(intro, ...charts, table);
}

/** Shows how to produce the benchmark when there are no results yet. */
export function renderBenchMissing(container) {
  container.replaceChildren(
    h('p', {}, 'No benchmark results yet. Run ', h('code', { text: 'npm run bench' }), ' in the Tessera repository (or ', h('code', { text: 'tessera bench' }), ' on your own machine): it writes ', h('code', { text: 'bench/results.json' }), ', which this page then shows as a chart. A server started elsewhere reads the file named by ', h('code', { text: 'TESSERA_BENCH_RESULTS' }), '.'),
  );
}
