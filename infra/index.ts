/**
 * The package's main entry (`import { LivenessPipeline } from 'selfie-liveness-pipeline'`): the
 * construct, its props and settings, and the ready-made stack. The event contract is the separate
 * `./events` entry (`shared/events/index.ts`).
 */
export type { LivenessApiAuth } from './constructs/liveness-api.js';
export { LivenessPipeline } from './liveness-pipeline.js';
export {
  DEFAULT_MEMORY_MIB,
  type LivenessPipelineProps,
  type PipelineFunctionOverrides,
  type PipelineFunctionOverridesByName,
  type PipelineLogLevel,
  type PipelineNetwork,
  type VendorNetwork,
} from './liveness-pipeline-props.js';
export {
  type ExistingResources,
  LivenessPipelineStack,
  type LivenessPipelineStackProps,
} from './liveness-pipeline-stack.js';
export {
  type ApiSettings,
  type CheckerSettings,
  DEFAULT_SETTINGS,
  FUNCTION_NAMES,
  InvalidSettingsError,
  type NotifierSettings,
  type PipelineFunctionName,
  type PipelineSettings,
  type PipelineSettingsOverrides,
  type SweeperSettings,
  type TokenRefresherSettings,
} from './settings.js';
