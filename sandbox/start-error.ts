import { ShipgateError } from '../lambdas/shared/errors';

/** The sandbox could not start; `message` says why and how to fix it, in one line. */
export class SandboxStartError extends ShipgateError {
  static override readonly errorName: string = 'SandboxStartError';
}
