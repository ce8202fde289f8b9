import { defineProject } from 'vitest/config';

export default defineProject({
  // Child processes of loopd start in about 0.3 s each; leave room on a loaded 2-core machine.
  test: { include: ['test/**/*.test.ts'], testTimeout: 20_000 },
});
