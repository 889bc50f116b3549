/**
 * The pipeline's five functions, by name. A function has one spelling per context:
 * - its name, kebab-case (`token-refresher`): the folder under `functions/`, its bundle, the
 *   Powertools `service` (log field and metric dimension), its AWS clients' user agent, and the key
 *   of `LivenessPipeline.functions`;
 * - a key in the settings, the `functions` overrides and the context keys, camelCase
 *   (`tokenRefresher.scheduleHours`): `FUNCTION_SETTINGS_KEYS` maps each name to it;
 * - construct ids and CloudFormation output ids, PascalCase (`TokenRefresher`), never changed once
 *   deployed.
 */
export const FUNCTION_NAMES = ['checker', 'notifier', 'api', 'sweeper', 'token-refresher'] as const;
export type PipelineFunctionName = (typeof FUNCTION_NAMES)[number];

/** Each function's key in the settings and in the per-function overrides. */
export const FUNCTION_SETTINGS_KEYS = {
  checker: 'checker',
  notifier: 'notifier',
  api: 'api',
  sweeper: 'sweeper',
  'token-refresher': 'tokenRefresher',
} as const satisfies Record<PipelineFunctionName, string>;
