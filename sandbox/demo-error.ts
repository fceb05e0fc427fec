import { ShipgateError } from '../lambdas/shared/errors';

/** The demo could not run (sandbox unreachable, webhook refused…). */
export class DemoError extends ShipgateError {
  static override readonly errorName: string = 'DemoError';
}
