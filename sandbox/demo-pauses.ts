import { decideAs } from './approve-link';

/**
 * The demo's view of rollout pauses (ECS PAUSE hooks): a "Decision needed" message in the chat inbox for this
 * execution is printed once with its review link; with `--auto-approve` the demo signs in at the sandbox's
 * GitLab as approvers in turn and continues it with the quorum, as people would.
 */

/** What the demo remembers between polls. */
export interface PauseFollowState {
  shown: Set<string>;
  decided: Set<string>;
}

/** Prints new pauses of `executionArn` and, when `autoApprove`, continues them through their links. */
export async function followPauses(
  o: {
    url: string;
    autoApprove?: boolean;
    print: (line: string) => void;
    config: { approvers: Record<string, unknown> };
  },
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
    const reviewUrl = /Review and decide \(sign in with GitLab\): (\S+\/pauses\/([^/\s]+))/.exec(m.text);
    const id = reviewUrl?.[2];
    if (!id || state.decided.has(id)) continue;
    if (!state.shown.has(id)) {
      state.shown.add(id);
      const lines = m.text.split('\n');
      o.print(`${lines[0]}`);
      for (const l of lines.filter((x) => /^(Step|Traffic|Smoke|Alarms|Needs):?/.test(x))) o.print(`  ${l}`);
      o.print(`  Review and decide (sign in with GitLab): ${reviewUrl![1]}`);
    }
    if (!o.autoApprove) continue;
    state.decided.add(id);
    const quorum = Number(/Needs (\d+) "continue"/.exec(m.text)?.[1] ?? '1');
    let yes = 0;
    for (const username of Object.keys(o.config.approvers)) {
      if (yes >= quorum) break;
      const code = await decideAs(reviewUrl![1], username, 'continue', 'Continued by the sandbox demo');
      o.print(`  signed in as @${username}: continue → HTTP ${code}`);
      if (code === 200) yes++;
    }
  }
}
