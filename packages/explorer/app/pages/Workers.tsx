import { useEffect, useState, type ReactNode } from "react";
import type { WorkerEndpointReport } from "../../src/api.js";
import type { ChainIndex, WorkerRow } from "../chain.js";
import { Empty, Facts, Hex, Mark, Missing } from "../components.js";
import { clock, duration, eth, integer, real } from "../format.js";
import { href } from "../router.js";

const METRICS_POLL_MS = 2_000;

/**
 * Staked workers: stake, environment, results, challenges, slashes, and uptime from their metrics.
 */
export function WorkersPage({ index }: { index: ChainIndex }) {
  const endpoints = useWorkerEndpoints();
  const workers = [...index.workers.values()];
  const matched = new Map<string, WorkerEndpointReport>();
  const unmatched: WorkerEndpointReport[] = [];
  for (const endpoint of endpoints ?? []) {
    const address = endpoint.address?.toLowerCase();
    if (address !== undefined && index.workers.has(address)) matched.set(address, endpoint);
    else unmatched.push(endpoint);
  }
  // One worker and one endpoint nobody named: they are each other's.
  if (
    workers.length === 1 &&
    matched.size === 0 &&
    unmatched.length === 1 &&
    !unmatched[0].address
  ) {
    matched.set(workers[0].address.toLowerCase(), unmatched.pop()!);
  }
  return (
    <section>
      <h1>Workers</h1>
      <p className="lede">
        Workers stake ETH and declare the environment they run in (worker build, onnxruntime, Node,
        execution settings); only an approved environment and enough stake make a worker eligible,
        and a result proved wrong costs it stake.
      </p>
      {workers.length === 0 ? (
        <Empty title="No workers registered">
          <p>Start one; it stakes and registers itself:</p>
          <pre>
            VERITY_PRIVATE_KEY=0x… npm run worker -- --rpc-url {index.client.rpcUrl}{" "}
            --register-stake-eth 1
          </pre>
        </Empty>
      ) : (
        <div className="cards">
          {workers.map((worker) => (
            <WorkerCard
              key={worker.address}
              worker={worker}
              index={index}
              endpoint={matched.get(worker.address.toLowerCase())}
              endpointsLoaded={endpoints !== undefined}
            />
          ))}
        </div>
      )}
      {unmatched.length > 0 && (
        <section className="endpoints">
          <h2>Other metrics endpoints</h2>
          {unmatched.map((endpoint) => (
            <p key={endpoint.url}>
              <code>{endpoint.url}</code>
              {endpoint.address && (
                <> (worker {endpoint.address}, not registered on this hub)</>
              )}:{" "}
              {endpoint.reachable ? (
                `up ${duration(endpoint.metrics?.uptimeSeconds)}`
              ) : (
                <span className="muted">not reachable ({endpoint.error})</span>
              )}
            </p>
          ))}
        </section>
      )}
    </section>
  );
}

function WorkerCard({
  worker,
  index,
  endpoint,
  endpointsLoaded,
}: {
  worker: WorkerRow;
  index: ChainIndex;
  endpoint: WorkerEndpointReport | undefined;
  endpointsLoaded: boolean;
}) {
  const me = worker.address.toLowerCase();
  const requests = index.requestList();
  const mine = requests.filter((row) => row.worker?.toLowerCase() === me);
  const settled = mine.filter((row) => row.status === "settled").length;
  const failed = mine.filter((row) => row.status === "failed").length;
  const disputes = mine.flatMap((row) => (row.challenge ? [row.challenge] : []));
  const lost = disputes.filter((dispute) => dispute.outcome === "challenger won");
  const upheld = disputes.filter((dispute) => dispute.outcome === "worker won").length;
  const expired = disputes.filter((dispute) => dispute.outcome === "expired").length;
  const raisedByIt = requests.flatMap((row) =>
    row.challenge?.challenger.toLowerCase() === me ? [row.challenge] : [],
  );
  const wonByIt = raisedByIt.filter((dispute) => dispute.outcome === "challenger won").length;
  const slashed = worker.slashes.reduce((total, slash) => total + slash.amountWei, 0n);
  const environment = worker.environmentId
    ? index.environments.get(worker.environmentId)
    : undefined;
  const metrics = endpoint?.metrics;
  return (
    <article className="card worker" data-worker={worker.address}>
      <h2>
        <Hex value={worker.address} keep={8} />{" "}
        <span className={`tag ${worker.eligible ? "active" : "deprecated"}`}>
          {worker.eligible ? "eligible" : "not eligible"}
        </span>
      </h2>
      <Facts
        rows={[
          ["address", <code className="hash">{worker.address}</code>],
          [
            "stake",
            worker.stakeWei === undefined ? (
              <Missing why="reading the WorkerRegistry" loading />
            ) : (
              <span data-testid="stake">{eth(worker.stakeWei)}</span>
            ),
          ],
          [
            "unbonding",
            worker.unbondingWei
              ? `${eth(worker.unbondingWei)}, withdrawable ${clock(Number(worker.withdrawableAt))}`
              : "nothing",
          ],
          [
            "environment",
            <>
              <Hex value={worker.environmentId} />{" "}
              {environment ? (
                <>
                  <Mark ok={environment.approved} /> {environment.approved ? "approved" : "revoked"}
                  : {environment.description}
                </>
              ) : (
                <span className="muted">not approved on this chain</span>
              )}
            </>,
          ],
          [
            "results",
            <a href={href("requests", { worker: worker.address })} data-testid="results">
              {mine.length} answered: {settled} settled, {failed} refused as invalid input,{" "}
              {lost.length} overturned, {mine.length - settled - failed - lost.length} open or
              challenged
            </a>,
          ],
          [
            "challenges",
            <span
              data-testid="challenges"
              title="challenges raised against this worker's results; lost means a dispute decided against it (it was slashed)"
              className={lost.length > 0 ? "bad" : undefined}
            >
              {disputes.length} raised, {lost.length} lost
              {disputes.length > 0 &&
                ` (${upheld} upheld, ${expired} expired, ${disputes.length - lost.length - upheld - expired} open)`}
            </span>,
          ],
          [
            "challenges it raised",
            <span data-testid="challenges-raised-by">
              {raisedByIt.length === 0 ? "none" : `${raisedByIt.length}, ${wonByIt} won`}
            </span>,
          ],
          [
            "slashes",
            worker.slashes.length === 0 ? (
              "none"
            ) : (
              <span className="bad">
                {worker.slashes.length}, {eth(slashed)} in all
              </span>
            ),
          ],
          [
            "earned",
            worker.hubBalanceWei === undefined ? (
              <Missing why="reading the hub" loading />
            ) : (
              <span data-testid="earned">
                {eth(worker.hubBalanceWei)} credited in the hub, not yet withdrawn
              </span>
            ),
          ],
          [
            "gas balance",
            worker.accountBalanceWei === undefined ? (
              <Missing why="reading the worker's account from the node" loading />
            ) : (
              <span data-testid="gas-balance">
                {eth(worker.accountBalanceWei)} in the worker's account
              </span>
            ),
          ],
          ["registered", `block ${worker.registered.block}`],
          [
            "uptime",
            endpoint?.reachable ? (
              <span data-testid="uptime">
                up {duration(metrics?.uptimeSeconds)} ·{" "}
                {endpoint.health?.ok
                  ? "healthy"
                  : `unhealthy${endpoint.health?.ineligible ? `: ${String(endpoint.health.ineligible)}` : ""}`}{" "}
                (<code>{endpoint.url}</code>)
              </span>
            ) : endpoint ? (
              <span className="muted">
                metrics not reachable at {endpoint.url} ({endpoint.error})
              </span>
            ) : (
              <span className="muted">{noMetrics(endpointsLoaded)}</span>
            ),
          ],
          ...(metrics
            ? ([
                [
                  "worker counters",
                  <span data-testid="counters">
                    seen {integer(metrics.requestsSeen ?? 0)}, settled{" "}
                    {integer(metrics.requestsSettled ?? 0)}, failed{" "}
                    {integer(metrics.requestsFailed ?? 0)}, skipped{" "}
                    {integer(metrics.requestsSkipped ?? 0)}, abandoned{" "}
                    {integer(metrics.requestsAbandoned ?? 0)}, in flight{" "}
                    {integer(metrics.requestsInFlight ?? 0)}, RPC errors{" "}
                    {integer(metrics.rpcErrors ?? 0)}
                  </span>,
                ],
                [
                  "timings",
                  <span data-testid="timings">
                    inference{" "}
                    {ms(metrics.inferenceSecondsMean, "the worker has run no inference yet")} mean,
                    request seen → settled{" "}
                    {ms(metrics.endToEndSecondsMean, "the worker has settled no request yet")} mean
                  </span>,
                ],
              ] as [string, ReactNode][])
            : ([
                ["worker counters", <Missing why={noMetrics(endpointsLoaded, endpoint)} />],
                ["timings", <Missing why={noMetrics(endpointsLoaded, endpoint)} />],
              ] as [string, ReactNode][])),
        ]}
      />
    </article>
  );
}

function ms(seconds: number | undefined, why: string): ReactNode {
  return seconds === undefined ? <Missing why={why} /> : `${real(seconds * 1000)} ms`;
}

/** Why the worker's own metrics are not on the card. */
function noMetrics(loaded: boolean, endpoint?: WorkerEndpointReport): string {
  if (!loaded) return "asking the explorer's server for the workers' metrics…";
  if (endpoint)
    return `the worker's metrics are not reachable at ${endpoint.url} (${endpoint.error ?? "no answer"})`;
  return "no metrics endpoint known for this worker (start the explorer with --worker-metrics ADDRESS=URL)";
}

/** The explorer server's reading of the workers' /healthz and /metrics, refreshed. */
function useWorkerEndpoints(): WorkerEndpointReport[] | undefined {
  const [reports, setReports] = useState<WorkerEndpointReport[]>();
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout>;
    const load = async () => {
      try {
        const response = await fetch("api/workers", { cache: "no-store" });
        if (!stopped) setReports((await response.json()) as WorkerEndpointReport[]);
      } catch {
        // The explorer's server is gone: keep the last reading.
      }
      if (!stopped) timer = setTimeout(load, METRICS_POLL_MS);
    };
    void load();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, []);
  return reports;
}
