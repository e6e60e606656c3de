/**
 * Time from `node dist/main.js` to the first answered GET /health (the issue asks for under 2 s once built).
 * Usage: npm run build && npx ts-node --transpile-only bench/startup.bench.ts [runs=5]
 */
import { serve } from './serve';

async function main(): Promise<void> {
  const runs = Number(process.argv[2] ?? 5);
  const times: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    const served = await serve();
    times.push(served.readyMs);
    await served.stop();
  }
  times.sort((a, b) => a - b);
  const fmt = (ms: number): string => `${ms.toFixed(0)} ms`;
  console.log(
    `start-up to first /health answer over ${runs} runs: median ${fmt(times[Math.floor(runs / 2)])}, ` +
      `min ${fmt(times[0])}, max ${fmt(times[runs - 1])}`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
