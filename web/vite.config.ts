import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/** The web console: Preact through Vite's own JSX transform (no plugin), bundled into dist/web. */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  logLevel: 'warn',
  // development: false — the same bundle when NODE_ENV says test or development (vitest, tsx).
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact', development: false } },
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // No inline <script> or style: the console's CSP allows 'self' only.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
    reportCompressedSize: false,
  },
});
