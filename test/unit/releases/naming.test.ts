import { parseGitlabEvent, type PipelineEvent } from '../../../lambdas/domain/webhook/events';
import { buildReleaseInput, gitlabTimeToIso } from '../../../lambdas/domain/releases/input';
import { executionArnFor, executionName, MAX_EXECUTION_NAME } from '../../../lambdas/domain/releases/naming';
import { canonicalJson, isRetryable } from '../../../lambdas/domain/releases/start';
import { findProject } from '../../../lambdas/shared/config';
import { gitlabPayload, pipelinePayload, withField } from '../../helpers/gitlab-deliveries';
import { TEST_CONFIG } from '../webhook/harness';

const SHA = '1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d';

describe('executionName', () => {
  it('names project, pipeline and commit', () => {
    expect(executionName('root/inventory-app', 4711, SHA)).toBe('inventory-app-p4711-1a2b3c4d5e6f');
  });

  it('trims long project slugs but never the pipeline and commit part, staying within 80 legal characters', () => {
    const name = executionName(`group/sub/${'very-long-project-name-'.repeat(6)}`, 9_007_199_254, SHA);
    expect(name.length).toBeLessThanOrEqual(MAX_EXECUTION_NAME);
    expect(name).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(name.endsWith('-p9007199254-1a2b3c4d5e6f')).toBe(true);
    expect(name).not.toMatch(/--/);
  });

  it('replaces characters Step Functions does not allow', () => {
    expect(executionName('root/my.app+beta', 1, SHA)).toBe('my-app-beta-p1-1a2b3c4d5e6f');
    expect(executionName('root/...', 1, SHA)).toBe('project-p1-1a2b3c4d5e6f');
  });

  it('refuses inputs that would make an ambiguous name', () => {
    expect(() => executionName('root/app', -1, SHA)).toThrow(/non-negative integer/);
    expect(() => executionName('root/app', 1, 'main')).toThrow(/hexadecimal/);
  });
});

describe('executionArnFor', () => {
  it('derives the execution ARN as Step Functions does', () => {
    expect(
      executionArnFor('arn:aws:states:eu-west-1:123456789012:stateMachine:shipgate-release', 'a-p1-b'),
    ).toBe('arn:aws:states:eu-west-1:123456789012:execution:shipgate-release:a-p1-b');
  });

  it('drops the alias or version a release is started through (issue 31): executions are named without it', () => {
    for (const qualifier of ['live', '12']) {
      expect(
        executionArnFor(
          `arn:aws:states:eu-west-1:123456789012:stateMachine:shipgate-release:${qualifier}`,
          'a-p1-b',
        ),
      ).toBe('arn:aws:states:eu-west-1:123456789012:execution:shipgate-release:a-p1-b');
    }
  });

  it('names the misconfigured variable for a wrong ARN', () => {
    expect(() => executionArnFor('shipgate-release', 'x')).toThrow(/SHIPGATE_STATE_MACHINE_ARN/);
  });
});

describe('buildReleaseInput', () => {
  const build = (payload = gitlabPayload('pipeline_success')) => {
    const event = parseGitlabEvent('Pipeline Hook', JSON.stringify(payload)) as PipelineEvent;
    return buildReleaseInput(event, findProject(TEST_CONFIG, 'root/inventory-app')!, TEST_CONFIG, {
      ref: 'main',
      tag: false,
    });
  };

  it('is a pure function of the event: the same event gives byte-identical input at any time', () => {
    const first = JSON.stringify(build());
    jest.useFakeTimers({ now: new Date('2030-01-01T00:00:00Z') });
    try {
      expect(JSON.stringify(build())).toBe(first);
    } finally {
      jest.useRealTimers();
    }
  });

  it('uses the pipeline finished_at, never the receive time', () => {
    expect(build().release.createdAt).toBe('2026-11-21T23:58:41.000Z');
  });

  it('takes the commit title from the first message line when GitLab sends no title (older versions)', () => {
    const payload = withField(gitlabPayload('pipeline_success'), 'commit.title', undefined);
    expect(build(payload).release.commit.title).toBe('Add stock reservation endpoint');
  });

  it('omits an email GitLab redacted', () => {
    const payload = withField(gitlabPayload('pipeline_success'), 'user.email', '[REDACTED]');
    expect(build(payload).release.triggeredBy).toEqual({ username: 'dana', name: 'Dana Developer' });
  });

  it('differs for a different pipeline of the same commit', () => {
    expect(build(pipelinePayload({ id: 4799 })).release.id).toBe('inventory-app-p4799-1a2b3c4d5e6f');
  });
});

describe('helpers', () => {
  it('gitlabTimeToIso converts GitLab times and keeps unparseable ones', () => {
    expect(gitlabTimeToIso('2026-11-21 23:58:41 UTC')).toBe('2026-11-21T23:58:41.000Z');
    expect(gitlabTimeToIso('2026-11-22 01:04:12 +0100')).toBe('2026-11-22T00:04:12.000Z');
    expect(gitlabTimeToIso('soon')).toBe('soon');
  });

  it('canonicalJson ignores key order', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: 3 }] })).toBe(canonicalJson({ a: [{ c: 3, d: 2 }], b: 1 }));
  });

  it('isRetryable: throttling, 5xx and network errors yes; validation errors no', () => {
    expect(isRetryable(Object.assign(new Error('x'), { name: 'ThrottlingException' }))).toBe(true);
    expect(isRetryable(Object.assign(new Error('x'), { $metadata: { httpStatusCode: 502 } }))).toBe(true);
    expect(isRetryable(Object.assign(new Error('x'), { code: 'ECONNRESET' }))).toBe(true);
    expect(isRetryable(Object.assign(new Error('x'), { name: 'InvalidExecutionInput' }))).toBe(false);
  });
});
