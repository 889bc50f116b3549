/** CloudWatch `GetMetricData` (and `PutMetricData`, which the tests use to stand in for EMF). */
import type { AwsApi } from './aws-api.js';
import { xmlBlocks, xmlValue } from './aws-api.js';

/** One metric statistic to read. */
export interface MetricQuery {
  /** Lower-case letters and digits, starting with a letter (CloudWatch's rule for ids). */
  id: string;
  namespace: string;
  metricName: string;
  dimensions: Readonly<Record<string, string>>;
  stat: 'Sum' | 'Maximum' | 'Minimum' | 'Average';
  periodSeconds: number;
}

/** The datapoints of each query, by id (missing periods have none). */
export async function getMetricData(
  api: AwsApi,
  queries: readonly MetricQuery[],
  start: Date,
  end: Date,
): Promise<Map<string, number[]>> {
  const params: Record<string, string> = {
    StartTime: start.toISOString(),
    EndTime: end.toISOString(),
  };
  queries.forEach((q, i) => {
    const base = `MetricDataQueries.member.${i + 1}`;
    params[`${base}.Id`] = q.id;
    params[`${base}.MetricStat.Metric.Namespace`] = q.namespace;
    params[`${base}.MetricStat.Metric.MetricName`] = q.metricName;
    Object.entries(q.dimensions).forEach(([name, value], d) => {
      params[`${base}.MetricStat.Metric.Dimensions.member.${d + 1}.Name`] = name;
      params[`${base}.MetricStat.Metric.Dimensions.member.${d + 1}.Value`] = value;
    });
    params[`${base}.MetricStat.Period`] = String(q.periodSeconds);
    params[`${base}.MetricStat.Stat`] = q.stat;
  });
  const values = new Map<string, number[]>(queries.map((q) => [q.id, []]));
  let token: string | undefined;
  do {
    const xml = await api.query('monitoring', 'GetMetricData', {
      ...params,
      ...(token ? { NextToken: token } : {}),
    });
    const results = xmlBlocks(xml, 'MetricDataResults')[0] ?? '';
    // Each result is a <member> with <Id>, <Timestamps> and <Values>, whose items are <member>s too.
    for (const block of xmlBlocks(results, 'member')) {
      const id = xmlValue(block, 'Id');
      const list = id === undefined ? undefined : values.get(id);
      if (!list) continue;
      const numbers = xmlBlocks(xmlBlocks(block, 'Values')[0] ?? '', 'member').map(Number);
      list.push(...numbers.filter((n) => Number.isFinite(n)));
    }
    token = xmlValue(xml, 'NextToken');
  } while (token);
  return values;
}

/** One datapoint to put (tests use it to stand in for the functions' EMF logs). */
export async function putMetricData(
  api: AwsApi,
  namespace: string,
  datum: { metricName: string; dimensions: Readonly<Record<string, string>>; value: number; timestamp: Date },
): Promise<void> {
  const params: Record<string, string> = {
    Namespace: namespace,
    'MetricData.member.1.MetricName': datum.metricName,
    'MetricData.member.1.Value': String(datum.value),
    'MetricData.member.1.Timestamp': datum.timestamp.toISOString(),
  };
  Object.entries(datum.dimensions).forEach(([name, value], d) => {
    params[`MetricData.member.1.Dimensions.member.${d + 1}.Name`] = name;
    params[`MetricData.member.1.Dimensions.member.${d + 1}.Value`] = value;
  });
  await api.query('monitoring', 'PutMetricData', params);
}
