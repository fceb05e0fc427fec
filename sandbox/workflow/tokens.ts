import { randomBytes } from 'node:crypto';
import { AwsServiceError } from '../aws/protocol';

/** How a waiting task ends. */
export type TaskOutcome = { ok: true; output: unknown } | { ok: false; error: string; cause: string };

interface Waiter {
  executionArn: string;
  settle(outcome: TaskOutcome): void;
  heartbeat(): void;
}

/**
 * Task tokens as Step Functions hands them out: long, random and unguessable, valid for one waiting task.
 * A token is minted when a state reads `$$.Task.Token`, bound to the task that received it, and closed
 * once that task ends (later `SendTask*` calls answer `TaskTimedOut`, as AWS does).
 */
export class TaskTokens {
  private readonly minted = new Map<string, string>();
  private readonly waiting = new Map<string, Waiter>();
  private readonly closed = new Set<string>();

  /** Mints a token for an execution. */
  mint(executionArn: string): string {
    const token = `AQ${randomBytes(96).toString('base64url')}`;
    this.minted.set(token, executionArn);
    return token;
  }

  /** Whether `value` is a token minted for this execution and not yet used. */
  isMintedFor(value: unknown, executionArn: string): value is string {
    return typeof value === 'string' && this.minted.get(value) === executionArn && !this.waiting.has(value);
  }

  /** Finds the first minted token inside a task payload (depth-first). */
  findIn(payload: unknown, executionArn: string): string | undefined {
    if (this.isMintedFor(payload, executionArn)) return payload;
    if (payload && typeof payload === 'object') {
      for (const v of Object.values(payload as Record<string, unknown>)) {
        const found = this.findIn(v, executionArn);
        if (found) return found;
      }
    }
    return undefined;
  }

  /** Registers the task waiting on `token`. */
  wait(token: string, waiter: Waiter): void {
    this.waiting.set(token, waiter);
  }

  /** Ends the wait for `token` (the task finished, timed out or its execution stopped). */
  close(token: string): void {
    this.waiting.delete(token);
    this.minted.delete(token);
    this.closed.add(token);
  }

  /** Closes every token of an execution; tasks still waiting end with `cause` (their execution stopped). */
  closeExecution(executionArn: string, cause = 'The execution stopped.'): void {
    for (const [token, w] of this.waiting) {
      if (w.executionArn !== executionArn) continue;
      this.close(token);
      w.settle({ ok: false, error: 'States.Runtime', cause });
    }
    for (const [token, arn] of this.minted) if (arn === executionArn) this.close(token);
  }

  /** Every token text currently known (used to keep tokens out of recorded history). */
  known(): Iterable<string> {
    return this.minted.keys();
  }

  private waiter(token: unknown): Waiter {
    if (typeof token !== 'string' || token.length < 1 || token.length > 2048) {
      throw new AwsServiceError(
        'InvalidToken',
        'Invalid Token: the task token must be a string of 1 to 2048 characters.',
      );
    }
    const w = this.waiting.get(token);
    if (w) return w;
    if (this.closed.has(token)) {
      throw new AwsServiceError('TaskTimedOut', "Task Timed Out: 'Provided task does not exist anymore'");
    }
    if (this.minted.has(token)) {
      throw new AwsServiceError(
        'TaskDoesNotExist',
        'Task does not exist: the task that received this token has not started waiting.',
      );
    }
    throw new AwsServiceError('InvalidToken', "Invalid Token: 'Invalid token'");
  }

  /** `SendTaskSuccess`. */
  succeed(token: unknown, output: unknown): void {
    const w = this.waiter(token);
    if (typeof output !== 'string') {
      throw new AwsServiceError('InvalidOutput', 'Invalid Output: output must be a JSON string.');
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(output);
    } catch {
      throw new AwsServiceError(
        'InvalidOutput',
        `Invalid Output: '${output.slice(0, 100)}' is not valid JSON.`,
      );
    }
    w.settle({ ok: true, output: parsed });
  }

  /** `SendTaskFailure`. */
  fail(token: unknown, error: unknown, cause: unknown): void {
    const w = this.waiter(token);
    w.settle({
      ok: false,
      error: typeof error === 'string' ? error : '',
      cause: typeof cause === 'string' ? cause : '',
    });
  }

  /** `SendTaskHeartbeat`. */
  heartbeat(token: unknown): void {
    this.waiter(token).heartbeat();
  }
}
