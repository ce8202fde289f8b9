import { describe, expect, it } from 'vitest';
import { qdictBucket, qdictOrder } from '../src/qdict-order.js';

describe('QEMU QDict order', () => {
  it('puts the event-loop properties in the buckets QEMU uses', () => {
    expect(
      ['aio-max-batch', 'thread-pool-min', 'thread-pool-max', 'poll-max-ns', 'poll-grow', 'poll-shrink'].map(qdictBucket),
    ).toEqual([139, 328, 328, 354, 144, 70]);
  });

  it('orders by bucket, and within a bucket the later key first', () => {
    const schema = ['aio-max-batch', 'thread-pool-min', 'thread-pool-max', 'poll-max-ns', 'poll-grow', 'poll-shrink'];
    expect(qdictOrder(schema, (k) => k)).toEqual([
      'poll-shrink',
      'aio-max-batch',
      'poll-grow',
      'thread-pool-max',
      'thread-pool-min',
      'poll-max-ns',
    ]);
  });

  it('hashes non-ASCII keys by their UTF-8 bytes', () => {
    expect(qdictBucket('é')).not.toBe(qdictBucket('e'));
    expect(qdictBucket('')).toBe(12345 % 512);
  });
});
