/**
 * @verity/explorer: a web explorer for a Verity deployment, served on 127.0.0.1.
 *
 * - `startExplorer`: builds the page (Vite + React, in `app/`) if needed and serves it, with the
 *   small local API it needs (`api/config`, `api/workers`, `api/verify/:id`);
 * - `buildApp`: the page alone, into `dist/`;
 * - `parsePrometheus`, `summarizeWorkerMetrics`, `readWorkerEndpoint`: worker metrics.
 *
 * @example
 * import { startExplorer } from "@verity/explorer";
 * const explorer = await startExplorer({ rpcUrl: "http://127.0.0.1:8545", hubAddress });
 * console.log(`open ${explorer.url}`);
 */
export * from "./api.js";
export * from "./build.js";
export * from "./metrics.js";
export * from "./server.js";
export { main, parseWorkerEndpoint } from "./cli.js";
