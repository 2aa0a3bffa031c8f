/**
 * Triggers on completed lines (plain text or a regex, matched on the text without colour
 * codes): highlight, gag, send a command, play a sound, notify. Bounded so a host cannot
 * make the client spam it: a trigger whose actions fire too often (a send loop is the
 * usual case) is suspended with a message, and all triggers together may send only so
 * many commands per window. DOM-free; the clock is injected.
 */

import { substitute } from './commands.ts';
import type { Highlight, LineVerdict } from './line-filter.ts';
import type { Trigger } from './profile.ts';

export const TriggerLimits = {
  windowMs: 10_000,
  /** Action firings (send, sound, notify) per trigger per window. */
  maxFiresPerTrigger: 20,
  /** Commands sent by all triggers together per window. */
  maxSendsTotal: 40,
  /** Highlights one trigger paints on one line. */
  maxHighlightsPerLine: 20,
} as const;

export interface TriggerResult extends LineVerdict {
  sends: string[];
  sound: boolean;
  /** Text for a background notification. */
  notify: string | undefined;
  /** Messages for the player (suspensions). */
  messages: string[];
}

interface Compiled {
  trigger: Trigger;
  re: RegExp;
  fires: number[];
  suspended: boolean;
}

const escapeRegex = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function compile(t: Trigger): RegExp | undefined {
  try {
    return new RegExp(t.regex ? t.pattern : escapeRegex(t.pattern), 'gu');
  } catch {
    return undefined;
  }
}

export class TriggerEngine {
  #compiled: Compiled[] = [];
  #now: () => number;
  #sends: number[] = [];

  constructor(triggers: readonly Trigger[], now: () => number) {
    this.#now = now;
    this.set(triggers);
  }

  /** Replaces the trigger list (the profile was edited); suspensions are lifted. */
  set(triggers: readonly Trigger[]): void {
    this.#compiled = [];
    for (const trigger of triggers) {
      const re = trigger.enabled ? compile(trigger) : undefined;
      if (re !== undefined) this.#compiled.push({ trigger, re, fires: [], suspended: false });
    }
  }

  /** Whether any trigger changes how lines look (then partial lines are held back). */
  get rewrites(): boolean {
    return this.#compiled.some((c) => c.trigger.gag || c.trigger.highlight !== '');
  }

  get active(): boolean {
    return this.#compiled.length > 0;
  }

  match(line: string): TriggerResult | undefined {
    let result: TriggerResult | undefined;
    for (const c of this.#compiled) {
      if (c.suspended) continue;
      c.re.lastIndex = 0;
      const first = c.re.exec(line);
      if (first === null) continue;
      result ??= {
        gag: false,
        highlights: [],
        sends: [],
        sound: false,
        notify: undefined,
        messages: [],
      };
      this.#apply(c, line, first, result);
    }
    return result;
  }

  #apply(c: Compiled, line: string, first: RegExpExecArray, r: TriggerResult): void {
    const t = c.trigger;
    if (t.gag) r.gag = true;
    if (t.highlight !== '')
      (r.highlights as Highlight[]).push(...this.#spans(c.re, line, first, t.highlight));
    if (t.send === '' && !t.sound && !t.notify) return;
    if (!this.#fire(c, r)) return;
    if (t.send !== '') {
      const [command] = substitute(
        t.send,
        [...first].map((g) => g ?? ''),
        first[0],
      );
      if (this.#allowSend(c, r)) r.sends.push(command);
    }
    if (t.sound) r.sound = true;
    if (t.notify) r.notify = line.slice(0, 200);
  }

  #spans(re: RegExp, line: string, first: RegExpExecArray, color: string): Highlight[] {
    const spans: Highlight[] = [];
    let m: RegExpExecArray | null = first;
    while (m !== null && spans.length < TriggerLimits.maxHighlightsPerLine) {
      if (m[0].length === 0) {
        re.lastIndex++;
      } else spans.push({ start: m.index, end: m.index + m[0].length, color });
      m = re.exec(line);
    }
    return spans;
  }

  /** Counts a firing; false (and suspended, with a message) once it fires too often. */
  #fire(c: Compiled, r: TriggerResult): boolean {
    const now = this.#now();
    c.fires = c.fires.filter((t) => now - t < TriggerLimits.windowMs);
    c.fires.push(now);
    if (c.fires.length <= TriggerLimits.maxFiresPerTrigger) return true;
    this.#suspend(c, r, `it fired ${c.fires.length} times in ${TriggerLimits.windowMs / 1000} s`);
    return false;
  }

  #allowSend(c: Compiled, r: TriggerResult): boolean {
    const now = this.#now();
    this.#sends = this.#sends.filter((t) => now - t < TriggerLimits.windowMs);
    if (this.#sends.length >= TriggerLimits.maxSendsTotal) {
      this.#suspend(
        c,
        r,
        `triggers sent ${this.#sends.length} commands in ${TriggerLimits.windowMs / 1000} s`,
      );
      return false;
    }
    this.#sends.push(now);
    return true;
  }

  #suspend(c: Compiled, r: TriggerResult, why: string): void {
    c.suspended = true;
    r.messages.push(
      `Trigger "${c.trigger.pattern.slice(0, 60)}" suspended: ${why}. Edit or re-enable it in Scripts.`,
    );
  }
}
