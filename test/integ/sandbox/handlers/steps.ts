/**
 * Tiny step handlers for the executor tests: they stand in for `lambdas/steps/*` so the executor can be
 * tested before (and independently of) the real workflow.
 */

/** Tokens received by `queue`, readable by the test (same process). */
export const received: { taskToken: string; item: unknown }[] = [];

/** Echoes its event with a marker. */
export const echo = async (event: Record<string, unknown>) => ({ echoed: event, by: 'echo' });

/** Stores the task token it was given (like request-approval does). */
export const queue = async (event: { taskToken: string; item?: unknown }) => {
  received.push({ taskToken: event.taskToken, item: event.item });
  return { queued: true };
};

class ScanGateFailed extends Error {
  override name = 'ScanGateFailed';
}

/** Fails like a gate does. */
export const gate = async () => {
  throw new ScanGateFailed('1 CRITICAL finding over the limit of 0');
};
