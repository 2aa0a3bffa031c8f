/**
 * Remote echo or a password prompt? Telnet `WILL ECHO` means both: a MUD sends it to hide a
 * password, while a telnetd shell, a BBS, many MUSHes and the built-in demo send it at connect
 * and echo everything themselves. Like Mudlet and TinTin++ this looks at the prompt: the input
 * line is masked only while the host echoes AND the line the cursor is on asks for a password,
 * or echo went off right at a prompt after something was typed (a MUD's "Password: " then
 * `WILL ECHO`). A host that echoes everything keeps a normal input line. DOM-free.
 */

/** A prompt that asks for a secret: "Password:", "Passphrase >", "Enter your PIN:", "Passwort:". */
export const PASSWORD_PROMPT_RE =
  /\b(pass(word|phrase|wd|code)?|passwort|mot de passe|contrase(ñ|n)a|senha|pin)\b[^\r\n]{0,24}[:>?]\s*$/i;

export class EchoState {
  #hostEcho = false;
  #typedSinceConnect = false;
  /** The prompt at which echo went off mid-session; masked while the cursor line still shows it. */
  #secretPrompt: string | undefined;
  #masked = false;

  /** Whether the host echoes (it has taken over echo): then the client must not echo too. */
  get hostEcho(): boolean {
    return this.#hostEcho;
  }

  get masked(): boolean {
    return this.#masked;
  }

  /** The host took over echo (true) or gave it back; `line` is the cursor line now. Returns masked. */
  setHostEcho(on: boolean, line: string): boolean {
    if (on && !this.#hostEcho && this.#typedSinceConnect && line.trim() !== '') {
      this.#secretPrompt = line;
    }
    this.#hostEcho = on;
    if (!on) this.#secretPrompt = undefined;
    return this.output(line);
  }

  /** Host output was drawn; `line` is the cursor line (text left of the cursor). Returns masked. */
  output(line: string): boolean {
    this.#masked = this.#hostEcho && (PASSWORD_PROMPT_RE.test(line) || line === this.#secretPrompt);
    return this.#masked;
  }

  /** The user sent a line: a prompt answered is no longer a reason to mask. */
  submitted(): void {
    this.#typedSinceConnect = true;
    this.#secretPrompt = undefined;
  }

  /** A new connection: the host starts out not echoing (telnet's default). */
  reset(): void {
    this.#hostEcho = false;
    this.#typedSinceConnect = false;
    this.#secretPrompt = undefined;
    this.#masked = false;
  }
}
