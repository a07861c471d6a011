// Horizontal bar charts as inline SVG built with DOM calls (no library, no inline style), and
// the benchmark results for the lab: the full `npm run bench` run's, and the short runs the lab
// starts itself (`POST /admin/bench`).
import { h, s } from './dom.js';
import { formatNumber, formatTime } from './format.js';

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

/** Names for rows that carry only a mode (`tessera bench --json`, `POST /admin/bench`). */
const MODE_NAMES = { none: 'Bare Fastify (no auth)', session: 'Session cookie', jwt: 'JWT (Bearer access token)' };

/** Names of the rows of the `lab` summary of bench/results.json. */
const LAB_NAMES = { bare: 'Bare Fastify (no auth)', session: 'Session cookie (SQLite)', jwt: 'JWT, token seen before', jwtNeverSeen: 'JWT, token never seen before' };

/**
 * The `lab` summary of bench/results.json (`npm run bench`): `{bare, modes: {session, jwt,
 * jwtNeverSeen}}`, each with `reqPerSec` and `p99Ms`, as rows.
 */
function labRows(lab) {
  const rows = [];
  if (lab.bare !== null && typeof lab.bare === 'object') rows.push(Object.assign({ mode: 'none', name: LAB_NAMES.bare }, lab.bare));
  const modes = lab.modes !== null && typeof lab.modes === 'object' ? lab.modes : {};
  for (const [mode, row] of Object.entries(modes)) {
    if (row !== null && typeof row === 'object') rows.push(Object.assign({ mode: mode, name: Object.hasOwn(LAB_NAMES, mode) ? LAB_NAMES[mode] : mode }, row));
  }
  return rows;
}

/**
 * The rows of a benchmark results file, tolerant of its exact shape: an array, or an object
 * with `results` / `rows` / `http` / `benchmarks`, or with the `lab` summary that `npm run
 * bench` writes for this page; per row a name (`name` | `label` | `scenario` | `target`, else
 * the mode's name and the store), req/s (`reqPerSec` | `requestsPerSecond` | `rps`) and p99 in
 * ms (`p99Ms` | `p99` | `latencyP99Ms` | `latency.p99`).
 */
export function benchRows(data) {
  const object = data !== null && typeof data === 'object' && !Array.isArray(data);
  const list = Array.isArray(data) ? data
    : !object ? []
      : [data.results, data.rows, data.http, data.benchmarks].find(Array.isArray)
        || (data.lab !== null && typeof data.lab === 'object' ? labRows(data.lab) : []);
  const rows = [];
  for (const r of list) {
    if (r === null || typeof r !== 'object') continue;
    const latency = r.latency !== null && typeof r.latency === 'object' ? r.latency : {};
    const mode = str(r.mode);
    const name = str(r.name, r.label, r.scenario, r.target)
      || [mode !== null && Object.hasOwn(MODE_NAMES, mode) ? MODE_NAMES[mode] : mode, str(r.store)].filter(Boolean).join(', ');
    const rps = num(r.reqPerSec, r.requestsPerSecond, r.rps, r.req_per_sec, r.throughput);
    const p99 = num(r.p99Ms, r.p99, r.latencyP99Ms, r.p99_ms, latency.p99);
    if (name && rps !== null) rows.push({ name: name, rps: rps, p99: p99, kind: kindOf(r, name) });
  }
  return rows.slice(0, 40);
}

/** A p99 for people: below autocannon's 1 ms resolution it reads "< 1 ms", not "0 ms". */
function p99Text(ms) {
  return ms === 0 ? '< 1 ms' : formatNumber(ms, 2) + ' ms';
}

/** The charts (req/s, p99) and the table of `rows`, under headings of `level` (3 or 4). */
function benchFigures(rows, level, caption) {
  const heading = 'h' + level;
  const figures = [
    h(heading, { text: 'Requests per second' }),
    barChart(caption + ': requests per second', rows.map((r) => ({ label: r.name, value: r.rps, kind: r.kind, valueText: formatNumber(r.rps) + ' req/s' }))),
  ];
  const withP99 = rows.filter((r) => r.p99 !== null);
  if (withP99.length > 0) {
    figures.push(
      h(heading, { text: 'p99 latency' }),
      barChart(caption + ': p99 latency in milliseconds', withP99.map((r) => ({ label: r.name, value: r.p99, kind: r.kind, valueText: p99Text(r.p99) }))),
    );
  }
  figures.push(h('table', { className: 'bench-table' },
    h('caption', { text: caption }),
    h('thead', {}, h('tr', {}, h('th', { attrs: { scope: 'col' }, text: 'Scenario' }), h('th', { attrs: { scope: 'col' }, text: 'Requests per second' }), h('th', { attrs: { scope: 'col' }, text: 'p99 latency' }))),
    h('tbody', {}, ...rows.map((r) => h('tr', {},
      h('th', { attrs: { scope: 'row' }, text: r.name }),
      h('td', { className: 'num', text: formatNumber(r.rps) }),
      h('td', { className: 'num', text: r.p99 === null ? '–' : p99Text(r.p99) }),
    ))),
  ));
  return figures;
}

/** "AMD EPYC, 2 cores, Node v20.20.2" from a results file's `machine` (a string or bench's object). */
function machineText(machine) {
  if (typeof machine === 'string') return machine === '' ? null : machine;
  if (machine === null || typeof machine !== 'object') return null;
  const cores = num(machine.nproc, machine.cores);
  const parts = [str(machine.cpuModel), cores === null ? null : cores + (cores === 1 ? ' core' : ' cores'), str(machine.node) === null ? null : 'Node ' + machine.node];
  const text = parts.filter(Boolean).join(', ');
  return text === '' ? null : text;
}

function metaOf(data) {
  const meta = data !== null && typeof data === 'object' && !Array.isArray(data) ? data : {};
  const machine = meta.machine !== null && typeof meta.machine === 'object' ? meta.machine : {};
  return { when: str(meta.generatedAt, meta.date, meta.time, machine.date), machine: machineText(meta.machine) || str(meta.host, meta.cpu) };
}

/** Renders the full benchmark's results (bench/results.json) into `container`. */
export function renderBench(container, data) {
  const rows = benchRows(data);
  if (rows.length === 0) {
    container.replaceChildren(h('p', {}, 'The benchmark results file has no rows this page understands.'));
    return;
  }
  const { when, machine } = metaOf(data);
  const intro = h('p', {}, 'From the last ', h('code', { text: 'npm run bench' }), ' run' + (when ? ' (' + formatTime(when) + ')' : '') + (machine ? ' on ' + machine : '') + '. Higher is better for requests per second, lower for p99 latency.');
  container.replaceChildren(intro, ...benchFigures(rows, 3, 'Benchmark results'));
}

/**
 * Renders a short run (the answer of `POST /admin/bench`) into `container`, under its own
 * heading: "Short run, this machine, <date>", apart from the full benchmark's numbers.
 */
export function renderShortRun(container, data) {
  const rows = benchRows(data);
  const { when, machine } = metaOf(data);
  const title = 'Short run, this machine, ' + (when ? formatTime(when) : 'just now');
  const duration = num(data.durationSeconds);
  const warmup = num(data.warmupSeconds);
  const connections = num(data.connections);
  const errors = Array.isArray(data.results) ? data.results.reduce((sum, r) => sum + (num(r && r.errors) || 0), 0) : 0;
  const settings = [
    duration === null ? null : duration + ' s per mode',
    warmup ? 'after ' + warmup + ' s of warm-up' : null,
    connections === null ? null : connections + (connections === 1 ? ' connection' : ' connections'),
  ].filter(Boolean).join(', ');
  container.replaceChildren(
    h('h3', { attrs: { id: 'lab-bench-short-heading', tabindex: '-1' }, text: title }),
    h('p', {}, 'GET /auth/me with the session cookie, then with the JWT' + (settings ? ' (' + settings + ')' : '') + ', against a throwaway server on a temporary database'
      + (machine ? ', on ' + machine : '') + '. Server and load generator share this machine, and the run is short: compare the two modes with each other, not with the full benchmark above.'
      + (errors > 0 ? ' ' + formatNumber(errors) + ' requests failed.' : '')),
    ...(rows.length === 0 ? [h('p', { text: 'The answer had no rows this page understands.' })] : benchFigures(rows, 4, 'Short run results')),
  );
}

/** Shows how to produce the benchmark when there are no results yet. */
export function renderBenchMissing(container) {
  container.replaceChildren(
    h('p', {}, 'No benchmark results yet. Run ', h('code', { text: 'npm run bench' }), ' in the Tessera repository (or ', h('code', { text: 'tessera bench' }), ' on your own machine): it writes ', h('code', { text: 'bench/results.json' }), ', which this page then shows as a chart. A server started elsewhere reads the file named by ', h('code', { text: 'TESSERA_BENCH_RESULTS' }), '.'),
  );
}
