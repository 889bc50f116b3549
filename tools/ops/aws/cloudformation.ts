/** CloudFormation `DescribeStacks`: the outputs of one stack. */
import { type AwsApi, AwsApiError, xmlBlocks, xmlValue } from './aws-api.js';

/** A stack that is not there (or not visible with these credentials in this region). */
export class StackNotFoundError extends Error {
  constructor(stackName: string, region: string) {
    super(
      `stack ${stackName} was not found in ${region}: pass --stack <name> (the stackName context key), set AWS_REGION, or name the resources with flags or --resources <file>`,
    );
    this.name = 'StackNotFoundError';
  }
}

/** The outputs of a stack, by output key. */
export async function describeStackOutputs(
  api: AwsApi,
  stackName: string,
  region: string,
): Promise<Record<string, string>> {
  let xml: string;
  try {
    xml = await api.query('cloudformation', 'DescribeStacks', { StackName: stackName });
  } catch (error) {
    if (error instanceof AwsApiError && error.code === 'ValidationError') {
      throw new StackNotFoundError(stackName, region);
    }
    throw error;
  }
  const stack = xmlBlocks(xml, 'Stacks')[0] ?? '';
  const outputs: Record<string, string> = {};
  for (const block of xmlBlocks(xmlBlocks(stack, 'Outputs')[0] ?? '', 'member')) {
    const key = xmlValue(block, 'OutputKey');
    const value = xmlValue(block, 'OutputValue');
    if (key !== undefined && value !== undefined) outputs[key] = value;
  }
  return outputs;
}
