import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { parseConfig } from '../../../lambdas/shared/config';
import { parseDuration } from '../../../lambdas/shared/duration';
import { requestManualRollback } from '../../../lambdas/domain/rollback/request';
import { doraReport } from '../../../lambdas/domain/ledger/report';

/** Issue 27, item 5: durations have an upper bound; reserved object names are no approvers or services. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a raw YAML document, edited freely per test
type Raw = Record<string, any>;
const raw = () => parse(readFileSync(join(__dirname, '../../../shipgate.config.yaml'), 'utf8')) as Raw;

const messageOf = (f: () => unknown): string => {
  try {
    f();
  } catch (err) {
    return (err as Error).message;
  }
  return '';
};

describe('config bounds (issue 27)', () => {
  it('refuses a duration longer than a Standard workflow may run, naming path and value', () => {
    const config = raw();
    config.environments[1].approval.timeout = '99999999d';
    expect(messageOf(() => parseConfig(config))).toMatch(
      /environments\[1\]\.approval\.timeout: expected a duration of at most 365d \(a Standard workflow runs at most one year\), received "99999999d"/,
    );
    expect(parseDuration('365d')).toBe(365 * 86400);
    expect(() => parseDuration('366d')).toThrow(/at most 365d/);
    expect(() => parseDuration(`${'9'.repeat(400)}s`)).toThrow(/at most 365d/);
  });

  it('`shipgate config check` fails with that message', () => {
    const dir = mkdtempSync(join(tmpdir(), 'shipgate-cfg-'));
    try {
      const config = raw();
      config.environments[1].approval.timeout = '99999999d';
      const file = join(dir, 'shipgate.config.yaml');
      writeFileSync(file, stringify(config));
      let out = '';
      let status = 0;
      try {
        execFileSync(process.execPath, ['bin/shipgate-cli.js', 'config', 'check', file], {
          cwd: join(__dirname, '../../..'),
          encoding: 'utf8',
          stdio: 'pipe',
        });
      } catch (err) {
        const e = err as { status: number; stdout: string; stderr: string };
        status = e.status;
        out = e.stdout + e.stderr;
      }
      expect(status).not.toBe(0);
      expect(out).toMatch(/approval\.timeout: expected a duration of at most 365d/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each(['__proto__', 'constructor', 'toString'])(
    'refuses %s as an approver key and as a referenced approver',
    (name) => {
      const config = raw();
      config.environments[0].approval.approvers.push(name);
      expect(messageOf(() => parseConfig(config))).toMatch(
        new RegExp(`environments\\[0\\]\\.approval\\.approvers\\[\\d+\\]: unknown approver "${name}"`),
      );
      const defined = raw();
      defined.approvers = JSON.parse(JSON.stringify(defined.approvers));
      Object.defineProperty(defined.approvers, name, {
        value: { name: 'X' },
        enumerable: true,
        configurable: true,
        writable: true,
      });
      expect(messageOf(() => parseConfig(defined))).toMatch(/reserved name/);
    },
  );

  it.each(['constructor', 'tostring'])('refuses %s as a service', (name) => {
    const config = raw();
    config.projects[0].services.push(name);
    expect(messageOf(() => parseConfig(config))).toMatch(
      new RegExp(`projects\\[0\\]\\.services\\[\\d+\\]: unknown service "${name}"`),
    );
    const defined = raw();
    defined.services.constructor = defined.services['inventory-app'];
    expect(messageOf(() => parseConfig(defined))).toMatch(
      /services\.constructor: "constructor" is a reserved name/,
    );
  });

  it.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty'])(
    'a rollback or DORA query for service %s is a bad request, not a lookup on Object.prototype',
    async (service) => {
      const config = parseConfig(raw());
      const ddb = { send: jest.fn() };
      await expect(
        requestManualRollback(
          { service, environment: 'production', by: 'alice', reason: 'x' },
          { rollout: { config, ddb: ddb as never, table: 't', now: () => new Date() } },
        ),
      ).rejects.toThrow(/unknown service/);
      await expect(
        doraReport(
          { environment: 'production', window: '30d', service },
          { config, ddb: ddb as never, table: 't' },
        ),
      ).rejects.toThrow(/service must be one of/);
      expect(ddb.send).not.toHaveBeenCalled();
    },
  );
});
