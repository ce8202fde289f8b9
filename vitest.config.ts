import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: ['packages/*', 'tools'],
    pool: 'forks',
    reporters: ['default', './tools/summary-reporter.ts'],
  },
});
