import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { join } from 'node:path';
import {
  CreateDeploymentCommand,
  CodeDeployClient,
  GetDeploymentCommand,
  GetDeploymentGroupCommand,
  StopDeploymentCommand,
} from '@aws-sdk/client-codedeploy';
import {
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import {
  BatchGetImageCommand,
  CreateRepositoryCommand,
  DescribeImageScanFindingsCommand,
  DescribeImagesCommand,
  DescribeRepositoriesCommand,
  ECRClient,
  ImageTagAlreadyExistsException,
  PutImageCommand,
} from '@aws-sdk/client-ecr';
import {
  CreateClusterCommand,
  CreateServiceCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  ListClustersCommand,
  ListServicesCommand,
  RegisterTaskDefinitionCommand,
  ServiceNotFoundException,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import {
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  ExecutionAlreadyExists,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  SFNClient,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  StartExecutionCommand,
  StopExecutionCommand,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import {
  GetParameterCommand,
  GetParametersByPathCommand,
  ParameterNotFound,
  PutParameterCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { Emulators, createEmulators } from '../../../sandbox/aws/emulators';
import { EventBridgeEvent } from '../../../sandbox/aws/ecs';
import { createAwsEndpoint } from '../../../sandbox/aws/server';
import { LocalDynamo, ensureTable, startDynalite } from '../../../sandbox/dynamodb';
import { LocalLambdas } from '../../../sandbox/workflow/lambda';
import { localSdkIntegration } from '../../../sandbox/workflow/sdk-integration';
import { received } from './handlers/steps';
import { awsCli, credentials, tempDir, waitFor } from './support';

const FN = (name: string) => `arn:aws:lambda:us-east-1:000000000000:function:test-${name}`;

function manifest(annotations: Record<string, string> = {}, salt = 'a'): string {
  return JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: {
      mediaType: 'application/vnd.oci.image.config.v1+json',
      digest: `sha256:${createHash('sha256').update(salt).digest('hex')}`,
      size: 100,
    },
    layers: [],
    annotations,
  });
}

describe('sandbox AWS endpoint (SDK v3 and AWS CLI against the emulators)', () => {
  let tmp: ReturnType<typeof tempDir>;
  let dynamo: LocalDynamo;
  let emulators: Emulators;
  let server: Server;
  let endpoint: string;
  const events: EventBridgeEvent[] = [];
  const cfg = () => ({ endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });

  beforeAll(async () => {
    tmp = tempDir();
    dynamo = await startDynalite(join(tmp.dir, 'dynamodb'));
    let port = 0;
    emulators = createEmulators({
      stateDir: tmp.dir,
      sink: (e) => events.push(e),
      sdk: localSdkIntegration(() => port),
      phaseMs: 50,
    });
    server = createAwsEndpoint({
      emulators: [emulators.sfn, emulators.ecs, emulators.ecr, emulators.ssm, emulators.codeDeploy],
      dynamoDbPort: dynamo.port,
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    port = (server.address() as AddressInfo).port;
    endpoint = `http://127.0.0.1:${port}`;
  });

  afterAll(async () => {
    emulators.sfn.abortAll('test finished');
    emulators.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await dynamo.close();
    tmp.cleanup();
  });

  describe('ECR', () => {
    const ecr = () => new ECRClient(cfg());

    it('stores an OCI manifest under the sha256 of its bytes and refuses to move an immutable tag', async () => {
      await ecr().send(
        new CreateRepositoryCommand({ repositoryName: 'web', imageTagMutability: 'IMMUTABLE' }),
      );
      const body = manifest({ 'org.shipgate.sandbox.findings': '{"CRITICAL":1,"HIGH":2}' });
      const put = await ecr().send(
        new PutImageCommand({ repositoryName: 'web', imageManifest: body, imageTag: 'abc123' }),
      );
      expect(put.image?.imageId?.imageDigest).toBe(
        `sha256:${createHash('sha256').update(body).digest('hex')}`,
      );

      await expect(
        ecr().send(
          new PutImageCommand({
            repositoryName: 'web',
            imageManifest: manifest({}, 'b'),
            imageTag: 'abc123',
          }),
        ),
      ).rejects.toBeInstanceOf(ImageTagAlreadyExistsException);

      const got = await ecr().send(
        new BatchGetImageCommand({
          repositoryName: 'web',
          imageIds: [{ imageTag: 'abc123' }, { imageTag: 'nope' }],
        }),
      );
      expect(got.images?.[0].imageManifest).toBe(body);
      expect(got.failures?.[0].failureCode).toBe('ImageNotFound');

      const described = await ecr().send(
        new DescribeImagesCommand({ repositoryName: 'web', imageIds: [{ imageTag: 'abc123' }] }),
      );
      expect(described.imageDetails?.[0].imageScanFindingsSummary?.findingSeverityCounts).toEqual({
        CRITICAL: 1,
        HIGH: 2,
      });

      const findings = await ecr().send(
        new DescribeImageScanFindingsCommand({
          repositoryName: 'web',
          imageId: { imageDigest: put.image?.imageId?.imageDigest },
        }),
      );
      expect(findings.imageScanStatus?.status).toBe('COMPLETE');
      expect(findings.imageScanFindings?.findings?.map((f) => f.severity)).toEqual([
        'CRITICAL',
        'HIGH',
        'HIGH',
      ]);
      const repos = await ecr().send(new DescribeRepositoriesCommand({}));
      expect(repos.repositories?.map((r) => r.repositoryName)).toEqual(['web']);
    });

    it('answers the AWS CLI: ecr put-image and describe-images', async () => {
      const body = manifest({}, 'cli');
      const out = await awsCli(endpoint, [
        'ecr',
        'put-image',
        '--repository-name',
        'web',
        '--image-tag',
        'cli-tag',
        '--image-manifest',
        body,
      ]);
      const digest = (out.image as { imageId: { imageDigest: string } }).imageId.imageDigest;
      expect(digest).toBe(`sha256:${createHash('sha256').update(body).digest('hex')}`);
      const images = await awsCli(endpoint, [
        'ecr',
        'describe-images',
        '--repository-name',
        'web',
        '--image-ids',
        'imageTag=cli-tag',
      ]);
      expect((images.imageDetails as { imageDigest: string }[])[0].imageDigest).toBe(digest);
    });
  });

  describe('ECS', () => {
    const ecs = () => new ECSClient(cfg());
    let goodImage: string;
    let badImage: string;

    beforeAll(async () => {
      const ecr = new ECRClient(cfg());
      await ecr.send(new CreateRepositoryCommand({ repositoryName: 'api' }));
      const good = await ecr.send(
        new PutImageCommand({ repositoryName: 'api', imageManifest: manifest({}, 'good'), imageTag: 'good' }),
      );
      const bad = await ecr.send(
        new PutImageCommand({
          repositoryName: 'api',
          imageManifest: manifest({ 'org.shipgate.sandbox.rollout': 'fail' }, 'bad'),
          imageTag: 'bad',
        }),
      );
      goodImage = `000000000000.dkr.ecr.us-east-1.amazonaws.com/api@${good.image?.imageId?.imageDigest}`;
      badImage = `000000000000.dkr.ecr.us-east-1.amazonaws.com/api@${bad.image?.imageId?.imageDigest}`;
    });

    it('rolls a service out (IN_PROGRESS → COMPLETED, old deployment drained) and emits EventBridge events', async () => {
      await ecs().send(new CreateClusterCommand({ clusterName: 'staging' }));
      const td1 = await ecs().send(
        new RegisterTaskDefinitionCommand({
          family: 'api',
          containerDefinitions: [{ name: 'api', image: goodImage }],
        }),
      );
      expect(td1.taskDefinition?.taskDefinitionArn).toBe(
        'arn:aws:ecs:us-east-1:000000000000:task-definition/api:1',
      );
      await ecs().send(
        new CreateServiceCommand({
          cluster: 'staging',
          serviceName: 'api',
          taskDefinition: 'api:1',
          desiredCount: 2,
          deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: true } },
        }),
      );
      const first = await waitFor('first deployment', async () => {
        const s = (await ecs().send(new DescribeServicesCommand({ cluster: 'staging', services: ['api'] })))
          .services?.[0];
        return s?.deployments?.[0].rolloutState === 'COMPLETED' ? s : undefined;
      });
      expect(first.runningCount).toBe(2);

      const td2 = await ecs().send(
        new RegisterTaskDefinitionCommand({
          family: 'api',
          containerDefinitions: [{ name: 'api', image: goodImage, environment: [{ name: 'V', value: '2' }] }],
        }),
      );
      const updated = await ecs().send(
        new UpdateServiceCommand({
          cluster: 'staging',
          service: 'api',
          taskDefinition: td2.taskDefinition?.taskDefinitionArn,
        }),
      );
      expect(updated.service?.deployments?.map((d) => [d.status, d.rolloutState])).toEqual([
        ['PRIMARY', 'IN_PROGRESS'],
        ['ACTIVE', 'COMPLETED'],
      ]);
      const done = await waitFor('second deployment', async () => {
        const s = (await ecs().send(new DescribeServicesCommand({ cluster: 'staging', services: ['api'] })))
          .services?.[0];
        return s?.deployments?.[0].rolloutState === 'COMPLETED' ? s : undefined;
      });
      expect(done.deployments).toHaveLength(1);
      expect(done.taskDefinition).toBe(td2.taskDefinition?.taskDefinitionArn);
      const completed = events.find(
        (e) =>
          e.detail.eventName === 'SERVICE_DEPLOYMENT_COMPLETED' &&
          e.detail.deploymentId === updated.service?.deployments?.[0].id,
      );
      expect(completed).toMatchObject({
        version: '0',
        'detail-type': 'ECS Deployment State Change',
        source: 'aws.ecs',
        account: '000000000000',
        region: 'us-east-1',
        resources: ['arn:aws:ecs:us-east-1:000000000000:service/staging/api'],
        detail: { eventType: 'INFO', reason: expect.stringContaining('completed') },
      });
    });

    it('fails a deployment whose image does not start and rolls back with the circuit breaker', async () => {
      const td3 = await ecs().send(
        new RegisterTaskDefinitionCommand({
          family: 'api',
          containerDefinitions: [{ name: 'api', image: badImage }],
        }),
      );
      const updated = await ecs().send(
        new UpdateServiceCommand({
          cluster: 'staging',
          service: 'api',
          taskDefinition: td3.taskDefinition?.taskDefinitionArn,
        }),
      );
      const failedId = updated.service?.deployments?.[0].id;
      const failed = await waitFor('failure event', async () =>
        events.find(
          (e) => e.detail.eventName === 'SERVICE_DEPLOYMENT_FAILED' && e.detail.deploymentId === failedId,
        ),
      );
      expect(failed.detail).toMatchObject({
        eventType: 'ERROR',
        reason: expect.stringMatching(/circuit breaker: rolling back to deploymentId ecs-svc\//),
      });
      const settled = await waitFor('rollback', async () => {
        const s = (await ecs().send(new DescribeServicesCommand({ cluster: 'staging', services: ['api'] })))
          .services?.[0];
        return s?.deployments?.length === 1 && s.deployments[0].rolloutState === 'COMPLETED' ? s : undefined;
      });
      expect(settled.taskDefinition).toBe('arn:aws:ecs:us-east-1:000000000000:task-definition/api:2');
      expect(settled.events?.some((e) => /failed to start/.test(e.message ?? ''))).toBe(true);
    });

    it('answers lookups like ECS, including the errors', async () => {
      expect((await ecs().send(new ListClustersCommand({}))).clusterArns).toEqual([
        'arn:aws:ecs:us-east-1:000000000000:cluster/staging',
      ]);
      expect((await ecs().send(new ListServicesCommand({ cluster: 'staging' }))).serviceArns).toHaveLength(1);
      const td = await ecs().send(new DescribeTaskDefinitionCommand({ taskDefinition: 'api' }));
      expect(td.taskDefinition?.revision).toBe(3);
      const missing = await ecs().send(
        new DescribeServicesCommand({ cluster: 'staging', services: ['nope'] }),
      );
      expect(missing.failures?.[0].reason).toBe('MISSING');
      await expect(
        ecs().send(new UpdateServiceCommand({ cluster: 'staging', service: 'nope' })),
      ).rejects.toBeInstanceOf(ServiceNotFoundException);
      const cli = await awsCli(endpoint, [
        'ecs',
        'describe-services',
        '--cluster',
        'staging',
        '--services',
        'api',
      ]);
      expect((cli.services as { taskDefinition: string }[])[0].taskDefinition).toMatch(
        /task-definition\/api:2$/,
      );
    });

    it('runs CodeDeploy blue/green deployments from an AppSpec', async () => {
      const td = await ecs().send(
        new RegisterTaskDefinitionCommand({
          family: 'bg',
          containerDefinitions: [{ name: 'bg', image: goodImage }],
        }),
      );
      emulators.ecs.seedService({
        cluster: 'staging',
        serviceName: 'bg',
        taskDefinition: td.taskDefinition!.taskDefinitionArn!,
        desiredCount: 1,
        deploymentConfiguration: {},
        deploymentController: { type: 'CODE_DEPLOY' },
      });
      emulators.codeDeploy.ensureGroup({
        application: 'app',
        deploymentGroup: 'bg',
        cluster: 'staging',
        service: 'bg',
      });
      const td2 = await ecs().send(
        new RegisterTaskDefinitionCommand({
          family: 'bg',
          containerDefinitions: [{ name: 'bg', image: badImage }],
        }),
      );
      const cd = new CodeDeployClient(cfg());
      // GetDeploymentGroup names the ECS service the group deploys (what `shipgate contract check` compares).
      const group = await cd.send(
        new GetDeploymentGroupCommand({ applicationName: 'app', deploymentGroupName: 'bg' }),
      );
      expect(group.deploymentGroupInfo).toMatchObject({
        computePlatform: 'ECS',
        ecsServices: [{ serviceName: 'bg', clusterName: 'staging' }],
      });
      await expect(
        cd.send(new GetDeploymentGroupCommand({ applicationName: 'app', deploymentGroupName: 'nope' })),
      ).rejects.toMatchObject({ name: 'DeploymentGroupDoesNotExistException' });
      await expect(
        cd.send(new GetDeploymentGroupCommand({ applicationName: 'nope', deploymentGroupName: 'bg' })),
      ).rejects.toMatchObject({ name: 'ApplicationDoesNotExistException' });
      const appSpec = {
        version: 0.0,
        Resources: [
          {
            TargetService: {
              Type: 'AWS::ECS::Service',
              Properties: {
                TaskDefinition: td2.taskDefinition?.taskDefinitionArn,
                LoadBalancerInfo: { ContainerName: 'bg', ContainerPort: 8080 },
              },
            },
          },
        ],
      };
      const { deploymentId } = await cd.send(
        new CreateDeploymentCommand({
          applicationName: 'app',
          deploymentGroupName: 'bg',
          revision: { revisionType: 'AppSpecContent', appSpecContent: { content: JSON.stringify(appSpec) } },
        }),
      );
      const info = await waitFor('codedeploy outcome', async () => {
        const d = (await cd.send(new GetDeploymentCommand({ deploymentId }))).deploymentInfo;
        return d?.status === 'Failed' ? d : undefined;
      });
      expect(info.errorInformation?.code).toBe('ECS_UPDATE_ERROR');
      expect(events.filter((e) => e.source === 'aws.codedeploy').map((e) => e.detail.state)).toEqual([
        'START',
        'FAILURE',
      ]);
      const svc = (await ecs().send(new DescribeServicesCommand({ cluster: 'staging', services: ['bg'] })))
        .services?.[0];
      expect(svc?.taskDefinition).toBe(td.taskDefinition?.taskDefinitionArn);
      await expect(cd.send(new StopDeploymentCommand({ deploymentId }))).rejects.toMatchObject({
        name: 'DeploymentAlreadyCompletedException',
      });
    });
  });

  describe('SSM', () => {
    it('stores, reads and lists parameters', async () => {
      const ssm = new SSMClient(cfg());
      await ssm.send(
        new PutParameterCommand({ Name: '/shipgate/staging/services/api', Value: '{"a":1}', Type: 'String' }),
      );
      await expect(
        ssm.send(
          new PutParameterCommand({ Name: '/shipgate/staging/services/api', Value: 'x', Type: 'String' }),
        ),
      ).rejects.toMatchObject({
        name: 'ParameterAlreadyExists',
      });
      await ssm.send(
        new PutParameterCommand({
          Name: '/shipgate/staging/services/api',
          Value: '{"a":2}',
          Overwrite: true,
        }),
      );
      const got = await ssm.send(new GetParameterCommand({ Name: '/shipgate/staging/services/api' }));
      expect(got.Parameter).toMatchObject({ Value: '{"a":2}', Version: 2 });
      const listed = await ssm.send(new GetParametersByPathCommand({ Path: '/shipgate', Recursive: true }));
      expect(listed.Parameters?.map((p) => p.Name)).toEqual(['/shipgate/staging/services/api']);
      await expect(ssm.send(new GetParameterCommand({ Name: '/nope' }))).rejects.toBeInstanceOf(
        ParameterNotFound,
      );
    });
  });

  describe('DynamoDB (dynalite behind the same endpoint)', () => {
    it('creates the Shipgate table and round-trips an item', async () => {
      await ensureTable(endpoint, 'shipgate');
      await ensureTable(endpoint, 'shipgate');
      const ddb = new DynamoDBClient(cfg());
      // CreateTable answers CREATING; ensureTable returns only once the table and its index are ACTIVE, so
      // the first request after start-up cannot meet a ResourceNotFoundException.
      const { Table } = await ddb.send(new DescribeTableCommand({ TableName: 'shipgate' }));
      expect(Table?.TableStatus).toBe('ACTIVE');
      expect(Table?.GlobalSecondaryIndexes?.map((i) => i.IndexStatus)).toEqual(['ACTIVE']);
      await ddb.send(
        new PutItemCommand({ TableName: 'shipgate', Item: { pk: { S: 'RELEASE#1' }, sk: { S: 'RELEASE' } } }),
      );
      const got = await ddb.send(
        new GetItemCommand({ TableName: 'shipgate', Key: { pk: { S: 'RELEASE#1' }, sk: { S: 'RELEASE' } } }),
      );
      expect(got.Item?.pk.S).toBe('RELEASE#1');
    });
  });

  describe('Step Functions (local executor)', () => {
    const sfn = () => new SFNClient(cfg());
    let smArn: string;

    beforeAll(() => {
      const lambdas = new LocalLambdas(
        {
          [FN('echo')]: { step: 'echo', entry: 'test/integ/sandbox/handlers/echo.ts' },
          [FN('queue')]: { step: 'queue', entry: 'test/integ/sandbox/handlers/queue.ts' },
          [FN('gate')]: { step: 'gate', entry: 'test/integ/sandbox/handlers/gate.ts' },
        },
        process.cwd(),
      );
      const definition = {
        StartAt: 'Echo',
        States: {
          Echo: {
            Type: 'Task',
            Resource: 'arn:aws:states:::lambda:invoke',
            Parameters: { FunctionName: FN('echo'), 'Payload.$': '$' },
            ResultSelector: { 'value.$': '$.Payload' },
            ResultPath: '$.echo',
            TimeoutSeconds: 10,
            Next: 'Fan out',
          },
          'Fan out': {
            Type: 'Map',
            ItemsPath: '$.items',
            ResultPath: '$.approved',
            ItemProcessor: {
              StartAt: 'Wait for approval',
              States: {
                'Wait for approval': {
                  Type: 'Task',
                  Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
                  Parameters: {
                    FunctionName: FN('queue'),
                    Payload: { 'taskToken.$': '$$.Task.Token', 'item.$': '$' },
                  },
                  TimeoutSeconds: 30,
                  End: true,
                },
              },
            },
            Next: 'Gate',
          },
          Gate: {
            Type: 'Choice',
            Choices: [{ Variable: '$.gate', BooleanEquals: true, Next: 'Scan' }],
            Default: 'Done',
          },
          Scan: {
            Type: 'Task',
            Resource: FN('gate'),
            TimeoutSeconds: 10,
            Catch: [{ ErrorEquals: ['ScanGateFailed'], ResultPath: '$.error', Next: 'Report failure' }],
            Next: 'Done',
          },
          'Report failure': { Type: 'Fail', Error: 'ReleaseFailed', Cause: 'scan gate' },
          Done: { Type: 'Succeed' },
        },
      };
      smArn = emulators.sfn.registerStateMachine('shipgate-release', definition as never, lambdas).arn;
    });

    it('runs Lambda tasks and waitForTaskToken tasks resumed by SendTaskSuccess, with an AWS-shaped history', async () => {
      received.length = 0;
      const input = JSON.stringify({ items: ['staging-a', 'staging-b'], gate: false });
      const started = await sfn().send(
        new StartExecutionCommand({ stateMachineArn: smArn, name: 'root-api-42-abc', input }),
      );
      // Same name and input while running: the same execution; other input: a clash.
      const again = await sfn().send(
        new StartExecutionCommand({ stateMachineArn: smArn, name: 'root-api-42-abc', input }),
      );
      expect(again.executionArn).toBe(started.executionArn);
      await expect(
        sfn().send(
          new StartExecutionCommand({
            stateMachineArn: smArn,
            name: 'root-api-42-abc',
            input: '{"other":1}',
          }),
        ),
      ).rejects.toBeInstanceOf(ExecutionAlreadyExists);

      await waitFor('two waiting tasks', async () => (received.length === 2 ? true : undefined));
      expect(received[0].taskToken).toMatch(/^AQ[A-Za-z0-9_-]{128}$/);
      expect(received[0].taskToken).not.toBe(received[1].taskToken);
      await sfn().send(new SendTaskHeartbeatCommand({ taskToken: received[0].taskToken }));
      for (const r of received) {
        await sfn().send(
          new SendTaskSuccessCommand({
            taskToken: r.taskToken,
            output: JSON.stringify({ approvedBy: [`alice-${String(r.item)}`] }),
          }),
        );
      }
      await expect(
        sfn().send(new SendTaskSuccessCommand({ taskToken: received[0].taskToken, output: '{}' })),
      ).rejects.toBeInstanceOf(TaskTimedOut);

      const done = await waitFor('execution end', async () => {
        const d = await sfn().send(new DescribeExecutionCommand({ executionArn: started.executionArn }));
        return d.status === 'RUNNING' ? undefined : d;
      });
      expect(done.status).toBe('SUCCEEDED');
      const output = JSON.parse(done.output!) as { echo: { value: { by: string } }; approved: unknown[] };
      expect(output.echo.value.by).toBe('echo');
      expect(output.approved).toEqual([
        { approvedBy: ['alice-staging-a'] },
        { approvedBy: ['alice-staging-b'] },
      ]);

      const history = await sfn().send(
        new GetExecutionHistoryCommand({ executionArn: started.executionArn }),
      );
      const types = history.events!.map((e) => e.type);
      expect(types[0]).toBe('ExecutionStarted');
      expect(types).toContain('TaskStateEntered');
      expect(types).toContain('MapStateEntered');
      expect(types).toContain('MapIterationStarted');
      expect(types).toContain('TaskSubmitted');
      expect(types[types.length - 1]).toBe('ExecutionSucceeded');
      expect(history.events!.map((e) => e.id)).toEqual(history.events!.map((_, i) => i + 1));
      expect(JSON.stringify(history.events)).not.toContain(received[0].taskToken);
    });

    it('fails with the Lambda error type and its JSON cause, caught by the ASL', async () => {
      const started = await sfn().send(
        new StartExecutionCommand({
          stateMachineArn: smArn,
          name: 'gated',
          input: JSON.stringify({ items: [], gate: true }),
        }),
      );
      const done = await waitFor('execution end', async () => {
        const d = await sfn().send(new DescribeExecutionCommand({ executionArn: started.executionArn }));
        return d.status === 'RUNNING' ? undefined : d;
      });
      expect(done).toMatchObject({ status: 'FAILED', error: 'ReleaseFailed', cause: 'scan gate' });
      const history = await sfn().send(
        new GetExecutionHistoryCommand({ executionArn: started.executionArn }),
      );
      const failed = history.events!.find((e) => e.type === 'TaskFailed');
      expect(failed?.taskFailedEventDetails?.error).toBe('ScanGateFailed');
      expect(JSON.parse(failed!.taskFailedEventDetails!.cause!)).toMatchObject({
        errorType: 'ScanGateFailed',
        errorMessage: '1 CRITICAL finding over the limit of 0',
      });
    });

    it('times a waiting task out after its TimeoutSeconds, and its token stops working', async () => {
      received.length = 0;
      const lambdas = new LocalLambdas(
        { [FN('queue')]: { step: 'queue', entry: 'test/integ/sandbox/handlers/queue.ts' } },
        process.cwd(),
      );
      const arn = emulators.sfn.registerStateMachine(
        'timeouts',
        {
          StartAt: 'Approve staging',
          States: {
            'Approve staging': {
              Type: 'Task',
              Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
              Parameters: { FunctionName: FN('queue'), Payload: { 'taskToken.$': '$$.Task.Token' } },
              TimeoutSeconds: 1,
              End: true,
            },
          },
        } as never,
        lambdas,
      ).arn;
      const started = await sfn().send(
        new StartExecutionCommand({ stateMachineArn: arn, name: 'slow-approvers' }),
      );
      const done = await waitFor('timeout', async () => {
        const d = await sfn().send(new DescribeExecutionCommand({ executionArn: started.executionArn }));
        return d.status === 'RUNNING' ? undefined : d;
      });
      expect(done).toMatchObject({ status: 'FAILED', error: 'States.Timeout' });
      const history = await sfn().send(
        new GetExecutionHistoryCommand({ executionArn: started.executionArn }),
      );
      expect(history.events!.map((e) => e.type)).toContain('TaskTimedOut');
      await expect(
        sfn().send(new SendTaskSuccessCommand({ taskToken: received[0].taskToken, output: '{}' })),
      ).rejects.toBeInstanceOf(TaskTimedOut);
    });

    it('performs aws-sdk and optimized DynamoDB service integrations against the same endpoint', async () => {
      const arn = emulators.sfn.registerStateMachine(
        'integrations',
        {
          StartAt: 'Describe service',
          States: {
            'Describe service': {
              Type: 'Task',
              Resource: 'arn:aws:states:::aws-sdk:ecs:describeServices',
              Parameters: { Cluster: 'staging', Services: ['api'] },
              ResultSelector: {
                'name.$': '$.Services[0].ServiceName',
                'taskDefinition.$': '$.Services[0].TaskDefinition',
              },
              ResultPath: '$.service',
              Next: 'Read item',
            },
            'Read item': {
              Type: 'Task',
              Resource: 'arn:aws:states:::dynamodb:getItem',
              Parameters: { TableName: 'shipgate', Key: { pk: { S: 'RELEASE#1' }, sk: { S: 'RELEASE' } } },
              ResultSelector: { 'pk.$': '$.Item.pk.S' },
              ResultPath: '$.item',
              Next: 'Missing service',
            },
            'Missing service': {
              Type: 'Task',
              Resource: 'arn:aws:states:::aws-sdk:ecs:updateService',
              Parameters: { Cluster: 'staging', Service: 'nope' },
              Catch: [
                { ErrorEquals: ['Ecs.ServiceNotFoundException'], ResultPath: '$.caught', Next: 'Done' },
              ],
              End: true,
            },
            Done: { Type: 'Succeed' },
          },
        } as never,
        new LocalLambdas({}, process.cwd()),
      ).arn;
      const started = await sfn().send(
        new StartExecutionCommand({ stateMachineArn: arn, name: 'integrations' }),
      );
      const done = await waitFor('integrations', async () => {
        const d = await sfn().send(new DescribeExecutionCommand({ executionArn: started.executionArn }));
        return d.status === 'RUNNING' ? undefined : d;
      });
      expect({ status: done.status, error: done.error, cause: done.cause }).toEqual({
        status: 'SUCCEEDED',
        error: undefined,
        cause: undefined,
      });
      expect(JSON.parse(done.output!)).toMatchObject({
        service: { name: 'api', taskDefinition: 'arn:aws:ecs:us-east-1:000000000000:task-definition/api:2' },
        item: { pk: 'RELEASE#1' },
        caught: { Error: 'Ecs.ServiceNotFoundException' },
      });
    });

    it('fails a waiting task with SendTaskFailure and aborts with StopExecution', async () => {
      received.length = 0;
      const a = await sfn().send(
        new StartExecutionCommand({
          stateMachineArn: smArn,
          name: 'rejected',
          input: JSON.stringify({ items: ['x'] }),
        }),
      );
      await waitFor('waiting task', async () => (received.length === 1 ? true : undefined));
      await sfn().send(
        new SendTaskFailureCommand({
          taskToken: received[0].taskToken,
          error: 'ApprovalRejected',
          cause: 'bob: not today',
        }),
      );
      const failed = await waitFor('failure', async () => {
        const d = await sfn().send(new DescribeExecutionCommand({ executionArn: a.executionArn }));
        return d.status === 'RUNNING' ? undefined : d;
      });
      expect(failed).toMatchObject({ status: 'FAILED', error: 'ApprovalRejected', cause: 'bob: not today' });

      received.length = 0;
      const b = await sfn().send(
        new StartExecutionCommand({
          stateMachineArn: smArn,
          name: 'stopped',
          input: JSON.stringify({ items: ['y'] }),
        }),
      );
      await waitFor('waiting task', async () => (received.length === 1 ? true : undefined));
      await sfn().send(
        new StopExecutionCommand({
          executionArn: b.executionArn,
          error: 'Superseded',
          cause: 'newer release',
        }),
      );
      const stopped = await sfn().send(new DescribeExecutionCommand({ executionArn: b.executionArn }));
      expect(stopped).toMatchObject({ status: 'ABORTED', error: 'Superseded', cause: 'newer release' });
      await expect(
        sfn().send(new SendTaskSuccessCommand({ taskToken: received[0].taskToken, output: '{}' })),
      ).rejects.toBeInstanceOf(TaskTimedOut);

      const list = await sfn().send(new ListExecutionsCommand({ stateMachineArn: smArn }));
      expect(list.executions?.map((e) => e.name)).toEqual(
        expect.arrayContaining(['root-api-42-abc', 'gated', 'rejected', 'stopped']),
      );
      const cli = await awsCli(endpoint, [
        'stepfunctions',
        'list-executions',
        '--state-machine-arn',
        smArn,
        '--status-filter',
        'ABORTED',
      ]);
      expect((cli.executions as { name: string }[]).map((e) => e.name)).toEqual(['stopped']);
      const machines = await sfn().send(new ListStateMachinesCommand({}));
      expect(machines.stateMachines?.[0].name).toBe('shipgate-release');
      const described = await sfn().send(new DescribeStateMachineCommand({ stateMachineArn: smArn }));
      expect(JSON.parse(described.definition!).StartAt).toBe('Echo');
    });
  });
});
