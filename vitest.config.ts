import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // Servers started by a test must be closed by it: fail loudly instead of hanging CI.
    teardownTimeout: 5_000,
  },
});
