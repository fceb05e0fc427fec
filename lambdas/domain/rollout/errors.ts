import { ShipgateError } from '../../shared/errors';

/**
 * Errors of the rollout steps. Step Functions sees each `errorName` as the error type (`Retry:
 * ["RolloutLocked"]`, and the failure's `error` field), so the names are part of the contract in
 * docs/architecture.md.
 */

/** The rollout did not end with the service running this release's revision (failed or rolled back). */
export class RolloutFailed extends ShipgateError {
  static override readonly errorName: string = 'RolloutFailed';
}

/** Another release holds the (service, environment) rollout lock and its lease has not expired. */
export class RolloutLocked extends ShipgateError {
  static override readonly errorName: string = 'RolloutLocked';
  override readonly status: number = 409;
}

/** The rollout is still in progress after `rollout.timeout`. */
export class RolloutStuck extends ShipgateError {
  static override readonly errorName: string = 'RolloutStuck';
}

/** A newer release is already deployed to this (service, environment); deploying this one would go backwards. */
export class ReleaseSuperseded extends ShipgateError {
  static override readonly errorName: string = 'ReleaseSuperseded';
  override readonly status: number = 409;
}

/** The image is not pinned by digest, or is not the digest that passed the previous environment. */
export class ImageNotPinned extends ShipgateError {
  static override readonly errorName: string = 'ImageNotPinned';
}

/** Shipgate could not put a service back on its previous revision within the limit. */
export class RollbackFailed extends ShipgateError {
  static override readonly errorName: string = 'RollbackFailed';
}

/** The image is not the digest that passed the previous environment of the release (or never passed it). */
export class PromotionRefused extends ShipgateError {
  static override readonly errorName: string = 'PromotionRefused';
}
