import { defineProject } from 'vitest/config';

export default defineProject({
  // Files run one after another: the 15 s idle test measures a sub-2 ms
  // wake-up, which a CPU-heavy file running beside it on 2 cores would spoil.
  test: { include: ['test/**/*.test.ts'], fileParallelism: false },
});
