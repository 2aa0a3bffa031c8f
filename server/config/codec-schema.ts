/** Config keys shared by configured hosts and custom targets: character set and newline. */
import iconv from 'iconv-lite';
import { z } from 'zod';
import { isUtf8 } from '../codec/charset.ts';

export const encodingSchema = z
  .string()
  .refine((e) => isUtf8(e) || iconv.encodingExists(e), {
    message: 'is not a character set iconv-lite knows (try utf-8, cp437, latin1, koi8-r, ...)',
  })
  .default('utf-8');

/** `auto` (the default) follows telnet BINARY; a set value always wins (issue 11). */
export const newlineSchema = z.enum(['auto', 'crlf', 'cr-nul', 'lf', 'cr']).default('auto');
