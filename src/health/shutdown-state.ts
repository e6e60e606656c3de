import { Injectable } from '@nestjs/common';

/**
 * Whether the process is shutting down. From the first signal on, readiness fails (so a load balancer stops sending
 * traffic) and every answer says `Connection: close` (so clients stop reusing their keep-alive connections).
 */
@Injectable()
export class ShutdownState {
  private since: number | null = null;

  begin(): void {
    this.since ??= Date.now();
  }

  get shuttingDown(): boolean {
    return this.since !== null;
  }
}
