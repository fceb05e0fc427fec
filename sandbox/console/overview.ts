import type { SfnEmulator } from '../aws/sfn';
import type { ChatInbox } from './inbox';
import type { OverviewModel, PendingApproval, RunningService } from './pages';
import type { PendingPause } from './pending-pauses';

/** Where the overview page reads from. */
export interface OverviewSources {
  sfn: SfnEmulator;
  /** The release state machine (its executions are the releases). */
  stateMachineArn?: string;
  chat: ChatInbox;
  pendingApprovals: () => Promise<PendingApproval[]>;
  pendingPauses: () => Promise<PendingPause[]>;
  runningServices: () => RunningService[];
  /** The HTTP API (the hono Lambda), asked for `GET /api/releases`. */
  httpApi: (req: Request) => Promise<Response>;
  /** Base URL of the app. */
  url: string;
}

/** The console's overview: executions, approvals, what runs where, the chat inbox and recent releases. */
export async function overview(s: OverviewSources): Promise<OverviewModel> {
  let releases: OverviewModel['releases'] = [];
  try {
    const res = await s.httpApi(new Request(`${s.url}/api/releases`));
    if (res.ok) {
      const body = (await res.json()) as unknown;
      const list = (
        Array.isArray(body) ? body : ((body as { releases?: unknown[] }).releases ?? [])
      ) as Record<string, unknown>[];
      releases = list.slice(0, 20).map((r) => {
        const project = (r.project as { path?: string } | undefined)?.path;
        const envs = ((r.environments ?? []) as { name?: string; status?: string }[])
          .map((e) => `${e.name}: ${e.status}`)
          .join(', ');
        const step = r.currentStep ? `at "${String(r.currentStep)}"` : '';
        return {
          id: String(r.id ?? ''),
          state: String(r.status ?? r.state ?? ''),
          detail: [project, envs, step].filter(Boolean).join(' · '),
        };
      });
    }
  } catch {
    // The releases API is optional for the console.
  }
  return {
    executions: s.sfn.executions(s.stateMachineArn).map((e) => ({
      executionArn: e.executionArn,
      name: e.name,
      status: e.status,
      startDate: e.startDate,
      stopDate: e.stopDate,
      current: e.status === 'RUNNING' ? s.sfn.currentState(e) : undefined,
      error: e.error,
    })),
    approvals: await s.pendingApprovals(),
    pauses: await s.pendingPauses(),
    environments: s.runningServices(),
    chat: s.chat.data.messages,
    releases,
  };
}
