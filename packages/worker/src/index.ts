export * from "./config.js";
export * from "./worker.js";
export { PreflightError } from "./preflight.js";
export { createLogger } from "./log.js";
export type { Stage, JournalEntry } from "./journal.js";
