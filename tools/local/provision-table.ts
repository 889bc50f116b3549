import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { CHECK_TABLE } from '../../shared/check-table.js';

/**
 * Creates the check table on a local AWS stand-in exactly as the stack declares it (keys, sweep
 * index, stream, TTL), and returns its stream ARN.
 */
export async function createCheckTable(
  client: DynamoDBClient,
  tableName: string,
): Promise<{ streamArn: string }> {
  const { sweepIndex } = CHECK_TABLE;
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: CHECK_TABLE.partitionKey, AttributeType: 'S' },
        { AttributeName: sweepIndex.partitionKey, AttributeType: 'S' },
        { AttributeName: sweepIndex.sortKey, AttributeType: 'S' },
      ],
      KeySchema: [{ AttributeName: CHECK_TABLE.partitionKey, KeyType: 'HASH' }],
      GlobalSecondaryIndexes: [
        {
          IndexName: sweepIndex.name,
          KeySchema: [
            { AttributeName: sweepIndex.partitionKey, KeyType: 'HASH' },
            { AttributeName: sweepIndex.sortKey, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: sweepIndex.projection },
        },
      ],
      StreamSpecification: { StreamEnabled: true, StreamViewType: CHECK_TABLE.streamViewType },
    }),
  );
  await client.send(
    new UpdateTimeToLiveCommand({
      TableName: tableName,
      TimeToLiveSpecification: { AttributeName: CHECK_TABLE.ttlAttribute, Enabled: true },
    }),
  );
  const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
  if (!Table?.LatestStreamArn) throw new Error(`table ${tableName} has no stream`);
  return { streamArn: Table.LatestStreamArn };
}
