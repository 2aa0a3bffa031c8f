import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

const at = (p: string): string => fileURLToPath(new URL(p, import.meta.url));

/**
 * The pages share their <head> and the brand mark: each is written once in partials/, and a
 * line `<!-- porthole:NAME -->` in a page becomes partials/NAME.html at its indentation,
 * before Vite reads the page (so the stylesheet it links is bundled as if written there). A
 * marker without its partial fails the build.
 */
function partials(): Plugin {
  const read = (name: string): string => readFileSync(at(`partials/${name}.html`), 'utf8');
  return {
    name: 'porthole-partials',
    transformIndexHtml: {
      order: 'pre',
      handler: (html) =>
        html.replace(/^( *)<!-- porthole:([a-z-]+) -->$/gm, (_line, indent: string, name: string) =>
          read(name)
            .trimEnd()
            .split('\n')
            .map((l) => (l === '' ? l : `${indent}${l}`))
            .join('\n'),
        ),
    },
  };
}

export default defineConfig({
  root: at('.'),
  plugins: [partials()],
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
