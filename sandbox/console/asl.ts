/** The ASL structure the console reads: states, scopes (the top level and each Map's inner states), edges. */

/** An ASL state (only the fields the console reads are typed). */
export type AnyState = Record<string, unknown> & { Type: string };

/** An ASL definition or a Map's ItemProcessor. */
export interface AslScope {
  StartAt: string;
  States: Record<string, AnyState>;
}

/** Names of the states each state can go to normally (Next, Choices, Default). */
export function normalSuccessors(state: AnyState): string[] {
  const out: string[] = [];
  if (typeof state.Next === 'string') out.push(state.Next);
  for (const c of (state.Choices ?? []) as { Next?: string }[]) if (c.Next) out.push(c.Next);
  if (typeof state.Default === 'string') out.push(state.Default);
  return [...new Set(out)];
}

/** Targets of a state's Catch clauses. */
export function catchTargets(state: AnyState): string[] {
  return [...new Set(((state.Catch ?? []) as { Next?: string }[]).map((c) => c.Next ?? '').filter(Boolean))];
}

/** Names of the states each state can go to (Next, Choices, Default, Catch). */
export function successors(state: AnyState): string[] {
  return [...new Set([...normalSuccessors(state), ...catchTargets(state)])];
}

/** The Map's inner scope (ItemProcessor, or the older Iterator), if the state is a Map. */
export function innerScope(state: AnyState): AslScope | undefined {
  return (state.ItemProcessor ?? state.Iterator) as AslScope | undefined;
}

/** Every scope of a definition with its states: the top level and each Map's inner scope (by Map name). */
export function scopes(definition: AslScope): Map<string, { scope: AslScope; parent?: string }> {
  const out = new Map<string, { scope: AslScope; parent?: string }>([['', { scope: definition }]]);
  const walk = (scope: AslScope) => {
    for (const [name, s] of Object.entries(scope.States)) {
      const inner = innerScope(s);
      if (inner) {
        out.set(name, { scope: inner, parent: name });
        walk(inner);
      }
    }
  };
  walk(definition);
  return out;
}

/** Maps every state name to the scope that holds it ('' = top level, else the Map's name). */
export function scopeOf(definition: AslScope): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, { scope }] of scopes(definition))
    for (const n of Object.keys(scope.States)) out.set(n, key);
  return out;
}

/** Maps every nested state name (inside Map/Parallel) to its top-level state. */
export function topLevelOf(definition: AslScope): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (states: Record<string, AnyState>, top: string | undefined) => {
    for (const [name, s] of Object.entries(states)) {
      out.set(name, top ?? name);
      const proc = innerScope(s);
      if (proc) walk(proc.States, top ?? name);
      for (const b of (s.Branches ?? []) as AslScope[]) walk(b.States, top ?? name);
    }
  };
  walk(definition.States, undefined);
  return out;
}
