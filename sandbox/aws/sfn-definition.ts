import type { StateMachineDefinition } from 'aws-local-stepfunctions';

/** Longest timer Node can arm (~24.8 days); AWS's "no timeout" default is longer, nothing here waits that long. */
export const MAX_TIMER_SECONDS = 2_147_483;

/** An ASL state (only `Type` is typed). */
export type AnyState = Record<string, unknown> & { Type: string };

/** Every Task state of a definition, nested Map/Parallel states included, by name. */
export function taskStates(
  def: { States: Record<string, AnyState> },
  out: Map<string, AnyState> = new Map(),
): Map<string, AnyState> {
  for (const [name, state] of Object.entries(def.States)) {
    if (state.Type === 'Task') out.set(name, state);
    const processor = (state.ItemProcessor ?? state.Iterator) as
      { States: Record<string, AnyState> } | undefined;
    if (processor) taskStates(processor, out);
    for (const branch of (state.Branches ?? []) as { States: Record<string, AnyState> }[])
      taskStates(branch, out);
  }
  return out;
}

/** Gives every Task state a finite timeout so the engine's 60-second default never applies (AWS has none). */
export function withExplicitTimeouts(def: StateMachineDefinition): StateMachineDefinition {
  const copy = JSON.parse(JSON.stringify(def)) as StateMachineDefinition;
  for (const state of taskStates(copy as unknown as { States: Record<string, AnyState> }).values()) {
    if (state.TimeoutSeconds === undefined && state.TimeoutSecondsPath === undefined) {
      state.TimeoutSeconds = MAX_TIMER_SECONDS;
    } else if (typeof state.TimeoutSeconds === 'number') {
      state.TimeoutSeconds = Math.min(state.TimeoutSeconds, MAX_TIMER_SECONDS);
    }
  }
  return copy;
}

const NAME_PATTERN = /^[^\s<>{}[\]?*"#%\\^|~`$&,;:/]{1,80}$/;

/** Execution names: AWS's allowed characters, no control characters. */
export function validName(name: string): boolean {
  // eslint-disable-next-line no-control-regex
  return NAME_PATTERN.test(name) && !/[\u0000-\u001f\u007f-\u009f]/.test(name);
}
