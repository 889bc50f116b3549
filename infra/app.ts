/**
 * The CDK app: `npx cdk synth` / `npx cdk deploy`, configured by context (cdk.json or `-c key=value`).
 * The context keys and their defaults are listed in `infra/context.ts` and docs/configuration.md.
 */
import { App } from 'aws-cdk-lib';
import { readAppConfig } from './context.js';
import { LivenessPipelineStack } from './liveness-pipeline-stack.js';

const app = new App();
const { stackName, props } = readAppConfig((key) => app.node.tryGetContext(key));
// Environment-agnostic on purpose: synth needs no credentials and no lookups; `cdk deploy` targets
// the account and region of the caller's credentials.
new LivenessPipelineStack(app, stackName, { ...props, stackName });
app.synth();
