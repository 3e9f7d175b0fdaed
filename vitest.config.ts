import { fileURLToPath } from 'node:url';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vitest/config';

// A UTC machine hides time-zone bugs; Easter Island has an odd offset and its own DST rules.
process.env.TZ = 'Pacific/Easter';

const libsDir = fileURLToPath(new URL('./libs/', import.meta.url));

export default defineConfig({
  // Nest's decorators are TypeScript's legacy ones (tsconfig experimentalDecorators); Vite's transform must agree.
  oxc: { decorator: { legacy: true } },
  resolve: {
    // Tests run against the libs' sources, so `npm test` needs no build of a lib before its dependants' specs.
    alias: [
      { find: /^@millrace\/([a-z-]+)\/testing$/, replacement: `${libsDir}$1/src/testing.ts` },
      { find: /^@millrace\/([a-z-]+)$/, replacement: `${libsDir}$1/src/index.ts` },
    ],
  },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['{libs,services,infra}/**/src/**/*.spec.ts'],
          exclude: ['**/*.int.spec.ts', '**/node_modules/**', '**/dist/**'],
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['{libs,services,infra}/**/src/**/*.int.spec.ts', 'web/e2e/**/*.int.spec.ts'],
          exclude: ['**/node_modules/**', '**/dist/**'],
          globalSetup: ['infra/src/testing/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        // Svelte components and the web app's view logic, in a simulated DOM.
        extends: true,
        plugins: [svelte({ configFile: false, compilerOptions: { runes: true } })],
        resolve: { conditions: ['browser'] },
        test: {
          name: 'web',
          include: ['web/src/**/*.spec.ts'],
          environment: 'happy-dom',
          // Testing Library ships `.svelte.js` sources: they must go through the Svelte compiler too.
          server: { deps: { inline: [/@testing-library\/svelte/] } },
        },
      },
    ],
  },
});
