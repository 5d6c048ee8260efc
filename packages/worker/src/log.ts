import { pino, type Logger } from "pino";

/** JSON logs on stdout; each module logs through `logger.child({ module })`. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: "verity-worker" },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}
