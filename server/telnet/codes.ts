/**
 * Telnet command and option codes (RFC 854, 855 and the option RFCs / MUD specs cited
 * beside each), plus the limits the engine enforces.
 */

/** RFC 854 commands, plus EOR (RFC 885). */
export const Cmd = {
  EOR: 239,
  SE: 240,
  NOP: 241,
  DM: 242,
  BRK: 243,
  IP: 244,
  AO: 245,
  AYT: 246,
  EC: 247,
  EL: 248,
  GA: 249,
  SB: 250,
  WILL: 251,
  WONT: 252,
  DO: 253,
  DONT: 254,
  IAC: 255,
} as const;

export type Verb = (typeof Cmd)['WILL' | 'WONT' | 'DO' | 'DONT'];

/** Option codes: the ones we support and the ones we must recognise to refuse. */
export const Opt = {
  BINARY: 0, // RFC 856
  ECHO: 1, // RFC 857
  SGA: 3, // RFC 858
  TTYPE: 24, // RFC 1091
  EOR: 25, // RFC 885
  NAWS: 31, // RFC 1073
  TSPEED: 32, // RFC 1079
  LINEMODE: 34, // RFC 1184
  XDISPLOC: 35, // RFC 1096
  OLD_ENVIRON: 36, // RFC 1408
  AUTHENTICATION: 37, // RFC 2941
  ENCRYPT: 38, // RFC 2946
  NEW_ENVIRON: 39, // RFC 1572
  CHARSET: 42, // RFC 2066
  MSDP: 69, // tintin.mudhalla.net/protocols/msdp
  MSSP: 70, // tintin.mudhalla.net/protocols/mssp
  MCCP2: 86, // tintin.mudhalla.net/protocols/mccp
  MCCP3: 87,
  MXP: 91, // zuggsoft.com/zmud/mxp.htm; tags are parsed in the browser (client/mud/mxp.ts)
  GMCP: 201, // tintin.mudhalla.net/protocols/gmcp
} as const;

/** TTYPE subnegotiation verbs (RFC 1091). */
export const Ttype = { IS: 0, SEND: 1 } as const;

/** CHARSET subnegotiation verbs (RFC 2066 §3). */
export const Charset = {
  REQUEST: 1,
  ACCEPTED: 2,
  REJECTED: 3,
  TTABLE_IS: 4,
  TTABLE_REJECTED: 5,
  TTABLE_ACK: 6,
  TTABLE_NAK: 7,
} as const;

/** MSDP markers; MSSP uses the first two with the same values. */
export const Msdp = {
  VAR: 1,
  VAL: 2,
  TABLE_OPEN: 3,
  TABLE_CLOSE: 4,
  ARRAY_OPEN: 5,
  ARRAY_CLOSE: 6,
} as const;

/** MTTS bits (tintin.mudhalla.net/protocols/mtts): what the browser terminal really supports. */
export const Mtts = {
  ANSI: 1,
  VT100: 2,
  UTF8: 4,
  COLORS_256: 8,
  MOUSE_TRACKING: 16,
  OSC_COLOR_PALETTE: 32,
  SCREEN_READER: 64,
  PROXY: 128,
  TRUECOLOR: 256,
  MNES: 512,
  MSLP: 1024,
  SSL: 2048,
} as const;

export const TelnetLimits = {
  /** SECURITY.md C17/C18: Twisted and tinymux use the same 4 KiB. */
  maxSubnegotiationBytes: 4096,
  /**
   * GMCP and MSDP carry whole item and room lists; real MUDs exceed 4 KiB there. Allowed
   * only once we agreed to the option, and still below shared Limits.maxControlBytes.
   */
  maxMudSubnegotiationBytes: 32 * 1024,
  /** Decompression-bomb guard: inflated bytes from one backend read. */
  maxInflatedBytesPerChunk: 4 * 1024 * 1024,
  /** Inflated bytes parsed between checks of the event budget (like one plain read). */
  inflateStepBytes: 64 * 1024,

  /** GMCP messages the browser may queue before the backend has agreed to GMCP. */
  maxQueuedGmcp: 16,
  /** MSDP requests the browser may queue before the backend has agreed to MSDP. */
  maxQueuedMsdp: 16,
  /** MSDP nesting depth we decode; deeper input is a peer error, not a stack overflow. */
  maxMsdpDepth: 32,
} as const;

/** What we announce in GMCP `Core.Hello` once the backend agrees to GMCP. */
export const CLIENT_HELLO = { client: 'Porthole', version: '0.1.0' } as const;
