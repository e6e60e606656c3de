import type { LoggerService } from '@nestjs/common';

/** Nest's logger output, as `level: message` lines (install with `Logger.overrideLogger`). */
export class RecordingLogger implements LoggerService {
  readonly lines: string[] = [];
  log(message: string): void {
    this.lines.push(`log: ${message}`);
  }
  warn(message: string): void {
    this.lines.push(`warn: ${message}`);
  }
  error(message: string): void {
    this.lines.push(`error: ${message}`);
  }
}
