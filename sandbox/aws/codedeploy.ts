import { randomUUID } from 'node:crypto';
import { parse as parseYaml } from 'yaml';
import { JsonStore } from '../store';
import { eventEnvelope, type EventSink } from './eventbridge';
import {
  AwsServiceEmulator,
  AwsServiceError,
  SANDBOX_ACCOUNT,
  SANDBOX_REGION,
  epochSeconds,
  randomHex,
  requireString,
} from './protocol';

/**
 * What CodeDeploy needs of ECS to run an ECS blue/green deployment (the sandbox passes its ECS emulator):
 * resolve the AppSpec's task definition, tell whether its images start, and switch the service over.
 */
export interface EcsDeploymentTarget {
  /** Resolves `family`, `family:revision` or a task-definition ARN; throws when it does not exist. */
  resolveTaskDefinition(ref: string): { arn: string };
  /** Whether a task definition's images start. */
  canStart(taskDefinition: string): boolean;
  /** Makes the replacement task set primary (`succeeded`) or records a failed attempt. */
  applyExternalDeployment(cluster: string, service: string, taskDefinition: string, succeeded: boolean): void;
}

/** A CodeDeploy deployment group bound to an ECS service (what Terraform would create). */
export interface StoredDeploymentGroup {
  application: string;
  deploymentGroup: string;
  cluster: string;
  service: string;
  deploymentGroupId: string;
}

/** A CodeDeploy deployment. */
export interface StoredCodeDeployDeployment {
  deploymentId: string;
  applicationName: string;
  deploymentGroupName: string;
  deploymentConfigName: string;
  status: 'Created' | 'InProgress' | 'Succeeded' | 'Failed' | 'Stopped';
  createTime: number;
  startTime?: number;
  completeTime?: number;
  taskDefinition: string;
  revision: Record<string, unknown>;
  errorInformation?: { code: string; message: string };
  rollbackInfo?: { rollbackDeploymentId?: string; rollbackMessage: string };
  description?: string;
}

/** Persistent CodeDeploy state. */
export interface CodeDeployState {
  groups: Record<string, StoredDeploymentGroup>;
  deployments: Record<string, StoredCodeDeployDeployment>;
}

/**
 * Emulated AWS CodeDeploy for ECS blue/green: `CreateDeployment` with an ECS AppSpec switches the bound
 * service to the AppSpec's task definition (or fails and rolls back when its image does not start),
 * `GetDeployment`, `StopDeployment`, and "CodeDeploy Deployment State-change Notification" events.
 */
export class CodeDeployEmulator implements AwsServiceEmulator {
  readonly targetPrefix = 'CodeDeploy_20141006';
  readonly contentType = 'application/x-amz-json-1.1';
  readonly operations;
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private closed = false;

  constructor(
    private readonly store: JsonStore<CodeDeployState>,
    private readonly ecs: EcsDeploymentTarget,
    private readonly sink: EventSink,
    private readonly phaseMs = 300,
    /** The account whose deployments these are (ARNs and events carry it). */
    readonly account = SANDBOX_ACCOUNT,
  ) {
    this.operations = {
      CreateDeployment: (i: Record<string, unknown>) => this.createDeployment(i),
      GetDeployment: (i: Record<string, unknown>) => ({ deploymentInfo: this.info(this.get(i)) }),
      StopDeployment: (i: Record<string, unknown>) => this.stopDeployment(i),
      GetDeploymentGroup: (i: Record<string, unknown>) => this.getDeploymentGroup(i),
    };
    for (const d of Object.values(this.store.data.deployments)) {
      if (d.status === 'Created' || d.status === 'InProgress') this.schedule(d);
    }
  }

  /** Stops timers (state stays persisted). */
  close(): void {
    this.closed = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  /** Registers a deployment group for an ECS service (seeding). */
  ensureGroup(group: Omit<StoredDeploymentGroup, 'deploymentGroupId'>): void {
    const key = `${group.application}/${group.deploymentGroup}`;
    const existing = this.store.data.groups[key];
    this.store.data.groups[key] = {
      ...group,
      deploymentGroupId: existing?.deploymentGroupId ?? randomUUID(),
    };
    this.store.changed();
  }

  /**
   * GetDeploymentGroup (https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_GetDeploymentGroup.html):
   * the members the sandbox keeps of an ECS blue/green group (`computePlatform` ECS, `ecsServices`).
   */
  private getDeploymentGroup(input: Record<string, unknown>) {
    const application = requireString(input, 'applicationName', 'ApplicationNameRequiredException');
    const name = requireString(input, 'deploymentGroupName', 'DeploymentGroupNameRequiredException');
    const groups = Object.values(this.store.data.groups);
    if (!groups.some((g) => g.application === application)) {
      throw new AwsServiceError(
        'ApplicationDoesNotExistException',
        `No application found for name: ${application}`,
      );
    }
    const g = groups.find((x) => x.application === application && x.deploymentGroup === name);
    if (!g) {
      throw new AwsServiceError(
        'DeploymentGroupDoesNotExistException',
        `No Deployment Group found for name: ${name}`,
      );
    }
    return {
      deploymentGroupInfo: {
        applicationName: g.application,
        deploymentGroupId: g.deploymentGroupId,
        deploymentGroupName: g.deploymentGroup,
        deploymentConfigName: 'CodeDeployDefault.ECSAllAtOnce',
        computePlatform: 'ECS',
        deploymentStyle: { deploymentType: 'BLUE_GREEN', deploymentOption: 'WITH_TRAFFIC_CONTROL' },
        ecsServices: [{ serviceName: g.service, clusterName: g.cluster }],
      },
    };
  }

  private get(input: Record<string, unknown>): StoredCodeDeployDeployment {
    const id = requireString(input, 'deploymentId', 'DeploymentIdRequiredException');
    const d = this.store.data.deployments[id];
    if (!d)
      throw new AwsServiceError(
        'DeploymentDoesNotExistException',
        `The deployment ${id} could not be found.`,
      );
    return d;
  }

  private info(d: StoredCodeDeployDeployment) {
    return {
      applicationName: d.applicationName,
      deploymentGroupName: d.deploymentGroupName,
      deploymentConfigName: d.deploymentConfigName,
      deploymentId: d.deploymentId,
      revision: d.revision,
      status: d.status,
      createTime: d.createTime,
      startTime: d.startTime,
      completeTime: d.completeTime,
      errorInformation: d.errorInformation,
      rollbackInfo: d.rollbackInfo,
      description: d.description,
      creator: 'user',
      computePlatform: 'ECS',
      deploymentStyle: { deploymentType: 'BLUE_GREEN', deploymentOption: 'WITH_TRAFFIC_CONTROL' },
      deploymentOverview: {
        Pending: d.status === 'Created' ? 1 : 0,
        InProgress: d.status === 'InProgress' ? 1 : 0,
        Succeeded: d.status === 'Succeeded' ? 1 : 0,
        Failed: d.status === 'Failed' ? 1 : 0,
        Skipped: 0,
        Ready: 0,
      },
    };
  }

  private createDeployment(input: Record<string, unknown>) {
    const application = requireString(input, 'applicationName', 'ApplicationNameRequiredException');
    const groupName = requireString(input, 'deploymentGroupName', 'DeploymentGroupNameRequiredException');
    const group = this.store.data.groups[`${application}/${groupName}`];
    if (!Object.values(this.store.data.groups).some((g) => g.application === application)) {
      throw new AwsServiceError(
        'ApplicationDoesNotExistException',
        `No application found for name: ${application}`,
      );
    }
    if (!group) {
      throw new AwsServiceError(
        'DeploymentGroupDoesNotExistException',
        `No Deployment Group found for name: ${groupName}`,
      );
    }
    const revision = (input.revision ?? {}) as {
      revisionType?: string;
      appSpecContent?: { content?: string };
    };
    const content = revision.appSpecContent?.content;
    if (revision.revisionType !== 'AppSpecContent' || typeof content !== 'string') {
      throw new AwsServiceError(
        'InvalidRevisionException',
        `The sandbox accepts ECS revisions of revisionType "AppSpecContent" with appSpecContent.content; received revisionType ${JSON.stringify(revision.revisionType ?? null)}.`,
      );
    }
    let taskDefinition: unknown;
    try {
      type Target = { TargetService?: { Properties?: { TaskDefinition?: unknown } } };
      const spec = parseYaml(content) as { Resources?: Record<string, unknown>[] };
      const first = spec.Resources?.[0];
      const target =
        (first as Target | undefined)?.TargetService ??
        (first ? (Object.values(first)[0] as Target | undefined)?.TargetService : undefined);
      taskDefinition = target?.Properties?.TaskDefinition;
    } catch (err) {
      throw new AwsServiceError(
        'InvalidRevisionException',
        `The AppSpec content is not valid YAML or JSON: ${(err as Error).message}`,
      );
    }
    if (typeof taskDefinition !== 'string') {
      throw new AwsServiceError(
        'InvalidRevisionException',
        'The AppSpec has no Resources[0].<name>.TargetService.Properties.TaskDefinition.',
      );
    }
    const td = this.ecs.resolveTaskDefinition(taskDefinition);
    const d: StoredCodeDeployDeployment = {
      deploymentId: `d-${randomHex(5).toUpperCase().slice(0, 9)}`,
      applicationName: application,
      deploymentGroupName: groupName,
      deploymentConfigName:
        typeof input.deploymentConfigName === 'string'
          ? input.deploymentConfigName
          : 'CodeDeployDefault.ECSAllAtOnce',
      status: 'Created',
      createTime: epochSeconds(),
      taskDefinition: td.arn,
      revision: input.revision as Record<string, unknown>,
      description: typeof input.description === 'string' ? input.description : undefined,
    };
    this.store.data.deployments[d.deploymentId] = d;
    this.store.changed();
    this.schedule(d);
    return { deploymentId: d.deploymentId };
  }

  private stopDeployment(input: Record<string, unknown>) {
    const d = this.get(input);
    if (d.status !== 'Created' && d.status !== 'InProgress') {
      throw new AwsServiceError(
        'DeploymentAlreadyCompletedException',
        `The deployment ${d.deploymentId} has already completed.`,
      );
    }
    this.cancel(d);
    d.status = 'Stopped';
    d.completeTime = epochSeconds();
    d.errorInformation = { code: 'MANUAL_STOP', message: 'The deployment was stopped by the user.' };
    if (input.autoRollbackEnabled !== false) {
      d.rollbackInfo = {
        rollbackMessage: 'Traffic stayed on the original task set; the deployment was stopped.',
      };
    }
    this.store.changed();
    this.emit(d, 'STOP');
    return { status: 'Succeeded', statusMessage: 'The deployment was stopped.' };
  }

  private cancel(d: StoredCodeDeployDeployment): void {
    const t = this.timers.get(d.deploymentId);
    if (t) clearTimeout(t);
    this.timers.delete(d.deploymentId);
  }

  private schedule(d: StoredCodeDeployDeployment): void {
    if (this.closed) return;
    const t = setTimeout(() => {
      this.timers.delete(d.deploymentId);
      this.advance(d);
    }, this.phaseMs);
    t.unref();
    this.timers.set(d.deploymentId, t);
  }

  private advance(d: StoredCodeDeployDeployment): void {
    const group = this.store.data.groups[`${d.applicationName}/${d.deploymentGroupName}`];
    if (d.status === 'Created') {
      d.status = 'InProgress';
      d.startTime = epochSeconds();
      this.store.changed();
      this.emit(d, 'START');
      this.schedule(d);
      return;
    }
    if (d.status !== 'InProgress' || !group) return;
    const ok = this.ecs.canStart(d.taskDefinition);
    this.ecs.applyExternalDeployment(group.cluster, group.service, d.taskDefinition, ok);
    d.completeTime = epochSeconds();
    if (ok) {
      d.status = 'Succeeded';
    } else {
      d.status = 'Failed';
      d.errorInformation = {
        code: 'ECS_UPDATE_ERROR',
        message: 'The ECS replacement task set failed to start: essential container exited (exit code 1).',
      };
      d.rollbackInfo = {
        rollbackMessage: 'Automatic rollback: traffic stayed on the original task set.',
      };
    }
    this.store.changed();
    this.emit(d, ok ? 'SUCCESS' : 'FAILURE');
  }

  private emit(d: StoredCodeDeployDeployment, state: string): void {
    const group = this.store.data.groups[`${d.applicationName}/${d.deploymentGroupName}`];
    this.sink(
      eventEnvelope(
        this.account,
        'CodeDeploy Deployment State-change Notification',
        'aws.codedeploy',
        [
          `arn:aws:codedeploy:${SANDBOX_REGION}:${this.account}:application:${d.applicationName}`,
          `arn:aws:codedeploy:${SANDBOX_REGION}:${this.account}:deploymentgroup:${d.applicationName}/${d.deploymentGroupName}`,
        ],
        {
          account: this.account,
          region: SANDBOX_REGION,
          deploymentId: d.deploymentId,
          instanceGroupId: group?.deploymentGroupId ?? '',
          deploymentGroup: d.deploymentGroupName,
          state,
          application: d.applicationName,
        },
      ),
    );
  }
}
