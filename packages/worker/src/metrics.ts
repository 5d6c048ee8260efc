import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/** Latency buckets from 1 ms to 2 min: inference sits at the low end, settlement at the high end. */
const SECONDS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120,
];

/** The worker's Prometheus metrics, one registry per worker so tests can run several. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "verity_worker_" });
  const metrics = {
    registry,
    requestsSeen: new Counter({
      name: "verity_worker_requests_seen_total",
      help: "InferenceRequested events taken into the journal",
      registers: [registry],
    }),
    requestsSettled: new Counter({
      name: "verity_worker_requests_settled_total",
      help: "Requests settled with this worker's result",
      registers: [registry],
    }),
    requestsFailed: new Counter({
      name: "verity_worker_requests_failed_total",
      help: "Requests closed by this worker's failure report (bad input)",
      labelNames: ["reason"],
      registers: [registry],
    }),
    requestsAbandoned: new Counter({
      name: "verity_worker_requests_abandoned_total",
      help: "Requests this worker could not serve (model unavailable, timeout, expired)",
      labelNames: ["why"],
      registers: [registry],
    }),
    requestsSkipped: new Counter({
      name: "verity_worker_requests_skipped_total",
      help: "Requests answered or closed by someone else first",
      registers: [registry],
    }),
    inferenceSeconds: new Histogram({
      name: "verity_worker_inference_seconds",
      help: "onnxruntime run time per request",
      buckets: SECONDS,
      registers: [registry],
    }),
    zkProveSeconds: new Histogram({
      name: "verity_worker_zk_prove_seconds",
      help: "Groth16 proof time per ZK request (witness and proof, in the prover thread)",
      buckets: SECONDS,
      registers: [registry],
    }),
    endToEndSeconds: new Histogram({
      name: "verity_worker_end_to_end_seconds",
      help: "From the request's block being seen to the settling transaction mined",
      buckets: SECONDS,
      registers: [registry],
    }),
    batchSize: new Histogram({
      name: "verity_worker_batch_size",
      help: "Results per submitResults transaction",
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
      registers: [registry],
    }),
    rpcErrors: new Counter({
      name: "verity_worker_rpc_errors_total",
      help: "Failed JSON-RPC attempts (unreachable node, timeouts)",
      labelNames: ["method"],
      registers: [registry],
    }),
    transactions: new Counter({
      name: "verity_worker_transactions_total",
      help: "Transactions sent, by kind and outcome",
      labelNames: ["kind", "outcome"],
      registers: [registry],
    }),
    gasUsed: new Counter({
      name: "verity_worker_gas_used_total",
      help: "Gas used by mined transactions",
      labelNames: ["kind"],
      registers: [registry],
    }),
    balanceEth: new Gauge({
      name: "verity_worker_balance_eth",
      help: "The worker account's balance (pays for gas)",
      registers: [registry],
    }),
    withdrawableEth: new Gauge({
      name: "verity_worker_withdrawable_eth",
      help: "Rewards credited in the hub, waiting for withdraw()",
      registers: [registry],
    }),
    headBlock: new Gauge({
      name: "verity_worker_head_block",
      help: "Latest block seen",
      registers: [registry],
    }),
    checkpointBlock: new Gauge({
      name: "verity_worker_checkpoint_block",
      help: "Every event up to this block is journaled",
      registers: [registry],
    }),
    inFlight: new Gauge({
      name: "verity_worker_requests_in_flight",
      help: "Requests in the journal not yet settled, failed, skipped or refunded",
      registers: [registry],
    }),
  };
  return metrics;
}

export type Metrics = ReturnType<typeof createMetrics>;
