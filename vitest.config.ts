import { defineConfig } from "vitest/config";

// Timeouts catch hangs, never slowness: the suite runs on a shared 2-core machine
// whose load average can pass 20, where one CLI start takes seconds. No test sets
// a shorter timeout of its own, and no test polls with a fixed number of tries
// (test/helpers/wait.ts).
const FIFTEEN_MINUTES = 15 * 60 * 1000;

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: FIFTEEN_MINUTES,
    hookTimeout: FIFTEEN_MINUTES,
    pool: "forks",
  },
});
