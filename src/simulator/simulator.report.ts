import { SUCCESS_THRESHOLD_PERCENT, succeededEnough, type SimulationSummary } from './simulator.summary';

/** The summary as people read it (a two-column table) or as tools read it (one JSON object on one line). */

export function renderJson(summary: SimulationSummary): string {
  return JSON.stringify(summary);
}

const percentOf = (part: number, whole: number): string =>
  `${whole > 0 ? ((100 * part) / whole).toFixed(1) : '0.0'} %`;

function describeRun(s: SimulationSummary): string {
  const drift = s.drift
    ? `age drift ${s.drift.mode} to ${s.drift.target} in ${s.drift.start_percent}-${s.drift.end_percent} % of the run`
    : 'no drift';
  return [
    `POST ${s.target}`,
    `model ${s.model ?? '(service default)'}`,
    `${s.users} users`,
    `seed ${s.seed}`,
    `profile ${s.profile}`,
    drift,
  ].join(' · ');
}

export function renderTable(s: SimulationSummary): string {
  const latency = s.latency_ms;
  const rows: [string, string][] = [
    ['total', s.interrupted ? `${s.total} (interrupted, of ${s.requests_planned})` : String(s.total)],
    ['succeeded', `${s.succeeded} (${percentOf(s.succeeded, s.total)})`],
    ['failed', `${s.failed} (${percentOf(s.failed, s.total)})`],
    ...Object.entries(s.by_status).map(([status, count]): [string, string] => [
      /^\d+$/.test(status) ? `  status ${status}` : `  ${status}`,
      String(count),
    ]),
    ['throughput', `${s.throughput_rps} req/s (${s.total} in ${s.duration_s} s)`],
    [
      'latency ms',
      latency
        ? (['min', 'mean', 'p50', 'p95', 'p99', 'max'] as const)
            .map((k) => `${k} ${latency[k].toFixed(2)}`)
            .join(' · ')
        : 'no answer received',
    ],
  ];
  const width = Math.max(...rows.map(([label]) => label.length)) + 2;
  const lines = [describeRun(s), '', ...rows.map(([label, value]) => `  ${label.padEnd(width)}${value}`)];
  if (s.first_errors.length > 0) {
    lines.push('', `first errors (${s.first_errors.length} of ${s.failed})`);
    for (const e of s.first_errors) {
      lines.push(`  #${e.index}  ${e.status}  ${e.error}`);
    }
  }
  const passed = succeededEnough(s);
  lines.push(
    '',
    `${passed ? 'OK' : 'FAILED'}: ${percentOf(s.succeeded, s.total)} succeeded ` +
      `(${passed ? 'at least' : 'below'} ${SUCCESS_THRESHOLD_PERCENT} %)`,
  );
  return lines.join('\n');
}
