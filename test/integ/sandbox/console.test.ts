import { renderExecution, renderOverview } from '../../../sandbox/console/pages';
import { renderGraph, stateStatuses } from '../../../sandbox/console/graph';

const definition = {
  StartAt: 'Scan',
  States: {
    Scan: {
      Type: 'Task',
      Next: 'Approve staging',
      Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Report failure' }],
    },
    'Approve staging': { Type: 'Task', Next: 'Deploy staging' },
    'Deploy staging': {
      Type: 'Map',
      ItemProcessor: {
        StartAt: 'Start rollout staging',
        States: { 'Start rollout staging': { Type: 'Task', End: true } },
      },
      Next: 'Done',
    },
    'Report failure': { Type: 'Fail' },
    Done: { Type: 'Succeed' },
  },
};

const entered = (name: string) => ({ type: 'TaskStateEntered', stateEnteredEventDetails: { name } });
const exited = (name: string) => ({ type: 'TaskStateExited', stateExitedEventDetails: { name } });

describe('sandbox console rendering', () => {
  it('marks done, current and never-reached states from the history', () => {
    const statuses = stateStatuses(
      definition,
      [entered('Scan'), exited('Scan'), entered('Approve staging')],
      true,
    );
    expect(statuses).toEqual({ Scan: 'done', 'Approve staging': 'current' });
    const svg = renderGraph(definition, statuses);
    expect(svg).toContain('data-state="Approve staging" data-status="current"');
    expect(svg).toContain('data-state="Deploy staging" data-status="idle"');
    expect(svg).toContain('Map · 1 inner states');
    // Every state is drawn once, with an edge per transition (Catch edges dashed).
    expect(svg.match(/<g class="node/g)).toHaveLength(5);
    expect(svg.match(/class="edge catch"/g)).toHaveLength(1);
  });

  it('marks a state left through a Catch as failed once the execution ended', () => {
    const statuses = stateStatuses(
      definition,
      [entered('Scan'), { type: 'FailStateEntered', stateEnteredEventDetails: { name: 'Report failure' } }],
      false,
    );
    expect(statuses).toEqual({ Scan: 'failed', 'Report failure': 'failed' });
  });

  it('escapes everything it shows (chat text, causes, names)', () => {
    const html = renderOverview({
      executions: [
        {
          executionArn: 'arn:x',
          name: 'r1',
          status: 'FAILED',
          startDate: 1,
          error: '<img src=x onerror=alert(1)>',
        },
      ],
      approvals: [
        {
          executionArn: 'arn:x',
          executionName: 'r1',
          environment: 'staging',
          state: 'Approve staging',
          since: 1,
          links: [{ label: '<b>Alice</b>', url: 'http://h/approvals/a?x="><script>' }],
        },
      ],
      environments: [],
      chat: [{ at: 1, text: '<script>alert(1)</script>' }],
      releases: [],
    });
    expect(html).not.toMatch(/<script>|<img|<b>Alice/);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('href="http://h/approvals/a?x=&quot;&gt;&lt;script&gt;"');
    const page = renderExecution({
      executionArn: 'arn:x',
      name: 'r1',
      status: 'FAILED',
      startDate: 1,
      error: 'VerifyFailed',
      cause: '<svg onload=alert(1)>',
      input: '{"a":"<script>"}',
      definition,
      history: [
        {
          id: 1,
          timestamp: 1,
          type: 'ExecutionFailed',
          executionFailedEventDetails: { error: 'E', cause: '<iframe>' },
        },
      ],
      approvals: [],
    });
    expect(page).not.toMatch(/<svg onload|<iframe>|"<script>/);
  });
});
