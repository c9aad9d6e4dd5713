import {defineConfig} from 'vitest/config'

export default defineConfig({
  test: {
    // oclif's this.log goes through console: without this, runCommand captures nothing.
    disableConsoleIntercept: true,
    globalSetup: ['test/global-setup.ts'],
    projects: [
      {
        extends: true,
        test: {name: 'unit', include: ['test/unit/**/*.test.ts', 'test/commands/**/*.test.ts'], testTimeout: 30_000},
      },
      {
        // Real llama.cpp and child processes: one file at a time, so that 2 cores are not oversubscribed.
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/spawn/**/*.test.ts'],
          pool: 'forks',
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
})
