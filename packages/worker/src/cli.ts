import { parseArgs } from "node:util";
import { CONFIG_KEYS, ConfigError, flagName, loadConfig, redactConfig } from "./config.js";
import { createLogger } from "./log.js";
import { PreflightError } from "./preflight.js";
import { startWorker } from "./worker.js";

/** Exit codes scripts can rely on. */
export const EXIT = { ok: 0, unexpected: 1, config: 2, preflight: 3 } as const;

const USAGE = `verity-worker: answers Verity inference requests with onnxruntime and proves them.

usage: verity-worker [--config file.json] [--<setting> value ...] [--print-config]

Every setting can come from the config file, from VERITY_<SETTING> in the environment, or from
--<setting> (later wins). Settings: ${CONFIG_KEYS.map(flagName).join(", ")}.
See docs/worker.md for what each one does.

exit codes: 0 stopped cleanly, 1 unexpected error, 2 bad configuration, 3 chain or registration
check failed (the message says what to fix).`;

export async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        config: { type: "string" },
        "print-config": { type: "boolean" },
        help: { type: "boolean", short: "h" },
        ...Object.fromEntries(
          CONFIG_KEYS.map((key) => [flagName(key), { type: "string" as const }]),
        ),
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}\n`);
    return EXIT.config;
  }
  if (parsed.values.help) {
    process.stdout.write(`${USAGE}\n`);
    return EXIT.ok;
  }
  const flags = Object.fromEntries(
    CONFIG_KEYS.map((key) => [key, (parsed.values as Record<string, unknown>)[flagName(key)]]),
  );
  let config;
  try {
    config = loadConfig({ file: parsed.values.config, env: process.env, flags });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    return EXIT.config;
  }
  if (parsed.values["print-config"]) {
    process.stdout.write(`${JSON.stringify(redactConfig(config), null, 2)}\n`);
    return EXIT.ok;
  }
  const logger = createLogger(config.logLevel);
  let worker;
  try {
    worker = await startWorker(config, logger);
  } catch (error) {
    if (error instanceof PreflightError) {
      logger.fatal({ err: error.message }, "preflight failed");
      process.stderr.write(`verity-worker: ${error.message}\n`);
      return EXIT.preflight;
    }
    logger.fatal({ err: (error as Error).message }, "could not start");
    process.stderr.write(`verity-worker: ${(error as Error).message}\n`);
    return EXIT.unexpected;
  }
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.once(signal, () => {
      logger.info({ signal }, "stopping: finishing in-flight work");
      void worker.stop();
    });
  }
  await worker.stopped;
  return EXIT.ok;
}
