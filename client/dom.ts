/** Tiny DOM helpers. Every piece of text goes in through textContent, never as HTML. */

/** The element with this id, of this type; a missing element is a bug in index.html, so throw. */
export function byId<T extends HTMLElement>(id: string, type: abstract new () => T): T {
  const el = document.getElementById(id);
  if (!(el instanceof type)) throw new Error(`#${id} is missing or not a ${type.name}`);
  return el;
}

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: { className?: string; text?: string; attrs?: Record<string, string> } = {},
  children: readonly (Node | undefined)[] = [],
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (props.className !== undefined) el.className = props.className;
  if (props.text !== undefined) el.textContent = props.text;
  for (const [k, v] of Object.entries(props.attrs ?? {})) el.setAttribute(k, v);
  for (const c of children) if (c !== undefined) el.append(c);
  return el;
}

export interface Disposable {
  dispose(): void;
}

export function listen<K extends keyof HTMLElementEventMap>(
  target: HTMLElement,
  type: K,
  handler: (event: HTMLElementEventMap[K]) => void,
  options?: AddEventListenerOptions,
): Disposable {
  target.addEventListener(type, handler, options);
  return { dispose: () => target.removeEventListener(type, handler, options) };
}

export function listenWindow<K extends keyof WindowEventMap>(
  type: K,
  handler: (event: WindowEventMap[K]) => void,
  options?: AddEventListenerOptions,
): Disposable {
  window.addEventListener(type, handler, options);
  return { dispose: () => window.removeEventListener(type, handler, options) };
}

export function listenDocument<K extends keyof DocumentEventMap>(
  type: K,
  handler: (event: DocumentEventMap[K]) => void,
): Disposable {
  document.addEventListener(type, handler);
  return { dispose: () => document.removeEventListener(type, handler) };
}

/** Strips C0/C1 controls and caps the length: for titles and names taken from the host. */
export function plainText(text: string, maxChars: number): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point.
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '').slice(0, maxChars);
}
