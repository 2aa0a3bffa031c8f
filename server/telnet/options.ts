import { Cmd, Opt, type Verb } from './codes.ts';

/** 'us' is our side of an option (we send WILL/WONT), 'him' the backend's (we send DO/DONT). */
export type Side = 'us' | 'him';

/** Which sides of an option we agree to enable when the backend asks. */
export interface OptionPolicy {
  us: boolean;
  him: boolean;
}

/** The options we accept. Anything missing from this table is refused. */
export const SUPPORTED_OPTIONS: ReadonlyMap<number, OptionPolicy> = new Map([
  [Opt.BINARY, { us: true, him: true }],
  [Opt.ECHO, { us: false, him: true }], // the backend echoes; we never echo back to it
  [Opt.SGA, { us: true, him: true }],
  [Opt.TTYPE, { us: true, him: false }],
  [Opt.EOR, { us: false, him: true }],
  [Opt.NAWS, { us: true, him: false }],
  [Opt.CHARSET, { us: true, him: true }], // RFC 2066 lets either side send REQUEST
  [Opt.MSDP, { us: false, him: true }],
  [Opt.MSSP, { us: false, him: true }],
  [Opt.MCCP2, { us: false, him: true }],
  [Opt.GMCP, { us: false, him: true }],
  // The server side of MXP: we say DO; the browser renders only the secure subset.
  [Opt.MXP, { us: false, him: true }],
]);

/**
 * SECURITY.md D7 and CVE-2026-24061: user input must never become environment or login
 * data, so these stay refused whatever the table above says. The one exception is
 * NEW-ENVIRON on a host with `mnes: true` (MNES_OPTIONS below), answered by environ.ts
 * from values Porthole chooses.
 */
export const ALWAYS_REFUSED: ReadonlySet<number> = new Set([
  Opt.NEW_ENVIRON,
  Opt.OLD_ENVIRON,
  Opt.LINEMODE,
  Opt.AUTHENTICATION,
  Opt.ENCRYPT,
  Opt.XDISPLOC,
  Opt.TSPEED,
]);

/** A host with `mnes: true`: the same table plus our side of NEW-ENVIRON (SECURITY.md K6). */
export const MNES_OPTIONS: ReadonlyMap<number, OptionPolicy> = new Map([
  ...SUPPORTED_OPTIONS,
  [Opt.NEW_ENVIRON, { us: true, him: false }],
]);

export const MNES_REFUSED: ReadonlySet<number> = new Set(
  [...ALWAYS_REFUSED].filter((option) => option !== Opt.NEW_ENVIRON),
);

// RFC 1143 §7: the four states plus the one-bit queue, folded into one value per side.
type Q = 'no' | 'yes' | 'wantno' | 'wantno-opposite' | 'wantyes' | 'wantyes-opposite';
type Reply = 'accept' | 'refuse' | undefined;
type Step = readonly [Q, Reply];

// RFC 1143: receiving WILL (him) or DO (us). 'no' depends on policy and is handled apart.
const ON_POSITIVE: Readonly<Record<Exclude<Q, 'no'>, Step>> = {
  yes: ['yes', undefined], // already on: silence is what stops loops
  wantno: ['no', undefined], // error: DONT answered by WILL; settle on NO, do not reply
  'wantno-opposite': ['yes', undefined], // error, but we wanted it back on anyway
  wantyes: ['yes', undefined],
  'wantyes-opposite': ['wantno', 'refuse'],
};

// RFC 1143: receiving WONT (him) or DONT (us).
const ON_NEGATIVE: Readonly<Record<Q, Step>> = {
  no: ['no', undefined], // already off: replying is how loops start
  yes: ['no', 'refuse'],
  wantno: ['no', undefined],
  'wantno-opposite': ['wantyes', 'accept'],
  wantyes: ['no', undefined],
  'wantyes-opposite': ['no', undefined],
};

/** What to do after a negotiation: a reply to send and/or an option that changed state. */
export interface Outcome {
  side: Side;
  option: number;
  /** The verb to send back, if any. */
  reply: Verb | undefined;
  /** The new state when the option turned on or off; undefined when it did not change. */
  changed: boolean | undefined;
}

function replyVerb(side: Side, reply: Reply): Verb | undefined {
  if (reply === undefined) return undefined;
  if (side === 'him') return reply === 'accept' ? Cmd.DO : Cmd.DONT;
  return reply === 'accept' ? Cmd.WILL : Cmd.WONT;
}

/** Per-option state for both sides, kept by the RFC 1143 Q method. */
export class OptionTable {
  #policy: ReadonlyMap<number, OptionPolicy>;
  #refused: ReadonlySet<number>;
  #us: Q[] = new Array<Q>(256).fill('no');
  #him: Q[] = new Array<Q>(256).fill('no');

  constructor(
    policy: ReadonlyMap<number, OptionPolicy> = SUPPORTED_OPTIONS,
    refused: ReadonlySet<number> = ALWAYS_REFUSED,
  ) {
    this.#policy = policy;
    this.#refused = refused;
  }

  /** True when the option is fully on for that side. */
  enabled(side: Side, option: number): boolean {
    return this.#states(side)[option & 0xff] === 'yes';
  }

  /** Whether we would agree if the backend asked for this side of the option. */
  acceptable(side: Side, option: number): boolean {
    if (this.#refused.has(option)) return false;
    return this.#policy.get(option)?.[side] ?? false;
  }

  /** Applies a WILL/WONT/DO/DONT received from the backend. */
  receive(verb: Verb, option: number): Outcome {
    const side: Side = verb === Cmd.WILL || verb === Cmd.WONT ? 'him' : 'us';
    const positive = verb === Cmd.WILL || verb === Cmd.DO;
    const current = this.#states(side)[option & 0xff] ?? 'no';
    let step: Step;
    if (!positive) step = ON_NEGATIVE[current];
    else if (current !== 'no') step = ON_POSITIVE[current];
    else step = this.acceptable(side, option) ? ['yes', 'accept'] : ['no', 'refuse'];
    return this.#apply(side, option, step);
  }

  #apply(side: Side, option: number, [next, reply]: Step): Outcome {
    const states = this.#states(side);
    const index = option & 0xff;
    const was = states[index] === 'yes';
    states[index] = next;
    const now = next === 'yes';
    return { side, option, reply: replyVerb(side, reply), changed: was === now ? undefined : now };
  }

  #states(side: Side): Q[] {
    return side === 'us' ? this.#us : this.#him;
  }
}
