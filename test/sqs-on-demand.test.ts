import { SQSClient } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { sqsOnDemand } from '#lib/dispatch/queue.ts';

describe('sqsOnDemand', () => {
  it('makes one client per container, on first use, and hands the given one when there is one', async () => {
    const made = sqsOnDemand();
    const [first, second] = await Promise.all([made(), made()]);
    expect(first.client).toBeInstanceOf(SQSClient);
    expect(second.client).toBe(first.client);
    expect((await made()).client).toBe(first.client);
    first.client.destroy();

    const given = new SQSClient({ region: 'us-east-1' });
    expect((await sqsOnDemand(given)()).client).toBe(given);
    given.destroy();
  });
});
