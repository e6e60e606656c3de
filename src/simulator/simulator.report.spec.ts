import { renderJson, renderTable } from './simulator.report';
import type { SimulationSummary } from './simulator.summary';

const SUMMARY: SimulationSummary = {
  target: 'http://127.0.0.1:8000/predict_proba?model=rf',
  endpoint: '/predict_proba',
  model: 'rf',
  users: 5,
  requests_planned: 20,
  seed: 1234,
  profile: 'training',
  drift: { mode: 'ramp', target: 80, start_percent: 50, end_percent: 100 },
  interrupted: false,
  total: 20,
  succeeded: 17,
  failed: 3,
  success_rate: 0.85,
  by_status: { 200: 17, 500: 2, timeout: 1 },
  duration_s: 0.5,
  throughput_rps: 40,
  latency_ms: { min: 1, mean: 2.5, p50: 2, p95: 4.75, p99: 5.1, max: 6 },
  first_errors: [
    { index: 3, status: 500, error: '{"detail":"boom"}' },
    { index: 9, status: 'timeout', error: 'no answer within 30 s' },
  ],
};

describe(renderTable.name, () => {
  it('shows the run, the counts by status, throughput, latencies, the first errors and the verdict', () => {
    const table = renderTable(SUMMARY);
    const lines = table.split('\n');
    expect(lines[0]).toBe(
      'POST http://127.0.0.1:8000/predict_proba?model=rf · model rf · 5 users · seed 1234 · profile training · ' +
        'age drift ramp to 80 in 50-100 % of the run',
    );
    expect(lines).toEqual(
      expect.arrayContaining([
        '  total         20',
        '  succeeded     17 (85.0 %)',
        '  failed        3 (15.0 %)',
        '    status 200  17',
        '    status 500  2',
        '    timeout     1',
        '  throughput    40 req/s (20 in 0.5 s)',
        '  latency ms    min 1.00 · mean 2.50 · p50 2.00 · p95 4.75 · p99 5.10 · max 6.00',
        'first errors (2 of 3)',
        '  #3  500  {"detail":"boom"}',
        '  #9  timeout  no answer within 30 s',
      ]),
    );
    expect(lines[lines.length - 1]).toBe('FAILED: 85.0 % succeeded (below 90 %)');
  });

  it('says when the run passed, was interrupted, or got no answer', () => {
    const table = renderTable({
      ...SUMMARY,
      interrupted: true,
      total: 10,
      succeeded: 9,
      failed: 1,
      latency_ms: null,
      first_errors: [],
      drift: null,
      model: null,
    });
    expect(table).toContain('model (service default)');
    expect(table).toContain('no drift');
    expect(table).toContain('  total         10 (interrupted, of 20)');
    expect(table).toContain('  latency ms    no answer received');
    expect(table).not.toContain('first errors');
    expect(table.endsWith('OK: 90.0 % succeeded (at least 90 %)')).toBe(true);
  });
});

describe(renderJson.name, () => {
  it('is the summary as one line of JSON', () => {
    const json = renderJson(SUMMARY);
    expect(json).not.toContain('\n');
    expect(JSON.parse(json)).toEqual(SUMMARY);
  });
});
