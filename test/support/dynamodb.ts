import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';

/**
 * DynamoDB's refusal of a conditional write, as the SDK throws it; with `item`, the item as it stands
 * (what `ReturnValuesOnConditionCheckFailure: ALL_OLD` brings back), without it, no item.
 */
export function conditionalRefusal(item?: Record<string, unknown>): ConditionalCheckFailedException {
  return new ConditionalCheckFailedException({
    message: 'The conditional request failed',
    $metadata: {},
    ...(item ? { Item: marshall(item) } : {}),
  });
}
