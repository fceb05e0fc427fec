import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../../lambdas/shared/errors';
import type { ExecutionRecords, StoredExecution } from './sfn-model';

/**
 * Step Functions executions persisted one file per execution (`<dir>/<sha1 of ARN>.json`), so a busy
 * history rewrites only the executions that changed. Writes are batched per event-loop turn and atomic (temp file + rename).
 */
export class ExecutionStore implements ExecutionRecords {
  /** Every execution by ARN. */
  readonly executions: Record<string, StoredExecution> = {};
  private readonly dirty = new Set<string>();
  private scheduled = false;

  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true });
    for (const name of readdirSync(dir)) {
      if (!name.endsWith('.json')) continue;
      const file = join(dir, name);
      try {
        const e = JSON.parse(readFileSync(file, 'utf8')) as StoredExecution;
        this.executions[e.executionArn] = e;
      } catch (err) {
        throw new ConfigError(
          `The sandbox execution file ${file} is not valid JSON (${(err as Error).message}); move it away to start.`,
          { cause: err },
        );
      }
    }
  }

  private file(arn: string): string {
    return join(this.dir, `${createHash('sha1').update(arn).digest('hex')}.json`);
  }

  /** Schedules a write of one execution. */
  changed(executionArn: string): void {
    this.dirty.add(executionArn);
    // Written at the end of the current turn, before any reply leaves: whatever a client has seen is on
    // disk, so even a crash (SIGKILL) loses nothing anyone observed.
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => this.flush());
  }

  /** Writes every changed execution now. */
  flush(): void {
    this.scheduled = false;
    for (const arn of this.dirty) {
      const e = this.executions[arn];
      if (!e) continue;
      const file = this.file(arn);
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify(e), { mode: 0o600 });
      renameSync(tmp, file);
    }
    this.dirty.clear();
  }
}
