import { useEffect, useState, useSyncExternalStore } from "react";
import {
  ChainMismatchError,
  ContractNotDeployedError,
  DeploymentNotFoundError,
  RpcUnreachableError,
  BaseError,
  createVerityClient,
} from "@verity/sdk";
import { isProblem, type ExplorerConfig, type Problem } from "../src/api.js";
import { ChainIndex } from "./chain.js";
import { Hex, ProblemView } from "./components.js";
import { duration } from "./format.js";
import { href, useRoute } from "./router.js";
import { ModelsPage } from "./pages/Models.js";
import { RequestDetailPage } from "./pages/RequestDetail.js";
import { RequestsPage } from "./pages/Requests.js";
import { WorkersPage } from "./pages/Workers.js";

type Connection =
  | { kind: "connecting"; config?: ExplorerConfig }
  | { kind: "problem"; problem: Problem; config?: ExplorerConfig }
  | { kind: "ready"; index: ChainIndex; config: ExplorerConfig };

const RETRY_MS = 2_000;

/**
 * The shell: connects to the chain the explorer's server names (retrying while there is no node,
 * the wrong chain, or no deployment), then shows the page the hash names.
 */
export function App() {
  const [connection, setConnection] = useState<Connection>({ kind: "connecting" });
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    let cancelled = false;
    let index: ChainIndex | undefined;
    let retry: ReturnType<typeof setTimeout> | undefined;
    let config: ExplorerConfig | undefined;
    (async () => {
      try {
        config = await fetchConfig();
        if (config.problem) throw config.problem;
        const client = await createVerityClient({
          rpcUrl: config.rpcUrl,
          hubAddress: config.hubAddress,
          chainId: config.chainId === undefined ? undefined : BigInt(config.chainId),
          fromBlock: config.fromBlock,
          pollingIntervalMs: config.pollIntervalMs,
        });
        index = new ChainIndex(client, config.pollIntervalMs);
        await index.start();
        if (cancelled) return index.stop();
        setConnection({ kind: "ready", index, config });
      } catch (error) {
        index?.stop();
        if (cancelled) return;
        setConnection({ kind: "problem", problem: describeProblem(error, config), config });
        retry = setTimeout(() => setAttempt((n) => n + 1), RETRY_MS);
      }
    })();
    return () => {
      cancelled = true;
      clearTimeout(retry);
      index?.stop();
    };
  }, [attempt]);

  return (
    <div className="app">
      <Header connection={connection} />
      <main>
        {connection.kind === "connecting" && <p className="muted">Connecting…</p>}
        {connection.kind === "problem" && (
          <ProblemView problem={connection.problem}>
            <p className="muted retrying">Retrying every {RETRY_MS / 1000} s…</p>
          </ProblemView>
        )}
        {connection.kind === "ready" && (
          <Ready
            index={connection.index}
            config={connection.config}
            onReset={() => setAttempt((n) => n + 1)}
          />
        )}
      </main>
    </div>
  );
}

function Ready({
  index,
  config,
  onReset,
}: {
  index: ChainIndex;
  config: ExplorerConfig;
  onReset: () => void;
}) {
  useSyncExternalStore(index.subscribe, index.getVersion);
  const route = useRoute();
  useEffect(() => {
    if (index.reset) onReset();
  });
  const [page, id] = route.segments;
  return (
    <>
      {index.problem && (
        <ProblemView
          problem={{
            title: "Lost the node",
            message: `Reading ${index.client.rpcUrl} failed for ${duration((Date.now() - index.problem.since) / 1000)}: ${index.problem.message}`,
            fix: "restart the node (`npx verity devnet`); the explorer keeps what it has and catches up when the node answers.",
          }}
        />
      )}
      {page === "models" ? (
        <ModelsPage index={index} />
      ) : page === "workers" ? (
        <WorkersPage index={index} />
      ) : page === "requests" && id !== undefined ? (
        <RequestDetailPage key={id} index={index} config={config} id={id} />
      ) : (
        <RequestsPage index={index} query={route.query} />
      )}
    </>
  );
}

function Header({ connection }: { connection: Connection }) {
  const route = useRoute();
  const page = route.segments[0] ?? "requests";
  const tab = (name: string, label: string) => (
    <a href={href(name)} className={page === name ? "active" : undefined}>
      {label}
    </a>
  );
  return (
    <header>
      <a className="brand" href={href("requests")}>
        Verity <span>explorer</span>
      </a>
      <nav>
        {tab("requests", "Requests")}
        {tab("models", "Models")}
        {tab("workers", "Workers")}
      </nav>
      <ConnectionBadge connection={connection} />
    </header>
  );
}

function ConnectionBadge({ connection }: { connection: Connection }) {
  if (connection.kind !== "ready") {
    const rpc = connection.config?.rpcUrl;
    return (
      <span className={`chain-badge ${connection.kind === "problem" ? "down" : ""}`}>
        {connection.kind === "problem" ? "not connected" : "connecting"}
        {rpc && <> · {rpc}</>}
      </span>
    );
  }
  return <LiveBadge index={connection.index} />;
}

function LiveBadge({ index }: { index: ChainIndex }) {
  useSyncExternalStore(index.subscribe, index.getVersion);
  return (
    <span className={`chain-badge ${index.problem ? "down" : "live"}`} data-testid="chain-badge">
      {index.problem ? "reconnecting" : "live"} · chain {String(index.client.chainId)} · block{" "}
      <span data-testid="head">{index.head}</span> · hub{" "}
      <Hex value={index.client.addresses.inferenceHub} keep={4} />
    </span>
  );
}

async function fetchConfig(): Promise<ExplorerConfig> {
  let response: Response;
  try {
    response = await fetch("api/config", { cache: "no-store" });
  } catch (error) {
    throw {
      title: "The explorer's server stopped",
      message: `Could not reach it: ${String(error)}`,
      fix: "start it again with `npm run explorer` (or `npx verity devnet --explorer`).",
    } satisfies Problem;
  }
  return (await response.json()) as ExplorerConfig;
}

/** What the page says for each way connecting fails. */
function describeProblem(error: unknown, config: ExplorerConfig | undefined): Problem {
  if (isProblem(error)) return error;
  const rpc = config?.rpcUrl ?? "the RPC URL";
  if (error instanceof RpcUnreachableError) {
    return {
      title: "No node running",
      message: error.shortMessage,
      fix:
        `start one: \`npx verity devnet\` (a node on ${rpc} with Verity, the sample models ` +
        "and a worker), or point the explorer at yours with --rpc-url.",
    };
  }
  if (error instanceof ChainMismatchError) {
    return { title: "Wrong chain", message: error.shortMessage, fix: error.fix };
  }
  if (error instanceof ContractNotDeployedError) {
    return {
      title: "Wrong chain, or Verity is not deployed here",
      message: error.shortMessage,
      fix:
        "the node answers but has no InferenceHub at that address: a restarted devnet deploys " +
        "afresh, so pass the hub address it printed (--hub-address or VERITY_HUB_ADDRESS).",
    };
  }
  if (error instanceof DeploymentNotFoundError) {
    return { title: "No Verity deployment known", message: error.shortMessage, fix: error.fix };
  }
  if (error instanceof BaseError) {
    return { title: "Cannot read Verity", message: error.shortMessage, fix: error.fix };
  }
  return { title: "Cannot read Verity", message: String(error) };
}
