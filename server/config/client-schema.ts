/**
 * Host keys that shape the web client's behaviour for that host (issue 11): which typed lines
 * never enter the input history, and what happens when the host drops the connection.
 */
import { z } from 'zod';

const pattern = z
  .string()
  .min(1)
  .max(200)
  .refine(
    (source) => {
      try {
        new RegExp(source, 'i');
        return true;
      } catch {
        return false;
      }
    },
    { message: 'must be a valid regular expression' },
  );

export const clientShape = {
  /**
   * Regular expressions (case-insensitive): a line typed in line mode that matches one is
   * never stored in the input history. Added to the built-in ones (MUSH/MOO `connect` and
   * `create` with a password, `@password`).
   */
  noHistory: z.array(pattern).max(16).optional(),
  /**
   * When the host closes or resets the connection mid-session (a MUD reboot): `ask` offers a
   * Reconnect button, `auto` reconnects by itself after a short countdown.
   */
  reconnect: z.enum(['ask', 'auto']).optional(),
};
