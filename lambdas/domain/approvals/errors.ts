import { ConflictError, ForbiddenError, NotFoundError, ShipgateError } from '../../shared/errors';

/** The person voting is not an approver of this request's policy. */
export class NotAnApproverError extends ForbiddenError {
  static override readonly errorName: string = 'NotAnApproverError';
}

/** The approver triggered the release and the policy does not allow approving one's own release. */
export class SelfApprovalError extends ForbiddenError {
  static override readonly errorName: string = 'SelfApprovalError';
}

/** The vote came from outside the confirm page (cross-site form, wrong content type). */
export class CrossSiteRequestError extends ForbiddenError {
  static override readonly errorName: string = 'CrossSiteRequestError';
}

/** No approval with this id exists. */
export class ApprovalNotFoundError extends NotFoundError {
  static override readonly errorName: string = 'ApprovalNotFoundError';
}

/** The approval is no longer open (approved, rejected, superseded or expired). */
export class ApprovalClosedError extends ConflictError {
  static override readonly errorName: string = 'ApprovalClosedError';
}

/** The approval's deadline passed; the gate failed closed. */
export class ApprovalExpiredError extends ApprovalClosedError {
  static override readonly errorName: string = 'ApprovalExpiredError';
}

/** This approver already voted on this approval; each approver votes once. */
export class AlreadyVotedError extends ConflictError {
  static override readonly errorName: string = 'AlreadyVotedError';
}

/** The step payload for "Approve <env>" is not what the state machine contract says. */
export class InvalidApprovalRequestError extends ShipgateError {
  static override readonly errorName: string = 'InvalidApprovalRequestError';
}
