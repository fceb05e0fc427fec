/** What each state did in an execution, read from its history (nested Map states included). */
import { normalSuccessors, scopeOf, scopes, type AslScope } from './asl';

/**
 * How a state fared in an execution, as the Step Functions console says it: `succeeded`, `failed` (its error
 * ended the release, caught or not), `caught` (its error was caught and the execution went on towards
 * success), `current` (running now), `aborted` (the execution was stopped in it), `idle` (not reached).
 */
export type StateStatus = 'succeeded' | 'failed' | 'caught' | 'current' | 'aborted' | 'idle';

/** Words people read for each status (legend, table, panel). */
export const STATUS_LABEL: Record<StateStatus, string> = {
  succeeded: 'Succeeded',
  failed: 'Failed',
  caught: 'Caught failure',
  current: 'In progress',
  aborted: 'Aborted',
  idle: 'Not reached',
};

/** One history event, shaped like `GetExecutionHistory`'s. */
export interface HistoryEvent {
  id: number;
  timestamp: number;
  type: string;
  [details: string]: unknown;
}

/** One visit of a state: when it was entered and left, what went in and out, which events belong to it. */
export interface StateVisit {
  name: string;
  enteredAt: number;
  exitedAt?: number;
  input?: string;
  output?: string;
  error?: string;
  cause?: string;
  /** For a Map: the state of the failed iteration whose error the Map took. */
  failedIn?: string;
  /** Ids of the history events of this visit. */
  events: number[];
  status: StateStatus;
}

/** What the execution did in each state, from its history. */
export interface ExecutionTrace {
  /** Status per state name (nested Map states included), aggregated over visits. */
  statuses: Record<string, StateStatus>;
  /** Every visit in the order entered. */
  visits: StateVisit[];
  /** Transitions taken, as `from→to` (with `__start__` and `__end__`). */
  taken: Set<string>;
}

/** Whether a Catch clause's ErrorEquals catches `error` (States.ALL catches all; States.TaskFailed all but timeouts). */
function catches(errorEquals: string[], error: string | undefined): boolean {
  return errorEquals.some(
    (e) =>
      e === 'States.ALL' ||
      e === error ||
      (e === 'States.TaskFailed' && error !== 'States.Timeout' && error !== 'States.HeartbeatTimeout'),
  );
}

/** Whether some normal path (no Catch) from `from` reaches success: a Succeed state or an `End: true` non-Fail state. */
function reachesSuccess(scope: AslScope, from: string): boolean {
  const seen = new Set<string>();
  const todo = [from];
  while (todo.length) {
    const n = todo.pop()!;
    if (seen.has(n)) continue;
    seen.add(n);
    const s = scope.States[n];
    if (!s) continue;
    if (s.Type === 'Succeed' || (s.End === true && s.Type !== 'Fail')) return true;
    todo.push(...normalSuccessors(s));
  }
  return false;
}

const FAILURE_EVENTS: Record<string, string> = {
  TaskFailed: 'taskFailedEventDetails',
  TaskTimedOut: 'taskTimedOutEventDetails',
  TaskSubmitFailed: 'taskSubmitFailedEventDetails',
  TaskStartFailed: 'taskStartFailedEventDetails',
  LambdaFunctionFailed: 'lambdaFunctionFailedEventDetails',
  LambdaFunctionTimedOut: 'lambdaFunctionTimedOutEventDetails',
  MapIterationFailed: 'mapIterationFailedEventDetails',
  MapIterationAborted: 'mapIterationAbortedEventDetails',
};

const PRIORITY: StateStatus[] = ['current', 'failed', 'aborted', 'caught', 'succeeded', 'idle'];

/**
 * Reads an execution's history: every visit of every state (nested Map states too) with its input, output,
 * error and events, each visit's status, each state's status and the transitions taken.
 *
 * A visit that left with an error is `failed` when its Catch led onto a path that cannot end in success
 * (e.g. "Report failure" → "Release failed") or nothing caught it, and `caught` when the catch target can
 * still reach success (a timeout caught to re-check a rollout). A Fail state entered is `failed`. A visit
 * still open at the end is `current` (running), `aborted` (execution aborted) or `failed`.
 */
export function traceExecution(
  definition: AslScope,
  history: HistoryEvent[],
  executionStatus: string,
): ExecutionTrace {
  const scopeKey = scopeOf(definition);
  const allScopes = scopes(definition);
  const stateOf = (name: string) => allScopes.get(scopeKey.get(name) ?? '')?.scope.States[name];
  const visits: StateVisit[] = [];
  const open: StateVisit[] = [];
  const taken = new Set<string>();
  const lastInScope = new Map<string, string>();
  const close = (v: StateVisit, at: number) => {
    v.exitedAt = at;
    open.splice(open.indexOf(v), 1);
  };
  for (const ev of history) {
    const entered =
      (ev.stateEnteredEventDetails as { name?: string; input?: string } | undefined) ?? undefined;
    const exited =
      (ev.stateExitedEventDetails as { name?: string; output?: string } | undefined) ?? undefined;
    if (entered?.name && scopeKey.has(entered.name)) {
      const key = scopeKey.get(entered.name)!;
      // A sibling still open with an error was left through its Catch without a StateExited.
      for (const o of [...open]) if (scopeKey.get(o.name) === key && o.error) close(o, ev.timestamp);
      const prev = lastInScope.get(key);
      taken.add(`${prev ?? (key ? `__start__${key}` : '__start__')}→${entered.name}`);
      lastInScope.set(key, entered.name);
      const v: StateVisit = {
        name: entered.name,
        enteredAt: ev.timestamp,
        input: entered.input,
        events: [ev.id],
        status: 'idle',
      };
      visits.push(v);
      open.push(v);
      if (stateOf(entered.name)?.Type === 'Fail') {
        v.status = 'failed';
        close(v, ev.timestamp);
      }
      continue;
    }
    if (exited?.name && scopeKey.has(exited.name)) {
      const v = [...open].reverse().find((o) => o.name === exited.name);
      if (v) {
        v.output = exited.output;
        v.events.push(ev.id);
        close(v, ev.timestamp);
      }
      continue;
    }
    const mapName = Object.entries(ev).find(([k]) => /^mapIteration\w+EventDetails$/.test(k))?.[1] as
      { name?: string } | undefined;
    const owner = mapName?.name
      ? [...open].reverse().find((o) => o.name === mapName.name)
      : open[open.length - 1];
    if (!owner) continue;
    owner.events.push(ev.id);
    const failureKey = FAILURE_EVENTS[ev.type];
    if (failureKey) {
      const d = (ev[failureKey] ?? {}) as { error?: string; cause?: string };
      owner.error = d.error ?? (ev.type.startsWith('MapIteration') ? 'States.MapIterationFailed' : ev.type);
      owner.cause = d.cause;
      if (ev.type === 'MapIterationFailed') {
        // The event says only which iteration failed; the Map fails with that iteration's error and cause, as
        // Step Functions reports it: the last state of the iteration that failed.
        const from = visits.indexOf(owner);
        const inner = visits
          .slice(from + 1)
          .reverse()
          .find((x) => x.error && x.error !== 'States.MapIterationFailed');
        if (inner) {
          owner.error = inner.error;
          owner.cause = inner.cause;
          owner.failedIn = inner.name;
        }
      }
    } else if (ev.type === 'TaskSucceeded') {
      // A retry that succeeded: the earlier attempt's error no longer decides the state.
      owner.error = undefined;
      owner.cause = undefined;
    }
  }
  for (const v of visits) {
    if (v.status !== 'idle') continue;
    if (v.exitedAt === undefined) {
      v.status = v.error
        ? 'failed'
        : executionStatus === 'RUNNING'
          ? 'current'
          : executionStatus === 'ABORTED'
            ? 'aborted'
            : 'failed';
      continue;
    }
    if (!v.error) {
      v.status = 'succeeded';
      continue;
    }
    const s = stateOf(v.name);
    const clause = ((s?.Catch ?? []) as { ErrorEquals?: string[]; Next?: string }[]).find((c) =>
      catches(c.ErrorEquals ?? [], v.error),
    );
    const scope = allScopes.get(scopeKey.get(v.name) ?? '')!.scope;
    v.status = clause?.Next && reachesSuccess(scope, clause.Next) ? 'caught' : 'failed';
  }
  const statuses: Record<string, StateStatus> = {};
  for (const v of visits) {
    const had = statuses[v.name];
    if (!had || PRIORITY.indexOf(v.status) < PRIORITY.indexOf(had)) statuses[v.name] = v.status;
  }
  // The end node: reached when the execution ended through a terminal state of the top level.
  const lastTop = lastInScope.get('');
  const lastState = lastTop ? definition.States[lastTop] : undefined;
  if (lastTop && executionStatus !== 'RUNNING' && lastState) {
    if (lastState.Type === 'Fail' || lastState.Type === 'Succeed' || lastState.End === true) {
      taken.add(`${lastTop}→__end__`);
    }
  }
  for (const [key, last] of lastInScope) {
    if (!key) continue;
    const s = allScopes.get(key)!.scope.States[last];
    if (s?.End === true || s?.Type === 'Succeed') taken.add(`${last}→__end__${key}`);
  }
  return { statuses, visits, taken };
}

/**
 * Status of each state (nested ones included) from an execution's history; see `traceExecution`.
 * @example stateStatuses(definition, history, 'FAILED') // { Scan: 'failed', 'Report failure': 'succeeded', … }
 */
export function stateStatuses(
  definition: AslScope,
  history: HistoryEvent[],
  executionStatus: string,
): Record<string, StateStatus> {
  return traceExecution(definition, history, executionStatus).statuses;
}
