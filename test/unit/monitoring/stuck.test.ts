import { loadConfig } from '../../../lambdas/shared/config';
import { releaseBoundSeconds } from '../../../lambdas/shared/monitoring/bound';
import { findStuckReleases } from '../../../lambdas/domain/reconcile/stuck';

const config = loadConfig('shipgate.config.yaml');
const bound = releaseBoundSeconds(config);
const now = new Date('2026-12-07T12:00:00Z');
const ago = (seconds: number) => new Date(now.getTime() - seconds * 1000).toISOString();

/** A release item as the table holds it. */
const item = (id: string, status: string, createdAt: string) => ({
  pk: `RELEASE#${id}`,
  sk: 'RELEASE',
  id,
  status,
  executionArn: `arn:aws:states:us-east-1:000000000000:execution:shipgate-release:${id}`,
  createdAt,
  currentStep: 'Approve production',
  environments: {},
});

/** Fakes: the table answers the release list; Step Functions the history of each execution. */
function deps(items: Record<string, unknown>[], histories: Record<string, unknown[]>) {
  const asked: string[] = [];
  return {
    asked,
    deps: {
      ddb: { send: async () => ({ Items: items }) },
      sfn: {
        send: async (command: { input: { executionArn: string } }) => {
          asked.push(command.input.executionArn.split(':').pop()!);
          return { events: histories[command.input.executionArn.split(':').pop()!] ?? [] };
        },
      },
      table: 'shipgate',
      config,
      now: () => now,
    } as never,
  };
}

describe('stuck releases', () => {
  it('finds a RUNNING release past its bound, and reads the history only of those past it', async () => {
    const { deps: d, asked } = deps(
      [
        item('young', 'RUNNING', ago(bound - 60)),
        item('old', 'RUNNING', ago(bound + 600)),
        item('done', 'SUCCEEDED', ago(bound * 3)),
      ],
      {},
    );
    const stuck = await findStuckReleases(d);
    expect(stuck).toEqual([
      { id: 'old', runningSeconds: bound + 600, boundSeconds: bound, currentStep: 'Approve production' },
    ]);
    expect(asked).toEqual(['old']);
  });

  it('takes off the time spent waiting for a deploy freeze to end', async () => {
    const wait = (type: string, at: number) => ({
      type,
      timestamp: new Date(now.getTime() - at * 1000),
      ...(type === 'WaitStateEntered'
        ? { stateEnteredEventDetails: { name: 'Wait for production freeze to end' } }
        : { stateExitedEventDetails: { name: 'Wait for production freeze to end' } }),
    });
    const { deps: d } = deps([item('frozen', 'RUNNING', ago(bound + 600))], {
      // Two days in a weekend freeze, ended an hour ago.
      frozen: [wait('WaitStateEntered', 3600 + 2 * 86400), wait('WaitStateExited', 3600)],
    });
    expect(await findStuckReleases(d)).toEqual([]);
  });
});
