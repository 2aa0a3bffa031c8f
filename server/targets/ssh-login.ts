/**
 * Who logs in over SSH and how: ssh2's authHandler, driven by what the server still allows.
 * An operator key (`privateKeyFile`) is tried first; then the password or keyboard-interactive
 * prompts are shown in the terminal and answered there (masked unless the server asks for
 * echo), at most MAX_TYPED_ATTEMPTS times. Answers go to ssh2 and nowhere else (K9).
 */
import type {
  AuthenticationType,
  KeyboardInteractiveCallback,
  NextAuthHandler,
  Prompt,
} from 'ssh2';

/** Like OpenSSH's NumberOfPasswordPrompts. */
export const MAX_TYPED_ATTEMPTS = 3;
/** Prompts in one keyboard-interactive request beyond this are refused (bounded work). */
const MAX_PROMPTS = 8;

/** The terminal side: show text, ask for one answer (undefined = the user gave up). */
export interface LoginTerminal {
  show(text: string): void;
  ask(prompt: string, visible: boolean): Promise<string | undefined>;
}

export interface LoginSettings {
  /** undefined: asked in the terminal ("login as: "). */
  user: string | undefined;
  privateKey: Buffer | undefined;
  /** For the password prompt, as OpenSSH shows it: user@host. */
  hostLabel: string;
}

/** ssh2 takes `false` for "no more methods" (its typings leave it out). */
function giveUp(next: NextAuthHandler): void {
  (next as unknown as (method: false) => void)(false);
}

export class SshLogin {
  #settings: LoginSettings;
  #terminal: LoginTerminal;
  #user: string | undefined;
  #triedKey = false;
  #started = false;
  #typed = 0;
  /** The method that succeeded, for the log (never the answer). */
  method: AuthenticationType = 'none';

  constructor(settings: LoginSettings, terminal: LoginTerminal) {
    this.#settings = settings;
    this.#terminal = terminal;
    this.#user = settings.user;
  }

  get user(): string | undefined {
    return this.#user;
  }

  /** Typed attempts used up: the end was "permission denied", not an error. */
  get exhausted(): boolean {
    return this.#typed >= MAX_TYPED_ATTEMPTS;
  }

  /** ssh2's authHandler: `methodsLeft` is null before the server has named its methods. */
  handler = (
    methodsLeft: AuthenticationType[] | null,
    _partial: unknown,
    next: NextAuthHandler,
  ): void => {
    void this.#next(methodsLeft, next);
  };

  async #next(methodsLeft: AuthenticationType[] | null, next: NextAuthHandler): Promise<void> {
    if (this.#user === undefined) {
      const user = await this.#terminal.ask('login as: ', true);
      if (user === undefined) return;
      this.#user = user;
    }
    const username = this.#user;
    const { privateKey } = this.#settings;
    const offered = (m: AuthenticationType): boolean =>
      methodsLeft === null || methodsLeft.includes(m);
    if (privateKey !== undefined && !this.#triedKey && offered('publickey')) {
      this.#triedKey = true;
      this.#started = true;
      this.method = 'publickey';
      next({ type: 'publickey', username, key: privateKey });
      return;
    }
    if (!this.#started) {
      // "none" first, as OpenSSH does: the failure tells us which methods the server offers.
      this.#started = true;
      next({ type: 'none', username });
      return;
    }
    await this.#typedMethod(methodsLeft ?? [], username, next);
  }

  async #typedMethod(
    methods: AuthenticationType[],
    username: string,
    next: NextAuthHandler,
  ): Promise<void> {
    if (this.exhausted) {
      this.#terminal.show('Permission denied.\r\n');
      giveUp(next);
      return;
    }
    if (this.#typed > 0) this.#terminal.show('Permission denied, please try again.\r\n');
    if (methods.includes('keyboard-interactive')) {
      this.#typed++;
      this.method = 'keyboard-interactive';
      next({ type: 'keyboard-interactive', username, prompt: this.#interactive });
    } else if (methods.includes('password')) {
      this.#typed++;
      this.method = 'password';
      const password = await this.#terminal.ask(
        `${username}@${this.#settings.hostLabel}'s password: `,
        false,
      );
      if (password !== undefined) next({ type: 'password', username, password });
    } else {
      this.#terminal.show(
        `The server offers no login Porthole can do (${methods.join(', ')}).\r\n`,
      );
      this.#typed = MAX_TYPED_ATTEMPTS;
      giveUp(next);
    }
  }

  #interactive = (
    name: string,
    instructions: string,
    _lang: string,
    prompts: Prompt[],
    finish: KeyboardInteractiveCallback,
  ): void => {
    void (async () => {
      if (prompts.length > MAX_PROMPTS) {
        finish([]);
        return;
      }
      for (const text of [name, instructions]) if (text !== '') this.#terminal.show(`${text}\r\n`);
      const answers: string[] = [];
      for (const prompt of prompts) {
        const answer = await this.#terminal.ask(prompt.prompt, prompt.echo === true);
        if (answer === undefined) return;
        answers.push(answer);
      }
      finish(answers);
    })();
  };
}
