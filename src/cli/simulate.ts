import { simulateCommand } from '../simulator/simulator.command';

/**
 * `npm run simulate -- [options]`: sends random patients to a running service with concurrent users and reports
 * what came back (`--help` lists the options). Exit code 0 when at least 90 % succeeded, 1 otherwise, 2 for an
 * invalid option, 130 when stopped by Ctrl+C.
 */
if (require.main === module) {
  simulateCommand(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      console.error(`simulate: ${error instanceof Error ? error.message : String(error)}`);
      process.exitCode = 1;
    },
  );
}
