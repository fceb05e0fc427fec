import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ConfigError } from '../lambdas/shared/errors';

/**
 * A JSON document persisted in the sandbox state dir. Reads happen once at start; writes are batched
 * (a few milliseconds after the last change) and atomic (temp file + rename), so a crash leaves either
 * the old or the new document, never half of one. `flush()` writes synchronously (used on shutdown).
 */
export class JsonStore<T extends object> {
  /** The live document; mutate it, then call `changed()`. */
  readonly data: T;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly file: string,
    initial: () => T,
    private readonly delayMs = 25,
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
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, this.delayMs);
    this.timer.unref();
  }

  /** Writes the document now (atomically). */
  flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.data), { mode: 0o600 });
    renameSync(tmp, this.file);
  }
}
