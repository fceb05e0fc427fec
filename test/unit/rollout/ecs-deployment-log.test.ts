import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmulators, type Emulators } from '../../../sandbox/aws/emulators';
import type { EcsState } from '../../../sandbox/aws/ecs';

/**
 * The ECS emulator's deployment log (what `npm run bench` checks for overlapping rollouts): every deployment
 * with its start, end and outcome, and the deployments of the same service that were still in progress
 * when it started. Driven through the emulator's API operations.
 */

const PHASE_MS = 20;
let dir: string;
let emulators: Emulators;
const ecs = () => emulators.ecs.operations as unknown as Record<string, (i: object) => unknown>;
/**
 * Waits until every logged deployment has ended (polling, so a loaded machine only makes it slower, never
 * wrong): the phases run on real timers.
 */
async function settle(): Promise<void> {
  for (let waited = 0; waited < 10_000; waited += PHASE_MS) {
    await new Promise((r) => setTimeout(r, PHASE_MS));
    const log = emulators.ecs.deploymentLog();
    if (log.length > 0 && log.every((e) => e.endedAt !== undefined)) return;
  }
  throw new Error('the emulated deployments did not end within 10 s');
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'shipgate-ecs-log-'));
  emulators = createEmulators({
    stateDir: dir,
    sink: () => undefined,
    sdk: (() => Promise.resolve({})) as never,
    phaseMs: PHASE_MS,
  });
  ecs().CreateCluster({ clusterName: 'staging' });
  for (const tag of ['a', 'b', 'c']) {
    ecs().RegisterTaskDefinition({
      family: 'web',
      containerDefinitions: [{ name: 'web', image: `public.ecr.aws/docker/library/nginx:${tag}` }],
    });
  }
  ecs().CreateService({
    cluster: 'staging',
    serviceName: 'web',
    taskDefinition: 'web:1',
    desiredCount: 1,
    deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: true } },
  });
});
afterEach(() => {
  emulators.close();
  rmSync(dir, { recursive: true, force: true });
});

it('logs sequential rollouts without overlap, each COMPLETED with its interval', async () => {
  await settle();
  ecs().UpdateService({ cluster: 'staging', service: 'web', taskDefinition: 'web:2' });
  await settle();
  ecs().UpdateService({ cluster: 'staging', service: 'web', taskDefinition: 'web:3' });
  await settle();
  const log = emulators.ecs.deploymentLog();
  expect(log.map((e) => [e.taskDefinition.split('/').pop(), e.kind, e.outcome, e.overlapped])).toEqual([
    ['web:1', 'update', 'COMPLETED', []],
    ['web:2', 'update', 'COMPLETED', []],
    ['web:3', 'update', 'COMPLETED', []],
  ]);
  for (const e of log) expect(e.endedAt! - e.startedAt).toBeGreaterThanOrEqual(PHASE_MS * 2 - 5);
  expect(log[1].startedAt).toBeGreaterThanOrEqual(log[0].endedAt!);
});

it('records an UpdateService during an in-progress rollout as an overlap, and the older one SUPERSEDED', async () => {
  await settle();
  ecs().UpdateService({ cluster: 'staging', service: 'web', taskDefinition: 'web:2' });
  ecs().UpdateService({ cluster: 'staging', service: 'web', taskDefinition: 'web:3' });
  await settle();
  const [, second, third] = emulators.ecs.deploymentLog();
  expect(second.outcome).toBe('SUPERSEDED');
  expect(third.overlapped).toEqual([second.deploymentId]);
  expect(third.outcome).toBe('COMPLETED');
});

it('is persisted in the state dir with the rest of the ECS state', async () => {
  await settle();
  emulators.flush();
  const state = JSON.parse(readFileSync(join(dir, 'aws', 'ecs.json'), 'utf8')) as EcsState;
  expect(state.deploymentLog).toHaveLength(1);
});
