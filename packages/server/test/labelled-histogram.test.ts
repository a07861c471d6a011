import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Histogram, Registry } from 'prom-client';
import { LabelledHistogram } from '../src/labelled-histogram.js';

// LabelledHistogram replaces prom-client's Histogram on the request path; prom-client's own
// Histogram, fed the same observations, is the reference for what a scrape shows.

const BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const NAMES = ['route', 'method', 'status'] as const;

type Observation = [route: string, method: string, status: string, seconds: number];

function both(buckets = BUCKETS) {
  const reference = new Registry();
  const ours = new Registry();
  const common = { name: 'tessera_test_duration_seconds', help: 'A "test" histogram \\ with escapes.', labelNames: NAMES, buckets };
  const expected = new Histogram({ ...common, registers: [reference] });
  const actual = new LabelledHistogram({ ...common, registers: [ours] });
  return {
    observe(observations: readonly Observation[]) {
      for (const [route, method, status, seconds] of observations) {
        expected.observe({ route, method, status }, seconds);
        actual.observe([route, method, status], seconds);
      }
    },
    reference,
    ours,
    actual,
    expected,
  };
}

/** getMetricsAsJSON without prom-client's exemplar slots (always empty here). */
async function json(registry: Registry): Promise<unknown> {
  const metrics = await registry.getMetricsAsJSON();
  return metrics.map((m) => ({ ...m, values: m.values.map((v) => ({ labels: v.labels, value: v.value, metricName: (v as { metricName?: string }).metricName })) }));
}

describe('LabelledHistogram', () => {
  it('renders exactly what prom-client renders: bounds inclusive, +Inf, sums, several series, escaped label values', async () => {
    const h = both();
    h.observe([
      ['/auth/me', 'GET', '200', 0.001], // on a bound: counted in it (le is "less or equal")
      ['/auth/me', 'GET', '200', 0.0010001],
      ['/auth/me', 'GET', '200', 0],
      ['/auth/me', 'GET', '401', 0.3],
      ['/auth/sessions/:id', 'DELETE', '204', 11], // above every bound: only +Inf
      ['a "quoted" \\ route\nwith a newline', 'OTHER', 'other', 2.5],
      ['/auth/me', 'GET', '200', 7.25],
    ]);
    assert.equal(await h.ours.metrics(), await h.reference.metrics());
    assert.deepEqual(await json(h.ours), await json(h.reference));
    assert.match(await h.ours.metrics(), /tessera_test_duration_seconds_bucket\{le="0.001",route="\/auth\/me",method="GET",status="200"\} 2\n/);
  });

  it('agrees with prom-client for any observations (property)', async () => {
    const label = fc.constantFrom('/auth/me', '/auth/login', 'x', '');
    const seconds = fc.oneof(fc.constantFrom(...BUCKETS, 0, 100), fc.double({ min: 0, max: 20, noNaN: true }));
    await fc.assert(fc.asyncProperty(fc.array(fc.tuple(label, fc.constantFrom('GET', 'POST'), fc.constantFrom('200', '503'), seconds), { maxLength: 60 }), async (observations) => {
      const h = both();
      h.observe(observations);
      assert.equal(await h.ours.metrics(), await h.reference.metrics());
    }), { numRuns: 200 });
  });

  it('keeps series apart whose label values differ only in where one ends and the next begins', async () => {
    const h = both();
    h.observe([
      ['/a', 'GET\u0000x', '200', 0.002],
      ['/a\u0000GET', 'x', '200', 0.2],
      ['/aGET', 'x', '200', 2],
      ['/a', 'GETx', '200', 20],
    ]);
    assert.equal(await h.ours.metrics(), await h.reference.metrics());
    assert.equal((await h.ours.metrics()).match(/_count\{/g)?.length, 4);
  });

  it('reset forgets every series, as prom-client does', async () => {
    const h = both();
    h.observe([['/auth/me', 'GET', '200', 0.2]]);
    h.ours.resetMetrics();
    h.reference.resetMetrics();
    assert.equal(await h.ours.metrics(), await h.reference.metrics());
    assert.doesNotMatch(await h.ours.metrics(), /_count/);
  });

  it('refuses what prom-client refuses: a value that is not finite; and a wrong number of label values', () => {
    const h = both();
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(() => h.expected.observe({ route: 'r', method: 'GET', status: '200' }, bad), TypeError);
      assert.throws(() => h.actual.observe(['r', 'GET', '200'], bad), TypeError);
    }
    assert.throws(() => h.actual.observe(['r', 'GET'], 1), TypeError);
    assert.throws(() => new LabelledHistogram({ name: 'x', help: 'x', labelNames: ['a'], buckets: [1, 1], registers: [] }), TypeError);
    // It holds its name in the registry like any metric: a second one of that name is refused.
    assert.throws(() => new Histogram({ name: 'tessera_test_duration_seconds', help: 'x', registers: [h.ours] }), /already been registered/);
  });
});
