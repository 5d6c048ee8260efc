import { readFileSync } from "node:fs";
import { isAddress, isHexString } from "ethers";
import { z } from "zod";

/**
 * Every setting of the worker. Keys are flat on purpose: `rpcUrl` is `VERITY_RPC_URL` in the
 * environment and `--rpc-url` on the command line, with no second naming scheme to learn.
 * Later sources win: defaults < config file < environment < flags.
 */
const integer = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce.number().int(`must be a whole number`).min(min).max(max);
const flag = z.preprocess((value) => {
  if (typeof value !== "string") return value;
  const normalized = value.trim().toLowerCase();
  if (["true", "1", "yes"].includes(normalized)) return true;
  if (["false", "0", "no"].includes(normalized)) return false;
  return value;
}, z.boolean("must be true or false"));
const address = z.string().refine(isAddress, "must be a 0x-prefixed 20-byte address");
const bytes32 = z.string().refine((s) => isHexString(s, 32), "must be a 0x-prefixed 32-byte hex");
const list = <T extends z.ZodType>(item: T) =>
  z.preprocess(
    (value) =>
      typeof value === "string"
        ? value
            .split(",")
            .map((s) => s.trim())
            .filter(Boolean)
        : value,
    z.array(item),
  );

export const configSchema = z.strictObject({
  /** JSON-RPC endpoint of the chain (http or https). */
  rpcUrl: z.url({
    protocol: /^https?$/,
    error: "must be an http(s) URL such as http://127.0.0.1:8545",
  }),
  /** Refuse to start unless the endpoint reports this chain id. */
  chainId: integer(1).optional(),
  /** The worker's key: it signs results and pays for its transactions. */
  privateKey: bytes32,
  /** The InferenceHub (it names its registries); by default the Ignition deployment's. */
  hubAddress: address.optional(),
  /** Where the journal, the checkpoint and the model cache live. */
  dataDir: z.string().min(1).default(".verity-worker"),
  /** Blocks to stay behind head before acting on an event (0: act on the newest block). */
  confirmations: integer(0, 1_000).default(0),
  /** How often to ask the node for new blocks and events. */
  pollIntervalMs: integer(5, 60_000).default(200),
  /** First block to scan when there is no checkpoint; default: `backfillBlocks` behind head. */
  startBlock: integer(0).optional(),
  backfillBlocks: integer(0).default(50_000),
  /** Largest block range asked of `eth_getLogs` at once. */
  logChunkBlocks: integer(1, 100_000).default(2_000),
  /** Serve only these models (ids); empty: every model. */
  models: list(bytes32).default([]),
  /** Answer requests assigned to another worker once their exclusive grace period has passed. */
  takeOverAfterGrace: flag.default(true),
  ipfsGateway: z
    .url("must be a URL such as https://ipfs.io/ipfs/")
    .default("http://127.0.0.1:8080/ipfs/"),
  modelFetchTimeoutMs: integer(100).default(30_000),
  maxSessions: integer(1, 1_000).default(8),
  inferenceTimeoutMs: integer(1).default(5_000),
  /**
   * Where `buildZkArtifacts` (@verity/zk) left circuits and keys; set it to answer ZK requests for
   * the models that have artifacts there. Unset: ZK requests are left to other workers.
   */
  zkArtifactsDir: z.string().min(1).optional(),
  /** Most results per `submitResults` transaction. */
  maxBatchSize: integer(1, 256).default(32),
  /** Transactions sent but not yet mined, at most. */
  maxPendingTxs: integer(1, 64).default(4),
  /** Re-send a transaction with higher fees when it is not mined within this time. */
  gasBumpAfterMs: integer(1_000).default(30_000),
  gasBumpPercent: integer(10, 500).default(20),
  /** Never pay more than this per gas (in gwei), bumped or not. */
  maxFeePerGasGwei: z.coerce.number().positive().default(500),
  /** Retries of a failed RPC call, with exponential backoff from `rpcBackoffMs`. */
  rpcRetries: integer(0, 100).default(8),
  rpcBackoffMs: integer(1).default(250),
  /** Finalize our own results once their challenge window has passed, when nobody else has. */
  finalize: flag.default(true),
  /** Refund requests we could not serve once their deadline has passed. */
  refundExpired: flag.default(true),
  /** When not registered, register with this stake (ETH); unset: refuse to start instead. */
  registerStakeEth: z.coerce.number().positive().optional(),
  /** HTTP server for /healthz and /metrics; port 0 picks a free port, -1 turns it off. */
  httpHost: z.string().default("127.0.0.1"),
  httpPort: integer(-1, 65_535).default(9464),
  logLevel: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info"),
  /**
   * Take part in QUORUM rounds (through the hub's QuorumCoordinator) and sit on dispute juries
   * (DisputeResolver) for the models this worker serves.
   */
  quorum: flag.default(true),
  /**
   * The watcher role: re-run other workers' ATTESTED results for the models this worker serves,
   * challenge the wrong ones (posting the hub's bond) and see the disputes through; defend this
   * worker's own results when challenged.
   */
  watch: flag.default(false),
  /** The DisputeResolver; by default the Ignition deployment's, else whoever holds the hub's role. */
  disputeResolverAddress: address.optional(),
  /** Test only: answer with a corrupted output, to show that dishonesty is caught. */
  dishonest: flag.default(false),
});

export type WorkerConfig = z.infer<typeof configSchema>;
export type ConfigKey = keyof WorkerConfig;
export const CONFIG_KEYS = Object.keys(configSchema.shape) as ConfigKey[];

/** A setting that cannot be used; the message names the key, where it came from, and the fix. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

type Source = "default" | `config file ${string}` | `env ${string}` | `flag --${string}`;

export const envName = (key: string) =>
  `VERITY_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
export const flagName = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const SECRET_KEYS: ReadonlySet<string> = new Set(["privateKey"]);

export interface ConfigSources {
  /** Path of a JSON file with any of the keys. */
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Parsed flags, keyed by config key (`rpcUrl`), values as given. */
  flags?: Partial<Record<string, unknown>>;
}

/**
 * Merges the sources and validates the result. Throws `ConfigError` listing every bad or unknown
 * key with where its value came from.
 */
export function loadConfig(sources: ConfigSources = {}): WorkerConfig {
  const merged: Record<string, unknown> = {};
  const origin: Record<string, Source> = {};
  const put = (key: string, value: unknown, source: Source) => {
    merged[key] = value;
    origin[key] = source;
  };
  const problems: string[] = [];

  if (sources.file !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(sources.file, "utf8"));
    } catch (error) {
      throw new ConfigError(
        `cannot read config file ${sources.file}: ${(error as Error).message}. ` +
          `Fix: pass a JSON object such as {"rpcUrl": "http://127.0.0.1:8545"}.`,
      );
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      throw new ConfigError(`config file ${sources.file} must hold a JSON object of settings`);
    }
    for (const [key, value] of Object.entries(parsed))
      put(key, value, `config file ${sources.file}`);
  }
  const env = sources.env ?? {};
  for (const key of CONFIG_KEYS) {
    const value = env[envName(key)];
    if (value !== undefined && value !== "") put(key, value, `env ${envName(key)}`);
  }
  for (const [key, value] of Object.entries(sources.flags ?? {})) {
    if (value !== undefined) put(key, value, `flag --${flagName(key)}`);
  }

  const result = configSchema.safeParse(merged);
  if (result.success) return result.data;
  for (const issue of result.error.issues) {
    const key = String(issue.path[0] ?? "");
    if (issue.code === "unrecognized_keys") {
      for (const unknown of issue.keys) {
        problems.push(
          `unknown setting "${unknown}" (${origin[unknown] ?? "?"}): ${suggest(unknown)}`,
        );
      }
      continue;
    }
    if (!(key in merged)) {
      problems.push(
        `${key} is required: set it with ${envName(key)}=... or --${flagName(key)} ...`,
      );
      continue;
    }
    const given = SECRET_KEYS.has(key) ? "(secret not shown)" : JSON.stringify(merged[key]);
    problems.push(`${key} ${issue.message}, got ${given} (from ${origin[key]}).`);
  }
  throw new ConfigError(`invalid worker configuration:\n  - ${problems.join("\n  - ")}`);
}

function suggest(unknown: string): string {
  const lower = unknown.toLowerCase().replace(/[-_]/g, "");
  const match = CONFIG_KEYS.find((key) => key.toLowerCase() === lower);
  return match ? `did you mean "${match}"?` : `known settings are ${CONFIG_KEYS.join(", ")}`;
}

/** The config with secrets masked, for logs and `--print-config`. */
export function redactConfig(config: WorkerConfig): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(config).map(([key, value]) => [key, SECRET_KEYS.has(key) ? "***" : value]),
  );
}
