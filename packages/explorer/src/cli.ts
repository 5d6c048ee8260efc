import { parseArgs } from "node:util";
import { isAddress } from "ethers";
import type { WorkerEndpoint } from "./metrics.js";
import { DEFAULT_EXPLORER_PORT, startExplorer } from "./server.js";

const USAGE = `Usage: npm run explorer [options]

Serves the Verity explorer on 127.0.0.1. The page reads the chain from the RPC endpoint directly,
and "verify independently" runs in the page: it re-executes the model itself, on bytes it checks
against their pinned hashes. The server serves the page, the executor's .wasm and model files
by id (a relay; the page trusts none of it), and reads workers' metrics.

Options (environment variable in brackets):
  --rpc-url URL              JSON-RPC endpoint [VERITY_RPC_URL] (default http://127.0.0.1:8545)
  --hub-address 0x...        the InferenceHub [VERITY_HUB_ADDRESS] (default: the Ignition
                             deployment recorded for the node's chain)
  --chain-id N               refuse any other chain [VERITY_CHAIN_ID]
  --from-block N             first block searched for events [VERITY_FROM_BLOCK] (default 0)
  --port N                   port on 127.0.0.1 [VERITY_EXPLORER_PORT] (default ${DEFAULT_EXPLORER_PORT}; 0: any free port)
  --worker-metrics [ADDR=]URL
                             a worker's /healthz + /metrics base URL, optionally with its address;
                             repeatable [VERITY_WORKER_METRICS, comma-separated]
                             (default http://127.0.0.1:9464, the worker's default port)
  --ipfs-gateway URL         an IPFS gateway that sends CORS headers: the page fetches ipfs://
                             models from it [VERITY_IPFS_GATEWAY] (default: through the relay)
  --poll-interval-ms N       how often the page polls (default 1000)
  -h, --help                 this text

Next to a running \`npx verity devnet\`: npm run explorer (it finds the devnet's record)
(or run \`npx verity devnet --explorer\`, which starts both).`;

/** `npm run explorer`: parses flags and environment, starts the explorer until SIGINT or SIGTERM. */
export async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        "rpc-url": { type: "string" },
        "hub-address": { type: "string" },
        "chain-id": { type: "string" },
        "from-block": { type: "string" },
        port: { type: "string" },
        "worker-metrics": { type: "string", multiple: true },
        "poll-interval-ms": { type: "string" },
        "ipfs-gateway": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
    }).values;
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (parsed.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const env = process.env;
  let options;
  try {
    const hubAddress = parsed["hub-address"] ?? env.VERITY_HUB_ADDRESS;
    if (hubAddress !== undefined && !isAddress(hubAddress)) {
      throw new Error(`--hub-address ${hubAddress} is not an address`);
    }
    const metrics = parsed["worker-metrics"] ?? env.VERITY_WORKER_METRICS?.split(",");
    options = {
      rpcUrl: parsed["rpc-url"] ?? env.VERITY_RPC_URL,
      hubAddress,
      chainId: optionalInteger("--chain-id", parsed["chain-id"] ?? env.VERITY_CHAIN_ID),
      fromBlock: optionalInteger("--from-block", parsed["from-block"] ?? env.VERITY_FROM_BLOCK),
      port: optionalInteger("--port", parsed.port ?? env.VERITY_EXPLORER_PORT),
      pollIntervalMs: optionalInteger("--poll-interval-ms", parsed["poll-interval-ms"]),
      workerEndpoints: metrics?.map(parseWorkerEndpoint),
      ipfsGateway: parsed["ipfs-gateway"] ?? env.VERITY_IPFS_GATEWAY,
    };
    if (options.rpcUrl !== undefined) new URL(options.rpcUrl);
    if (options.ipfsGateway !== undefined) new URL(options.ipfsGateway);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  let explorer;
  try {
    explorer = await startExplorer(options);
  } catch (error) {
    const code = (error as { code?: string }).code;
    process.stderr.write(
      code === "EADDRINUSE"
        ? `Port ${options.port ?? DEFAULT_EXPLORER_PORT} on 127.0.0.1 is taken (an explorer already running?). Pick another with --port.\n`
        : `The explorer did not start: ${(error as Error).message}\n`,
    );
    return 1;
  }
  process.stdout.write(`Verity explorer: ${explorer.url} (Ctrl-C stops it)\n`);
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await explorer.close();
  return 0;
}

function optionalInteger(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new Error(`${flag} ${value} is not a whole number`);
  return Number(value);
}

/** `http://127.0.0.1:9464` or `0xabc…=http://127.0.0.1:9464`. */
export function parseWorkerEndpoint(text: string): WorkerEndpoint {
  const separator = text.indexOf("=");
  const address = separator > 0 ? text.slice(0, separator) : undefined;
  const url = separator > 0 ? text.slice(separator + 1) : text;
  if (address !== undefined && !isAddress(address)) {
    throw new Error(`--worker-metrics ${text}: ${address} is not an address`);
  }
  new URL(url); // throws "Invalid URL" for anything else
  return { address, url };
}
