import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import type { LocalLambdas } from '../workflow/lambda';
import { AwsServiceError, SANDBOX_ACCOUNT, SANDBOX_REGION, epochSeconds, paginate } from './protocol';
import { withExplicitTimeouts } from './sfn-definition';
import type { LocalStateMachine } from './sfn-model';

/** The alias new executions start through: the version the last deploy (a sandbox upgrade) published. */
export const WORKFLOW_ALIAS = 'live';

/** What a StartExecution ARN resolves to: the definition to run and the version or alias it names. */
export interface ResolvedStateMachine {
  /** The state machine version to run (its `arn` is the unqualified state machine ARN). */
  machine: LocalStateMachine;
  /** Set when started with a version or alias ARN (DescribeExecution's `stateMachineVersionArn`). */
  versionArn?: string;
  /** Set when started with an alias ARN (DescribeExecution's `stateMachineAliasArn`). */
  aliasArn?: string;
}

interface Published {
  /** The newest definition: what an unqualified ARN starts. */
  latest: LocalStateMachine;
  /** Version number → that version (immutable). */
  versions: Map<string, LocalStateMachine>;
  /** Alias name → version number. */
  aliases: Map<string, string>;
}

/**
 * The state machines of the Step Functions emulator, with versions and aliases as AWS keeps them ("State
 * machine versions and aliases", developer guide): every registration publishes a new version and moves the
 * alias `live` to it, the way a deploy of the stack does (`AWS::StepFunctions::StateMachineVersion` behind
 * `AWS::StepFunctions::StateMachineAlias`). A version keeps its definition and the Lambda functions it was
 * registered with; an execution runs the version it started on to its end.
 */
export class StateMachineRegistry {
  private readonly machines = new Map<string, Published>();

  /**
   * Publishes `definition` as the next version of the state machine `name` (created on first use) and
   * points `live` at it. Validates the definition first, so a broken one changes nothing.
   */
  publish(name: string, definition: StateMachineDefinition, lambdas: LocalLambdas): LocalStateMachine {
    // Validate now, so a broken definition fails at start-up (or upgrade), not at the first release. Also the
    // form each execution runs (explicit timeouts), which the emulator then does not validate again:
    // asl-validator compiles its JSON schema on every check, ~170 ms of CPU per execution (bench/README.md).
    new StateMachine(definition, { validationOptions: { checkArn: false } });
    new StateMachine(withExplicitTimeouts(definition), { validationOptions: { checkArn: false } });
    const arn = `arn:aws:states:${SANDBOX_REGION}:${SANDBOX_ACCOUNT}:stateMachine:${name}`;
    const existing = this.machines.get(arn);
    const version = String((existing?.versions.size ?? 0) + 1);
    const machine: LocalStateMachine = {
      name,
      arn,
      definition,
      definitionText: JSON.stringify(definition, null, 2),
      createdAt: existing?.latest.createdAt ?? epochSeconds(),
      lambdas,
      version,
      versionCreatedAt: epochSeconds(),
    };
    const published = existing ?? { latest: machine, versions: new Map(), aliases: new Map() };
    published.latest = machine;
    published.versions.set(version, machine);
    published.aliases.set(WORKFLOW_ALIAS, version);
    this.machines.set(arn, published);
    return machine;
  }

  /** The newest version of every state machine. */
  list(): LocalStateMachine[] {
    return [...this.machines.values()].map((p) => p.latest);
  }

  /**
   * Resolves an unqualified, version or alias ARN as StartExecution does ("How Step Functions associates
   * executions with a version or alias").
   * @throws AwsServiceError StateMachineDoesNotExist for an unknown machine, version or alias.
   */
  resolve(arn: unknown): ResolvedStateMachine {
    const text = typeof arn === 'string' ? arn : '';
    const parts = text.split(':');
    const published = parts.length >= 7 ? this.machines.get(parts.slice(0, 7).join(':')) : undefined;
    const missing = () =>
      new AwsServiceError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${String(arn)}'`);
    if (!published || parts.length > 8) throw missing();
    if (parts.length === 7) return { machine: published.latest };
    const qualifier = parts[7];
    const version = /^[0-9]+$/.test(qualifier) ? qualifier : published.aliases.get(qualifier);
    const machine = version === undefined ? undefined : published.versions.get(version);
    if (!machine) throw missing();
    return {
      machine,
      versionArn: `${machine.arn}:${machine.version}`,
      ...(version === qualifier ? {} : { aliasArn: text }),
    };
  }

  /** DescribeStateMachine of an unqualified or version ARN. */
  describe(arn: unknown) {
    const { machine: m, versionArn } = this.resolve(arn);
    return {
      stateMachineArn: versionArn ?? m.arn,
      name: m.name,
      status: 'ACTIVE',
      definition: m.definitionText,
      roleArn: `arn:aws:iam::${SANDBOX_ACCOUNT}:role/${m.name}-role`,
      type: 'STANDARD',
      creationDate: versionArn ? m.versionCreatedAt : m.createdAt,
      loggingConfiguration: { level: 'ALL', includeExecutionData: true },
      tracingConfiguration: { enabled: true },
    };
  }

  /** ListStateMachineVersions: newest first, as the API reference documents. */
  listVersions(input: Record<string, unknown>) {
    const { machine, versionArn } = this.resolve(input.stateMachineArn);
    if (versionArn) {
      throw new AwsServiceError(
        'ValidationException',
        'stateMachineArn must be an unqualified state machine ARN',
      );
    }
    const versions = [...this.machines.get(machine.arn)!.versions.values()].sort(
      (a, b) => Number(b.version) - Number(a.version),
    );
    const { page, nextToken } = paginate(versions, input.maxResults, input.nextToken);
    return {
      stateMachineVersions: page.map((v) => ({
        stateMachineVersionArn: `${v.arn}:${v.version}`,
        creationDate: v.versionCreatedAt,
      })),
      nextToken,
    };
  }
}
