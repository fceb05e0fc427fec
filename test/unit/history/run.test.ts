import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type ShipgateConfig } from '../../../lambdas/shared/config';
import { runHistory } from '../../../sandbox/history/run';

const configPath = join(__dirname, '..', '..', '..', 'shipgate.config.yaml');
const config = loadConfig(configPath, { ...process.env, SHIPGATE_CONFIG_JSON: undefined });

describe('runHistory refuses what it cannot do, and changes nothing', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'shipgate-history-unit-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const run = (c: ShipgateConfig, stateDir: string) =>
    runHistory({ config: c, configPath, stateDir, days: 7, print: () => undefined });

  it('a state dir that already holds a sandbox', async () => {
    mkdirSync(join(dir, 'aws', 'executions'), { recursive: true });
    writeFileSync(join(dir, 'aws', 'executions', 'x.json'), '{}');
    await expect(run(config, dir)).rejects.toThrow(/already holds a sandbox's data \(aws\/executions\)/);
    expect(readdirSync(dir)).toEqual(['aws']);
  });

  it('a config with deploy freezes', async () => {
    const frozen = {
      ...config,
      environments: config.environments.map((e) =>
        e.name === 'production'
          ? { ...e, freezes: [{ name: 'Weekend', start: '0 18 * * 5', end: '0 8 * * 1', timezone: 'UTC' }] }
          : e,
      ),
    } as ShipgateConfig;
    await expect(run(frozen, join(dir, 'state'))).rejects.toThrow(
      '--history needs a config without deploy freezes (production has some)',
    );
    expect(readdirSync(dir)).toEqual([]);
  });
});
