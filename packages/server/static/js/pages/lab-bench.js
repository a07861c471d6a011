// The lab's speed section: the full benchmark's results (GET /ui/bench-results.json, from the
// last `npm run bench`), and a short run started from here on the server's machine
// (POST /admin/bench, for holders of an admin key), shown apart as "short run, this machine".
import { ApiError, describeError, request } from '../api.js';
import { renderBench, renderBenchMissing, renderShortRun } from '../chart.js';
import { loadConfig } from '../config.js';
import { byId, h } from '../dom.js';
import { busy, say } from '../status.js';

/** The last short run's answer, shown again when the lab is reopened in this tab (never stored). */
let shortRun = null;

async function loadBench() {
  const container = byId('lab-bench');
  try {
    const response = await fetch('/ui/bench-results.json', { headers: { Accept: 'application/json' }, credentials: 'same-origin', cache: 'no-store' });
    if (!response.ok) {
      renderBenchMissing(container);
      return;
    }
    renderBench(container, await response.json());
  } catch {
    renderBenchMissing(container);
  }
}

/**
 * The short-benchmark form: the admin key and the duration when the server has admin keys;
 * otherwise how to enable it, and the button disabled.
 */
function setUpBenchRun(config) {
  const settings = config.shortBench;
  const button = byId('lab-bench-run');
  byId('lab-bench-fields').hidden = !settings.enabled;
  byId('lab-bench-off').hidden = settings.enabled;
  button.disabled = !settings.enabled;
  if (settings.enabled) button.removeAttribute('aria-describedby');
  else button.setAttribute('aria-describedby', 'lab-bench-off');
  const select = byId('lab-bench-duration');
  if (select.options.length === 0) {
    for (let n = 1; n <= settings.maxDurationSeconds; n++) {
      const option = h('option', { text: n + (n === 1 ? ' second' : ' seconds'), attrs: { value: n } });
      if (n === settings.defaultDurationSeconds) option.selected = true;
      select.append(option);
    }
  }
}

function showShortRun() {
  const container = byId('lab-bench-short');
  if (shortRun === null) {
    container.hidden = true;
    container.replaceChildren();
    return;
  }
  renderShortRun(container, shortRun);
  container.hidden = false;
}

/** What went wrong with a run, in plain words. */
function describeBenchError(error) {
  if (!(error instanceof ApiError)) return describeError(error);
  if (error.status === 401) return 'The server did not accept that admin key. Enter one of its TESSERA_ADMIN_KEYS.';
  if (error.status === 429) {
    const seconds = Math.ceil(Number(error.retryAfter));
    return error.message + (seconds > 0 ? ' It should be done in ' + seconds + (seconds === 1 ? ' second.' : ' seconds.') : '');
  }
  if (error.status === 503) return 'The benchmark could not run on the server; its log says why.';
  return describeError(error);
}

async function runShortBench(key, seconds) {
  // Warm-up (1 s) and load per mode, twice, plus start-up: what to tell the person waiting.
  say('Running a short benchmark: about ' + (2 * (1 + seconds) + 2) + ' seconds. The page stays usable meanwhile.', 'info');
  // The admin key is the credential: sent as Bearer, no cookie.
  const report = await request('POST', '/admin/bench', { body: { durationSeconds: seconds }, bearer: key, credentials: 'omit' });
  shortRun = report;
  showShortRun();
  const rate = (mode) => {
    const row = Array.isArray(report.results) ? report.results.find((r) => r && r.mode === mode) : undefined;
    return row && Number.isFinite(row.requestsPerSecond) ? Math.round(row.requestsPerSecond).toLocaleString('en-US') + ' req/s' : 'no result';
  };
  say('Short run done: session cookie ' + rate('session') + ', JWT ' + rate('jwt') + '. The charts below show it.', 'ok');
  // Onto the new charts, unless the person has gone to another page meanwhile.
  if (!byId('page-lab').hidden) byId('lab-bench-short-heading').focus();
}

/** Wires the short-benchmark form (once, at start). */
export function initBench() {
  byId('lab-bench-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const keyInput = byId('lab-admin-key');
    const key = keyInput.value.trim();
    if (key === '') {
      say('Enter an admin key of this server (one of its TESSERA_ADMIN_KEYS) to run a benchmark.', 'error');
      keyInput.focus();
      return;
    }
    const seconds = Number(byId('lab-bench-duration').value);
    void busy(byId('lab-bench-run'), async () => {
      try {
        await runShortBench(key, seconds);
      } catch (error) {
        say(describeBenchError(error), 'error');
        if (error instanceof ApiError && error.status === 401) keyInput.focus();
      }
    });
  });
}

/** Shows the full results, the last short run of this tab, and the form as this server allows. */
export async function enterBench() {
  setUpBenchRun(await loadConfig());
  showShortRun();
  await loadBench();
}

/** The admin key lives only as long as the lab is open. */
export function leaveBench() {
  byId('lab-admin-key').value = '';
}
