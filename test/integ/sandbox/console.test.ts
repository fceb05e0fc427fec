import { renderChat, renderChatCard, mrkdwn, CHAT_PAGE_SIZE } from '../../../sandbox/console/chat';
import { deploymentsOf } from '../../../sandbox/console/environment';
import { freezeHold, renderExecution } from '../../../sandbox/console/execution';
import { readableCause } from '../../../sandbox/console/format';
import { renderGraph } from '../../../sandbox/console/graph';
import { stateStatuses, traceExecution, type HistoryEvent } from '../../../sandbox/console/trace';
import { renderOverview } from '../../../sandbox/console/pages';

const definition = {
  StartAt: 'Scan',
  States: {
    Scan: {
      Type: 'Task',
      Next: 'Approve staging',
      Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Report failure' }],
    },
    'Approve staging': {
      Type: 'Task',
      Next: 'Deploy staging',
      Catch: [
        { ErrorEquals: ['States.Timeout'], Next: 'Ask again' },
        { ErrorEquals: ['States.ALL'], Next: 'Report failure' },
      ],
    },
    'Ask again': { Type: 'Pass', Next: 'Deploy staging' },
    'Deploy staging': {
      Type: 'Map',
      ItemProcessor: {
        StartAt: 'Start rollout staging',
        States: { 'Start rollout staging': { Type: 'Task', End: true } },
      },
      Next: 'Done',
      Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Report failure' }],
    },
    'Report failure': { Type: 'Task', Next: 'Release failed' },
    'Release failed': { Type: 'Fail' },
    Done: { Type: 'Succeed' },
  },
};

/** A history from compact steps: ['>', name] entered, ['<', name] exited, [type, details] any other event. */
function history(...steps: [string, string, Record<string, unknown>?][]): HistoryEvent[] {
  return steps.map(([kind, name, details], i) => {
    const base = { id: i + 1, timestamp: 1000 + i };
    if (kind === '>')
      return { ...base, type: 'TaskStateEntered', stateEnteredEventDetails: { name, input: '{}' } };
    if (kind === '<')
      return { ...base, type: 'TaskStateExited', stateExitedEventDetails: { name, output: '{}' } };
    return { ...base, type: kind, ...(details ?? {}) };
  });
}
const failed = (error: string, cause: string) =>
  ['TaskFailed', '', { taskFailedEventDetails: { error, cause } }] as [
    string,
    string,
    Record<string, unknown>,
  ];

describe('console: state statuses from the history', () => {
  it('marks succeeded, current and never-reached states', () => {
    const h = history(['>', 'Scan'], ['<', 'Scan'], ['>', 'Approve staging']);
    expect(stateStatuses(definition, h, 'RUNNING')).toEqual({
      Scan: 'succeeded',
      'Approve staging': 'current',
    });
  });

  it('marks a state whose error was caught onto the failure path as failed (it exited: a rejection)', () => {
    const h = history(
      ['>', 'Scan'],
      ['<', 'Scan'],
      ['>', 'Approve staging'],
      failed('ApprovalRejected', 'Rejected by Alice'),
      ['<', 'Approve staging'],
      ['>', 'Report failure'],
      ['<', 'Report failure'],
      ['>', 'Release failed'],
    );
    expect(stateStatuses(definition, h, 'FAILED')).toEqual({
      Scan: 'succeeded',
      'Approve staging': 'failed',
      'Report failure': 'succeeded',
      'Release failed': 'failed',
    });
  });

  it('marks a caught error whose Catch leads back towards success as a caught failure', () => {
    const h = history(
      ['>', 'Scan'],
      ['<', 'Scan'],
      ['>', 'Approve staging'],
      ['TaskTimedOut', '', { taskTimedOutEventDetails: { error: 'States.Timeout' } }],
      ['<', 'Approve staging'],
      ['>', 'Ask again'],
    );
    expect(stateStatuses(definition, h, 'RUNNING')).toMatchObject({
      'Approve staging': 'caught',
      'Ask again': 'current',
    });
  });

  it('marks a failed Map iteration: the inner state and the Map are failed; a stopped execution is aborted', () => {
    const h = history(
      ['>', 'Scan'],
      ['<', 'Scan'],
      ['>', 'Deploy staging'],
      ['MapIterationStarted', '', { mapIterationStartedEventDetails: { name: 'Deploy staging', index: 0 } }],
      ['>', 'Start rollout staging'],
      failed('RolloutFailed', 'circuit breaker'),
      ['MapIterationFailed', '', { mapIterationFailedEventDetails: { name: 'Deploy staging', index: 0 } }],
      ['<', 'Deploy staging'],
      ['>', 'Report failure'],
    );
    expect(stateStatuses(definition, h, 'ABORTED')).toEqual({
      Scan: 'succeeded',
      'Deploy staging': 'failed',
      'Start rollout staging': 'failed',
      'Report failure': 'aborted',
    });
    // The Map fails with its failed iteration's error and cause, as Step Functions reports it.
    const map = traceExecution(definition, h, 'ABORTED').visits.find((v) => v.name === 'Deploy staging')!;
    expect(map).toMatchObject({
      error: 'RolloutFailed',
      cause: 'circuit breaker',
      failedIn: 'Start rollout staging',
    });
  });

  it('a retried task that then succeeded is succeeded', () => {
    const h = history(
      ['>', 'Scan'],
      failed('Lambda.ServiceException', 'x'),
      ['TaskSucceeded', ''],
      ['<', 'Scan'],
    );
    expect(stateStatuses(definition, h, 'RUNNING')).toEqual({ Scan: 'succeeded' });
  });
});

describe('console: graph', () => {
  const h = history(
    ['>', 'Scan'],
    failed('ScanGateFailed', 'x'),
    ['<', 'Scan'],
    ['>', 'Report failure'],
    ['<', 'Report failure'],
    ['>', 'Release failed'],
  );
  const trace = traceExecution(definition, h, 'FAILED');

  it('draws every state once with start and end nodes, the path taken, and only the catch edge taken', async () => {
    const svg = await renderGraph(definition, { statuses: trace.statuses, taken: trace.taken });
    expect(svg.match(/<g class="node /g)).toHaveLength(7);
    expect(svg).toContain('data-state="Scan" data-status="failed"');
    expect(svg).toContain('data-state="Approve staging" data-status="idle"');
    expect(svg).toMatch(/class="terminal start reached"/);
    expect(svg).toMatch(/class="terminal end reached"/);
    expect(svg.match(/class="edge catch[^"]*"/g)).toEqual(['class="edge catch taken"']);
    expect(svg).toContain('data-from="Scan" data-to="Report failure"');
    expect(svg).toContain('data-from="Start" data-to="Scan"');
    expect(svg).toContain('Map · 1 inner states · expand');
    // Whole names, never cut with an ellipsis.
    expect(svg).not.toContain('…');
  });

  it('draws all catch edges on demand and a Map open with its inner states, nodes never overlapping', async () => {
    const svg = await renderGraph(definition, {
      statuses: trace.statuses,
      taken: trace.taken,
      showCatch: true,
      expanded: new Set(['Deploy staging']),
    });
    expect(svg.match(/class="edge catch[^"]*"/g)).toHaveLength(4);
    expect(svg).toContain('data-state="Start rollout staging"');
    expect(svg).toContain('class="node idle open"');
    const rects = [
      ...svg.matchAll(
        /<g class="node ([^"]*)"[^>]*><title>[^<]*<\/title><rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)"/g,
      ),
    ]
      .filter((m) => !m[1].includes('open'))
      .map((m) => ({ x: +m[2], y: +m[3], w: +m[4], h: +m[5] }));
    expect(rects.length).toBe(7);
    for (const a of rects)
      for (const b of rects)
        if (a !== b)
          expect(a.x + a.w <= b.x || b.x + b.w <= a.x || a.y + a.h <= b.y || b.y + b.h <= a.y).toBe(true);
  });
});

describe('console: pages', () => {
  const lambdaCause = JSON.stringify({
    errorType: 'VerifyFailed',
    errorMessage: 'Verify staging failed for 1 of 1 services: inventory-app: GET /readyz answered 503',
    trace: ['VerifyFailed: Verify staging failed', '    at handler (/repo/lambdas/steps/verify.ts:74:30)'],
  });

  it('shows the errorMessage of a Lambda error, never its stack trace', () => {
    expect(readableCause(lambdaCause)).toBe(
      'Verify staging failed for 1 of 1 services: inventory-app: GET /readyz answered 503',
    );
    expect(readableCause('Boom\n    at x (/a.ts:1:2)')).toBe('Boom');
  });

  it('renders the execution page: error header, per-state table, expandable events, the selected state panel', async () => {
    const h = history(
      ['>', 'Scan'],
      failed('VerifyFailed', lambdaCause),
      ['<', 'Scan'],
      ['>', 'Report failure'],
    );
    const html = await renderExecution({
      executionArn: 'arn:x',
      name: 'r1',
      status: 'FAILED',
      startDate: 1000,
      stopDate: 1010,
      error: 'VerifyFailed',
      cause: lambdaCause,
      input: '{"a":"<script>"}',
      definition,
      history: h,
      approvals: [],
      selected: 'Scan',
    });
    expect(html).toContain('<p class="error-message">Verify staging failed for 1 of 1 services');
    // The header and the state panel show the message; only the raw event JSON keeps the cause as sent.
    const readable = html.slice(0, html.indexOf('<section><h3>Event history'));
    expect(readable).not.toMatch(/verify\.ts:74|errorType|trace/);
    expect(html).not.toContain('so far');
    expect(html).toMatch(/<tr class="state-row selected" data-state="Scan" data-status="failed">/);
    expect(html.match(/<details class="event"/g)).toHaveLength(4);
    expect(html).toContain('<aside class="state-panel" id="state-panel" data-state="Scan">');
    expect(html).toMatch(/<summary>Input<\/summary>/);
    expect(html).not.toMatch(/"<script>/);
  });

  it('names the freeze holding a release and when it ends', () => {
    const def = {
      StartAt: 'Wait',
      States: { Wait: { Type: 'Wait', TimestampPath: '$.f.until', End: true } },
    };
    const input = JSON.stringify({
      f: { frozen: true, until: '2026-12-07T06:00:00Z', reason: 'production: weekend freeze' },
    });
    const trace = traceExecution(
      def,
      [{ id: 1, timestamp: 1, type: 'WaitStateEntered', stateEnteredEventDetails: { name: 'Wait', input } }],
      'RUNNING',
    );
    expect(freezeHold(trace.visits, def)).toEqual({
      state: 'Wait',
      reason: 'production: weekend freeze',
      until: '2026-12-07T06:00:00Z',
    });
  });

  it('renders chat messages as cards from their blocks, newest first, a page at a time', () => {
    const card = renderChatCard({
      at: 1,
      text: 'fallback',
      body: {
        blocks: [
          {
            type: 'section',
            text: { type: 'mrkdwn', text: ':x: *Rejected:* <http://h/approvals/a?sig=secret|Review>' },
          },
          {
            type: 'actions',
            elements: [{ type: 'button', text: { type: 'plain_text', text: 'Approve' }, url: 'http://h/x' }],
          },
          { type: 'context', elements: [{ type: 'mrkdwn', text: '<script>alert(1)</script>' }] },
        ],
      },
    });
    expect(card).toContain('❌ <b>Rejected:</b> <a href="http://h/approvals/a?sig=secret"');
    expect(card).toContain('>Review</a>');
    expect(card).toContain('class="chat-button"');
    expect(card).not.toMatch(/<script>/);
    expect(mrkdwn('_it_ `c`')).toBe('<i>it</i> <code>c</code>');
    const messages = Array.from({ length: CHAT_PAGE_SIZE + 3 }, (_, i) => ({
      at: i,
      text: `m${i}`,
      body: { text: `m${i}` },
    }));
    const first = renderChat(messages, 1, (p) => `#/?chat=${p}`);
    expect(first.indexOf(`m${CHAT_PAGE_SIZE + 2}`)).toBeLessThan(first.indexOf(`m${CHAT_PAGE_SIZE + 1}`));
    expect(first.match(/class="chat-card"/g)).toHaveLength(CHAT_PAGE_SIZE);
    expect(first).toContain('Page 1 of 2');
    expect(renderChat(messages, 2, (p) => `#/?chat=${p}`).match(/class="chat-card"/g)).toHaveLength(3);
  });

  it('lists deployments per environment with outcome, approvers and rollbacks', () => {
    const env = 'staging';
    const def = {
      StartAt: 'Approve staging',
      States: {
        'Approve staging': {
          Type: 'Task',
          Next: 'Deploy staging',
          Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Fail' }],
        },
        'Deploy staging': { Type: 'Task', Next: 'Verify staging' },
        'Verify staging': {
          Type: 'Task',
          End: true,
          Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Roll back staging' }],
        },
        'Roll back staging': { Type: 'Task', Next: 'Fail' },
        Fail: { Type: 'Fail' },
      },
    };
    const approved: [string, string, Record<string, unknown>] = [
      'TaskSucceeded',
      '',
      { taskSucceededEventDetails: { output: '{"approvedBy":["alice"]}' } },
    ];
    const ok = history(
      ['>', 'Approve staging'],
      approved,
      ['<', 'Approve staging'],
      ['>', 'Deploy staging'],
      ['<', 'Deploy staging'],
      ['>', 'Verify staging'],
      ['<', 'Verify staging'],
    );
    const sick = history(
      ['>', 'Approve staging'],
      ['<', 'Approve staging'],
      ['>', 'Deploy staging'],
      ['<', 'Deploy staging'],
      ['>', 'Verify staging'],
      failed('VerifyFailed', lambdaCause),
      ['<', 'Verify staging'],
      ['>', 'Roll back staging'],
      ['<', 'Roll back staging'],
      ['>', 'Fail'],
    );
    const no = history(
      ['>', 'Approve staging'],
      failed('ApprovalRejected', 'Rejected by Bob: not now'),
      ['<', 'Approve staging'],
      ['>', 'Fail'],
    );
    const exec = (name: string, h: HistoryEvent[], status: string, startDate: number) => ({
      executionArn: `arn:${name}`,
      name,
      status,
      startDate,
      input: '{}',
      history: h,
    });
    const d = deploymentsOf(env, def, [
      exec('ok', ok, 'SUCCEEDED', 1),
      exec('sick', sick, 'FAILED', 2),
      exec('no', no, 'FAILED', 3),
    ]);
    expect(d.map((x) => [x.release, x.outcome, x.approvers, x.rolledBack])).toEqual([
      ['no', 'rejected', [], false],
      ['sick', 'rolled back', [], true],
      ['ok', 'success', ['alice'], false],
    ]);
    expect(d[0].detail).toBe('Rejected by Bob: not now');
    expect(d[1].detail).toContain('VerifyFailed: Verify staging failed for 1 of 1 services');
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
      chat: [{ at: 1, text: '<script>alert(1)</script>', body: {} }],
      releases: [],
    });
    expect(html).not.toMatch(/<script>|<img|<b>Alice/);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('href="http://h/approvals/a?x=&quot;&gt;&lt;script&gt;"');
  });
});
