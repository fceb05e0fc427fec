import type { ShipgateConfig } from '../../lambdas/shared/config';
import { contractParameterName } from '../../lambdas/shared/contract';
import type { Emulators } from '../aws/emulators';
import { ofEnvironment } from '../seed-accounts';
import type { RunningService } from './pages';

/** The (environment, service) pairs to watch for rollouts, with their cluster and ECS service from the contracts. */
export function rolloutTargets(
  config: ShipgateConfig,
  emulators: Emulators,
  filter: { environment?: string; services?: string[] },
): { environment: string; service: string; cluster: string; ecsService: string }[] {
  return config.environments
    .filter((e) => !filter.environment || e.name === filter.environment)
    .flatMap((e) =>
      Object.keys(config.services)
        .filter((service) => !filter.services || filter.services.includes(service))
        .flatMap((service) => {
          const text = ofEnvironment(config, emulators, e.name).ssm.value(
            contractParameterName(config.contractsPrefix, e.name, service),
          );
          if (!text) return [];
          const c = JSON.parse(text) as { cluster: string; service: string };
          return [{ environment: e.name, service, cluster: c.cluster, ecsService: c.service }];
        }),
    );
}

/**
 * What runs where: for every (environment, service) of the config, read through its deploy contract from
 * the emulated ECS and ECR (task definition, image digest, rollout state of the PRIMARY deployment).
 */
export function runningServices(config: ShipgateConfig, emulators: Emulators): RunningService[] {
  return config.environments.flatMap((e) =>
    Object.keys(config.services).map((service) => {
      // Each environment's ECS and SSM are its account's; images come from Shipgate's registry.
      const { ecs, ssm } = ofEnvironment(config, emulators, e.name);
      const contractText = ssm.value(contractParameterName(config.contractsPrefix, e.name, service));
      const contract = contractText
        ? (JSON.parse(contractText) as {
            cluster: string;
            service: string;
            containerName: string;
            smokeUrl: string;
          })
        : undefined;
      const svc = contract ? ecs.findService(contract.cluster, contract.service) : undefined;
      const td = contract ? ecs.runningTaskDefinition(contract.cluster, contract.service) : undefined;
      const containers = (td?.body.containerDefinitions ?? []) as { name: string; image: string }[];
      const image =
        (containers.find((c) => c.name === contract?.containerName) ?? containers[0])?.image ?? '';
      const found = image ? emulators.ecr.resolveReference(image) : undefined;
      const primary = svc?.deployments.find((d) => d.status === 'PRIMARY');
      return {
        environment: e.name,
        service,
        cluster: contract?.cluster ?? '',
        taskDefinition: td?.arn ?? '',
        digest: found?.image.digest ?? (image.includes('@') ? image.slice(image.indexOf('@') + 1) : ''),
        rolloutState: primary?.rolloutState ?? 'MISSING',
        deployments: svc?.deployments.length ?? 0,
        smokeUrl: contract?.smokeUrl,
      };
    }),
  );
}
