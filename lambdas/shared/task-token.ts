/**
 * What Step Functions answers SendTaskSuccess or SendTaskFailure with when the task a token names no longer
 * waits: it timed out, its execution ended, or the token is not one Step Functions knows. The caller keeps
 * the outcome where it is (a record, an entry) and moves on; any other error is a real failure.
 */
const TASK_GONE_ERRORS: ReadonlySet<string> = new Set(['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken']);

/** Whether `err` says the token's task no longer waits (see {@link TASK_GONE_ERRORS}). */
export function isTaskGone(err: unknown): boolean {
  return TASK_GONE_ERRORS.has((err as { name?: string } | undefined)?.name ?? '');
}
