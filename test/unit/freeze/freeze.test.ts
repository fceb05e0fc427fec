import { gitlabClient } from '../../../lambdas/domain/gitlab/client';
import { checkFreeze } from '../../../lambdas/domain/freeze/check';
import {
  activeUntil,
  DeployFrozen,
  freezeState,
  validateWindow,
  type FreezeWindow,
} from '../../../lambdas/domain/freeze/windows';
import { ConfigError } from '../../../lambdas/shared/errors';
import { setConfigForTesting } from '../../../lambdas/shared/config';
import { handler } from '../../../lambdas/steps/check-freeze';
import { startFakeGitlab, type FakeGitlab } from '../../helpers/fake-gitlab';
import { makeConfig, makeRelease } from '../../fixtures/scanners/release';

const weekend: FreezeWindow = {
  name: 'Weekend freeze',
  start: '0 18 * * 5',
  end: '0 8 * * 1',
  timezone: 'Europe/Paris',
  source: 'config',
};
const at = (iso: string) => new Date(iso);

describe('freeze windows in a time zone', () => {
  it('Friday 18:00 Paris in winter (UTC+1): open at 16:30 UTC, frozen at 17:30 UTC until Monday 08:00 Paris', () => {
    expect(freezeState([weekend], at('2026-11-20T16:30:00Z'))).toEqual({ frozen: false });
    expect(freezeState([weekend], at('2026-11-20T17:30:00Z'))).toEqual({
      frozen: true,
      until: '2026-11-23T07:00:00.000Z',
      reason: expect.stringContaining('Weekend freeze (config: "0 18 * * 5" to "0 8 * * 1" Europe/Paris)'),
    });
  });

  it('the same UTC time is already frozen in summer (UTC+2)', () => {
    expect(freezeState([weekend], at('2026-07-03T15:30:00Z')).frozen).toBe(false);
    expect(freezeState([weekend], at('2026-07-03T16:30:00Z'))).toMatchObject({
      frozen: true,
      until: '2026-07-06T06:00:00.000Z',
    });
  });

  it('ends on the right instant across the end of daylight saving time', () => {
    // Starts Friday 23 October 18:00 CEST (16:00 UTC); clocks go back on Sunday the 25th; ends Monday 08:00 CET.
    expect(activeUntil(weekend, at('2026-10-23T16:00:00Z'))?.toISOString()).toBe('2026-10-26T07:00:00.000Z');
    expect(freezeState([weekend], at('2026-10-25T12:00:00Z')).until).toBe('2026-10-26T07:00:00.000Z');
    expect(freezeState([weekend], at('2026-10-26T07:00:00Z'))).toEqual({ frozen: false });
    expect(activeUntil(weekend, at('2026-10-23T15:59:59Z'))).toBeUndefined();
  });

  it('handles a nightly window crossing midnight in another zone', () => {
    const nightly: FreezeWindow = {
      name: 'Tokyo night',
      start: '0 22 * * *',
      end: '0 6 * * *',
      timezone: 'Asia/Tokyo',
      source: 'config',
    };
    // 23:30 Tokyo = 14:30 UTC: frozen until 06:00 Tokyo = 21:00 UTC.
    expect(freezeState([nightly], at('2026-11-20T14:30:00Z')).until).toBe('2026-11-20T21:00:00.000Z');
    expect(freezeState([nightly], at('2026-11-20T21:30:00Z')).frozen).toBe(false);
  });

  it('follows back-to-back windows to the first moment nothing is frozen', () => {
    const holidays: FreezeWindow = {
      name: 'Holidays',
      start: '0 7 23 11 *',
      end: '0 9 24 11 *',
      timezone: 'UTC',
      source: 'config',
    };
    expect(freezeState([weekend, holidays], at('2026-11-21T12:00:00Z'))).toMatchObject({
      frozen: true,
      until: '2026-11-24T09:00:00.000Z',
      reason: expect.stringContaining('Holidays'),
    });
  });

  it('rejects a bad cron expression or time zone with a message naming the window', () => {
    expect(() => validateWindow({ ...weekend, start: '0 18 * *' })).toThrow(
      'Freeze window "Weekend freeze": invalid start cron "0 18 * *": expected 5 fields (minute hour day month weekday), got 4',
    );
    expect(() => validateWindow({ ...weekend, timezone: 'Europe/Pariss' })).toThrow(ConfigError);
    expect(() => validateWindow({ ...weekend, end: '0 25 * * 1' })).toThrow(
      /invalid end cron "0 25 \* \* 1"/,
    );
  });
});

describe('check freeze step', () => {
  let gitlab: FakeGitlab;
  const release = makeRelease();
  const config = makeConfig({
    environments: [
      { name: 'staging', approval: { approvers: ['alice'] } },
      {
        name: 'production',
        approval: { approvers: ['alice'] },
        freezes: [
          { name: 'Weekend freeze', start: '0 18 * * 5', end: '0 8 * * 1', timezone: 'Europe/Paris' },
        ],
      },
    ],
  });
  const logger = { warn: jest.fn(), info: jest.fn() };
  const api = () => gitlabClient({ url: gitlab.url, token: gitlab.token }, 300);

  beforeEach(async () => {
    logger.warn.mockClear();
    gitlab = await startFakeGitlab();
  });
  afterEach(() => gitlab.stop());

  it('waits on a config window of the environment only', async () => {
    const now = () => Date.parse('2026-11-20T17:30:00Z');
    const prod = await checkFreeze(
      { environment: 'production', release },
      { config, gitlab: api(), now, logger },
    );
    expect(prod).toMatchObject({ frozen: true, until: '2026-11-23T07:00:00.000Z' });
    expect(prod.reason).toMatch(/^production: Deploy freeze until 2026-11-23T07:00:00.000Z: Weekend freeze/);
    expect(
      await checkFreeze({ environment: 'staging', release }, { config, gitlab: api(), now, logger }),
    ).toEqual({ frozen: false });
  });

  it("honours the project's GitLab cron freeze period in its time zone", async () => {
    gitlab.addFreezePeriod(7, '0 23 * * 5', '0 7 * * 1', 'America/New_York');
    // Friday 23:00 New York (EST, UTC-5) = Saturday 04:00 UTC.
    const before = await checkFreeze(
      { environment: 'staging', release },
      { config, gitlab: api(), now: () => Date.parse('2026-11-21T03:30:00Z'), logger },
    );
    expect(before).toEqual({ frozen: false });
    const during = await checkFreeze(
      { environment: 'staging', release },
      { config, gitlab: api(), now: () => Date.parse('2026-11-21T04:30:00Z'), logger },
    );
    expect(during).toMatchObject({ frozen: true, until: '2026-11-23T12:00:00.000Z' });
    expect(during.reason).toContain('GitLab freeze period');
    expect(gitlab.requestsTo('GET', /^\/projects\/7\/freeze_periods$/).length).toBe(2);
  });

  it('fails with DeployFrozen when the environment says onFreeze: fail', async () => {
    const strict = makeConfig({
      environments: [
        { name: 'staging', approval: { approvers: ['alice'] } },
        {
          name: 'production',
          approval: { approvers: ['alice'] },
          freezes: [{ start: '0 18 * * 5', end: '0 8 * * 1', timezone: 'Europe/Paris' }],
          onFreeze: 'fail',
        },
      ],
    });
    const error = await checkFreeze(
      { environment: 'production', release },
      {
        config: strict,
        gitlab: null,
        now: () => Date.parse('2026-11-21T10:00:00Z'),
      },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeployFrozen);
    expect((error as Error).name).toBe('DeployFrozen');
    expect((error as Error).message).toMatch(
      /^production is frozen\. Deploy freeze until 2026-11-23T07:00:00.000Z: production freeze 1 .*onFreeze policy is "fail"/,
    );
  });

  it('keeps the config windows and does not block when GitLab is down', async () => {
    gitlab.fail({ path: /freeze_periods/, status: 503 });
    const result = await checkFreeze(
      { environment: 'production', release },
      {
        config,
        gitlab: api(),
        now: () => Date.parse('2026-11-20T17:30:00Z'),
        retry: { attempts: 2, backoffMs: 10, timeoutMs: 300 },
        logger,
      },
    );
    expect(result.frozen).toBe(true);
    expect(logger.warn).toHaveBeenCalledWith(
      'GitLab freeze periods lookup failed; continuing without it',
      expect.anything(),
    );
  });

  it('validates the step payload', async () => {
    setConfigForTesting(config);
    await expect(handler({ environment: 'production' })).rejects.toThrow(
      /Check freeze payload is invalid:\nrelease:/,
    );
    setConfigForTesting(undefined);
  });
});
