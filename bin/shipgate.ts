#!/usr/bin/env node
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { readConfigDocument } from '../lib/config-document';
import { ShipgateStack } from '../lib/shipgate-stack';

/**
 * CDK app entry. Context (all optional):
 * - `-c config=<file>`: Shipgate config (default `SHIPGATE_CONFIG` or `shipgate.config.yaml`)
 * - `-c stackName=<name>`: stack name (default `Shipgate`)
 * - `-c publicUrl=<url>`: base URL of links when a custom domain fronts the API (default: the API's URL)
 * The stack is environment-agnostic (account/region from the deploy credentials), so synth needs no lookups.
 */
const app = new App();
const configPath: string =
  app.node.tryGetContext('config') ?? process.env.SHIPGATE_CONFIG ?? 'shipgate.config.yaml';
const { config, document } = readConfigDocument(configPath);

new ShipgateStack(app, app.node.tryGetContext('stackName') ?? 'Shipgate', {
  description: 'Shipgate: GitLab-triggered release workflow (Step Functions) for ECS services',
  config,
  configDocument: document,
  publicUrl: app.node.tryGetContext('publicUrl'),
});

// cdk-nag 3 is a policy-validation plugin: synth fails on any unacknowledged AwsSolutions error.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
