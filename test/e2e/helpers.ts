/**
 * Real-Chromium end-to-end helpers: Porthole in-process on 127.0.0.1:0 serving the BUILT
 * client (dist/public), Debian's chromium through playwright-core with a fresh profile, and
 * readers for what the terminal shows.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { createPorthole, type Porthole } from '../../server/app.ts';
import { createLogger } from '../../server/common/log.ts';
import {
  type ConfigInput,
  DEFAULT_CONFIG_INPUT,
  resolveConfig,
} from '../../server/config/config.ts';
import { CLIENT_DIR, PACKAGE_ROOT } from '../../server/paths.ts';

export const CHROMIUM = process.env.PORTHOLE_CHROMIUM ?? '/usr/bin/chromium';
export const SCREENSHOTS = join(PACKAGE_ROOT, 'test-output', 'screenshots');

export interface TestServer {
  porthole: Porthole;
  port: number;
  url: string;
  close(): Promise<void>;
}

/** Starts Porthole on 127.0.0.1 (port 0 unless given, e.g. to restart on the same port). */
export async function startServer(
  input: ConfigInput = DEFAULT_CONFIG_INPUT,
  port = 0,
): Promise<TestServer> {
  if (!existsSync(join(CLIENT_DIR, 'index.html'))) {
    throw new Error('the client is not built: run `npm run build:client` before the e2e tests');
  }
  // As in test/helpers/proxy.ts: resume (on by default) only where a test asks for it.
  const config = resolveConfig({
    log: { level: 'silent' },
    ...input,
    limits: { resume: 0, ...input.limits },
  });
  const porthole = createPorthole({ config, logger: createLogger('silent') });
  const address = await porthole.listen(port, '127.0.0.1');
  return {
    porthole,
    port: address.port,
    url: `http://127.0.0.1:${address.port}`,
    close: () => porthole.close(200),
  };
}

export interface TestBrowser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** One headless Chromium with a throwaway profile. Never downloads a browser. */
export async function launchBrowser(
  options: { viewport?: { width: number; height: number }; touch?: boolean } = {},
): Promise<TestBrowser> {
  if (!existsSync(CHROMIUM))
    throw new Error(`no Chromium at ${CHROMIUM} (apt-get install chromium)`);
  const profile = await mkdtemp(join(tmpdir(), 'porthole-e2e-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
    viewport: options.viewport ?? { width: 1280, height: 800 },
    hasTouch: options.touch ?? false,
    isMobile: options.touch ?? false,
    deviceScaleFactor: options.touch === true ? 2 : 1,
  });
  return {
    context,
    close: async () => {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

export type BrowserOptions = Parameters<typeof launchBrowser>[0];

/** Something to stop when the file's tests are done (a backend, a server, a profile). */
export interface Closable {
  close(): unknown;
}

/** What a test file gets from e2eSuite; `server` may be replaced (a restart on the same port). */
export interface E2ESuite {
  server: TestServer;
  browser: TestBrowser;
}

export interface SuiteOptions {
  browser?: BrowserOptions;
  /** Runs once Porthole and Chromium are up (e.g. to grant permissions for the server's origin). */
  ready?: (suite: E2ESuite) => Promise<void>;
}

/**
 * The one e2e set-up, per test file: in before(), `setup` starts what the hosts need (each
 * passed to `keep` is stopped at the end) and returns the config (default: the demo host);
 * then Porthole and Chromium start. after() stops Chromium, Porthole, then what was kept.
 */
export function e2eSuite(
  setup: (keep: <T extends Closable>(thing: T) => T) => ConfigInput | Promise<ConfigInput> = () =>
    DEFAULT_CONFIG_INPUT,
  options: SuiteOptions = {},
): E2ESuite {
  const kept: Closable[] = [];
  const keep = <T extends Closable>(thing: T): T => {
    kept.push(thing);
    return thing;
  };
  const suite = {} as E2ESuite;
  before(async () => {
    suite.server = await startServer(await setup(keep));
    suite.browser = await launchBrowser(options.browser);
    await options.ready?.(suite);
  });
  after(async () => {
    await suite.browser?.close();
    await suite.server?.close();
    await Promise.all(kept.map((k) => k.close()));
  });
  return suite;
}

/** The terminal's visible rows as text (DOM renderer), one line per row, right-trimmed. */
export async function screenText(page: Page): Promise<string> {
  return page.evaluate(() => {
    const rows = document.querySelectorAll('.xterm-rows > div');
    return [...rows].map((r) => (r.textContent ?? '').replace(/\u00a0/g, ' ').trimEnd()).join('\n');
  });
}

/** Waits until the terminal shows `text` (a string or a pattern). */
export async function waitForScreen(
  page: Page,
  text: string | RegExp,
  timeoutMs = 5000,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    last = await screenText(page);
    if (typeof text === 'string' ? last.includes(text) : text.test(last)) return last;
    await page.waitForTimeout(50);
  }
  throw new Error(`terminal never showed ${String(text)}; it shows:\n${last}`);
}

/** Waits for the app's connection state (the data-state attribute on #app). */
export async function waitForState(page: Page, state: string, timeoutMs = 5000): Promise<void> {
  await page
    .locator(`#app[data-state="${state}"]`)
    .waitFor({ state: 'attached', timeout: timeoutMs });
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });
}
