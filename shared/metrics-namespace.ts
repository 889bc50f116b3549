/**
 * The CloudWatch namespace of every metric the pipeline emits. In a module of its own, free of
 * Powertools: the CDK construct's alarms need it at synth, and the construct must not load Powertools.
 */
export const METRICS_NAMESPACE = 'SelfieLiveness';
