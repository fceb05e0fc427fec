import type { ShipgateConfig } from '../lambdas/shared/config';
import { contractParameterName } from '../lambdas/shared/contract';
import type { Emulators } from './aws/emulators';
import { ofEnvironment } from './seed-accounts';
import type { RunningService } from './console/pages';

/**
 * The emulated services' HTTP endpoints (smoke checks): 200 unless the image running there is annotated
 * `unhealthy` (then 503). With `testTraffic`, the blue/green family's test listener: it answers for the
 * target revision once ECS moved test traffic to it.
 */
export function serviceEndpoints(
  config: ShipgateConfig,
  emulators: Emulators,
  runningServices: () => RunningService[],
): (environment: string, service: string, path: string, testTraffic?: boolean) => Response {
  return (environment, service, path, testTraffic = false) => {
    const running = runningServices().find((s) => s.environment === environment && s.service === service);
    if (!running || !running.taskDefinition) {
      return Response.json({ error: `No service ${service} in ${environment}` }, { status: 404 });
    }
    if (testTraffic) {
      const { ssm, ecs } = ofEnvironment(config, emulators, environment);
      const contract = JSON.parse(
        ssm.value(contractParameterName(config.contractsPrefix, environment, service)) ?? '{}',
      ) as { cluster?: string; service?: string };
      const td = ecs.testTrafficTaskDefinition(contract.cluster ?? '', contract.service ?? '');
      const image = (td?.body.containerDefinitions as { image?: string }[] | undefined)?.[0]?.image ?? '';
      if (image.includes('@')) running.digest = image.slice(image.indexOf('@') + 1);
    }
    const image = emulators.ecr.resolveReference(
      `${emulators.ecr.repositories().find((r) => r.images.some((i) => i.digest === running.digest))?.name ?? ''}@${running.digest}`,
    );
    const unhealthy = image ? emulators.ecr.behaviour(image.image).rollout === 'unhealthy' : false;
    const body = {
      service,
      environment,
      digest: running.digest,
      path,
      status: unhealthy ? 'unhealthy' : 'ok',
    };
    return Response.json(body, { status: unhealthy ? 503 : 200 });
  };
}
