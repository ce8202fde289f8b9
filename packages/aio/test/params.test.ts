// Tunables: QEMU's validation texts, reset and notification, listeners.
import { describe, expect, it } from 'vitest';
import { InvalidParameterError } from '../src/index.js';
import { newContext } from './support/context.js';

const RANGE = '[0, 9223372036854775807]';

describe('setPollParams / setAioParams / setThreadPoolParams', () => {
  it('defaults: polling off, max-batch 0, pool 0..64', () => {
    const ctx = newContext();
    expect(ctx.pollParams).toEqual({ maxNs: 0, grow: 0, shrink: 0 });
    expect(ctx.aioParams).toEqual({ maxBatch: 0 });
    expect(ctx.threadPoolParams).toEqual({ min: 0, max: 64 });
  });

  it('rejects negative poll values with QEMU’s texts and keeps the old ones', () => {
    const ctx = newContext();
    ctx.setPollParams({ maxNs: 1000, grow: 2, shrink: 3 });
    for (const [key, name] of [
      ['maxNs', 'poll-max-ns'],
      ['grow', 'poll-grow'],
      ['shrink', 'poll-shrink'],
    ] as const) {
      let err: unknown;
      try {
        ctx.setPollParams({ [key]: -1 });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(InvalidParameterError);
      expect((err as InvalidParameterError).message).toBe(`${name} value must be in range ${RANGE}`);
      expect((err as InvalidParameterError).code).toBe('LOOP_ERR_INVALID_PARAM');
      expect((err as InvalidParameterError).qmpClass).toBe('GenericError');
    }
    expect(ctx.pollParams).toEqual({ maxNs: 1000, grow: 2, shrink: 3 });
    ctx.setPollParams({ grow: 4 });
    expect(ctx.pollParams).toEqual({ maxNs: 1000, grow: 4, shrink: 3 });
  });

  it('aio-max-batch', () => {
    const ctx = newContext();
    ctx.setAioParams({ maxBatch: 16 });
    expect(ctx.aioParams.maxBatch).toBe(16);
    expect(() => ctx.setAioParams({ maxBatch: -1 })).toThrow(`aio-max-batch value must be in range ${RANGE}`);
    expect(ctx.aioParams.maxBatch).toBe(16);
  });

  it('thread-pool limits: QEMU’s rule and text', () => {
    const ctx = newContext();
    ctx.setThreadPoolParams({ min: 2, max: 4 });
    for (const bad of [
      { min: 5, max: 4 },
      { min: 0, max: 0 },
      { min: -1, max: 4 },
      { min: 0, max: 2 ** 31 },
      { min: 1.5, max: 4 },
    ]) {
      expect(() => ctx.setThreadPoolParams(bad)).toThrow('bad thread-pool-min/thread-pool-max values');
    }
    expect(ctx.threadPoolParams).toEqual({ min: 2, max: 4 });
  });

  it('notifies listeners after each successful change, and only then', () => {
    const ctx = newContext();
    const seen: string[] = [];
    const off = ctx.addParamsListener((kind, c) => seen.push(`${kind}:${c.threadPoolParams.max}`));
    ctx.setThreadPoolParams({ min: 1, max: 8 });
    ctx.setPollParams({ maxNs: 10 });
    ctx.setAioParams({ maxBatch: 1 });
    expect(() => ctx.setThreadPoolParams({ min: 9, max: 8 })).toThrow();
    off();
    ctx.setAioParams({ maxBatch: 2 });
    expect(seen).toEqual(['thread-pool:8', 'poll:8', 'aio:8']);
  });

  it('a parameter change notifies the context (a blocking poll does not sleep)', () => {
    const ctx = newContext();
    ctx.setPollParams({ maxNs: 0 });
    expect(ctx.poll(true)).toBe(false);
  });
});
