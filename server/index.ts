/** The library surface: embed Porthole in your own Node app. */

export * from '../shared/protocol.ts';
export { createPorthole, type Porthole, type PortholeOptions } from './app.ts';
export { AuthError, type Principal } from './auth.ts';
export type { Codec, CodecEvent, CodecOptions } from './codec.ts';
export {
  type Config,
  ConfigError,
  type ConfigInput,
  loadConfigFile,
  resolveConfig,
} from './config.ts';
export type { Session } from './session.ts';
