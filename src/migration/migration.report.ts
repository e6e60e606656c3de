import { SingleBar } from 'cli-progress';
import { errorText } from '../common/error-text';

/**
 * What a migration command did, step by step (one index, one saved-objects file, one archive file): counts, the
 * reason a step was skipped or failed, and the items that failed. It becomes the final summary, the exit code and,
 * for exports, `migration_stats.json`.
 */

export type StepStatus = 'ok' | 'skipped' | 'partial' | 'failed' | 'dry-run';
export type StepPart = 'index' | 'kibana' | 'archive' | 'reference';

export interface StepReport {
  part: StepPart;
  name: string;
  status: StepStatus;
  counts: Record<string, number>;
  duration_ms: number;
  /** Why the step was skipped or failed, or what a dry run would have done. */
  note?: string;
  /** Items that failed (documents, saved objects), the first MAX_LISTED of them. */
  errors: string[];
}

export interface MigrationStats {
  tool: string;
  command: string;
  started_at: string;
  finished_at: string;
  duration_ms: number;
  dry_run: boolean;
  source?: Record<string, string>;
  totals: Record<string, number>;
  steps: StepReport[];
  warnings: string[];
  listings: { title: string; lines: string[] }[];
  errors: string[];
}

/** Enough failed items to see the pattern; the count says how many there were in all. */
export const MAX_LISTED = 20;

/** One step in progress: its counts grow as it runs; it ends once, as done, skipped or failed. */
export class Step {
  readonly report: StepReport;
  private readonly started = Date.now();
  private failedItems = 0;
  private ended = false;

  constructor(part: StepPart, name: string) {
    this.report = { part, name, status: 'ok', counts: {}, duration_ms: 0, errors: [] };
  }

  count(key: string, n = 1): void {
    this.report.counts[key] = (this.report.counts[key] ?? 0) + n;
  }

  /** A failed item: listed (up to MAX_LISTED), and the step becomes partial. */
  itemFailed(description: string): void {
    this.failedItems += 1;
    if (this.report.errors.length < MAX_LISTED) {
      this.report.errors.push(description);
    }
  }

  skip(note: string): void {
    this.end('skipped', note);
  }

  fail(error: unknown): void {
    this.end('failed', errorText(error));
  }

  dryRun(note: string): void {
    this.end('dry-run', note);
  }

  done(note?: string): void {
    this.end(this.failedItems > 0 ? 'partial' : 'ok', note);
  }

  get isOpen(): boolean {
    return !this.ended;
  }

  private end(status: StepStatus, note?: string): void {
    this.ended = true;
    this.report.status = status;
    this.report.duration_ms = Date.now() - this.started;
    if (this.failedItems > MAX_LISTED) {
      this.report.errors.push(`… and ${this.failedItems - MAX_LISTED} more`);
    }
    if (note !== undefined) {
      this.report.note = note;
    }
  }
}

export class MigrationReport {
  readonly steps: StepReport[] = [];
  readonly warnings: string[] = [];
  /** Lists printed under their own heading (what import-reference could not convert). */
  readonly listings: { title: string; lines: string[] }[] = [];
  private readonly startedAt = new Date();

  constructor(
    readonly command: string,
    readonly dryRun: boolean,
    readonly source: Record<string, string> = {},
  ) {}

  /** Runs one step; an error thrown by `work` fails that step only, with the error's message. */
  async step(part: StepPart, name: string, work: (step: Step) => Promise<void>): Promise<StepReport> {
    const step = new Step(part, name);
    try {
      await work(step);
      if (step.isOpen) {
        step.done();
      }
    } catch (error) {
      step.fail(error);
    }
    this.steps.push(step.report);
    return step.report;
  }

  /** A step that failed before it could start (listing the indexes, reading a folder). */
  fail(part: StepPart, name: string, error: unknown): void {
    const step = new Step(part, name);
    step.fail(error);
    this.steps.push(step.report);
  }

  warn(message: string): void {
    this.warnings.push(message);
  }

  list(title: string, lines: string[]): void {
    if (lines.length > 0) {
      this.listings.push({ title, lines });
    }
  }

  get failures(): StepReport[] {
    return this.steps.filter((s) => s.status === 'failed' || s.status === 'partial');
  }

  get exitCode(): number {
    return this.failures.length > 0 ? 1 : 0;
  }

  stats(): MigrationStats {
    const finished = new Date();
    const totals: Record<string, number> = {};
    for (const step of this.steps) {
      for (const [key, n] of Object.entries(step.counts)) {
        totals[key] = (totals[key] ?? 0) + n;
      }
    }
    return {
      tool: 'lungcheck migrate',
      command: this.command,
      started_at: this.startedAt.toISOString(),
      finished_at: finished.toISOString(),
      duration_ms: finished.getTime() - this.startedAt.getTime(),
      dry_run: this.dryRun,
      source: this.source,
      totals,
      steps: this.steps,
      warnings: this.warnings,
      listings: this.listings,
      errors: this.failures.map(failureLine),
    };
  }

  /** The text printed at the end: one line per step, the warnings, then what failed. */
  summary(): string {
    const lines = this.steps.map(stepLine);
    for (const listing of this.listings) {
      lines.push(`${listing.title}:`, ...listing.lines.map((l) => `  - ${l}`));
    }
    this.warnings.forEach((w) => lines.push(`warning: ${w}`));
    const seconds = ((Date.now() - this.startedAt.getTime()) / 1000).toFixed(1);
    const failures = this.failures;
    const done = this.steps.filter((s) => s.status === 'ok').length;
    lines.push(
      `${this.command}${this.dryRun ? ' (dry run: nothing written)' : ''}: ${done} of ${this.steps.length} ` +
        `step(s) done, ${this.steps.length - done - failures.length} skipped or planned, ${failures.length} ` +
        `failed, in ${seconds} s`,
    );
    if (failures.length > 0) {
      lines.push('Failed:', ...failures.map((f) => `  - ${failureLine(f)}`));
    }
    return `${lines.join('\n')}\n`;
  }
}

const STATUS_LABEL: Record<StepStatus, string> = {
  ok: 'ok',
  skipped: 'skipped',
  partial: 'PARTIAL',
  failed: 'FAILED',
  'dry-run': 'dry run',
};

function stepLine(step: StepReport): string {
  const counts = Object.entries(step.counts)
    .map(([key, n]) => `${key.replace(/_/g, ' ')} ${n}`)
    .join(', ');
  const head = `  ${STATUS_LABEL[step.status].padEnd(8)} ${step.part} ${step.name}`;
  const parts = [head, counts, `${(step.duration_ms / 1000).toFixed(1)} s`].filter(Boolean);
  const lines = [parts.join('  ')];
  if (step.note) {
    lines.push(`           ${step.note}`);
  }
  step.errors.forEach((e) => lines.push(`           ! ${e}`));
  return lines.join('\n');
}

function failureLine(step: StepReport): string {
  const what = `${step.part} ${step.name}`;
  if (step.status === 'partial') {
    const failed = step.counts.failed ?? step.errors.length;
    return `${what}: ${failed} item(s) not imported (listed above)${step.note ? `; ${step.note}` : ''}`;
  }
  return `${what}: ${step.note ?? 'failed'}`;
}

/** A bar for one step; only drawn on a terminal, so logs and CI output stay plain. */
export interface ProgressBar {
  add(n: number): void;
  stop(): void;
}

export type Progress = (label: string, total: number) => ProgressBar;

export const NO_PROGRESS: Progress = () => ({ add: () => undefined, stop: () => undefined });

export function terminalProgress(stream: NodeJS.WritableStream): Progress {
  return (label, total) => {
    const bar = new SingleBar({
      stream,
      format: `${label.padEnd(28).slice(0, 28)} [{bar}] {value}/{total} {percentage}% {duration_formatted}`,
      clearOnComplete: true,
      hideCursor: true,
    });
    bar.start(Math.max(total, 1), 0);
    return {
      add: (n) => bar.increment(n),
      stop: () => bar.stop(),
    };
  };
}
