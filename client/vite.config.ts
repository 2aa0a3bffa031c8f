import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const at = (p: string): string => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  root: at('.'),
  publicDir: at('../public'),
  // Relative: the server puts <base href="BASEPATH"> into index.html, so assets resolve under
  // the basePath from deep links like /h/ID too, and chunks load relative to their importer.
  base: './',
  build: {
    outDir: at('../dist/public'),
    emptyOutDir: true,
    target: 'es2022',
    // The WebGL addon is loaded on demand (real GPUs only); the main chunk is xterm itself.
    chunkSizeWarningLimit: 600,
    // Four pages: the client, a spectator's read-only view (/watch/TOKEN), the replay (/replay/ID)
    // and the admins' live sessions (/sessions/).
    rollupOptions: {
      input: {
        main: at('index.html'),
        watch: at('watch.html'),
        replay: at('replay.html'),
        sessions: at('sessions.html'),
      },
    },
  },
});
