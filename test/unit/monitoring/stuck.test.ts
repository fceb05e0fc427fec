import { loadConfig } from '../../../lambdas/shared/config';
import { releaseBoundSeconds } from '../../../lambdas/shared/monitoring/bound';
import { findStuckReleases } from '../../../lambdas/domain/reconcile/stuck';

const config = loadConfig('shipgate.config.yaml');
const bound = releaseBoundSeconds(config);
const now = new Date('2026-12-07T12:00:00Z');
const ago = (seconds: number) => new Date(now.getTime() - seconds * 1000).toISOString();

const MACHINE = 'arn:aws:states:us-east-1:000000000000:stateMachine:shipgate-release';

/** An execution as ListExecutions lists it: named after its release. */
const execution = (id: string, status: string, startDate: string) => ({
  executionArn: `arn:aws:states:us-east-1:000000000000:execution:shipgate-release:${id}`,
  stateMachineArn: MACHINE,
  name: id,
  status,
  startDate: new Date(startDate),
});

/**
 * Fakes: Step Functions lists the executions (honouring `statusFilter`, two to a page) and answers the history
 * of each; the table answers each release's record.
 */
function deps(executions: ReturnType<typeof execution>[], histories: Record<string, unknown[] | Error>) {
  const asked: string[] = [];
  const listed: Record<string, unknown>[] = [];
  return {
    asked,
    listed,
    deps: {
      ddb: {
        send: async (command: { input: { Key: { pk: string } } }) => {
          const id = command.input.Key.pk.replace('RELEASE#', '');
          return {
            Item: {
              pk: `RELEASE#${id}`,
              sk: 'RELEASE',
              id,
              status: 'RUNNING',
              currentStep: 'Approve production',
            },
          };
        },
      },
      sfn: {
        send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
          if (command.constructor.name === 'ListExecutionsCommand') {
            listed.push(command.input);
            const running = executions.filter((e) => e.status === command.input.statusFilter);
            const from = Number(command.input.nextToken ?? 0);
            return {
              executions: running.slice(from, from + 2),
              ...(from + 2 < running.length ? { nextToken: String(from + 2) } : {}),
            };
          }
          const id = String(command.input.executionArn).split(':').pop()!;
          asked.push(id);
          const history = histories[id];
          if (history instanceof Error) throw history;
          return { events: history ?? [] };
        },
      },
      table: 'shipgate',
      config,
      stateMachineArn: MACHINE,
      now: () => now,
    } as never,
  };
}

describe('stuck releases', () => {
  it('finds a running execution past its bound on any page, and reads the history only of those past it', async () => {
    const {
      deps: d,
      asked,
      listed,
    } = deps(
      [
        execution('young', 'RUNNING', ago(bound - 60)),
        execution('young-2', 'RUNNING', ago(bound - 30)),
        execution('old', 'RUNNING', ago(bound + 600)),
        execution('done', 'SUCCEEDED', ago(bound * 3)),
      ],
      {},
    );
    const stuck = await findStuckReleases(d);
    expect(stuck).toEqual([
      { id: 'old', runningSeconds: bound + 600, boundSeconds: bound, currentStep: 'Approve production' },
    ]);
    expect(asked).toEqual(['old']);
    // Every page of RUNNING executions of the state machine (all its versions and aliases).
    expect(listed.map((l) => [l.stateMachineArn, l.statusFilter, l.nextToken])).toEqual([
      [MACHINE, 'RUNNING', undefined],
      [MACHINE, 'RUNNING', '2'],
    ]);
  });

  it('counts an execution whose history cannot be read as stuck for all its age', async () => {
    const { deps: d } = deps([execution('unreadable', 'RUNNING', ago(bound + 60))], {
      unreadable: Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }),
    });
    expect(await findStuckReleases(d)).toEqual([
      {
        id: 'unreadable',
        runningSeconds: bound + 60,
        boundSeconds: bound,
        currentStep: 'Approve production',
      },
    ]);
  });

  it('takes off the time spent waiting for a deploy freeze to end', async () => {
    const wait = (type: string, at: number) => ({
      type,
      timestamp: new Date(now.getTime() - at * 1000),
      ...(type === 'WaitStateEntered'
        ? { stateEnteredEventDetails: { name: 'Wait for production freeze to end' } }
        : { stateExitedEventDetails: { name: 'Wait for production freeze to end' } }),
    });
    const { deps: d } = deps([execution('frozen', 'RUNNING', ago(bound + 600))], {
      // Two days in a weekend freeze, ended an hour ago.
      frozen: [wait('WaitStateEntered', 3600 + 2 * 86400), wait('WaitStateExited', 3600)],
    });
    expect(await findStuckReleases(d)).toEqual([]);
  });
});
