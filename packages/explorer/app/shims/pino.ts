/**
 * The SDK makes a silent pino logger for its Node model runner, which the page never creates (its
 * own runner, app/verify.ts, logs nothing).
 */
const silent = {
  child: () => silent,
  trace: () => {},
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  fatal: () => {},
};

export const pino = () => silent;
export type Logger = typeof silent;
export default pino;
