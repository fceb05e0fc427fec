import { paginate, epochSeconds } from './protocol';
import type { ExecutionRecords, HistoryEvent, StoredExecution } from './sfn-model';

/** Tokens of the form `TaskTokens.mint` produces; kept out of recorded history. */
const TOKEN_PATTERN = /AQ[A-Za-z0-9_-]{128}/g;

/** Masks every task token in a text. */
export function redact(text: string): string {
  return text.replace(TOKEN_PATTERN, '«task token»');
}

/** JSON of a value as history records it: task tokens masked. */
export function json(value: unknown): string {
  return redact(JSON.stringify(value ?? null));
}

/** Name of the state the execution is in (last entered top-level state not yet exited). */
export function currentState(e: StoredExecution): string | undefined {
  const open: string[] = [];
  for (const ev of e.history) {
    const entered = ev.stateEnteredEventDetails as { name: string } | undefined;
    const exited = ev.stateExitedEventDetails as { name: string } | undefined;
    if (entered) open.push(entered.name);
    if (exited) {
      const i = open.lastIndexOf(exited.name);
      if (i >= 0) open.splice(i, 1);
    }
  }
  return open[open.length - 1];
}

/** One page of `GetExecutionHistory` (`reverseOrder`, `includeExecutionData`, `maxResults`, `nextToken`). */
export function historyPage(e: StoredExecution, input: Record<string, unknown>) {
  let events = [...e.history];
  if (input.reverseOrder === true) events.reverse();
  if (input.includeExecutionData === false) {
    events = events.map((ev) => {
      const copy: HistoryEvent = { ...ev };
      for (const [k, v] of Object.entries(copy)) {
        if (k.endsWith('EventDetails') && v && typeof v === 'object') {
          const { input: _i, output: _o, parameters: _p, ...rest } = v as Record<string, unknown>;
          void _i;
          void _o;
          void _p;
          copy[k] = rest;
        }
      }
      return copy;
    });
  }
  const { page, nextToken } = paginate(events, input.maxResults, input.nextToken, 100);
  return { events: page, nextToken };
}

/**
 * Writes an execution's history as AWS records it: events with ids, `…EventDetails`, task tokens masked.
 * Every event is persisted (`ExecutionRecords.changed`) and announced (`onRecord`).
 */
export class ExecutionHistory {
  constructor(
    private readonly store: ExecutionRecords,
    private readonly onRecord: (execution: StoredExecution) => void,
  ) {}

  /** Appends one event of `type` with its details. */
  record(e: StoredExecution, type: string, details: Record<string, unknown> = {}): void {
    const last = e.history[e.history.length - 1];
    e.history.push({
      timestamp: epochSeconds(),
      type,
      id: (last?.id ?? 0) + 1,
      previousEventId: last?.id ?? 0,
      ...details,
    });
    this.store.changed(e.executionArn);
    this.onRecord(e);
  }

  /** Records the engine's state and Map iteration events (aws-local-stepfunctions' event log) as AWS's. */
  async consumeEvents(e: StoredExecution, events: AsyncGenerator<Record<string, unknown>>): Promise<void> {
    for await (const ev of events as AsyncGenerator<{
      type: string;
      state?: { name: string; type: string; input: unknown; output?: unknown };
      parentState?: { name: string };
      index?: number;
      Error?: string;
      Cause?: unknown;
    }>) {
      if (e.status !== 'RUNNING') continue;
      switch (ev.type) {
        case 'StateEntered':
          this.record(e, `${ev.state!.type}StateEntered`, {
            stateEnteredEventDetails: {
              name: ev.state!.name,
              input: json(ev.state!.input),
              inputDetails: { truncated: false },
            },
          });
          break;
        case 'StateExited':
          this.record(e, `${ev.state!.type}StateExited`, {
            stateExitedEventDetails: {
              name: ev.state!.name,
              output: json(ev.state!.output),
              outputDetails: { truncated: false },
            },
          });
          break;
        case 'MapIterationStarted':
        case 'MapIterationSucceeded':
        case 'MapIterationFailed': {
          const key = `mapIteration${ev.type.slice('MapIteration'.length)}EventDetails`;
          this.record(e, ev.type, { [key]: { name: ev.parentState?.name, index: ev.index } });
          break;
        }
        default:
          // Execution-level events are recorded by `finish`; StateFailed/Retried/Caught have no AWS
          // equivalent (TaskFailed and the next state's entry tell the same story).
          break;
      }
    }
  }
}

/** Waits for the engine's event log to be recorded, at most 1 s (the timer is cleared, not left behind). */
export async function historyConsumed(consumed: Promise<unknown>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([consumed, new Promise((r) => (timer = setTimeout(r, 1000)))]);
  } finally {
    clearTimeout(timer);
  }
}
