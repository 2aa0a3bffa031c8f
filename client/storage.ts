/**
 * localStorage behind a small interface: it throws in some sandboxed iframes and private
 * modes, and tests pass a Map-backed fake. Every read is validated by its caller.
 */
export interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

const PREFIX = 'porthole.';

/** Reads and parses a JSON value; undefined when missing, unreadable or not JSON. */
export function readJson(storage: StorageLike | undefined, key: string): unknown {
  try {
    const text = storage?.getItem(PREFIX + key);
    return text === null || text === undefined ? undefined : JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Writes a JSON value; storage that is full or forbidden is not worth failing over. */
export function writeJson(storage: StorageLike | undefined, key: string, value: unknown): void {
  try {
    storage?.setItem(PREFIX + key, JSON.stringify(value));
  } catch {
    // Quota exceeded or storage denied: settings simply do not persist.
  }
}

/** window.localStorage, or undefined where touching it throws. */
export function browserStorage(): StorageLike | undefined {
  try {
    // Typed structurally: this module is also compiled for Node (tests), which has no DOM types.
    return (globalThis as { localStorage?: StorageLike }).localStorage;
  } catch {
    return undefined;
  }
}

/** In-memory storage for tests and for pages without localStorage. */
export class MemoryStorage implements StorageLike {
  #items = new Map<string, string>();
  getItem(key: string): string | null {
    return this.#items.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.#items.set(key, value);
  }
  removeItem(key: string): void {
    this.#items.delete(key);
  }
}
