import { BadRequestError, ConfigError } from '../../shared/errors';

/** Step Functions limit on execution names. */
export const MAX_EXECUTION_NAME = 80;

/**
 * The execution name (= release id) of a pipeline: `<project>-p<pipelineId>-<sha12>`, at most 80 characters
 * of `[A-Za-z0-9_-]`, naming project, pipeline and commit. The project slug is the last path segment and is
 * trimmed when long; the pipeline and commit part is never cut. Deterministic, so every delivery of an
 * event maps to the same execution.
 * @example executionName('root/inventory-app', 4711, '1a2b3c4d5e6f…') // 'inventory-app-p4711-1a2b3c4d5e6f'
 */
export function executionName(projectPath: string, pipelineId: number, sha: string): string {
  if (!Number.isSafeInteger(pipelineId) || pipelineId < 0) {
    throw new BadRequestError(`Pipeline id must be a non-negative integer; received ${pipelineId}`);
  }
  if (!/^[0-9a-f]{12,40}$/i.test(sha)) {
    throw new BadRequestError(`Commit SHA must be hexadecimal (12–40 characters); received "${sha}"`);
  }
  const suffix = `-p${pipelineId}-${sha.slice(0, 12).toLowerCase()}`;
  const last = projectPath.split('/').filter(Boolean).pop() ?? '';
  let slug = last
    .replace(/[^A-Za-z0-9_-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^[-_]+|[-_]+$/g, '');
  const room = MAX_EXECUTION_NAME - suffix.length;
  if (slug.length > room) slug = slug.slice(0, room).replace(/[-_]+$/, '');
  return `${slug || 'project'}${suffix}`;
}

/**
 * The execution ARN a name gets under a state machine (Step Functions derives it the same way), so the
 * release record can point at its execution before StartExecution answers.
 * @example executionArnFor('arn:aws:states:eu-west-1:123456789012:stateMachine:release', 'app-p1-abc') // '…:execution:release:app-p1-abc'
 */
export function executionArnFor(stateMachineArn: string, name: string): string {
  const parts = stateMachineArn.split(':');
  if (parts.length < 7 || parts[5] !== 'stateMachine') {
    throw new ConfigError(
      `SHIPGATE_STATE_MACHINE_ARN must be a state machine ARN such as arn:aws:states:<region>:<account>:stateMachine:<name>; received "${stateMachineArn}"`,
    );
  }
  return [...parts.slice(0, 5), 'execution', parts[6], name].join(':');
}
