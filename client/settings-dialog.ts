/** The settings dialog: every change applies at once and is saved. */
import { byId, type Disposable, listen } from './dom.ts';
import { normalizeSettings, SettingLimits, type Settings } from './settings.ts';

export class SettingsDialog {
  #dialog = byId('settings-dialog', HTMLDialogElement);
  #form = byId('settings-form', HTMLFormElement);
  #fontSize = byId('set-font-size', HTMLInputElement);
  #theme = byId('set-theme', HTMLSelectElement);
  #scrollback = byId('set-scrollback', HTMLSelectElement);
  #renderer = byId('set-renderer', HTMLSelectElement);
  #keepLine = byId('set-keep-line', HTMLInputElement);
  #echoSent = byId('set-echo-sent', HTMLInputElement);
  #copySelect = byId('set-copy-select', HTMLInputElement);
  #keyBar = byId('set-key-bar', HTMLSelectElement);
  #localEcho = byId('set-local-echo', HTMLSelectElement);
  #screenReader = byId('set-screen-reader', HTMLInputElement);
  #settings: Settings;
  #onChange: (settings: Settings) => void;
  #listeners: Disposable[];
  #returnFocus: HTMLElement | undefined;

  #focusSession: () => boolean;

  /** `focusSession` puts focus back in an open session; false if there is none. */
  constructor(
    settings: Settings,
    onChange: (settings: Settings) => void,
    focusSession: () => boolean,
  ) {
    this.#settings = settings;
    this.#onChange = onChange;
    this.#focusSession = focusSession;
    this.#fontSize.min = String(SettingLimits.minFontSize);
    this.#fontSize.max = String(SettingLimits.maxFontSize);
    this.#listeners = [
      listen(this.#form, 'change', () => this.#read()),
      listen(byId('font-smaller', HTMLButtonElement), 'click', () => this.#stepFont(-1)),
      listen(byId('font-larger', HTMLButtonElement), 'click', () => this.#stepFont(1)),
      listen(this.#dialog, 'close', () => {
        if (!this.#focusSession()) this.#returnFocus?.focus();
      }),
    ];
  }

  open(): void {
    this.#fill();
    const active = document.activeElement;
    this.#returnFocus = active instanceof HTMLElement ? active : undefined;
    this.#dialog.showModal();
    this.#fontSize.focus();
  }

  dispose(): void {
    for (const l of this.#listeners) l.dispose();
  }

  #stepFont(delta: number): void {
    this.#apply({ ...this.#settings, fontSize: this.#settings.fontSize + delta });
    this.#fill();
  }

  #fill(): void {
    const s = this.#settings;
    this.#fontSize.value = String(s.fontSize);
    this.#theme.value = s.theme;
    this.#ensureOption(
      this.#scrollback,
      String(s.scrollback),
      `${s.scrollback.toLocaleString()} lines`,
    );
    this.#scrollback.value = String(s.scrollback);
    this.#renderer.value = s.renderer;
    this.#keepLine.checked = s.keepLine;
    this.#echoSent.checked = s.echoSent;
    this.#copySelect.checked = s.copyOnSelect;
    this.#keyBar.value = s.keyBar;
    this.#localEcho.value = s.localEcho;
    this.#screenReader.checked = s.screenReader;
  }

  #ensureOption(select: HTMLSelectElement, value: string, label: string): void {
    if ([...select.options].some((o) => o.value === value)) return;
    const option = document.createElement('option');
    option.value = value;
    option.textContent = label;
    select.append(option);
  }

  #read(): void {
    this.#apply({
      fontSize: Number(this.#fontSize.value),
      theme: this.#theme.value,
      scrollback: Number(this.#scrollback.value),
      renderer: this.#renderer.value,
      keepLine: this.#keepLine.checked,
      echoSent: this.#echoSent.checked,
      copyOnSelect: this.#copySelect.checked,
      keyBar: this.#keyBar.value,
      localEcho: this.#localEcho.value,
      screenReader: this.#screenReader.checked,
    });
  }

  #apply(raw: unknown): void {
    this.#settings = normalizeSettings(raw);
    this.#onChange(this.#settings);
  }
}
