/**
 * Host keys for how Porthole reaches a backend (issue 15): TLS verification, the player's
 * address (PROXY protocol, WEBIRC, MNES). Checked once here; each error names its key.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { AUTH_USER, type SshKeys, sshKeyProblems, sshShape } from './ssh-schema.ts';
import type { TargetKind } from './target-url.ts';

/** Reads a file at load time so a typo is a config error, not a failed session later. */
function readable(what: string, looksRight: (text: string) => boolean) {
  return z
    .string()
    .min(1)
    .refine(
      (path) => {
        try {
          return looksRight(readFileSync(path, 'utf8'));
        } catch {
          return false;
        }
      },
      { message: `must be a readable file holding ${what}` },
    );
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----/;

/** `AB:CD:…` (32 bytes) as openssl and Node print it; colons and case are optional. */
export const fingerprintSchema = z
  .string()
  .transform((v) => v.replace(/[:\s]/g, '').toUpperCase())
  .refine((v) => /^[0-9A-F]{64}$/.test(v), {
    message: 'must be a SHA-256 fingerprint: 32 hex bytes like AB:CD:…',
  })
  .transform((v) => v.match(/../g)?.join(':') ?? v);

/** `tls:` of a `telnets://` or `tls://` host. */
export const backendTlsSchema = z.strictObject({
  /** PEM file of the CA(s) to trust instead of the system's; a self-signed certificate itself works. */
  ca: readable('a PEM certificate', (t) => PEM_CERT.test(t)).optional(),
  /** Name sent as SNI and checked in the certificate; default: the target's host name. */
  servername: z
    .string()
    .regex(/^[A-Za-z0-9.-]{1,253}$/, 'must be a DNS name')
    .optional(),
  /** Also require this exact certificate (SHA-256 of the DER, as fingerprint256). */
  fingerprint256: fingerprintSchema.optional(),
  /** Skip CA and name checks (a pin, if set, is still enforced); logged at start. */
  insecure: z.boolean().default(false),
});

export type BackendTlsConfig = z.output<typeof backendTlsSchema>;

/** IRC parameters may hold no space or line end, and a leading ':' would start the trailing one. */
const ircWord = z
  .string()
  .regex(/^[^\s:\0][^\s\0]{0,199}$/, 'must be one IRC word: no spaces, not starting with ":"');

/** `webirc:` of an IRC host: the first line is `WEBIRC password gateway hostname ip`. */
export const webircSchema = z.strictObject({
  password: ircWord,
  /** The gateway name the IRC server's WEBIRC block expects (IRCv3 WEBIRC). */
  gateway: ircWord.default('porthole'),
});

export type WebircConfig = z.output<typeof webircSchema>;

/** The host keys this file adds, spread into the host schema. */
export const backendShape = {
  tls: backendTlsSchema.optional(),
  /** HAProxy PROXY protocol header with the browser's address, before any other byte. */
  proxyProtocol: z.enum(['v1', 'v2']).optional(),
  webirc: webircSchema.optional(),
  /** Answer NEW-ENVIRON with the MNES variables (values chosen by Porthole) on telnet hosts. */
  mnes: z.boolean().default(false),
  ...sshShape,
};

interface BackendKeys extends SshKeys {
  recordInput?: boolean | undefined;
  tls?: unknown;
  proxyProtocol?: unknown;
  webirc?: unknown;
  mnes: boolean;
}

/** Which keys make sense for which target scheme; returns [key, message] for each misuse. */
export function backendKeyProblems(
  scheme: TargetKind,
  host: BackendKeys,
  authMode: string,
): [string, string][] {
  const problems = sshKeyProblems(scheme === 'ssh', host);
  if (host.user === AUTH_USER && authMode === 'none')
    problems.push(['user', '$auth needs auth.mode other than none']);
  // The SSH login prompt is Porthole's own and sends no echo message: keystrokes recorded
  // there would be passwords.
  if (scheme === 'ssh' && host.recordInput === true)
    problems.push(['recordInput', 'is not for ssh:// hosts (passwords are typed in the terminal)']);
  const tls = scheme === 'telnets' || scheme === 'tls';
  if (host.tls !== undefined && !tls) problems.push(['tls', 'needs a telnets:// or tls:// target']);
  if (host.webirc !== undefined && scheme !== 'tcp' && scheme !== 'tls')
    problems.push(['webirc', 'needs a tcp:// or tls:// target (IRC is not telnet)']);
  if (host.mnes && scheme !== 'telnet' && scheme !== 'telnets')
    problems.push(['mnes', 'needs a telnet:// or telnets:// target']);
  if (host.proxyProtocol !== undefined && (scheme === 'builtin' || scheme === 'ssh'))
    problems.push(['proxyProtocol', `is not for ${scheme} targets`]);
  return problems;
}
