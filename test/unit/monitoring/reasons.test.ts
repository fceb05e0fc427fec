import {
  executionEndReason,
  failureReason,
  RELEASE_ERROR_NAMES,
} from '../../../lambdas/shared/monitoring/reasons';

describe("a release's reason versus Shipgate's own", () => {
  it.each([
    'ScanGateFailed',
    'ApprovalRejected',
    'ApprovalExpired',
    'ApprovalSuperseded',
    'RolloutFailed',
    'RolloutStuck',
    'RollbackFailed',
    'ReleaseSuperseded',
    'VerifyFailed',
    'DeployFrozen',
    'DigestQuarantined',
  ])('%s is the release’s reason', (name) => {
    expect(failureReason(name)).toBe('Release');
  });

  it.each([
    'States.Runtime',
    'States.TaskFailed',
    'States.Timeout',
    'States.Permissions',
    'Lambda.Unknown',
    'Lambda.ServiceException',
    'Lambda.TooManyRequestsException',
    'Sandbox.InjectedFault',
    'TypeError',
    'ConfigError',
    'SomethingNobodyNamedYet',
  ])('%s is Shipgate’s own', (name) => {
    expect(failureReason(name)).toBe('Shipgate');
  });

  it('counts a failure without an error name as Shipgate’s (never silent)', () => {
    expect(failureReason(undefined)).toBe('Shipgate');
    expect(failureReason('')).toBe('Shipgate');
  });

  it('classifies whole executions: stopped by a person, timed out by Shipgate, failed by their error', () => {
    expect(executionEndReason('ABORTED')).toBe('Stopped');
    expect(executionEndReason('TIMED_OUT')).toBe('Shipgate');
    expect(executionEndReason('FAILED', 'VerifyFailed')).toBe('Release');
    expect(executionEndReason('FAILED', 'States.Runtime')).toBe('Shipgate');
  });

  it('only lists names the code raises (each is a quoted literal outside this list)', () => {
    const { execFileSync } = jest.requireActual<typeof import('node:child_process')>('node:child_process');
    for (const name of RELEASE_ERROR_NAMES) {
      const files = execFileSync('grep', ['-rlF', `'${name}'`, 'lambdas', 'lib'], { encoding: 'utf8' })
        .split('\n')
        .filter((f) => f && !f.includes('shared/monitoring/'));
      expect({ name, raisedSomewhere: files.length > 0 }).toEqual({ name, raisedSomewhere: true });
    }
  });
});
