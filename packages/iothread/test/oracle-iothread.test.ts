// The QMP-independent parts of the oracle's iothread scenarios, against the
// QOM API: defaults, validation texts, the pool-pair rules, values stored
// after a rejected write, object-add/del and query-iothreads. Every step
// that maps onto the API is compared with QEMU 7.2's recorded reply.
import { afterEach, describe, expect, it } from 'vitest';
import { cleanObjects, loadTranscript, replay } from './support/oracle.js';

const SCENARIOS = [
  '02-iothreads-cmdline-one-default',
  '03-iothreads-cmdline-two-custom',
  '04-iothreads-object-add',
  '05-iothreads-mixed-cmdline-qmp',
  '06-iothreads-order',
  '20-qom-get-set-iothread-int-props',
];

describe('oracle scenarios through the QOM API', () => {
  afterEach(async () => {
    await cleanObjects();
  });

  it.each(SCENARIOS)('%s', { timeout: 60_000 }, async (name) => {
    const results = await replay(loadTranscript(name));
    expect(results.length).toBeGreaterThan(3);
    for (const r of results) {
      expect(r.actual, `step ${r.step}: ${JSON.stringify(r.send, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}` : v))}`).toEqual(r.expected);
    }
  });
});
