/**
 * The host catalogue: configured hosts by id (a Map, so `__proto__` or `constructor` are
 * just unknown ids: SECURITY.md B2), what the picker may see, and live MSSP figures.
 */
import type { HostProtocol, InputMode, PublicHost } from '../../shared/api.ts';
import type { HostConfig } from '../config/config.ts';
import { type ParsedTarget, parseTarget } from '../config/target-url.ts';
import { type TlsSettings, tlsSettings } from './backend-tls.ts';
import { type SshHostSettings, sshSettings } from './ssh-dial.ts';

export interface HostEntry {
  config: HostConfig;
  target: ParsedTarget;
  protocol: HostProtocol;
  input: InputMode;
  mssp: Record<string, string[]> | undefined;
  /** Set for `telnets://` and `tls://` targets: how the certificate is checked. */
  tls?: TlsSettings;
  /** Set for `ssh://` targets: host key policy and the operator's key, read at start. */
  ssh?: SshHostSettings;
}

/** What a reload changed, by host id. */
export interface HostListChange {
  added: string[];
  changed: string[];
  removed: string[];
}

function entryFor(config: HostConfig): HostEntry {
  const target = parseTarget(config.target);
  const protocol = target.kind;
  // An input line unless the host says otherwise: MUDs and line protocols (IRC, SMTP)
  // do not echo, so keystroke mode would have players typing blind. Shells and BBSes
  // (which echo and use hotkeys) set `input: raw`; the demo does. An SSH shell is one.
  const input = config.input ?? (protocol === 'ssh' ? 'raw' : 'line');
  const entry: HostEntry = { config, target, protocol, input, mssp: undefined };
  if (protocol === 'telnets' || protocol === 'tls')
    entry.tls = tlsSettings(config.tls, target.host);
  if (protocol === 'ssh') entry.ssh = sshSettings(config);
  return entry;
}

export class HostCatalogue {
  #hosts = new Map<string, HostEntry>();

  constructor(hosts: readonly HostConfig[]) {
    for (const config of hosts) this.#hosts.set(config.id, entryFor(config));
  }

  /**
   * Swaps in a new host list (SIGHUP). Live sessions keep the entry they started with; new
   * sessions see the new list. An unchanged host keeps its entry (and its MSSP figures).
   */
  replace(hosts: readonly HostConfig[]): HostListChange {
    const change: HostListChange = { added: [], changed: [], removed: [] };
    const next = new Map<string, HostEntry>();
    for (const config of hosts) {
      const old = this.#hosts.get(config.id);
      if (old !== undefined && JSON.stringify(old.config) === JSON.stringify(config)) {
        next.set(config.id, old);
        continue;
      }
      (old === undefined ? change.added : change.changed).push(config.id);
      next.set(config.id, entryFor(config));
    }
    for (const id of this.#hosts.keys()) if (!next.has(id)) change.removed.push(id);
    this.#hosts = next;
    return change;
  }

  get(id: string): HostEntry | undefined {
    return typeof id === 'string' ? this.#hosts.get(id) : undefined;
  }

  list(): HostEntry[] {
    return [...this.#hosts.values()];
  }

  /** One sentence per host whose backend certificate is not verified, for the start-up log. */
  insecureHosts(which: (id: string) => boolean = () => true): string[] {
    return this.list()
      .filter((h) => h.tls?.insecure === true && which(h.config.id))
      .map(
        (h) =>
          `host ${h.config.id}: insecure: true, the certificate of ${h.target.host}:${h.target.port} is not verified` +
          (h.tls?.fingerprint256 === undefined
            ? ''
            : ' (only its pinned fingerprint256 is checked)'),
      );
  }

  usesDemo(): boolean {
    return this.list().some((h) => h.protocol === 'builtin');
  }

  setMssp(id: string, vars: Record<string, string[]>): void {
    const entry = this.#hosts.get(id);
    if (entry !== undefined) entry.mssp = vars;
  }

  toPublic(entry: HostEntry): PublicHost {
    const { config } = entry;
    const out: PublicHost = {
      id: config.id,
      name: config.name,
      tags: [...(config.tags ?? [])],
      protocol: entry.protocol,
      input: entry.input,
    };
    if (config.description !== undefined) out.description = config.description;
    if (config.showAddress && entry.protocol !== 'builtin')
      out.address = `${entry.target.host}:${entry.target.port}`;
    const mssp = entry.mssp;
    if (mssp !== undefined) {
      const first = (k: string): string | undefined => mssp[k]?.[0];
      const num = (k: string): number | undefined => {
        const n = Number(first(k));
        return Number.isFinite(n) ? n : undefined;
      };
      const m: NonNullable<PublicHost['mssp']> = {};
      const name = first('NAME');
      const players = num('PLAYERS');
      const uptime = num('UPTIME');
      if (name !== undefined) m.name = name.slice(0, 100);
      if (players !== undefined) m.players = players;
      if (uptime !== undefined) m.uptime = uptime;
      out.mssp = m;
    }
    return out;
  }
}
