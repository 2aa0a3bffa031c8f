/** ioredis's own typings import this untyped package for two error base classes. */
declare module 'redis-errors' {
  export class AbortError extends Error {}
  export class RedisError extends Error {}
  export class ReplyError extends RedisError {}
  export class ParserError extends RedisError {}
  export class InterruptError extends AbortError {}
}
