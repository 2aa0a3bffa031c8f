/**
 * The MUD client in real Chromium against a scripted tbaMUD/MTH-style MUD on loopback:
 * command separator, alias and trigger, MSDP/GMCP vitals gauges that move, MXP `<send>`
 * links, split scrollback, and screenshots of the session with panels (desktop, phone).
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import {
  e2eSuite,
  launchBrowser,
  screenshot,
  screenText,
  type TestBrowser,
  waitForScreen,
  waitForState,
} from './helpers.ts';
import { type ScriptedMud, scriptedMud } from './mud-backend.ts';

let mud: ScriptedMud;

const PROFILE = {
  aliases: [{ pattern: 'k', body: 'kill $1' }],
  triggers: [
    { pattern: 'goblin hits you', highlight: '#ff5555', send: 'flee' },
    { pattern: '^You (\\w+)\\.$', regex: true, gag: true },
  ],
};

let siteUrl: string;

const suite = e2eSuite(async (keep) => {
  mud = keep(await scriptedMud());
  // A MUD's own page that embeds the client and draws its own HP bar from postMessage.
  const site = keep(
    createServer((_req, res) => {
      res.setHeader('Content-Type', 'text/html');
      res.end(
        `<!doctype html><title>Play</title><p id="hp">no data</p>` +
          `<iframe src="${suite.server.url}/?host=tba&embed=1" width="900" height="500"></iframe>` +
          `<script>window.got = []; addEventListener('message', (e) => {` +
          `window.got.push({ origin: e.origin, data: e.data });` +
          `if (e.data && e.data.source === 'porthole' && e.data.type === 'state' && e.data.health)` +
          ` document.getElementById('hp').textContent = e.data.health.value + '/' + e.data.health.max; });</script>`,
      );
    }),
  );
  await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
  siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
  return {
    frameAncestors: [siteUrl],
    hosts: [
      { id: 'tba', name: 'ScriptMUD', target: `telnet://127.0.0.1:${mud.port}`, input: 'line' },
    ],
  };
});

async function until(
  check: () => boolean,
  what: string,
  page: Page,
  timeoutMs = 5000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await page.waitForTimeout(25);
  }
}

async function open(page: Page, profile: unknown = PROFILE): Promise<void> {
  await page.addInitScript((p) => {
    localStorage.setItem('porthole.profile.tba', p);
  }, JSON.stringify(profile));
  await page.goto(`${suite.server.url}/?host=tba`);
  await waitForState(page, 'connected');
  await waitForScreen(page, 'Temple Square');
}

async function type(page: Page, line: string): Promise<void> {
  await page.locator('#line-input').fill(line);
  await page.locator('#line-input').press('Enter');
}

test('n;e;s sends three commands; an alias expands; a trigger highlights, sends and a gag hides', async () => {
  const page = await suite.browser.context.newPage();
  await open(page);
  const before = mud.commands.length;
  await type(page, 'n;e;s');
  await until(() => mud.commands.length >= before + 3, 'three commands', page);
  assert.deepEqual(mud.commands.slice(before, before + 3), ['n', 'e', 's']);
  await type(page, 'k goblin');
  await until(() => mud.commands.includes('kill goblin'), 'the alias', page);
  await type(page, 'hurt');
  await until(() => mud.commands.includes('flee'), 'the trigger to send flee', page);
  const screen = await waitForScreen(page, 'A goblin hits you hard!');
  assert.doesNotMatch(screen, /^You kill\.$/m, 'the gagged reply to "kill goblin" is hidden');
  const colour = await page.evaluate(() => {
    const spans = [...document.querySelectorAll('.xterm-rows span')];
    const hit = spans.find((s) => s.textContent?.includes('goblin hits you'));
    return hit === undefined ? '' : getComputedStyle(hit).color;
  });
  assert.equal(colour, 'rgb(255, 85, 85)', 'the trigger colours the match');
  await page.close();
});

async function gaugeIs(page: Page, kind: string, want: string): Promise<void> {
  await page.waitForFunction(
    ([k, w]) =>
      document.querySelector(`.mud-gauge[data-kind="${k}"] .mud-gauge-num`)?.textContent === w,
    [kind, want],
    { timeout: 5000 },
  );
}

test('the client asks for GMCP and MSDP; the gauges move on MSDP alone and on GMCP alone; exits walk', async () => {
  const page = await suite.browser.context.newPage();
  const events: string[] = [];
  await page.exposeFunction('seen', (type: string) => events.push(type));
  await page.addInitScript(() => {
    for (const t of ['gmcp', 'msdp', 'state'])
      window.addEventListener(`porthole:${t}`, () =>
        (window as unknown as { seen(t: string): void }).seen(t),
      );
  });
  await open(page, {});
  await gaugeIs(page, 'health', '120/120');
  await until(
    () => mud.gmcp.some((g) => g.startsWith('Core.Supports.Set')),
    'Core.Supports.Set',
    page,
  );
  assert.match(mud.gmcp.find((g) => g.startsWith('Core.Supports.Set')) ?? '', /"Char\.Vitals 1"/);
  assert.ok(mud.msdp.includes('LIST REPORTABLE_VARIABLES'), mud.msdp.join(' | '));
  await until(() => mud.msdp.some((m) => m.startsWith('REPORT ')), 'MSDP REPORT', page);
  const report = mud.msdp.find((m) => m.startsWith('REPORT ')) ?? '';
  for (const v of ['HEALTH', 'HEALTH_MAX', 'MANA', 'MOVEMENT', 'ROOM'])
    assert.match(report, new RegExp(`\\b${v}\\b`));
  await type(page, 'hurt');
  await gaugeIs(page, 'health', '70/120');
  await gaugeIs(page, 'mana', '60/80');
  const width = await page
    .locator('.mud-gauge[data-kind="health"] .mud-gauge-fill')
    .evaluate((e) => (e as HTMLElement).style.width);
  assert.equal(width, '58.3%');
  await type(page, 'heal');
  await gaugeIs(page, 'health', '100/120'); // MSDP only
  assert.equal(await page.locator('.mud-room-name').textContent(), 'Temple Square');
  await page.locator('.mud-exit', { hasText: /^e$/ }).click();
  await until(() => mud.commands.at(-1) === 'e', 'the exit button to send e', page);
  await page.waitForFunction(
    () => document.querySelector('.mud-room-name')?.textContent === 'Fountain Plaza',
  );
  await gaugeIs(page, 'movement', '97/100');
  await type(page, 'rest');
  await gaugeIs(page, 'movement', '100/100'); // GMCP only
  for (const t of ['gmcp', 'msdp', 'state']) assert.ok(events.includes(t), `a porthole:${t} event`);
  await page.close();
});

/** Moves to and clicks the `nth` (from the end) occurrence of `text` on screen, one cell in. */
async function clickText(
  page: Page,
  text: string,
  fromEnd = 0,
  click = true,
): Promise<{ x: number; y: number }> {
  const box = await page.evaluate(
    ([t, n]) => {
      // The DOM renderer draws some spaces as no-break spaces.
      const rows = [...document.querySelectorAll('.xterm-rows > div')].filter((r) =>
        (r.textContent ?? '').replaceAll('\u00a0', ' ').includes(t),
      );
      const row = rows[rows.length - 1 - n];
      if (row === undefined) return undefined;
      const walker = document.createTreeWalker(row, NodeFilter.SHOW_TEXT);
      let at = (row.textContent ?? '').replaceAll('\u00a0', ' ').indexOf(t);
      for (let node = walker.nextNode(); node !== null; node = walker.nextNode()) {
        const len = node.textContent?.length ?? 0;
        if (at < len) {
          const range = document.createRange();
          range.setStart(node, at);
          range.setEnd(node, at + 1);
          const r = range.getBoundingClientRect();
          return { x: r.left + r.width / 2, y: r.top + r.height / 2 };
        }
        at -= len;
      }
      return undefined;
    },
    [text, fromEnd] as const,
  );
  assert.ok(box, `"${text}" on screen:\n${await screenText(page)}`);
  await page.mouse.move(box.x - 30, box.y);
  await page.mouse.move(box.x, box.y, { steps: 3 });
  await page.waitForTimeout(100);
  if (click) await page.mouse.click(box.x, box.y);
  return box;
}

test('MXP: <send> links send when clicked, hints show on hover, <a> asks first, no tag is shown', async () => {
  const page = await suite.browser.context.newPage();
  await open(page, {});
  const screen = await waitForScreen(page, '[ Exits: n e ]');
  assert.doesNotMatch(screen, /<send|<\/send>|<a href/, 'MXP tags are markup, not text');
  assert.match(screen, /<120hp 80m 100mv>/, 'a prompt in <…> that is no MXP tag stays text');
  await until(() => mud.mxpReplies.length > 0, 'the answer to <VERSION>', page);
  assert.ok(mud.mxpReplies[0]?.startsWith('\x1b[1z<VERSION MXP=1.0 CLIENT=Porthole '));
  await clickText(page, 'n e ]');
  await until(() => mud.commands.at(-1) === 'n', 'the n link to send n', page);
  await waitForScreen(page, 'Market Street');
  await clickText(page, 'fountain splashes', 0, false);
  await page.waitForFunction(() =>
    document.getElementById('link-tip')?.textContent?.includes('Look at the fountain'),
  );
  await page.mouse.down();
  await page.mouse.up();
  await until(() => mud.commands.at(-1) === 'look fountain', 'the first menu command', page);
  const at = await clickText(page, 'fountain splashes', 0, false);
  await page.mouse.click(at.x, at.y, { button: 'right' });
  const items = page.locator('.mud-menu:not([hidden]) [role="menuitem"]');
  assert.deepEqual(await items.allTextContents(), ['Look at the fountain', 'Drink']);
  await items.filter({ hasText: 'Drink' }).click();
  await until(() => mud.commands.at(-1) === 'drink fountain', 'the menu to send drink', page);
  assert.equal(await page.locator('.mud-menu').isHidden(), true);
  await clickText(page, 'the map');
  await page.waitForSelector('#link-dialog[open]');
  assert.equal(await page.locator('#link-url').textContent(), 'https://example.org/map');
  await page.locator('#link-dialog button[value="cancel"]').click();
  await page.close();
});

test('hostile MXP: no script runs, nothing reaches the DOM as HTML, javascript: links are text', async () => {
  const page = await suite.browser.context.newPage();
  await open(page, {});
  await type(page, 'hostile');
  await waitForScreen(page, 'open-mode');
  for (const t of ['js', 'ja', 'tag', 'open-mode', 'bold']) await clickText(page, t);
  await page.waitForTimeout(300);
  const found = await page.evaluate(() => ({
    pwned: (window as unknown as { pwned?: number }).pwned,
    imgs: document.querySelectorAll('#terminal img, #terminal script').length,
    dialog: document.querySelector('#link-dialog[open]') !== null,
  }));
  assert.deepEqual(found, { pwned: undefined, imgs: 0, dialog: false });
  assert.ok(mud.commands.includes('javascript:window.pwned=1'), 'a send href is only ever text');
  assert.ok(mud.commands.includes('<img src=x onerror=window.pwned=5>'));
  assert.ok(!mud.commands.includes('quit'), 'open-mode <send> is no link');
  const screen = await waitForScreen(page, 'open-mode');
  assert.match(screen, /window\.pwned=3/, 'the script body is plain text');
  await page.close();
});

const splitOpen = (page: Page): Promise<boolean> =>
  page.evaluate(() => document.querySelector('.mud-split')?.hasAttribute('hidden') === false);

test('split scrollback: scrolling up during output shows live rows below; Esc and scrolling down close it', async () => {
  const page = await suite.browser.context.newPage();
  await open(page, {});
  await type(page, 'flood 120');
  await waitForScreen(page, 'Flood line 120 of 120');
  assert.equal(await splitOpen(page), false);
  await type(page, 'drip 150');
  await waitForScreen(page, 'Drip line 5 of 150');
  const term = page.locator('#terminal');
  await term.hover();
  await page.mouse.wheel(0, -600);
  await page.waitForFunction(
    () => document.querySelector('.mud-split')?.hasAttribute('hidden') === false,
  );
  await page.waitForFunction(
    () => /Drip line 2\d of 150/.test(document.querySelector('.mud-split')?.textContent ?? ''),
    undefined,
    { timeout: 10_000 },
  );
  const rows = await page.locator('.xterm-rows').textContent();
  assert.match(rows ?? '', /Flood line/, 'the upper pane shows history');
  assert.doesNotMatch(rows ?? '', /Drip line 2\d/, 'the terminal itself stayed scrolled up');
  await page.locator('#line-input').press('Escape');
  await page.waitForFunction(
    () => document.querySelector('.mud-split')?.hasAttribute('hidden') === true,
  );
  await page.mouse.wheel(0, -600);
  await page.waitForFunction(
    () => document.querySelector('.mud-split')?.hasAttribute('hidden') === false,
  );
  for (let i = 0; i < 40 && (await splitOpen(page)); i++) {
    await page.mouse.wheel(0, 400);
    await page.waitForTimeout(50);
  }
  assert.equal(await splitOpen(page), false, 'scrolling to the end closes the split');
  await page.close();
});

test('MUD tools: edit aliases and triggers per host, bad regex named and not saved, logs download', async () => {
  const page = await suite.browser.context.newPage();
  await open(page, {});
  await page.locator('#btn-mud-tools').click();
  const dialog = page.locator('dialog.mud-tools');
  await dialog.getByRole('button', { name: 'Add alias' }).click();
  await dialog.getByLabel('Alias', { exact: true }).fill('gg');
  await dialog.getByLabel('Becomes').fill('get gold;count gold');
  await dialog.getByRole('button', { name: 'Add trigger' }).click();
  await dialog.getByLabel('When a line has').fill('^You (get|count)\\b');
  await dialog.getByLabel('Send').fill('grin');
  await dialog.locator('.mud-row').last().getByText('Regex').click();
  await dialog.locator('.mud-row').last().getByText('Hide').click();
  await dialog.getByRole('button', { name: 'Add alias' }).click();
  await dialog.getByLabel('Alias', { exact: true }).last().fill('^bad(');
  await dialog.locator('.mud-row').nth(1).getByText('Regex').click();
  await dialog.getByRole('button', { name: 'Save' }).click();
  assert.match(
    (await page.locator('.mud-error').textContent()) ?? '',
    /Not saved: .*(group|paren|Invalid)/i,
  );
  assert.ok(
    await dialog.evaluate((d) => (d as HTMLDialogElement).open),
    'still open with the draft',
  );
  await dialog
    .locator('.mud-row')
    .nth(1)
    .getByRole('button', { name: /Delete/ })
    .click();
  await dialog.locator('label.check', { hasText: 'Keep a log' }).click();
  await dialog.getByRole('button', { name: 'Add key' }).click();
  await dialog.getByLabel('Key', { exact: true }).press('Control+F2');
  assert.equal(await dialog.getByLabel('Key', { exact: true }).inputValue(), 'Ctrl+F2');
  await dialog.getByLabel('Sends').fill('score');
  await dialog.getByRole('button', { name: 'Save' }).click();
  await page
    .waitForFunction(() => document.querySelector('dialog.mud-tools[open]') === null)
    .catch(async (e) => {
      throw new Error(`${e}: ${await page.locator('.mud-error').textContent()}`);
    });
  const stored = await page.evaluate(() => localStorage.getItem('porthole.profile.tba'));
  assert.match(stored ?? '', /"pattern":"gg"/);
  const before = mud.commands.length;
  await type(page, 'gg');
  await until(
    () => mud.commands.filter((c) => c === 'grin').length >= 2,
    'the trigger sends',
    page,
  );
  assert.deepEqual(mud.commands.slice(before, before + 2), ['get gold', 'count gold']);
  await page.locator('#line-input').press('Control+F2');
  await until(
    () => mud.commands.at(-1) === 'score' || mud.commands.includes('score'),
    'the key binding',
    page,
  );
  const screen = await screenText(page);
  assert.doesNotMatch(screen, /^You get\.$/m, 'the trigger hides its line');

  await page.locator('#btn-mud-tools').click();
  const [text] = await Promise.all([
    page.waitForEvent('download'),
    dialog.getByRole('button', { name: 'Download text' }).click(),
  ]);
  const plain = await readFile((await text.path()) ?? '', 'utf8');
  assert.match(plain, /^Temple Square$/m);
  assert.match(plain, /^<120hp 80m 100mv>/m);
  assert.ok(!plain.includes('\x1b'), 'no escape sequences in the text log');
  const [html] = await Promise.all([
    page.waitForEvent('download'),
    dialog.getByRole('button', { name: /HTML/ }).click(),
  ]);
  const doc = await readFile((await html.path()) ?? '', 'utf8');
  assert.match(doc, /<span style="color:#[0-9a-f]{6};font-weight:bold">Temple Square<\/span>/);
  assert.match(doc, /&#60;120hp 80m 100mv&#62;/, 'host text is escaped');
  assert.doesNotMatch(doc, /<script/i);
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await page.evaluate(() => window.dispatchEvent(new Event('pagehide')));
  const log = await page.evaluate(() => localStorage.getItem('porthole.log.tba'));
  assert.match(log ?? '', /› gg|› get gold/);
  assert.match(log ?? '', /You count\./);
  await page.close();
});

test('a trigger that answers itself is suspended with a message instead of looping', async () => {
  const page = await suite.browser.context.newPage();
  await open(page, { triggers: [{ pattern: '^You grin\\.$', regex: true, send: 'grin' }] });
  const grins = (): number => mud.commands.filter((c) => c === 'grin').length;
  const before = grins();
  await type(page, 'grin');
  await waitForScreen(page, 'suspended', 10_000);
  const sent = grins() - before;
  await page.waitForTimeout(500);
  assert.equal(grins() - before, sent, 'no more sends after it');
  // The typed one, then maxFiresPerTrigger (20) from the trigger.
  assert.equal(sent, 21);
  await page.close();
});

test('screenshots: the session with panels on a desktop and on a phone', async () => {
  const shoot = async (b: TestBrowser, name: string): Promise<void> => {
    const page = await b.context.newPage();
    await open(page, PROFILE);
    await type(page, 'hurt');
    await gaugeIs(page, 'health', '70/120');
    await page.locator('.mud-exit', { hasText: /^e$/ }).click();
    await page.waitForFunction(
      () => document.querySelector('.mud-room-name')?.textContent === 'Fountain Plaza',
    );
    await page.waitForTimeout(400); // the gauge transition
    const box = await page.locator('.mud-panel').boundingBox();
    assert.ok(box !== null && box.width > 0 && box.height > 0, 'the panel is shown');
    const term = await page.locator('#term-frame').boundingBox();
    assert.ok(
      term !== null && term.width >= 300 && term.height >= 300,
      'room left for the terminal',
    );
    await screenshot(page, name);
    await page.close();
  };
  await shoot(suite.browser, 'mud-desktop');
  const phone = await launchBrowser({ viewport: { width: 390, height: 844 }, touch: true });
  try {
    await shoot(phone, 'mud-phone');
  } finally {
    await phone.close();
  }
});

test('embed mode: the embedding page gets GMCP, MSDP and panel state by postMessage and draws its own gauge', async () => {
  const page = await suite.browser.context.newPage();
  await page.addInitScript(() => localStorage.setItem('porthole.profile.tba', '{}'));
  await page.goto(siteUrl);
  await page.waitForFunction(
    () => document.getElementById('hp')?.textContent === '120/120',
    undefined,
    {
      timeout: 10_000,
    },
  );
  const frame = page.frames().find((f) => f.url().includes('embed=1'));
  assert.ok(frame, 'the iframe');
  await frame.locator('#line-input').fill('hurt');
  await frame.locator('#line-input').press('Enter');
  await page.waitForFunction(() => document.getElementById('hp')?.textContent === '70/120');
  const got = await page.evaluate(
    () =>
      (
        window as unknown as {
          got: { origin: string; data: { source?: string; type?: string; package?: string } }[];
        }
      ).got,
  );
  const ours = got.filter((m) => m.data?.source === 'porthole');
  assert.ok(
    ours.every((m) => m.origin === suite.server.url.replace(/\/$/, '')),
    'sent by the client',
  );
  assert.ok(ours.some((m) => m.data.type === 'gmcp' && m.data.package === 'Char.Vitals'));
  assert.ok(ours.some((m) => m.data.type === 'msdp'));
  await page.close();
});

test('a 2 MB flood through MXP and triggers arrives in full, matched line by line', async () => {
  const page = await suite.browser.context.newPage();
  await open(page, {
    triggers: [{ pattern: '^Flood line (39999) of 40000:', regex: true, send: 'seen $1' }],
  });
  const started = Date.now();
  await type(page, 'flood 40000');
  const screen = await waitForScreen(page, 'Flood line 40000 of 40000', 120_000);
  const ms = Date.now() - started;
  const numbers = [...screen.matchAll(/^Flood line (\d+) of 40000/gm)].map((m) => Number(m[1]));
  assert.ok(numbers.length >= 10);
  for (const [i, n] of numbers.entries())
    assert.equal(n, (numbers[0] ?? 0) + i, 'no line lost or repeated');
  await until(() => mud.commands.includes('seen 39999'), 'the trigger near the end', page);
  // Not a speed test: recorded so that a regression shows in the log.
  console.log(`# 2 MB MUD flood drawn in ${ms} ms`);
  await page.close();
});
