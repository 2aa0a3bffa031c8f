/// <reference types="node" preserve="true" />
/** The library surface: embed Porthole in your own Node app. */

export * from '../shared/protocol.ts';
export { createPorthole, type Porthole, type PortholeOptions } from './app.ts';
export type { Codec, CodecEvent, CodecOptions } from './codec/codec.ts';
export {
  type Config,
  ConfigError,
  type ConfigInput,
  loadConfigFile,
  resolveConfig,
} from './config/config.ts';
export { AuthError, type Principal } from './gateway/auth.ts';
export type { Session } from './session/session.ts';
