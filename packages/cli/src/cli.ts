import { parseArgs, type ParseArgsConfig } from "node:util";
import {
  ChainMismatchError,
  ChallengeNotOpenError,
  ContractNotDeployedError,
  ContractRevertError,
  DEFAULT_RPC_URL,
  DeploymentNotFoundError,
  InsufficientFundsError,
  InvalidInputError,
  ModelAlreadyDeprecatedError,
  ModelFileError,
  ModelNotFoundError,
  RefundNotPossibleError,
  RequestNotFoundError,
  ResultNotAvailableError,
  RpcUnreachableError,
  SignerRequiredError,
  TensorValueError,
  TransactionRejectedError,
  WaitTimeoutError,
} from "@verity/sdk";
import {
  ModelRefusedError,
  infer,
  modelList,
  modelRegister,
  modelShow,
  result,
  verify,
  type CommandContext,
} from "./commands.js";
import {
  NothingToChallengeError,
  challenge,
  dispute,
  etherOf,
  modelDeprecate,
  modelFee,
  refund,
  withdraw,
} from "./disputes.js";
import { commandHelp, didYouMean, versionText } from "./help.js";
import { EXIT, UsageError, createOutput, type ExitCode, type Output } from "./output.js";

export const USAGE = `verity: verifiable AI inference on EVM chains, from the command line.

usage: verity [global options] <command> [options]

commands:
  model register <file.onnx>   register an ONNX model (id = SHA-256 of the file, shapes read from it)
      [--uri <uri>] [--decimals 6] [--fee-eth 0] [--modes ATTESTED[,ZK]] [--previous-version <id>]
      [--input-shape 1,3,224,224] [--output-shape 1,1000]
                               the shapes to register when the graph leaves a dimension open
                               (an export with a dynamic batch); before anything is sent the
                               model is loaded and run once in the canonical executor, and one
                               that would fail every request is refused (exit 5, with the fix)
  model list                   every model registered on the hub
  model show <model>           one model: owner, uri, shapes, decimals, fee, modes, status
  model fee <model> <ether>    set the fee the model's owner earns per inference (owner only)
  model deprecate <model>      deprecate a model: new requests are refused (owner only; final)
  infer <model> --input <json|file>
                               request an inference and pay for it; <model> is a model id, a
                               sample name (credit-risk, mnist-mlp) or an .onnx file; --input is a
                               JSON array of real values, a 0x tensor, or a file holding either
      [--mode ATTESTED] [--wait] [--final] [--timeout 60] [--assignee auto|none|<address>]
      [--deadline-seconds <s>]
                               --wait: until a worker's result is accepted (a signed result
                               says until when it is open to challenge); --final: until it is
                               settled, failed or refunded, after any challenge window
  result <requestId> [--wait] [--final] [--timeout 60]
                               a request's status, output, worker and settlement
  verify <requestId>           re-run the model locally and check the result and its proof
                               off-chain: exit 0 when it matches, 7 when it does not
  challenge <requestId> [--bond <ether>]
                               challenge an ATTESTED result in its challenge window: re-runs the
                               model locally and claims its output, posting the hub's bond (or
                               --bond); refused when the result matches
  dispute <requestId>          a result's dispute: challenger, bond, jury round, timeout, outcome
  refund <requestId>           refund a request nobody answered, once its deadline has passed
                               (anyone may): the hub credits the requester, who then withdraws;
                               before the deadline it says when
  withdraw [--to <address>]    withdraw what the hub holds for you (refunds, rewards, fees,
                               returned bonds) to you or --to; sends nothing when it is zero
  worker start [worker flags]  run a worker (the verity-worker service; see docs/worker.md)
  devnet [--port 8545] [--challenge-window-seconds 0] [--explorer [--explorer-port 8555]]
                               a local chain with Verity deployed, the sample models registered
                               and a worker running, and with --explorer the web explorer on
                               127.0.0.1 (docs/explorer.md); Ctrl-C stops everything

global options:
  --rpc-url <url>    JSON-RPC endpoint (VERITY_RPC_URL; default ${DEFAULT_RPC_URL})
  --hub <address>    the InferenceHub (VERITY_HUB_ADDRESS; default: the running devnet recorded
                     for --rpc-url in ~/.verity/devnets, then the Ignition deployment recorded
                     for the chain in deploy/deployments/)
  --chain-id <id>    refuse any other chain (VERITY_CHAIN_ID)
  --from-block <n>   first block searched for events, e.g. the hub's deployment block on a
                     long chain whose RPC limits log queries (VERITY_FROM_BLOCK; default 0)
  --json             print one JSON document (errors too: {"error": {...}}) instead of text
  -h, --help         this help (after a command: that command's)
  -V, --version      the version
The sending account's key comes from VERITY_PRIVATE_KEY (never a flag).

exit codes:
  0 done (verify: the result matches)   1 unexpected error   2 bad command line or settings
  3 the chain cannot be used (no node answers, wrong chain, Verity not deployed there)
  4 the chain refused or does not know it (contract revert, the node refusing the
    transaction, unknown model or request, a result that cannot or need not be challenged, a
    request that cannot be refunded yet)
  5 unusable file or input (bad --input, not an ONNX model, a model that would fail every
    request)   6 a wait timed out
  7 verify: the result does NOT match
Every error says what went wrong and what to fix. See docs/getting-started.md.`;

type Options = NonNullable<ParseArgsConfig["options"]>;

const GLOBAL_OPTIONS = {
  "rpc-url": { type: "string" },
  hub: { type: "string" },
  "chain-id": { type: "string" },
  "from-block": { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} satisfies Options;

const COMMAND_OPTIONS: Record<string, Options> = {
  "model register": {
    uri: { type: "string" },
    decimals: { type: "string" },
    "fee-eth": { type: "string" },
    modes: { type: "string" },
    "previous-version": { type: "string" },
    "input-shape": { type: "string" },
    "output-shape": { type: "string" },
  },
  "model list": {},
  "model show": {},
  "model fee": {},
  "model deprecate": {},
  infer: {
    input: { type: "string" },
    mode: { type: "string" },
    wait: { type: "boolean" },
    final: { type: "boolean" },
    timeout: { type: "string" },
    assignee: { type: "string" },
    "deadline-seconds": { type: "string" },
  },
  result: { wait: { type: "boolean" }, final: { type: "boolean" }, timeout: { type: "string" } },
  verify: {},
  challenge: { bond: { type: "string" } },
  dispute: {},
  refund: {},
  withdraw: { to: { type: "string" } },
  devnet: {
    port: { type: "string" },
    "challenge-window-seconds": { type: "string" },
    explorer: { type: "boolean" },
    "explorer-port": { type: "string" },
  },
};

/** Commands that take a subcommand. */
const GROUPS = new Set(["model", "worker"]);

/**
 * Runs the `verity` command line and returns its exit code (see `EXIT` and `USAGE`).
 *
 * @example
 * process.exit(await main(["infer", "credit-risk", "--input", "[0.1, ...]", "--wait"]));
 */
export async function main(argv: string[]): Promise<number> {
  const json = argv.includes("--json");
  const out = createOutput(json);
  try {
    return await run(argv, out);
  } catch (error) {
    out.error(error);
    return exitCodeOf(error);
  }
}

async function run(argv: string[], out: Output): Promise<ExitCode> {
  const { command, rest } = splitCommand(argv);
  if (command === "worker start") return workerStart(rest);
  if (
    command === "version" ||
    (command === "" && (argv.includes("--version") || argv.includes("-V")))
  ) {
    process.stdout.write(`${versionText()}\n`);
    return EXIT.ok;
  }
  if (command === "" || command === "help") {
    process.stdout.write(`${USAGE}\n`);
    return command === "" && !argv.includes("--help") && !argv.includes("-h")
      ? EXIT.usage
      : EXIT.ok;
  }
  const wantsHelp = rest.includes("--help") || rest.includes("-h");
  const help = commandHelp(USAGE, command);
  if (wantsHelp && help !== undefined) {
    process.stdout.write(`${help}\n`);
    return EXIT.ok;
  }
  const commandOptions = COMMAND_OPTIONS[command];
  if (commandOptions === undefined) {
    const known = [...Object.keys(COMMAND_OPTIONS), "worker start", "help", "version"];
    const suggestion = didYouMean(command, known);
    throw new UsageError(
      `unknown command "${command}"`,
      suggestion === undefined
        ? "run `verity --help` for the commands."
        : `did you mean \`verity ${suggestion}\`? (\`verity --help\` lists the commands)`,
    );
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      options: { ...GLOBAL_OPTIONS, ...commandOptions },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    const unknown = /Unknown option '--?([^']+)'/.exec((error as Error).message)?.[1];
    throw new UsageError(
      unknown === undefined
        ? `${command}: ${(error as Error).message}`
        : `${command}: unknown option --${unknown}`,
      unknownOptionFix(unknown, command, Object.keys({ ...GLOBAL_OPTIONS, ...commandOptions })),
    );
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  const string = (name: string) => values[name] as string | undefined;
  const positional = (what: string) => {
    const value = parsed.positionals[0];
    if (value === undefined) throw new UsageError(`${command}: missing ${what}`);
    if (parsed.positionals.length > 1) {
      throw new UsageError(`${command}: unexpected argument "${parsed.positionals[1]}"`);
    }
    return value;
  };
  const context: CommandContext = {
    rpcUrl: string("rpc-url") ?? process.env.VERITY_RPC_URL ?? DEFAULT_RPC_URL,
    // Without --hub, the SDK looks in VERITY_HUB_ADDRESS, a running devnet's record, then Ignition.
    hubAddress: string("hub"),
    chainId: chainIdOf(string("chain-id") ?? (process.env.VERITY_CHAIN_ID || undefined)),
    privateKey: process.env.VERITY_PRIVATE_KEY || undefined,
    fromBlock: optionalInteger(
      "--from-block",
      string("from-block") ?? (process.env.VERITY_FROM_BLOCK || undefined),
    ),
    out,
  };
  switch (command) {
    case "model register":
      return modelRegister(context, {
        file: positional("the ONNX file"),
        uri: string("uri"),
        decimals: optionalInteger("--decimals", string("decimals")),
        feeEth: string("fee-eth"),
        modes: string("modes"),
        previousVersion: string("previous-version"),
        inputShape: optionalShape("--input-shape", string("input-shape")),
        outputShape: optionalShape("--output-shape", string("output-shape")),
      });
    case "model list":
      if (parsed.positionals.length > 0) positional("nothing");
      return modelList(context);
    case "model show":
      return modelShow(context, positional("the model (id, sample name or .onnx file)"));
    case "infer": {
      const model = positional("the model (id, sample name or .onnx file)");
      const input = string("input");
      if (input === undefined) {
        throw new UsageError(
          "infer: missing --input",
          "pass --input '[0.1, -0.5, ...]' (real values), a 0x tensor, or a file holding either.",
        );
      }
      return infer(context, {
        model,
        input,
        mode: string("mode"),
        wait: values.final === true ? "final" : values.wait === true ? "result" : false,
        timeoutSeconds: optionalInteger("--timeout", string("timeout")) ?? 60,
        assignee: string("assignee"),
        deadlineSeconds: optionalInteger("--deadline-seconds", string("deadline-seconds")),
      });
    }
    case "result":
      return result(context, {
        requestId: requestIdOf(positional("the request id")),
        wait: values.final === true ? "final" : values.wait === true ? "result" : false,
        timeoutSeconds: optionalInteger("--timeout", string("timeout")) ?? 60,
      });
    case "verify":
      return verify(context, requestIdOf(positional("the request id")));
    case "model fee": {
      const [model, fee, extra] = parsed.positionals;
      if (model === undefined || fee === undefined) {
        throw new UsageError(
          "model fee: missing the model or the fee",
          "pass both: `verity model fee <model> <ether>`, e.g. `verity model fee credit-risk 0.002`.",
        );
      }
      if (extra !== undefined) throw new UsageError(`${command}: unexpected argument "${extra}"`);
      return modelFee(context, { model, feeWei: etherOf("the fee", fee) });
    }
    case "model deprecate":
      return modelDeprecate(context, positional("the model (id, sample name or .onnx file)"));
    case "challenge": {
      const bond = string("bond");
      return challenge(context, {
        requestId: requestIdOf(positional("the request id")),
        bondWei: bond === undefined ? undefined : etherOf("--bond", bond),
      });
    }
    case "dispute":
      return dispute(context, requestIdOf(positional("the request id")));
    case "refund":
      return refund(context, requestIdOf(positional("the request id")));
    case "withdraw":
      if (parsed.positionals.length > 0) positional("nothing");
      return withdraw(context, { to: string("to") });
    case "devnet": {
      if (parsed.positionals.length > 0) positional("nothing");
      const { devnet } = await import("./devnet.js");
      return devnet(out, {
        port: optionalInteger("--port", string("port")) ?? 8545,
        challengeWindowSeconds:
          optionalInteger("--challenge-window-seconds", string("challenge-window-seconds")) ?? 0,
        explorerPort:
          values.explorer === true
            ? (optionalInteger("--explorer-port", string("explorer-port")) ?? 8555)
            : undefined,
      });
    }
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

/** "did you mean --wait?" for an unknown option, else the command's help. */
function unknownOptionFix(unknown: string | undefined, command: string, options: string[]): string {
  const suggestion = unknown === undefined ? undefined : didYouMean(unknown, options);
  return suggestion === undefined
    ? `run \`verity ${command} --help\` for its options.`
    : `did you mean --${suggestion}? (\`verity ${command} --help\` lists its options)`;
}

/**
 * The command words (`model list`, `infer`) and every other argument. Global options may come
 * before the command; anything after `worker start` belongs to the worker.
 */
function splitCommand(argv: string[]): { command: string; rest: string[] } {
  const words: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i];
    const wanted = words.length === 0 || (words.length === 1 && GROUPS.has(words[0]));
    if (wanted && !token.startsWith("-")) {
      words.push(token);
      if (words.join(" ") === "worker start") {
        return { command: "worker start", rest: [...rest, ...argv.slice(i + 1)] };
      }
      continue;
    }
    rest.push(token);
    // A global option's value is not a command word.
    const name = token.replace(/^--/, "").split("=")[0];
    const option = (GLOBAL_OPTIONS as Options)[name];
    if (words.length === 0 && option?.type === "string" && !token.includes("=")) {
      if (i + 1 < argv.length) rest.push(argv[++i]);
    }
  }
  return { command: words.join(" "), rest };
}

/**
 * `verity worker start`: the worker service's own command line (`verity-worker`), with the global
 * `--rpc-url` and `--hub` passed on as its `--rpc-url` and `--hub-address`.
 */
async function workerStart(argv: string[]): Promise<ExitCode> {
  const forwarded: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s);
    if (flag === "--hub") {
      forwarded.push("--hub-address", inline ?? argv[++i]);
    } else if (flag === "--json") {
      // worker logs are JSON lines already
    } else {
      forwarded.push(argv[i]);
    }
  }
  const { main: workerMain } = await import("@verity/worker/cli");
  return (await workerMain(forwarded)) as ExitCode;
}

function optionalInteger(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new UsageError(`${flag} must be a whole number, got "${value}"`);
  return Number(value);
}

/** `1,3,224,224`: every dimension a positive whole number, nothing else between the commas. */
function optionalShape(flag: string, value: string | undefined): number[] | undefined {
  if (value === undefined) return undefined;
  const dims = value.split(",").map((dim) => dim.trim());
  const bad = dims.find((dim) => !/^[1-9]\d*$/.test(dim));
  if (bad !== undefined) {
    throw new UsageError(
      `${flag} must be dimensions separated by commas, each a whole number above 0; ` +
        `"${value}" has ${bad === "" ? "an empty one" : `"${bad}"`}`,
      `pass e.g. ${flag} 1,16 (no brackets or spaces needed; a dynamic batch dimension is 1).`,
    );
  }
  return dims.map(Number);
}

function chainIdOf(value: string | undefined): bigint | undefined {
  const chainId = optionalInteger("--chain-id", value);
  return chainId === undefined ? undefined : BigInt(chainId);
}

function requestIdOf(value: string): bigint {
  if (!/^\d+$/.test(value)) {
    throw new UsageError(
      `"${value}" is not a request id`,
      "pass the number `verity infer` printed.",
    );
  }
  return BigInt(value);
}

/** The exit code for an error (see `EXIT`). */
export function exitCodeOf(error: unknown): ExitCode {
  if (error instanceof UsageError || error instanceof SignerRequiredError) return EXIT.usage;
  if (
    error instanceof RpcUnreachableError ||
    error instanceof ChainMismatchError ||
    error instanceof ContractNotDeployedError ||
    error instanceof DeploymentNotFoundError
  ) {
    return EXIT.network;
  }
  if (
    error instanceof ContractRevertError ||
    error instanceof ModelNotFoundError ||
    error instanceof RequestNotFoundError ||
    error instanceof ResultNotAvailableError ||
    error instanceof InsufficientFundsError ||
    error instanceof ChallengeNotOpenError ||
    error instanceof NothingToChallengeError ||
    error instanceof RefundNotPossibleError ||
    error instanceof TransactionRejectedError ||
    error instanceof ModelAlreadyDeprecatedError
  ) {
    return EXIT.rejected;
  }
  if (
    error instanceof InvalidInputError ||
    error instanceof ModelFileError ||
    error instanceof ModelRefusedError ||
    error instanceof TensorValueError
  ) {
    return EXIT.input;
  }
  if (error instanceof WaitTimeoutError) return EXIT.timeout;
  return EXIT.unexpected;
}
