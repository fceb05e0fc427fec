import type { ShipgateConfig } from '../../lambdas/shared/config';
import { buildLambdaBundles, type LambdaBundles } from '../../lib/build/lambda-bundles';
import { readConfigDocument } from '../../lib/config-document';
import { SandboxStartError } from '../start-error';
import type { LambdaBinding } from './lambda';

/** The release workflow as `renderLocalDefinition(config)` returns it. */
export interface LocalWorkflow {
  definition: { StartAt: string; States: Record<string, Record<string, unknown> & { Type: string }> };
  tasks: Record<string, LambdaBinding>;
  stateMachineName: string;
  /** The manual rollback state machine (absent in workflows tests inject). */
  rollback?: {
    definition: { StartAt: string; States: Record<string, Record<string, unknown> & { Type: string }> };
    tasks: Record<string, LambdaBinding>;
    stateMachineName: string;
  };
}

/** What `loadReleaseWorkflow` reads. */
export interface ReleaseWorkflowSource {
  config: ShipgateConfig;
  configPath: string;
  configDocument?: unknown;
  renderWorkflow?: (config: ShipgateConfig) => LocalWorkflow;
  /**
   * The function version the rendered Task states invoke (each sandbox upgrade publishes the next).
   * @default '1'
   */
  functionVersion?: string;
}

/**
 * Renders the release state machine from the config and builds the Lambda bundles `cdk synth` packages (the
 * config document inlined the same way). With the default renderer every task runs its built bundle; an
 * injected workflow (executor tests) runs the handler files its `tasks` name.
 */
export function loadReleaseWorkflow(source: ReleaseWorkflowSource): {
  workflow: LocalWorkflow;
  bundles: LambdaBundles;
} {
  const renderWorkflow =
    source.renderWorkflow ??
    ((config: ShipgateConfig) => {
      // Loaded lazily: CDK is heavy, and tests may inject their own workflow.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const mod = require('../../lib/workflow/render') as {
        renderLocalDefinition(c: ShipgateConfig, o: { functionVersion?: string }): LocalWorkflow;
      };
      return mod.renderLocalDefinition(config, { functionVersion: source.functionVersion });
    });
  try {
    let workflow = renderWorkflow(source.config);
    const document = source.configDocument ?? readConfigDocument(source.configPath).document;
    const bundles = buildLambdaBundles(document);
    if (!source.renderWorkflow) {
      // The rendered tasks name handler sources; run what AWS runs instead.
      const built = (tasks: Record<string, LambdaBinding>) =>
        Object.fromEntries(
          Object.entries(tasks).map(([arn, t]) => [
            arn,
            { step: t.step, entry: bundles.bundles[t.step as keyof typeof bundles.bundles].file },
          ]),
        );
      workflow = {
        ...workflow,
        tasks: built(workflow.tasks),
        ...(workflow.rollback
          ? { rollback: { ...workflow.rollback, tasks: built(workflow.rollback.tasks) } }
          : {}),
      };
    }
    return { workflow, bundles };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'MODULE_NOT_FOUND') {
      throw new SandboxStartError(
        `A dependency is missing (${e.message.split('\n')[0]}); run "npm ci" in the repository and start again.`,
      );
    }
    throw new SandboxStartError(
      `Cannot build the release state machine from the config: ${e.message}. Check the config with "npx shipgate config check".`,
    );
  }
}
