import type { Logger } from './logger';
import { errorFields } from './logger';

/**
 * Runs a service: starts it, and on SIGTERM/SIGINT stops it gracefully once (ECS sends SIGTERM, then
 * SIGKILL after its stop timeout). Exits 1 when start fails (e.g. invalid configuration), 0 after a clean stop.
 */
export function runMain(log: Logger, start: () => Promise<{ stop(): Promise<void> }>): void {
  let stopping = false;
  // A bug must not leave a half-working process behind: log it as JSON and let the orchestrator restart us.
  const crash = (what: string) => (err: unknown) => {
    log.error(what, errorFields(err));
    process.exit(1);
  };
  process.on('uncaughtException', crash('uncaught exception'));
  process.on('unhandledRejection', crash('unhandled promise rejection'));
  start()
    .then((svc) => {
      const onSignal = (signal: NodeJS.Signals) => {
        if (stopping) return;
        stopping = true;
        log.info('signal received', { signal });
        svc
          .stop()
          .then(() => process.exit(0))
          .catch((err: unknown) => {
            log.error('shutdown failed', errorFields(err));
            process.exit(1);
          });
      };
      process.on('SIGTERM', onSignal);
      process.on('SIGINT', onSignal);
    })
    .catch((err: unknown) => {
      log.error('failed to start', errorFields(err));
      process.exit(1);
    });
}
