import {
  BadRequestError,
  ConflictError,
  ContractError,
  ForbiddenError,
  NotFoundError,
  PayloadTooLargeError,
  ShipgateError,
  UnauthorizedError,
  UnsupportedMediaTypeError,
} from '../../../lambdas/shared/errors';

/** Frames of a stack trace: its lines after the first ("Name: message"). */
function frames(error: Error): string[] {
  return (error.stack ?? '').split('\n').slice(1);
}

describe('ShipgateError stack traces', () => {
  it.each([
    BadRequestError,
    UnauthorizedError,
    ForbiddenError,
    NotFoundError,
    ConflictError,
    PayloadTooLargeError,
    UnsupportedMediaTypeError,
  ])('%p (a caller error) carries its name, message and status but no stack frames', (ErrorClass) => {
    const error = new ErrorClass('refused on purpose');
    expect(error).toBeInstanceOf(ShipgateError);
    expect(error.name).toBe(ErrorClass.name);
    expect(error.message).toBe('refused on purpose');
    expect(error.status).toBeGreaterThanOrEqual(400);
    expect(error.status).toBeLessThan(500);
    expect(error.stack).toBe(`${ErrorClass.name}: refused on purpose`);
    expect(frames(error)).toEqual([]);
  });

  it('keeps stack frames for faults (5xx, contract errors) so they can be diagnosed', () => {
    for (const error of [new ShipgateError('fault'), new ContractError('bad contract')]) {
      expect(error.status).toBe(500);
      expect(frames(error).length).toBeGreaterThan(0);
      expect(error.stack).toContain('errors.test.ts');
    }
  });

  it('restores the process-wide stack trace limit after a caller error', () => {
    const before = Error.stackTraceLimit;
    new BadRequestError('x');
    expect(Error.stackTraceLimit).toBe(before);
    expect(frames(new Error('plain')).length).toBeGreaterThan(0);
  });

  it('keeps the cause', () => {
    const cause = new Error('root');
    expect(new ConflictError('clash', { cause }).cause).toBe(cause);
  });
});
