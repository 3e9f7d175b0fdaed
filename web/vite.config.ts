import { fileURLToPath } from 'node:url';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vite';

const libsDir = fileURLToPath(new URL('../libs/', import.meta.url));

export default defineConfig({
  plugins: [svelte()],
  resolve: {
    // The browser-safe libs are bundled from their sources: no stale dist, one type-check.
    alias: [{ find: /^@millrace\/([a-z-]+)$/, replacement: `${libsDir}$1/src/index.ts` }],
  },
  build: {
    target: 'es2022',
    rollupOptions: {
      input: {
        main: fileURLToPath(new URL('./index.html', import.meta.url)),
        bench: fileURLToPath(new URL('./bench.html', import.meta.url)),
      },
    },
  },
  server: { proxy: { '/api': { target: 'http://127.0.0.1:8080', ws: true } } },
});
