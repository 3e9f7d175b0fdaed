import type { StackAddresses } from './stack/types.js';

/**
 * Creates what the pipeline needs on a healthy stack (Kafka topics, QuestDB tables). Runs after every start of
 * `millrace start` and of the integration-test stack, so it must be idempotent.
 */
export async function provisionStack(addresses: StackAddresses, log: (line: string) => void): Promise<void> {
  void addresses;
  log('provisioning: nothing yet');
}
