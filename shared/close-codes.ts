/**
 * WebSocket close codes Porthole uses, with the sentence the client shows for each.
 * Standard codes where RFC 6455 / IANA has one (1014 for every backend failure, so a
 * browser cannot tell refused from timeout from DNS failure: SECURITY.md B7); 4000–4099
 * for our own.
 */
export const CloseCode = {
  NORMAL: 1000,
  GOING_AWAY: 1001,
  PROTOCOL_ERROR: 1002,
  ABNORMAL: 1006,
  INVALID_DATA: 1007,
  POLICY: 1008,
  TOO_BIG: 1009,
  INTERNAL: 1011,
  RESTART: 1012,
  TRY_AGAIN_LATER: 1013,
  BAD_GATEWAY: 1014,
  IDLE_TIMEOUT: 4001,
  SESSION_LIMIT: 4002,
  BACKEND_CLOSED: 4003,
  BACKEND_PROTOCOL: 4004,
  /** To a spectator: the owner revoked the watch link, or it expired. */
  SHARE_ENDED: 4010,
  /** To a spectator: it did not keep up with the session's output (the owner never waits). */
  SPECTATOR_SLOW: 4011,
  /** Resume refused: the token is malformed or unknown, or `from` is past the output. */
  RESUME_BAD: 4020,
  /** Resume refused: the session held for this token has ended (hold time over, or closed). */
  RESUME_EXPIRED: 4021,
  /** Resume refused: the token belongs to another user or another host. */
  RESUME_FOREIGN: 4022,
  /** To the old browser: the session was resumed elsewhere (another tab or device). */
  TAKEN_OVER: 4023,
  /** An administrator ended the session (`DELETE /api/sessions/ID`). */
  ADMIN_ENDED: 4030,
} as const;

/** Close reasons are at most 123 bytes (RFC 6455 §5.5: 125-byte control payload minus the code). */
export const MAX_CLOSE_REASON_BYTES = 123;

interface CloseInfo {
  /** What the person at the terminal reads. */
  readonly sentence: string;
  /** Whether the client should reconnect on its own (an unexpected drop, not a deliberate end). */
  readonly retry: boolean;
}

const CLOSE_INFO: ReadonlyMap<number, CloseInfo> = new Map<number, CloseInfo>([
  [
    CloseCode.RESUME_BAD,
    { sentence: 'The held session could not be found; starting a new one.', retry: true },
  ],
  [
    CloseCode.RESUME_EXPIRED,
    { sentence: 'The held session has ended; starting a new one.', retry: true },
  ],
  [
    CloseCode.RESUME_FOREIGN,
    { sentence: 'That session belongs to someone else; starting a new one.', retry: true },
  ],
  [
    CloseCode.TAKEN_OVER,
    { sentence: 'This session was taken over by another window or device.', retry: false },
  ],
  [CloseCode.ADMIN_ENDED, { sentence: 'An administrator ended this session.', retry: false }],
  [CloseCode.NORMAL, { sentence: 'The session ended.', retry: false }],
  [
    CloseCode.GOING_AWAY,
    { sentence: 'The server is shutting down. Try again in a moment.', retry: true },
  ],
  [
    CloseCode.ABNORMAL,
    { sentence: 'The connection to the server was lost unexpectedly.', retry: true },
  ],
  [
    CloseCode.PROTOCOL_ERROR,
    {
      sentence: 'The session ended: the browser sent something the server could not read.',
      retry: false,
    },
  ],
  [
    CloseCode.INVALID_DATA,
    { sentence: 'The session ended: a message was not valid text.', retry: false },
  ],
  [
    CloseCode.POLICY,
    { sentence: 'The server ended the session because a rule was broken.', retry: false },
  ],
  [
    CloseCode.TOO_BIG,
    { sentence: 'The server ended the session: a message was too large.', retry: false },
  ],
  [
    CloseCode.INTERNAL,
    { sentence: 'The server hit an internal error and ended the session.', retry: true },
  ],
  [CloseCode.RESTART, { sentence: 'The server is restarting. Reconnecting shortly.', retry: true }],
  [
    CloseCode.TRY_AGAIN_LATER,
    { sentence: 'The server is at capacity right now. Try again later.', retry: true },
  ],
  [
    CloseCode.BAD_GATEWAY,
    {
      sentence:
        'Could not reach the host: it refused the connection, did not answer, or its name did not resolve.',
      retry: false,
    },
  ],
  [
    CloseCode.IDLE_TIMEOUT,
    { sentence: 'The session was closed after being idle too long.', retry: false },
  ],
  [
    CloseCode.SESSION_LIMIT,
    { sentence: 'The session reached its maximum allowed duration.', retry: false },
  ],
  [CloseCode.BACKEND_CLOSED, { sentence: 'The host closed the connection.', retry: false }],
  [
    CloseCode.BACKEND_PROTOCOL,
    {
      sentence: 'The host sent data that could not be decoded, so the session was ended.',
      retry: false,
    },
  ],
  [
    CloseCode.SHARE_ENDED,
    { sentence: 'The owner stopped sharing this session, or the link expired.', retry: false },
  ],
  [
    CloseCode.SPECTATOR_SLOW,
    {
      sentence: 'This view fell too far behind the session and was disconnected.',
      retry: true,
    },
  ],
]);

/** The sentence and retry policy for a close code; unknown codes get a generic sentence. */
export function describeClose(code: number): CloseInfo {
  return (
    CLOSE_INFO.get(code) ?? {
      sentence: `The connection closed (code ${code}).`,
      retry: code >= 1000 && code < 4000 && code !== CloseCode.NORMAL,
    }
  );
}

/**
 * Ends that come from the host's side after it was connected: it closed (4003) or reset
 * (1014 once connected). A MUD reboot looks like this; the client offers to reconnect, or
 * does so by itself for hosts with `reconnect: auto` (client/backend-retry.ts).
 */
export function isHostEnd(code: number): boolean {
  return code === CloseCode.BACKEND_CLOSED || code === CloseCode.BAD_GATEWAY;
}

/** 1014 after the host was connected is a lost connection, not a failure to reach it. */
export const HOST_LOST_SENTENCE = 'The connection to the host was lost. It may be restarting.';

/** Truncates a close reason to the 123-byte limit without splitting a UTF-8 sequence. */
export function clampReason(reason: string): string {
  const bytes = new TextEncoder().encode(reason);
  if (bytes.length <= MAX_CLOSE_REASON_BYTES) return reason;
  let end = MAX_CLOSE_REASON_BYTES;
  // Back off continuation bytes (10xxxxxx) so the cut lands on a character boundary.
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return new TextDecoder().decode(bytes.subarray(0, end));
}
