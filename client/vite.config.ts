import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const at = (p: string): string => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  root: at('.'),
  publicDir: at('../public'),
  // Absolute: deep links like /h/ID serve the same index.html, so assets must not resolve relative to it.
  base: '/',
  build: {
    outDir: at('../dist/public'),
    emptyOutDir: true,
    target: 'es2022',
    // The WebGL addon is loaded on demand (real GPUs only); the main chunk is xterm itself.
    chunkSizeWarningLimit: 600,
  },
});
