import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import type { SfnEmulator } from './aws/sfn';
import { functionBindings } from './handlers/functions';
import type { LocalLambdas } from './workflow/lambda';
import { loadReleaseWorkflow, type LocalWorkflow, type ReleaseWorkflowSource } from './workflow/release';

/** What one sandbox upgrade did. */
export interface UpgradeResult {
  /** False when the new build equals the running one: nothing was published (as a no-op deploy). */
  changed: boolean;
  /** The function version every function now runs on `live` (Task states of new executions name it). */
  functionVersion: string;
  /** Content hash of the bundles now live (lib/build/lambda-bundles.ts). */
  bundleHash: string;
  /** Whether esbuild built the bundles (false: taken from the cache). */
  built: boolean;
  /** The state machine versions `live` points at now. */
  stateMachineVersions: string[];
  /** Executions still running on an older version: they keep their code to the end. */
  runningOnOlderVersions: number;
}

/** What an upgrade reads and publishes to. */
export interface UpgradeTargets {
  source: ReleaseWorkflowSource;
  lambdas: LocalLambdas;
  sfn: SfnEmulator;
  environments: readonly string[];
  rolloutEventsEntry?: string;
}

/**
 * Rolls a new build out in a running sandbox, as `cdk deploy` does on AWS (docs/architecture.md, "Upgrading
 * Shipgate"): rebuilds the Lambda bundles from the working tree and renders the state machines again with
 * Task states naming the next function version; publishes that version of every function (its own bundle
 * directory) and a new version of each state machine, and moves the aliases `live` to them. Executions that
 * started before keep their state machine version, whose Task states name the function versions, hence the
 * bundles, they started with; new executions start through `live` and get the new ones. The build runs
 * before anything is published: a build that fails changes nothing.
 */
export class SandboxUpgrades {
  private version = 1;
  private bundleHash: string;
  private definitionText: string;
  private running: Promise<UpgradeResult> | undefined;

  constructor(
    private readonly targets: UpgradeTargets,
    current: { workflow: LocalWorkflow; bundleHash: string },
  ) {
    this.bundleHash = current.bundleHash;
    this.definitionText = definitionsText(current.workflow);
  }

  /** The function version new executions run. */
  get currentVersion(): string {
    return String(this.version);
  }

  /** Upgrades to the build of the working tree; a second call while one runs waits for it and runs after. */
  upgrade(): Promise<UpgradeResult> {
    const run = (this.running ?? Promise.resolve()).then(
      () => this.upgradeNow(),
      () => this.upgradeNow(),
    );
    this.running = run;
    void run.finally(() => {
      if (this.running === run) this.running = undefined;
    });
    return run;
  }

  private upgradeNow(): UpgradeResult {
    const { source, lambdas, sfn, environments } = this.targets;
    const next = String(this.version + 1);
    const { workflow, bundles } = loadReleaseWorkflow({ ...source, functionVersion: next });
    // Compared with the version number factored out: only code or definition changes publish anew.
    const text = definitionsText(workflow, next);
    const running = sfn.executions().filter((e) => e.status === 'RUNNING');
    if (bundles.hash === this.bundleHash && text === this.definitionText) {
      return {
        changed: false,
        functionVersion: String(this.version),
        bundleHash: bundles.hash,
        built: bundles.built,
        stateMachineVersions: this.liveVersions(workflow),
        runningOnOlderVersions: running.filter((e) => !this.isLive(e.stateMachineVersionArn, workflow))
          .length,
      };
    }
    lambdas.publish(functionBindings(workflow, bundles, environments, next, this.targets.rolloutEventsEntry));
    sfn.registerStateMachine(
      workflow.stateMachineName,
      workflow.definition as unknown as StateMachineDefinition,
      lambdas,
    );
    if (workflow.rollback) {
      sfn.registerStateMachine(
        workflow.rollback.stateMachineName,
        workflow.rollback.definition as unknown as StateMachineDefinition,
        lambdas,
      );
    }
    this.version = Number(next);
    this.bundleHash = bundles.hash;
    this.definitionText = text;
    return {
      changed: true,
      functionVersion: next,
      bundleHash: bundles.hash,
      built: bundles.built,
      stateMachineVersions: this.liveVersions(workflow),
      runningOnOlderVersions: running.length,
    };
  }

  private liveVersions(workflow: LocalWorkflow): string[] {
    const names = [workflow.stateMachineName, workflow.rollback?.stateMachineName].filter(Boolean);
    return this.targets.sfn
      .stateMachines()
      .filter((m) => names.includes(m.name))
      .map((m) => `${m.arn}:${m.version}`);
  }

  private isLive(versionArn: string | undefined, workflow: LocalWorkflow): boolean {
    return versionArn !== undefined && this.liveVersions(workflow).includes(versionArn);
  }
}

/** Both definitions as text with the function version written as `<v>`, to compare builds. */
function definitionsText(workflow: LocalWorkflow, version = '1'): string {
  const text = JSON.stringify([workflow.definition, workflow.rollback?.definition ?? null]);
  return text.split(`:${version}"`).join(':<v>"');
}
