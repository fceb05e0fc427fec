import { ForbiddenError, UnauthorizedError } from '../../shared/errors';

/** Signing in with GitLab failed (state, code, ID token, or the provider refused). */
export class SignInError extends UnauthorizedError {
  static override readonly errorName: string = 'SignInError';
}

/** A vote without a valid sign-in for this gate: none, forged, expired. Nothing is recorded. */
export class SessionError extends UnauthorizedError {
  static override readonly errorName: string = 'SessionError';
}

/** A sign-in that is valid but belongs to another gate, or a form whose CSRF token does not match it. */
export class SessionMismatchError extends ForbiddenError {
  static override readonly errorName: string = 'SessionMismatchError';
}
