import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ConfigError } from '../lambdas/shared/errors';

/**
 * A JSON document persisted in the sandbox state dir. Reads happen once at start; writes are batched
 * (once per event-loop turn) and atomic (temp file + rename), so a crash leaves either
 * the old or the new document, never half of one. `flush()` writes synchronously (used on shutdown).
 */
export class JsonStore<T extends object> {
  /** The live document; mutate it, then call `changed()`. */
  readonly data: T;
  private scheduled = false;

  constructor(
    private readonly file: string,
    initial: () => T,
  ) {
    mkdirSync(dirname(file), { recursive: true });
    let text: string | undefined;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (text === undefined) {
      this.data = initial();
    } else {
      try {
        this.data = { ...initial(), ...(JSON.parse(text) as T) };
      } catch (err) {
        throw new ConfigError(
          `The sandbox state file ${file} is not valid JSON (${(err as Error).message}). Move it away or choose another SHIPGATE_STATE_DIR.`,
          { cause: err },
        );
      }
    }
  }

  /** Schedules a write of the document. */
  changed(): void {
    // Written at the end of the current turn, before any reply leaves: whatever a client has seen is on
    // disk, so even a crash (SIGKILL) loses nothing anyone observed.
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => this.flush());
  }

  /** Writes the document now (atomically). */
  flush(): void {
    this.scheduled = false;
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.data), { mode: 0o600 });
    renameSync(tmp, this.file);
  }
}
