import { ShipgateError } from '../../shared/errors';

/**
 * "Resolve release" refuses a digest that was rolled back for the service (in any environment) and whose
 * quarantine nobody lifted. The message names the rollback and how to lift it.
 */
export class DigestQuarantined extends ShipgateError {
  static override readonly errorName: string = 'DigestQuarantined';
  static override readonly captureStack: boolean = false;
}
