import { logger } from '../lambdas/shared/logger';

/** One step of stopping the sandbox. */
export type Closer = () => Promise<void> | void;

/**
 * What stops the sandbox, in reverse order of start-up: each piece registers its closer once it runs, and a
 * failing step is logged without keeping the others from running.
 */
export class Shutdown {
  private readonly closers: Closer[] = [];

  /** Registers a step; it runs before every step registered earlier. */
  add(closer: Closer): void {
    this.closers.push(closer);
  }

  /** Runs every step, last registered first. */
  async run(): Promise<void> {
    for (const c of this.closers.reverse()) {
      try {
        await c();
      } catch (err) {
        logger.warn('Sandbox shutdown step failed', { error: err as Error });
      }
    }
  }
}
