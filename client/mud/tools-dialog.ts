/**
 * The MUD tools dialog (a button in the session's top bar): edit this host's profile
 * (command-line options, aliases, triggers, key bindings), import and export it as JSON, and
 * download the session log. Edits apply on Save; entries that would be dropped are named
 * and nothing is saved until they are fixed. Built on demand with textContent only.
 */
import type { Terminal } from '@xterm/xterm';
import { h } from '../dom.ts';
import { bufferLines } from './cells.ts';
import { bindingName } from './keypad.ts';
import {
  type Alias,
  exportProfile,
  importProfile,
  type KeyBinding,
  normalizeProfile,
  type Profile,
  type Trigger,
} from './profile.ts';
import { type AutoLog, logFileName, logHtml, logText } from './session-log.ts';

export interface ToolsHost {
  hostId: string;
  term: Terminal;
  autoLog: AutoLog;
  profile(): Profile;
  /** Saves and applies an edited profile. */
  apply(profile: Profile): void;
}

type Kind = 'text' | 'check' | 'color' | 'key';
interface Field<T> {
  key: keyof T & string;
  label: string;
  kind: Kind;
  placeholder?: string;
}

const ALIAS_FIELDS: Field<Alias>[] = [
  { key: 'pattern', label: 'Alias', kind: 'text', placeholder: 'k  or  ^gt (.+)$' },
  { key: 'body', label: 'Becomes', kind: 'text', placeholder: 'kill $1' },
  { key: 'regex', label: 'Regex', kind: 'check' },
  { key: 'enabled', label: 'On', kind: 'check' },
];
const TRIGGER_FIELDS: Field<Trigger>[] = [
  { key: 'pattern', label: 'When a line has', kind: 'text', placeholder: 'You are hungry' },
  { key: 'send', label: 'Send', kind: 'text', placeholder: 'eat bread' },
  { key: 'highlight', label: 'Colour', kind: 'color' },
  { key: 'regex', label: 'Regex', kind: 'check' },
  { key: 'gag', label: 'Hide', kind: 'check' },
  { key: 'sound', label: 'Beep', kind: 'check' },
  { key: 'notify', label: 'Notify', kind: 'check' },
  { key: 'enabled', label: 'On', kind: 'check' },
];
const KEY_FIELDS: Field<KeyBinding>[] = [
  { key: 'key', label: 'Key', kind: 'key', placeholder: 'Press a key here' },
  { key: 'command', label: 'Sends', kind: 'text', placeholder: 'cast heal' },
];

function control<T>(item: T, f: Field<T>): HTMLElement {
  const rec = item as Record<string, unknown>;
  if (f.kind === 'check') {
    const box = h('input', { attrs: { type: 'checkbox' } });
    box.checked = rec[f.key] === true;
    box.addEventListener('change', () => (rec[f.key] = box.checked));
    return h('label', { className: 'mud-cell mud-check' }, [box, h('span', { text: f.label })]);
  }
  if (f.kind === 'color') {
    const on = h('input', { attrs: { type: 'checkbox', 'aria-label': 'Colour the match' } });
    const pick = h('input', { attrs: { type: 'color', 'aria-label': 'Highlight colour' } });
    const value = String(rec[f.key] ?? '');
    on.checked = value !== '';
    pick.value = value === '' ? '#ff5555' : value;
    const sync = (): void => {
      rec[f.key] = on.checked ? pick.value : '';
    };
    on.addEventListener('change', sync);
    pick.addEventListener('input', () => {
      on.checked = true;
      sync();
    });
    return h('label', { className: 'mud-cell mud-check' }, [
      on,
      pick,
      h('span', { text: f.label }),
    ]);
  }
  const input = h('input', {
    attrs: {
      type: 'text',
      spellcheck: 'false',
      autocomplete: 'off',
      placeholder: f.placeholder ?? '',
    },
  });
  input.value = String(rec[f.key] ?? '');
  input.setAttribute('aria-label', f.label);
  input.addEventListener('input', () => (rec[f.key] = input.value));
  if (f.kind === 'key') input.addEventListener('keydown', (e) => recordKey(e, input, rec, f.key));
  return h('label', { className: 'mud-cell mud-text' }, [h('span', { text: f.label }), input]);
}

const MODIFIERS = new Set(['Control', 'Alt', 'Shift', 'Meta']);

/** A key field records the key pressed in it (Tab still moves on, Backspace clears). */
function recordKey(
  e: KeyboardEvent,
  input: HTMLInputElement,
  rec: Record<string, unknown>,
  key: string,
): void {
  if ((e.key === 'Tab' && !e.ctrlKey && !e.altKey) || e.key === 'Escape' || MODIFIERS.has(e.key))
    return;
  e.preventDefault();
  const name = e.key === 'Backspace' || e.key === 'Delete' ? '' : bindingName(e);
  input.value = name;
  rec[key] = name;
}

function listEditor<T>(
  title: string,
  one: string,
  items: T[],
  fields: Field<T>[],
  blank: () => T,
): HTMLElement {
  const rows = h('div', { className: 'mud-rows' });
  const render = (): void => {
    rows.replaceChildren(
      ...items.map((item, i) => {
        const del = h('button', {
          className: 'icon-btn small mud-del',
          text: '×',
          attrs: { type: 'button', 'aria-label': `Delete ${one} ${i + 1}` },
        });
        del.addEventListener('click', () => {
          items.splice(i, 1);
          render();
        });
        return h('div', { className: 'mud-row' }, [...fields.map((f) => control(item, f)), del]);
      }),
    );
    if (items.length === 0) rows.append(h('p', { className: 'mud-empty', text: 'None yet.' }));
  };
  render();
  const add = h('button', {
    className: 'btn btn-quiet',
    text: `Add ${one}`,
    attrs: { type: 'button' },
  });
  add.addEventListener('click', () => {
    items.push(blank());
    render();
    rows.querySelector<HTMLInputElement>('.mud-row:last-child input[type="text"]')?.focus();
  });
  return h('fieldset', { className: 'mud-list' }, [h('legend', { text: title }), rows, add]);
}

function download(name: string, type: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = h('a', { attrs: { href: url, download: name } });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export class ToolsDialog {
  readonly button: HTMLButtonElement;
  #host: ToolsHost;
  #dialog = h('dialog', {
    className: 'dialog mud-tools',
    attrs: { 'aria-labelledby': 'mud-tools-heading' },
  });
  #error = h('p', { className: 'mud-error', attrs: { role: 'alert' } });
  #draft: Profile | undefined;

  constructor(host: ToolsHost) {
    this.#host = host;
    this.button = h('button', {
      className: 'icon-btn',
      attrs: {
        type: 'button',
        id: 'btn-mud-tools',
        title: 'Aliases, triggers, keys and session log',
        'aria-label': 'MUD tools: aliases, triggers, keys and session log',
        'aria-haspopup': 'dialog',
      },
    });
    const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
    svg.setAttribute('viewBox', '0 0 24 24');
    svg.setAttribute('aria-hidden', 'true');
    const path = document.createElementNS('http://www.w3.org/2000/svg', 'path');
    path.setAttribute('d', 'M5 6h14M5 12h9M5 18h14M17 10l3 2-3 2');
    svg.append(path);
    this.button.append(svg);
    this.button.addEventListener('click', () => this.open());
    document.getElementById('btn-settings')?.before(this.button);
    document.body.append(this.#dialog);
  }

  open(): void {
    this.#draft = structuredClone(this.#host.profile());
    this.#error.textContent = '';
    this.#dialog.replaceChildren(this.#form(this.#draft));
    this.#dialog.showModal();
  }

  dispose(): void {
    this.button.remove();
    this.#dialog.remove();
  }

  #form(p: Profile): HTMLElement {
    const form = h('form', { className: 'dialog-form', attrs: { method: 'dialog' } }, [
      h('h2', { text: 'MUD tools', attrs: { id: 'mud-tools-heading' } }),
      this.#options(p),
      listEditor('Aliases', 'alias', p.aliases, ALIAS_FIELDS, () => ({
        pattern: '',
        regex: false,
        body: '',
        enabled: true,
      })),
      listEditor('Triggers', 'trigger', p.triggers, TRIGGER_FIELDS, () => ({
        pattern: '',
        regex: false,
        highlight: '',
        gag: false,
        send: '',
        sound: false,
        notify: false,
        enabled: true,
      })),
      listEditor('Keys', 'key', p.keys, KEY_FIELDS, () => ({ key: '', command: '' })),
      this.#logs(),
      this.#error,
      this.#actions(),
    ]);
    form.addEventListener('submit', (e) => {
      const submitter = (e as SubmitEvent).submitter;
      if (submitter instanceof HTMLButtonElement && submitter.value === 'save' && !this.#save())
        e.preventDefault();
    });
    return form;
  }

  #options(p: Profile): HTMLElement {
    const sep = h('input', {
      attrs: {
        type: 'text',
        maxlength: '3',
        spellcheck: 'false',
        'aria-label': 'Command separator',
      },
    });
    sep.value = p.separator;
    sep.addEventListener('input', () => (p.separator = sep.value));
    const check = (
      key: 'speedwalk' | 'keypad' | 'splitScroll' | 'autoLog',
      label: string,
    ): HTMLElement => {
      const box = h('input', { attrs: { type: 'checkbox' } });
      box.checked = p[key];
      box.addEventListener('change', () => (p[key] = box.checked));
      return h('label', { className: 'check' }, [box, document.createTextNode(` ${label}`)]);
    };
    return h('fieldset', {}, [
      h('legend', { text: 'Command line' }),
      h('label', { className: 'field' }, [
        h('span', { text: 'Separator (\\ before it sends it as text; empty turns it off)' }),
        sep,
      ]),
      check('speedwalk', 'Speedwalk (3n2e walks three north, two east)'),
      check('keypad', 'Numeric keypad walks (8 north, 2 south, + up, − down)'),
      check('splitScroll', 'Split scrollback: live output stays visible while scrolled up'),
      check('autoLog', 'Keep a log of this host in this browser (last 256 KB, never passwords)'),
    ]);
  }

  #logs(): HTMLElement {
    const btn = (text: string, act: () => void): HTMLButtonElement => {
      const b = h('button', { className: 'btn', text, attrs: { type: 'button' } });
      b.addEventListener('click', act);
      return b;
    };
    const t = this.#host.term;
    const lines = () => {
      const b = t.buffer.normal;
      return bufferLines(
        b,
        0,
        b.length,
        t.options.theme ?? {},
        t.options.drawBoldTextInBrightColors ?? true,
      );
    };
    const name = (ext: string): string => logFileName(this.#host.hostId, ext, new Date());
    return h('fieldset', {}, [
      h('legend', { text: 'Session log' }),
      h('div', { className: 'mud-buttons' }, [
        btn('Download text', () => download(name('txt'), 'text/plain', logText(lines()))),
        btn('Download with colours (HTML)', () => {
          const th = t.options.theme ?? {};
          download(
            name('html'),
            'text/html',
            logHtml(
              this.#host.hostId,
              lines(),
              th.foreground ?? '#d8dee9',
              th.background ?? '#0f1419',
            ),
          );
        }),
        btn('Download auto-log', () =>
          download(name('log.txt'), 'text/plain', this.#host.autoLog.text),
        ),
        btn('Clear auto-log', () => this.#host.autoLog.clear()),
      ]),
    ]);
  }

  #actions(): HTMLElement {
    const file = h('input', {
      attrs: { type: 'file', accept: 'application/json,.json', hidden: '' },
    });
    file.addEventListener('change', () => void this.#import(file));
    const importBtn = h('button', {
      className: 'btn btn-quiet',
      text: 'Import…',
      attrs: { type: 'button' },
    });
    importBtn.addEventListener('click', () => file.click());
    const exportBtn = h('button', {
      className: 'btn btn-quiet',
      text: 'Export',
      attrs: { type: 'button' },
    });
    exportBtn.addEventListener('click', () =>
      download(
        `porthole-profile-${this.#host.hostId}.json`,
        'application/json',
        exportProfile(this.#host.hostId, this.#draft ?? this.#host.profile()),
      ),
    );
    return h('div', { className: 'dialog-actions' }, [
      file,
      importBtn,
      exportBtn,
      h('span', { className: 'mud-spacer' }),
      h('button', { className: 'btn', text: 'Cancel', attrs: { type: 'submit', value: 'cancel' } }),
      h('button', {
        className: 'btn btn-primary',
        text: 'Save',
        attrs: { type: 'submit', value: 'save', id: 'mud-tools-save' },
      }),
    ]);
  }

  /** Validates the draft; saves and returns true, or names what is wrong and returns false. */
  #save(): boolean {
    const d = this.#draft;
    if (d === undefined) return true;
    // Rows added and left empty are not mistakes. (The editors keep the draft's arrays.)
    const { profile, dropped } = normalizeProfile({
      ...d,
      aliases: d.aliases.filter((a) => a.pattern.trim() !== '' || a.body.trim() !== ''),
      triggers: d.triggers.filter((t) => t.pattern !== '' || t.send !== ''),
      keys: d.keys.filter((k) => k.key.trim() !== '' || k.command.trim() !== ''),
    });
    if (dropped.length > 0) {
      this.#error.textContent = `Not saved: ${dropped.slice(0, 5).join('; ')}.`;
      return false;
    }
    this.#host.apply(profile);
    return true;
  }

  async #import(input: HTMLInputElement): Promise<void> {
    const f = input.files?.[0];
    input.value = '';
    if (f === undefined) return;
    const result = importProfile(
      f.size > 1024 * 1024 ? 'x'.repeat(1024 * 1024 + 1) : await f.text(),
    );
    if (typeof result === 'string') {
      this.#error.textContent = result;
      return;
    }
    this.#draft = result.profile;
    this.#dialog.replaceChildren(this.#form(this.#draft));
    this.#error.textContent =
      result.dropped.length > 0
        ? `Imported; left out: ${result.dropped.slice(0, 5).join('; ')}. Save to keep it.`
        : 'Imported. Save to keep it.';
  }
}
