import { histogramQuantile, LATENCY_BUCKETS, type MetricsSample, windowIncrease } from './metrics.samples';

const buckets = (counts: Record<number, number>): number[] => {
  // Cumulative counts from per-bucket ones (keys: bucket index, LATENCY_BUCKETS.length for +Inf).
  let running = 0;
  return [...LATENCY_BUCKETS, Number.POSITIVE_INFINITY].map((_, i) => (running += counts[i] ?? 0));
};

function sample(replica: string, at: number, values: Partial<MetricsSample> = {}): MetricsSample {
  return {
    replica,
    at,
    started_at: 0,
    cpu_seconds: 0,
    rss_bytes: 0,
    predictions: 0,
    dropped: 0,
    latency: buckets({}),
    inference: buckets({}),
    ...values,
  };
}

describe(histogramQuantile.name, () => {
  it('interpolates inside the bucket the rank falls in, as Prometheus does', () => {
    // 100 observations: 50 in (0, 1], 50 in (1, 2]: p95 is rank 95, the 45th of 50 in (1, 2] → 1.9.
    expect(histogramQuantile(0.95, [1, 2, 4], [50, 100, 100, 100])).toBeCloseTo(1.9, 12);
    expect(histogramQuantile(0.5, [1, 2, 4], [50, 100, 100, 100])).toBeCloseTo(1, 12);
    expect(histogramQuantile(0.25, [1, 2, 4], [50, 100, 100, 100])).toBeCloseTo(0.5, 12);
  });

  it('answers the highest finite bound when the rank falls in +Inf, and null without observations', () => {
    expect(histogramQuantile(0.95, [1, 2, 4], [0, 0, 1, 100])).toBe(4);
    expect(histogramQuantile(0.95, [1, 2, 4], [0, 0, 0, 0])).toBeNull();
  });
});

describe(windowIncrease.name, () => {
  const minute = 60_000;
  const now = 10 * minute;

  it('sums what each replica gained since its newest sample at or before the window start', () => {
    const samples = [
      sample('a', 4 * minute, {
        cpu_seconds: 10,
        predictions: 100,
        rss_bytes: 100,
        latency: buckets({ 3: 10 }),
      }),
      sample('a', 5 * minute, {
        cpu_seconds: 11,
        predictions: 110,
        rss_bytes: 120,
        latency: buckets({ 3: 20 }),
      }),
      sample('a', 9 * minute, {
        cpu_seconds: 14,
        predictions: 410,
        rss_bytes: 150,
        dropped: 7,
        latency: buckets({ 3: 50, 5: 5 }),
      }),
      sample('b', 2 * minute, { cpu_seconds: 1, predictions: 0, rss_bytes: 500 }),
      sample('b', 9.5 * minute, { cpu_seconds: 3, predictions: 100, rss_bytes: 400 }),
    ];
    const increase = windowIncrease(samples, now, 5 * minute);
    expect(increase.replicas).toBe(2);
    expect(increase.cpuSeconds).toBe(3 + 2);
    expect(increase.predictions).toBe(300 + 100);
    expect(increase.dropped).toBe(7);
    expect(increase.latency).toEqual(buckets({ 3: 30, 5: 5 }));
    // The larger growth of the two replicas: a grew by 30, b shrank by 100.
    expect(increase.rssGrowthBytes).toBe(30);
  });

  it('counts from zero for a replica started within the window, and has no memory growth for it', () => {
    const increase = windowIncrease(
      [sample('c', 8 * minute, { started_at: 7 * minute, predictions: 50, cpu_seconds: 2, rss_bytes: 900 })],
      now,
      5 * minute,
    );
    expect(increase).toMatchObject({ replicas: 1, predictions: 50, cpuSeconds: 2, rssGrowthBytes: null });
  });

  it('leaves out replicas silent for the whole window and samples of an earlier process of the same name', () => {
    const increase = windowIncrease(
      [
        sample('gone', 1 * minute, { predictions: 999 }),
        sample('d', 4 * minute, { started_at: 0, predictions: 500 }),
        sample('d', 9 * minute, { started_at: 8 * minute, predictions: 20 }),
      ],
      now,
      5 * minute,
    );
    expect(increase).toMatchObject({ replicas: 1, predictions: 20 });
  });
});
