import { decidePauseViaLink } from './approve-link';

/**
 * The demo's view of rollout pauses (ECS PAUSE hooks): a "Decision needed" message in the chat inbox for this
 * execution is printed once with its personal links; with `--auto-approve` the demo continues it with the
 * quorum, through the links, as people would.
 */

/** What the demo remembers between polls. */
export interface PauseFollowState {
  shown: Set<string>;
  decided: Set<string>;
}

/** Prints new pauses of `executionArn` and, when `autoApprove`, continues them through their links. */
export async function followPauses(
  o: { url: string; autoApprove?: boolean; print: (line: string) => void },
  executionArn: string,
  state: PauseFollowState,
): Promise<void> {
  const { messages } = (await (await fetch(`${o.url}/_sandbox/api/chat`)).json()) as {
    messages: { text: string }[];
  };
  const mine = messages.filter(
    (m) =>
      m.text.startsWith('Decision needed:') &&
      (m.text.includes(executionArn) || m.text.includes(encodeURIComponent(executionArn))),
  );
  for (const m of mine) {
    const links = [...m.text.matchAll(/Continue \/ Roll back as ([^:]+): (\S+)/g)].map((x) => ({
      name: x[1],
      url: x[2],
    }));
    const id = /\/pauses\/([^/]+)\//.exec(links[0]?.url ?? '')?.[1];
    if (!id || state.decided.has(id)) continue;
    if (!state.shown.has(id)) {
      state.shown.add(id);
      const lines = m.text.split('\n');
      o.print(`${lines[0]}`);
      for (const l of lines.filter((x) => /^(Step|Traffic|Smoke|Alarms|Needs):?/.test(x))) o.print(`  ${l}`);
      for (const l of links) o.print(`  Continue / Roll back as ${l.name}: ${l.url}`);
    }
    if (!o.autoApprove) continue;
    state.decided.add(id);
    const quorum = Number(/Needs (\d+) "continue"/.exec(m.text)?.[1] ?? '1');
    let yes = 0;
    for (const l of links) {
      if (yes >= quorum) break;
      const code = await decidePauseViaLink(l.url, 'continue', 'Continued by the sandbox demo');
      o.print(`  ${l.name}: continue → HTTP ${code}`);
      if (code === 200) yes++;
    }
  }
}
