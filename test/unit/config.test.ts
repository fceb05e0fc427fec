import { loadConfig, parseConfig, rolloutSettings } from '../../lambdas/shared/config';
import { ConfigError } from '../../lambdas/shared/errors';

describe('configuration', () => {
  it('loads the example config for the three sample services', () => {
    const config = loadConfig('shipgate.config.yaml');
    expect(config.projects.map((p) => p.path)).toEqual([
      'root/api-gateway',
      'root/inventory-app',
      'root/billing-app',
    ]);
    expect(config.environments.map((e) => e.name)).toEqual(['staging', 'production']);
    expect(config.environments[0].approval.timeout).toBe(24 * 3600);
    expect(rolloutSettings(config, 'billing-app', 'production')).toMatchObject({
      strategy: 'CANARY',
      bakeTime: 300,
    });
    expect(rolloutSettings(config, 'api-gateway', 'production').strategy).toBe('ROLLING');
  });

  it('keys approvers by GitLab username and refuses the old shape (gitlab: under a key) saying how to migrate', () => {
    const config = loadConfig('shipgate.config.yaml');
    expect(Object.keys(config.approvers)).toEqual(['alice', 'bob', 'carol']);
    expect(config.gitlab.oidc).toEqual({ clientId: 'shipgate' });
    const old = structuredClone(loadRaw());
    (old.approvers as Record<string, Record<string, unknown>>).alice.gitlab = 'alice';
    expect(() => parseConfig(old)).toThrow(
      /approvers\.alice\.gitlab: approvers are keyed by their GitLab username now .*remove "gitlab:"/,
    );
    const notUsername = structuredClone(loadRaw());
    (notUsername.approvers as Record<string, unknown>)['Alice Smith'] = { name: 'Alice' };
    expect(() => parseConfig(notUsername)).toThrow(/expected a GitLab username/);
  });

  it('names the path and what was expected for a wrong value', () => {
    const raw = structuredClone(loadRaw());
    (raw.environments as { approval: { quorum: unknown } }[])[1].approval.quorum = 'two';
    expect(() => parseConfig(raw)).toThrow(ConfigError);
    expect(() => parseConfig(raw)).toThrow(/environments\[1\]\.approval\.quorum: .*expected number/i);
  });

  it('reports shape errors and cross-field errors in one run (the README example)', () => {
    const raw = structuredClone(loadRaw());
    const envs = raw.environments as { approval: { quorum: unknown; approvers: string[] } }[];
    envs[1].approval.quorum = 'two';
    envs[0].approval.approvers.push('mallory');
    let message = '';
    try {
      parseConfig(raw);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/environments\[1\]\.approval\.quorum: .*expected number, received string/);
    expect(message).toMatch(
      /environments\[0\]\.approval\.approvers\[3\]: unknown approver "mallory"; expected one of: alice, bob, carol/,
    );
  });

  it('rejects unknown approvers, services and keys with their paths', () => {
    const raw = structuredClone(loadRaw());
    (raw.environments as { approval: { approvers: string[] } }[])[0].approval.approvers.push('mallory');
    (raw.projects as { services: string[] }[])[0].services.push('nope');
    (raw as Record<string, unknown>).colour = 'blue';
    let message = '';
    try {
      parseConfig(raw);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/environments\[0\]\.approval\.approvers\[3\]: unknown approver "mallory"/);
    expect(message).toMatch(/projects\[0\]\.services\[1\]: unknown service "nope"/);
    expect(message).toMatch(/\(root\): Unrecognized key: "colour"/);
  });

  it('refuses a rollout lock lease shorter than a rollout may hold the lock', () => {
    const raw = structuredClone(loadRaw());
    (raw as { rollout: Record<string, unknown> }).rollout = {
      timeout: '30m',
      eventGrace: '5m',
      lockLease: '20m',
    };
    expect(() => parseConfig(raw)).toThrow(
      /rollout\.lockLease: lock lease of 1200 s is shorter than the 2100 s a rollout may hold its lock \(rollout\.timeout 1800 s \+ rollout\.eventGrace 300 s\); expected at least 2100 s/,
    );
    // The example's billing-app may also wait up to 30m at each of its two pauses (before the canary step and
    // before the rest, PRE_PRODUCTION_TRAFFIC_SHIFT): 30m + 5m + 2 × 30m.
    (raw as { rollout: Record<string, unknown> }).rollout.lockLease = '35m';
    expect(() => parseConfig(raw)).toThrow(
      /rollout\.lockLease: lock lease of 2100 s is shorter than the 5700 s a rollout of "billing-app" in "production" may hold its lock \(rollout\.timeout 1800 s \+ rollout\.eventGrace 300 s \+ 3600 s of pauses\)/,
    );
    (raw as { rollout: Record<string, unknown> }).rollout.lockLease = '95m';
    expect(parseConfig(raw).rollout.lockLease).toBe(5700);
  });

  it('refuses what ECS would refuse at UpdateService, naming the path and the limit', () => {
    const raw = structuredClone(loadRaw());
    const prod = (raw.services as Record<string, { environments: Record<string, Record<string, unknown>> }>)[
      'billing-app'
    ].environments.production;
    prod.canaryPercent = 12.25;
    expect(() => parseConfig(raw)).toThrow(
      /services\.billing-app\.environments\.production\.canaryPercent: expected a percentage from 0\.1 to 100 in steps of 0\.1.*received 12\.25/,
    );
    prod.canaryPercent = 12.5;
    expect(() => parseConfig(raw)).not.toThrow();
    // ECS: "Valid values are multiples of 0.1 from 3.0 to 100.0" (LinearConfiguration.stepPercent).
    for (const bad of [2, 2.9, 33.33, 100.1]) {
      prod.linearStepPercent = bad;
      expect(() => parseConfig(raw)).toThrow(
        new RegExp(
          `services\\.billing-app\\.environments\\.production\\.linearStepPercent: expected a multiple of 0\\.1 from 3 to 100, as ECS linearConfiguration\\.stepPercent accepts; received ${bad}`,
        ),
      );
    }
    for (const good of [3, 33.3, 12.3, 100]) {
      prod.linearStepPercent = good;
      expect(() => parseConfig(raw)).not.toThrow();
    }
    delete prod.linearStepPercent;
    prod.canaryPercent = 0.05;
    expect(() => parseConfig(raw)).toThrow(
      /canaryPercent: expected a percentage from 0\.1 to 100 in steps of 0\.1.*received 0\.05/,
    );
    prod.canaryPercent = 0.1;
    expect(() => parseConfig(raw)).not.toThrow();
    delete prod.canaryPercent;
    prod.bakeTime = '25h';
    expect(() => parseConfig(raw)).toThrow(
      /production\.bakeTime: expected at most 1440 minutes \(24h\).*received 90000 s/,
    );
  });

  it('explains a missing file and how to fix it', () => {
    expect(() => loadConfig('/nonexistent/shipgate.yaml')).toThrow(
      /Cannot read the Shipgate config.*SHIPGATE_CONFIG/,
    );
  });
});

function loadRaw(): Record<string, unknown> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { parse } = require('yaml') as typeof import('yaml');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { readFileSync } = require('node:fs') as typeof import('node:fs');
  return parse(readFileSync('shipgate.config.yaml', 'utf8'));
}
