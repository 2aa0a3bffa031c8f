/** Find in the scrollback (Ctrl+Shift+F): Enter for next, Shift+Enter for previous, Esc to close. */
import { byId, type Disposable, listen } from './dom.ts';
import type { TerminalView } from './terminal.ts';

export class SearchBar {
  #root = byId('search-bar', HTMLElement);
  #form = byId('search-form', HTMLFormElement);
  #input = byId('search-input', HTMLInputElement);
  #case = byId('search-case', HTMLInputElement);
  #result = byId('search-result', HTMLSpanElement);
  #view: TerminalView;
  #listeners: Disposable[];

  constructor(view: TerminalView) {
    this.#view = view;
    this.#listeners = [
      listen(this.#form, 'submit', (e) => {
        e.preventDefault();
        this.#find(true);
      }),
      listen(this.#input, 'input', () => this.#find(true, true)),
      listen(this.#input, 'keydown', (e) => {
        if (e.key === 'Escape') {
          e.preventDefault();
          this.close();
        } else if (e.key === 'Enter' && e.shiftKey) {
          e.preventDefault();
          this.#find(false);
        }
      }),
      listen(byId('search-prev', HTMLButtonElement), 'click', () => this.#find(false)),
      listen(byId('search-close', HTMLButtonElement), 'click', () => this.close()),
    ];
  }

  get open(): boolean {
    return !this.#root.hidden;
  }

  show(): void {
    this.#root.hidden = false;
    const selection = this.#view.term.getSelection();
    if (selection !== '' && !selection.includes('\n')) this.#input.value = selection;
    this.#input.focus();
    this.#input.select();
  }

  close(): void {
    this.#root.hidden = true;
    this.#result.textContent = '';
    this.#view.clearSearch();
    this.#view.focus();
  }

  dispose(): void {
    for (const l of this.#listeners) l.dispose();
    this.#root.hidden = true;
    this.#result.textContent = '';
  }

  #find(forward: boolean, incremental = false): void {
    const query = this.#input.value;
    if (query === '') {
      this.#result.textContent = '';
      this.#view.clearSearch();
      return;
    }
    if (incremental) this.#view.term.clearSelection();
    const found = forward
      ? this.#view.findNext(query, this.#case.checked)
      : this.#view.findPrevious(query, this.#case.checked);
    this.#result.textContent = found ? '' : 'No matches';
  }
}
