import { ConflictError, ForbiddenError, NotFoundError, ShipgateError } from '../../shared/errors';

/** An approval link whose signature is wrong, malformed, for another approval, or past its expiry. */
export class ApprovalLinkError extends ForbiddenError {}

/** The person voting is not an approver of this request's policy. */
export class NotAnApproverError extends ForbiddenError {}

/** The approver triggered the release and the policy does not allow approving one's own release. */
export class SelfApprovalError extends ForbiddenError {}

/** The vote came from outside the confirm page (cross-site form, wrong content type). */
export class CrossSiteRequestError extends ForbiddenError {}

/** No approval with this id exists. */
export class ApprovalNotFoundError extends NotFoundError {}

/** The approval is no longer open (approved, rejected, superseded or expired). */
export class ApprovalClosedError extends ConflictError {}

/** The approval's deadline passed; the gate failed closed. */
export class ApprovalExpiredError extends ApprovalClosedError {}

/** This approver already voted on this approval; each approver votes once. */
export class AlreadyVotedError extends ConflictError {}

/** The step payload for "Approve <env>" is not what the state machine contract says. */
export class InvalidApprovalRequestError extends ShipgateError {}
