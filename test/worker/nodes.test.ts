import { expect } from "chai";
import { randomBytes } from "ethers";
import { RequestStatus, type Request } from "@verity/contracts";
import {
  spawnWorker,
  startDevnet,
  type Devnet,
  type DevnetOptions,
  type WorkerProcess,
} from "@verity/devnet";
import {
  SETTLED,
  errorLines,
  registerModel,
  request,
  sampleHealth,
  sampleInput,
  startModelServer,
  waitForStatus,
} from "./support.js";

interface NodeSetup {
  name: string;
  options: DevnetOptions;
  /** Hardhat's interval mining is switched on over JSON-RPC, once the devnet is deployed. */
  intervalMs?: number;
}

/** Two independent EVM implementations, each mining on arrival and mining on a clock. */
const NODES: NodeSetup[] = [
  { name: "hardhat node, automine", options: { node: "hardhat" } },
  { name: "hardhat node, a block a second", options: { node: "hardhat" }, intervalMs: 1_000 },
  { name: "anvil, automine", options: { node: "anvil" } },
  { name: "anvil, a block a second", options: { node: "anvil", blockTimeSeconds: 1 } },
];

async function blockOf(devnet: Devnet, event: "InferenceRequested" | "RequestSettled", id: bigint) {
  const filter =
    event === "InferenceRequested"
      ? devnet.hub.filters.InferenceRequested(id)
      : devnet.hub.filters.RequestSettled(id);
  const [found] = await devnet.hub.queryFilter(filter, 0, "latest");
  return found.blockNumber;
}

for (const setup of NODES) {
  const automine = setup.intervalMs === undefined && setup.options.blockTimeSeconds === undefined;

  describe(`worker on ${setup.name}`, function () {
    this.timeout(120_000);
    let devnet: Devnet;
    let worker: WorkerProcess;

    before(async () => {
      devnet = await startDevnet({
        ...setup.options,
        assignmentGraceSeconds: 2,
        models: ["credit-risk"],
      });
      if (setup.intervalMs !== undefined) {
        await devnet.node.rpc("evm_setAutomine", [false]);
        await devnet.node.rpc("evm_setIntervalMining", [setup.intervalMs]);
      }
      worker = await spawnWorker(devnet, { settings: { pollIntervalMs: 25 } });
      await worker.httpUrl();
    });

    after(async () => {
      await worker?.stop("SIGKILL");
      await devnet?.stop();
    });

    it("settles each request in the block after its own, logs no error, stays healthy", async () => {
      const health = sampleHealth(await worker.httpUrl());
      const requests: Request[] = [];
      for (const seed of [1, 2, 3]) {
        const req = await request(devnet, "credit-risk", sampleInput("credit-risk", seed));
        await waitForStatus(devnet, [req.id], SETTLED, 20_000);
        requests.push(req);
      }
      // Idle for a while: a node that refuses a log range past its head shows it here.
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      await health.stop();
      for (const req of requests) {
        const requested = await blockOf(devnet, "InferenceRequested", req.id);
        expect(await blockOf(devnet, "RequestSettled", req.id), `request ${req.id}`).to.equal(
          requested + 1,
        );
      }
      expect(errorLines(worker)).to.deep.equal([]);
      expect(health.statuses.length, "/healthz samples").to.be.greaterThan(0);
      expect(health.statuses.filter((status) => status !== 200)).to.deep.equal([]);
    });

    if (automine) {
      it("refunds a request past its deadline on an idle chain, with no other transaction", async () => {
        // A uri that never answers: the worker retries until the deadline and cannot report
        // (a 404 it would report at once, and the request would fail instead).
        const server = await startModelServer({ "/hangs.onnx": () => {} });
        try {
          const modelId = await registerModel(devnet, randomBytes(64), `${server.url}/hangs.onnx`);
          const req = await request(devnet, "credit-risk", sampleInput("credit-risk", 9), {
            modelId,
            deadlineSeconds: 4,
          });
          const sentMs = Date.now();
          await waitForStatus(devnet, [req.id], [RequestStatus.Refunded], 15_000);
          console.log(`      refunded ${Date.now() - sentMs} ms after the request, deadline 4 s`);
        } finally {
          await server.close();
        }
      });
    }
  });
}
