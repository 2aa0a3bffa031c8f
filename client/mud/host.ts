/** What a session gives the MUD client layer (client/mud-link.ts loads it on demand). */
import type { StorageLike } from '../storage.ts';
import type { TerminalView } from '../terminal.ts';

export interface MudHost {
  readonly hostId: string;
  readonly storage: StorageLike | undefined;
  readonly view: TerminalView;
  /** Embedded in another site's page (`&embed=1`): events also go to the parent page. */
  readonly embed: boolean;
  /** Sends one command to the host as typed (CR added); false while the session is down. */
  sendCommand(command: string): boolean;
  /** Shows a sent command in the terminal when the settings ask for it. */
  echo(command: string): void;
  /** A dim local message in the terminal (never sent). */
  notice(text: string): void;
  gmcp(pkg: string, data?: unknown): void;
  msdp(data: Record<string, unknown>): void;
  /** Puts text in the command line (an MXP `<send prompt>` link). */
  prompt(text: string): void;
  focusInput(): void;
  /** Opens an http(s) address after the usual confirmation (an MXP `<a>` link). */
  openUrl(event: MouseEvent, url: string): void;
}
