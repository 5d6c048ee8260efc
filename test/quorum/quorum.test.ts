import { expect } from "chai";
import { ProofMode, RequestStatus, decodeTensor, type QuorumCoordinator } from "@verity/contracts";
import { spawnWorker, startDevnet, type Devnet, type WorkerProcess } from "@verity/devnet";
import {
  eventCounts,
  expectedOutput,
  request,
  sampleInput,
  settledOutput,
  waitForStatus,
} from "../worker/support.js";
import { coordinatorOf, heartbeat, printLogs, registerQuorumModel, until } from "./support.js";

const ROUND_CLOSED = 3n;

describe("QUORUM mode: three worker processes, one dishonest", function () {
  this.timeout(240_000);
  let devnet: Devnet;
  let coordinator: QuorumCoordinator;
  let modelId: string;
  let honest: WorkerProcess[];
  let dishonest: WorkerProcess;

  before(async () => {
    // credit-risk is registered below, for QUORUM as well as ATTESTED.
    devnet = await startDevnet({ models: ["mnist-mlp"], assignmentGraceSeconds: 2 });
    modelId = await registerQuorumModel(devnet, "credit-risk");
    coordinator = await coordinatorOf(devnet);
    const settings = { models: modelId, pollIntervalMs: 25 };
    honest = await Promise.all(
      [10, 11].map((account) => spawnWorker(devnet, { account, settings })),
    );
    dishonest = await spawnWorker(devnet, {
      account: 12,
      settings: { ...settings, dishonest: true },
    });
    await Promise.all([...honest, dishonest].map((worker) => worker.httpUrl()));
  });

  after(async () => {
    printLogs([...(honest ?? []), dishonest]);
    await Promise.all([...(honest ?? []), dishonest].filter(Boolean).map((w) => w.stop()));
    await devnet?.stop();
  });

  it("settles once with the honest output, slashes the dishonest worker and pays the honest ones", async () => {
    const stake = async (address: string) =>
      (await devnet.workerRegistry.getWorker(address)).stakeWei;
    const stakesBefore = await Promise.all([...honest, dishonest].map((w) => stake(w.address)));
    const input = sampleInput("credit-risk", 7);
    const req = await request(devnet, "credit-risk", input, {
      modelId,
      proofMode: ProofMode.QUORUM,
    });

    await waitForStatus(devnet, [req.id], [RequestStatus.Settled], 90_000);
    const counts = await eventCounts(devnet, req.id);
    expect(counts.RequestSettled).to.equal(1);
    const output = decodeTensor(await settledOutput(devnet, req.id)).values;
    const expected = expectedOutput("credit-risk", decodeTensor(input).values);
    output.forEach((value, i) => expect(Math.abs(value - expected[i])).to.be.at.most(2));

    // Every member revealed, so the last reveal closed the round; else anyone closes it later.
    await until(
      "the round to close",
      async () => (await coordinator.getRound(req.id)).status === ROUND_CLOSED,
      180_000,
    );
    const members = (await coordinator.membersOf(req.id)).map((a) => a.toLowerCase());
    expect(members).to.have.members([...honest, dishonest].map((w) => w.address.toLowerCase()));

    const slash = (await coordinator.config()).slashAmountWei;
    expect(await stake(dishonest.address)).to.equal(stakesBefore[2] - slash);
    for (const [i, worker] of honest.entries()) {
      expect(await stake(worker.address)).to.equal(stakesBefore[i]);
      // Half of the reward and of the slashed stake each.
      expect(await coordinator.balanceOf(worker.address)).to.be.greaterThanOrEqual(
        (req.workerRewardWei + slash) / 2n,
      );
    }
    expect(await coordinator.balanceOf(dishonest.address)).to.equal(0n);
    expect(await coordinator.liabilitiesWei()).to.equal(
      (await devnet.provider.getBalance(await coordinator.getAddress())) +
        (await devnet.hub.balanceOf(await coordinator.getAddress())),
    );
  });

  it("an honest worker withdraws what the coordinator owes it", async () => {
    // The worker that the next test stops: a transaction from its key here would put the running
    // worker's nonce off.
    const worker = honest[1];
    const owed = await coordinator.balanceOf(worker.address);
    expect(owed).to.be.greaterThan(0n);
    const signer = devnet.signer(11);
    const before = await devnet.provider.getBalance(worker.address);
    const receipt = await (await coordinator.connect(signer).withdraw(worker.address)).wait();
    const gas = receipt!.gasUsed * receipt!.gasPrice;
    expect(await devnet.provider.getBalance(worker.address)).to.equal(before + owed - gas);
    expect(await coordinator.balanceOf(worker.address)).to.equal(0n);
  });

  it("a quorum that cannot form is closed without slashing, and the request is refunded after its deadline", async () => {
    // One honest worker and a dishonest one (the first is below the minimum stake since it was
    // slashed): two seats of three, two different outputs.
    await honest[1].stop();
    const liar = await spawnWorker(devnet, {
      account: 13,
      settings: { models: modelId, pollIntervalMs: 25, dishonest: true },
    });
    await liar.httpUrl();
    const stopHeartbeat = heartbeat(devnet);
    try {
      const config = await coordinator.config();
      await devnet.govern(coordinator, "setConfig", [
        {
          defaultQuorum: config.defaultQuorum,
          commitWindowSeconds: 3,
          revealWindowSeconds: 10,
          slashAmountWei: config.slashAmountWei,
        },
      ]);
      const stake = async (address: string) =>
        (await devnet.workerRegistry.getWorker(address)).stakeWei;
      const stakesBefore = await Promise.all([honest[0], liar].map((w) => stake(w.address)));
      const req = await request(devnet, "credit-risk", sampleInput("credit-risk", 8), {
        modelId,
        proofMode: ProofMode.QUORUM,
        deadlineSeconds: 25,
      });
      await until(
        "the round to close",
        async () => (await coordinator.getRound(req.id)).status === ROUND_CLOSED,
      );
      const round = await coordinator.getRound(req.id);
      expect(round.committed).to.equal(2n);
      expect(round.decidedOutputHash).to.equal(`0x${"00".repeat(32)}`);
      expect(await Promise.all([honest[0], liar].map((w) => stake(w.address)))).to.deep.equal(
        stakesBefore,
      );

      await waitForStatus(devnet, [req.id], [RequestStatus.Refunded], 60_000);
      const counts = await eventCounts(devnet, req.id);
      expect(counts.RequestSettled).to.equal(0);
      expect(counts.RequestRefunded).to.equal(1);
    } finally {
      stopHeartbeat();
      printLogs([liar]);
      await liar.stop();
    }
  });
});
