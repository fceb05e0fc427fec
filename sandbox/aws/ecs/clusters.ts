import { AwsServiceError, epochSeconds } from '../protocol';
import { paginateUnordered } from '../variation';
import type { EcsContext } from './context';
import { arnPrefix, shortName } from './model';

/** Clusters: CreateCluster, DescribeClusters, ListClusters, and the lookup every service call starts with. */

/** The Cluster shape the API returns, with task counts summed over the cluster's services. */
export function clusterJson(ctx: EcsContext, c: { name: string; arn: string }) {
  const services = Object.values(ctx.store.data.services).filter((s) => s.cluster === c.name);
  return {
    clusterArn: c.arn,
    clusterName: c.name,
    status: 'ACTIVE',
    activeServicesCount: services.length,
    runningTasksCount: services.reduce(
      (n, s) => n + s.deployments.reduce((m, d) => m + d.runningCount, 0),
      0,
    ),
    pendingTasksCount: services.reduce(
      (n, s) => n + s.deployments.reduce((m, d) => m + d.pendingCount, 0),
      0,
    ),
    registeredContainerInstancesCount: 0,
    capacityProviders: ['FARGATE', 'FARGATE_SPOT'],
  };
}

/** Creates a cluster if it does not exist yet (used by seeding and `CreateCluster`). */
export function ensureCluster(
  ctx: EcsContext,
  input: Record<string, unknown>,
): { name: string; arn: string; createdAt: number } {
  const name = typeof input.clusterName === 'string' && input.clusterName ? input.clusterName : 'default';
  let cluster = ctx.store.data.clusters[name];
  if (!cluster) {
    cluster = { name, arn: `${arnPrefix(ctx)}:cluster/${name}`, createdAt: epochSeconds() };
    ctx.store.data.clusters[name] = cluster;
    ctx.store.changed();
  }
  return cluster;
}

/** The cluster a call names (by name or ARN; `default` when absent). @throws ClusterNotFoundException */
export function cluster(ctx: EcsContext, value: unknown): { name: string; arn: string } {
  const name = typeof value === 'string' && value ? shortName(value) : 'default';
  const found = ctx.store.data.clusters[name];
  if (!found) throw new AwsServiceError('ClusterNotFoundException', 'Cluster not found.');
  return found;
}

/** DescribeClusters. */
export function describeClusters(ctx: EcsContext, input: Record<string, unknown>) {
  const names = Array.isArray(input.clusters) ? (input.clusters as string[]) : ['default'];
  const clusters: unknown[] = [];
  const failures: unknown[] = [];
  for (const n of names) {
    const c = ctx.store.data.clusters[shortName(n)];
    if (c) clusters.push(clusterJson(ctx, c));
    else
      failures.push({ arn: n.startsWith('arn:') ? n : `${arnPrefix(ctx)}:cluster/${n}`, reason: 'MISSING' });
  }
  return { clusters, failures };
}

/** ListClusters. */
export function listClusters(ctx: EcsContext, input: Record<string, unknown>) {
  const arns = Object.values(ctx.store.data.clusters).map((c) => c.arn);
  const { page, nextToken } = paginateUnordered(arns.sort(), input.maxResults, input.nextToken);
  return { clusterArns: page, nextToken };
}
