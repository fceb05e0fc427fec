import type { JsonStore } from '../../store';
import type { EventSink } from '../eventbridge';
import type { EcsState, HookInvoker, ImageRegistry } from './model';

/**
 * Rollout timers by key (a service ARN for rolling deployments, a service-deployment ARN for the blue/green
 * family). Timers are unref'd; once closed nothing new is scheduled.
 */
export class Timers {
  private readonly pending = new Map<string, NodeJS.Timeout>();
  private stopped = false;

  /** Whether {@link close} ran. */
  get closed(): boolean {
    return this.stopped;
  }

  /** Runs `fn` after `ms` under `key` unless closed (the caller cancels any timer already under `key`). */
  start(key: string, ms: number, fn: () => void): void {
    if (this.stopped) return;
    const t = setTimeout(() => {
      this.pending.delete(key);
      fn();
    }, ms);
    t.unref();
    this.pending.set(key, t);
  }

  /** Cancels the timer under `key`, if any. */
  cancel(key: string): void {
    const t = this.pending.get(key);
    if (t) clearTimeout(t);
    this.pending.delete(key);
  }

  /** Cancels every timer; nothing is scheduled afterwards. */
  close(): void {
    this.stopped = true;
    for (const t of this.pending.values()) clearTimeout(t);
    this.pending.clear();
  }
}

/** What every part of the ECS emulator shares: its state, its timers and its ports to the outside. */
export interface EcsContext {
  /** The account whose ECS this is (resources, ARNs and events carry it). */
  readonly account: string;
  readonly store: JsonStore<EcsState>;
  readonly images: ImageRegistry;
  readonly sink: EventSink;
  readonly timers: Timers;
  /** Duration of each rollout phase (tasks starting, then settling; one configured minute of a wait). */
  readonly phaseMs: number;
  /**
   * Shortest real time a PAUSE hook waits for people (ms): a configured timeout scales like every other
   * wait (one minute = `phaseMs`), but never below this, so a person can find the card, read it and decide.
   */
  readonly humanWaitMs?: number;
  /** Who runs lifecycle hook Lambdas (unset until the sandbox wires its local Lambdas in). */
  invokeHook?: HookInvoker;
}
