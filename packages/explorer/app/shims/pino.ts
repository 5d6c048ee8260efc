/** The SDK makes a silent pino logger for model runners; the page never runs a model. */
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
