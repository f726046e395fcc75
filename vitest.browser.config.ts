import { defineConfig } from 'vitest/config';

/** The browser tests: real Chromium (playwright-core) against the PWA example over HTTP. */
export default defineConfig({
  test: {
    include: ['test/browser/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
