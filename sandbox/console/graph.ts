/**
 * Draws the release state machine as SVG from its ASL, with each top-level state coloured by what the
 * execution did there (done, current, failed, not reached).
 */

type AnyState = Record<string, unknown> & { Type: string };

/** How a state fared in an execution. */
export type StateStatus = 'done' | 'current' | 'failed' | 'idle';

/** Escapes text for HTML and SVG. */
export function esc(value: unknown): string {
  return String(value ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** Names of the states each state can go to (Next, Choices, Default, Catch). */
export function successors(state: AnyState): string[] {
  const out: string[] = [];
  if (typeof state.Next === 'string') out.push(state.Next);
  for (const c of (state.Choices ?? []) as { Next?: string }[]) if (c.Next) out.push(c.Next);
  if (typeof state.Default === 'string') out.push(state.Default);
  for (const c of (state.Catch ?? []) as { Next?: string }[]) if (c.Next) out.push(c.Next);
  return [...new Set(out)];
}

/** Maps every nested state name (inside Map/Parallel) to its top-level state. */
export function topLevelOf(definition: { States: Record<string, AnyState> }): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (states: Record<string, AnyState>, top: string | undefined) => {
    for (const [name, s] of Object.entries(states)) {
      out.set(name, top ?? name);
      const proc = (s.ItemProcessor ?? s.Iterator) as { States: Record<string, AnyState> } | undefined;
      if (proc) walk(proc.States, top ?? name);
      for (const b of (s.Branches ?? []) as { States: Record<string, AnyState> }[])
        walk(b.States, top ?? name);
    }
  };
  walk(definition.States, undefined);
  return out;
}

const W = 190;
const H = 40;
const GX = 24;
const GY = 34;

/** Renders the graph. `statuses` is keyed by top-level state name. */
export function renderGraph(
  definition: { StartAt: string; States: Record<string, AnyState> },
  statuses: Record<string, StateStatus>,
): string {
  const names = Object.keys(definition.States);
  // Depth-first order from StartAt, marking back edges (loops) so layering stays acyclic.
  const order: string[] = [];
  const back = new Set<string>();
  const state = new Map<string, 'open' | 'done'>();
  const visit = (n: string) => {
    if (!definition.States[n]) return;
    state.set(n, 'open');
    for (const s of successors(definition.States[n])) {
      if (state.get(s) === 'open') back.add(`${n}→${s}`);
      else if (!state.has(s)) visit(s);
    }
    state.set(n, 'done');
    order.unshift(n);
  };
  visit(definition.StartAt);
  for (const n of names) if (!state.has(n)) visit(n);
  const layer = new Map<string, number>(order.map((n) => [n, 0]));
  for (const n of order) {
    for (const s of successors(definition.States[n])) {
      if (back.has(`${n}→${s}`) || !layer.has(s)) continue;
      layer.set(s, Math.max(layer.get(s)!, layer.get(n)! + 1));
    }
  }
  const rows = new Map<number, string[]>();
  for (const n of order) {
    const l = layer.get(n)!;
    rows.set(l, [...(rows.get(l) ?? []), n]);
  }
  const widest = Math.max(...[...rows.values()].map((r) => r.length));
  const width = widest * (W + GX) + GX;
  const pos = new Map<string, { x: number; y: number }>();
  for (const [l, row] of rows) {
    const rowWidth = row.length * (W + GX) - GX;
    row.forEach((n, i) => pos.set(n, { x: (width - rowWidth) / 2 + i * (W + GX), y: GY / 2 + l * (H + GY) }));
  }
  const height = (Math.max(...rows.keys()) + 1) * (H + GY) + GY / 2;
  const edges: string[] = [];
  for (const n of order) {
    const a = pos.get(n)!;
    for (const s of successors(definition.States[n])) {
      const b = pos.get(s);
      if (!b) continue;
      const caught = ((definition.States[n].Catch ?? []) as { Next?: string }[]).some((c) => c.Next === s);
      const cls = `edge${caught ? ' catch' : ''}${back.has(`${n}→${s}`) ? ' loop' : ''}`;
      const x1 = a.x + W / 2;
      const y1 = a.y + H;
      const x2 = b.x + W / 2;
      const y2 = b.y;
      if (back.has(`${n}→${s}`)) {
        edges.push(
          `<path class="${cls}" d="M${a.x + W} ${a.y + H / 2} C ${a.x + W + 40} ${a.y}, ${b.x + W + 40} ${b.y + H}, ${b.x + W} ${b.y + H / 2}" marker-end="url(#arrow)"/>`,
        );
      } else {
        edges.push(
          `<path class="${cls}" d="M${x1} ${y1} C ${x1} ${y1 + GY / 2}, ${x2} ${y2 - GY / 2}, ${x2} ${y2}" marker-end="url(#arrow)"/>`,
        );
      }
    }
  }
  const nodes = order.map((n) => {
    const p = pos.get(n)!;
    const s = definition.States[n];
    const status = statuses[n] ?? 'idle';
    const label = n.length > 26 ? `${n.slice(0, 25)}…` : n;
    const inner = s.ItemProcessor ?? s.Iterator;
    const sub = inner
      ? `Map · ${Object.keys((inner as { States: object }).States).length} inner states`
      : s.Type;
    return `<g class="node ${status}" data-state="${esc(n)}" data-status="${status}"><title>${esc(n)} (${esc(s.Type)})</title><rect x="${p.x}" y="${p.y}" width="${W}" height="${H}" rx="8"/><text x="${p.x + W / 2}" y="${p.y + 17}" class="name">${esc(label)}</text><text x="${p.x + W / 2}" y="${p.y + 32}" class="type">${esc(sub)}</text></g>`;
  });
  return `<svg class="graph" role="img" aria-label="Release state machine" viewBox="0 0 ${width + 60} ${height}" width="${width + 60}" height="${height}" xmlns="http://www.w3.org/2000/svg"><defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0 0 L10 5 L0 10 z" fill="#8a94a6"/></marker></defs>${edges.join('')}${nodes.join('')}</svg>`;
}

/**
 * Status of each top-level state from an execution's history: entered and exited = done; still open in a
 * running execution = current (the innermost/latest one); open otherwise = failed.
 */
export function stateStatuses(
  definition: { States: Record<string, AnyState> },
  history: { type: string; stateEnteredEventDetails?: unknown; stateExitedEventDetails?: unknown }[],
  running: boolean,
): Record<string, StateStatus> {
  const entered = new Map<string, number>();
  const exited = new Map<string, number>();
  let last: string | undefined;
  history.forEach((ev, i) => {
    const en = (ev.stateEnteredEventDetails as { name?: string } | undefined)?.name;
    const ex = (ev.stateExitedEventDetails as { name?: string } | undefined)?.name;
    if (en && definition.States[en]) {
      entered.set(en, i);
      last = en;
    }
    if (ex && definition.States[ex]) exited.set(ex, i);
  });
  const out: Record<string, StateStatus> = {};
  for (const [name, at] of entered) {
    const left = exited.get(name);
    if (left !== undefined && left > at) out[name] = 'done';
    else out[name] = running && name === last ? 'current' : 'failed';
  }
  return out;
}
