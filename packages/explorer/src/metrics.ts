import type { WorkerEndpointReport, WorkerMetricsSummary } from "./api.js";

/** One sample of Prometheus text exposition: name, labels, value. */
export interface PrometheusSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const SAMPLE_LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/**
 * Parses Prometheus text exposition (what prom-client serves): comments and blank lines are
 * skipped, every sample line becomes one `PrometheusSample`.
 *
 * @example
 * parsePrometheus('verity_worker_requests_seen_total 3\n'); // [{ name: "verity_worker_requests_seen_total", labels: {}, value: 3 }]
 */
export function parsePrometheus(text: string): PrometheusSample[] {
  const samples: PrometheusSample[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const match = SAMPLE_LINE.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? "").matchAll(LABEL)) {
      labels[key] = value.replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
    }
    samples.push({ name: match[1], labels, value: Number(match[3]) });
  }
  return samples;
}

/**
 * The worker metrics the explorer shows, from a worker's `/metrics` (names in docs/worker.md).
 * Labelled counters are summed over their labels; `nowSeconds` turns the process start time into
 * an uptime.
 */
export function summarizeWorkerMetrics(
  samples: readonly PrometheusSample[],
  nowSeconds = Date.now() / 1000,
): WorkerMetricsSummary {
  const sum = (name: string): number | undefined => {
    const found = samples.filter((sample) => sample.name === `verity_worker_${name}`);
    return found.length === 0 ? undefined : found.reduce((total, s) => total + s.value, 0);
  };
  const mean = (name: string): number | undefined => {
    const total = sum(`${name}_sum`);
    const count = sum(`${name}_count`);
    return total === undefined || !count ? undefined : total / count;
  };
  const started = sum("process_start_time_seconds");
  return {
    uptimeSeconds: started === undefined ? undefined : Math.max(0, nowSeconds - started),
    requestsSeen: sum("requests_seen_total"),
    requestsSettled: sum("requests_settled_total"),
    requestsFailed: sum("requests_failed_total"),
    requestsAbandoned: sum("requests_abandoned_total"),
    requestsSkipped: sum("requests_skipped_total"),
    requestsInFlight: sum("requests_in_flight"),
    rpcErrors: sum("rpc_errors_total"),
    inferenceSecondsMean: mean("inference_seconds"),
    endToEndSecondsMean: mean("end_to_end_seconds"),
    balanceEth: sum("balance_eth"),
    withdrawableEth: sum("withdrawable_eth"),
    headBlock: sum("head_block"),
    checkpointBlock: sum("checkpoint_block"),
  };
}

/** A worker's HTTP endpoint as configured: its base URL, and its address when known. */
export interface WorkerEndpoint {
  url: string;
  address?: string;
}

/**
 * Reads one worker's `/healthz` and `/metrics`. Never throws: an endpoint that does not answer
 * is reported as unreachable, with why.
 */
export async function readWorkerEndpoint(
  endpoint: WorkerEndpoint,
  timeoutMs = 2_000,
): Promise<WorkerEndpointReport> {
  const base = endpoint.url.replace(/\/+$/, "");
  const report: WorkerEndpointReport = { url: base, address: endpoint.address, reachable: false };
  try {
    const [healthResponse, metricsResponse] = await Promise.all([
      fetch(`${base}/healthz`, { signal: AbortSignal.timeout(timeoutMs) }),
      fetch(`${base}/metrics`, { signal: AbortSignal.timeout(timeoutMs) }),
    ]);
    // /healthz answers 503 with the same JSON when the worker is unhealthy: still worth showing.
    report.health = (await healthResponse.json()) as Record<string, unknown>;
    if (!metricsResponse.ok) throw new Error(`/metrics answered HTTP ${metricsResponse.status}`);
    report.metrics = summarizeWorkerMetrics(parsePrometheus(await metricsResponse.text()));
    report.reachable = true;
  } catch (error) {
    // fetch says only "fetch failed"; the reason (ECONNREFUSED, ...) is its cause.
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const why = cause?.code ?? cause?.message;
    report.error = `${error instanceof Error ? error.message : String(error)}${why ? ` (${why})` : ""}`;
  }
  return report;
}
