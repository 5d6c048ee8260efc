import { expect } from "chai";
import { RequestStatus, type DisputeResolver } from "@verity/contracts";
import { spawnWorker, startDevnet, type Devnet, type WorkerProcess } from "@verity/devnet";
import { request, sampleInput, waitForStatus } from "../worker/support.js";
import { heartbeat, printLogs, resolverOf, until } from "./support.js";

const ROUND_CLOSED = 3n;

/**
 * ATTESTED results with a challenge window, four worker processes: a dishonest one, a watcher, and
 * two more that sit on juries. The watcher catches the dishonest worker's result, challenges it and
 * escalates; the jury (neither party) overturns it.
 */
describe("ATTESTED disputes decided by a jury: four worker processes, one dishonest", function () {
  this.timeout(240_000);
  let devnet: Devnet;
  let resolver: DisputeResolver;
  let dishonest: WorkerProcess;
  let watcher: WorkerProcess;
  let jurors: WorkerProcess[];
  let stopHeartbeat: () => void;

  before(async () => {
    devnet = await startDevnet({
      models: ["credit-risk"],
      assignmentGraceSeconds: 5,
      challengeWindowSeconds: 30,
    });
    stopHeartbeat = heartbeat(devnet);
    resolver = await resolverOf(devnet);
    // Short jury windows: two jurors of three seats wait out the commit window.
    const config = await resolver.config();
    await devnet.govern(resolver, "setConfig", [
      {
        jurySize: config.jurySize,
        commitWindowSeconds: 5,
        revealWindowSeconds: 60,
        jurorFeeWei: config.jurorFeeWei,
        jurorSlashWei: config.jurorSlashWei,
      },
    ]);
    const settings = { pollIntervalMs: 25 };
    dishonest = await spawnWorker(devnet, {
      account: 10,
      settings: { ...settings, dishonest: true },
    });
    watcher = await spawnWorker(devnet, { account: 11, settings: { ...settings, watch: true } });
    jurors = await Promise.all(
      [12, 13].map((account) => spawnWorker(devnet, { account, settings })),
    );
    await Promise.all([dishonest, watcher, ...jurors].map((worker) => worker.httpUrl()));
  });

  after(async () => {
    stopHeartbeat?.();
    if (process.env.VERITY_TEST_LOGS === "1") {
      for (const worker of [dishonest, watcher, ...(jurors ?? [])].filter(Boolean)) {
        for (const line of worker.logs) {
          if (line.module === "watch" || line.module === "quorum" || (line.level as number) >= 40)
            console.log(worker.address.slice(0, 6), JSON.stringify(line));
        }
      }
    }
    await Promise.all(
      [dishonest, watcher, ...(jurors ?? [])].filter(Boolean).map((worker) => worker.stop()),
    );
    await devnet?.stop();
  });

  const stake = async (address: string) =>
    (await devnet.workerRegistry.getWorker(address)).stakeWei;

  it("a watcher challenges the dishonest result, a jury overturns it: slashed, watcher and jurors paid, requester refunded", async () => {
    const [dishonestStake, requesterCredit] = await Promise.all([
      stake(dishonest.address),
      devnet.hub.balanceOf(await devnet.signer(2).getAddress()),
    ]);
    const req = await request(devnet, "credit-risk", sampleInput("credit-risk", 3), {
      assignee: dishonest.address,
    });

    await waitForStatus(devnet, [req.id], [RequestStatus.Refunded], 40_000);
    const { slashAmountWei, challengeBondWei } = await devnet.hub.disputeConfig();
    expect(await stake(dishonest.address)).to.equal(dishonestStake - slashAmountWei);
    // The watcher earns its bond back and its share of the slash; the treasury takes the rest.
    const shareWei = (slashAmountWei * (await devnet.hub.CHALLENGER_SHARE_BPS())) / 10_000n;
    expect(await devnet.hub.balanceOf(watcher.address)).to.equal(challengeBondWei + shareWei);
    expect(await devnet.hub.balanceOf(await devnet.signer(2).getAddress())).to.equal(
      requesterCredit + req.modelFeeWei + req.workerRewardWei,
    );
    const [challenged] = await devnet.hub.queryFilter(devnet.hub.filters.ResultChallenged(req.id));
    expect(challenged.args.challenger).to.equal(watcher.address);
    expect(await devnet.hub.queryFilter(devnet.hub.filters.RequestSettled(req.id))).to.have.length(
      0,
    );

    await until(
      "the jury round to close",
      async () => (await resolver.getRound(req.id)).status === ROUND_CLOSED,
    );
    const members = (await resolver.membersOf(req.id)).map((a) => a.toLowerCase());
    expect(members).to.have.members(jurors.map((w) => w.address.toLowerCase()));
    const fee = (await resolver.config()).jurorFeeWei;
    const paid = await Promise.all(jurors.map((w) => resolver.balanceOf(w.address)));
    expect(paid[0] + paid[1]).to.equal(fee);
  });

  it("an honest result is not challenged and settles after its window", async () => {
    const juror = jurors[0];
    const req = await request(devnet, "credit-risk", sampleInput("credit-risk", 4), {
      assignee: juror.address,
    });
    await waitForStatus(devnet, [req.id], [RequestStatus.Settled], 120_000);
    expect(
      await devnet.hub.queryFilter(devnet.hub.filters.ResultChallenged(req.id)),
    ).to.have.length(0);
    const [settled] = await devnet.hub.queryFilter(devnet.hub.filters.RequestSettled(req.id));
    expect(settled.args.worker).to.equal(juror.address);
  });
});

/**
 * The same dispute over a model with a ZK verifier (credit-risk, development setup): the watcher
 * proves the model's output and the resolver decides at once, with no jury.
 */
describe("ATTESTED disputes decided by a ZK proof: two worker processes, one dishonest", function () {
  this.timeout(600_000);
  let devnet: Devnet;
  let dishonest: WorkerProcess;
  let watcher: WorkerProcess;
  let stopHeartbeat: () => void;

  before(async () => {
    devnet = await startDevnet({
      models: ["credit-risk"],
      zkModels: ["credit-risk"],
      assignmentGraceSeconds: 2,
      challengeWindowSeconds: 30,
    });
    stopHeartbeat = heartbeat(devnet);
    const settings = { pollIntervalMs: 25 };
    dishonest = await spawnWorker(devnet, {
      account: 10,
      settings: { ...settings, dishonest: true },
    });
    watcher = await spawnWorker(devnet, { account: 11, settings: { ...settings, watch: true } });
    await Promise.all([dishonest, watcher].map((worker) => worker.httpUrl()));
  });

  after(async () => {
    stopHeartbeat?.();
    printLogs([dishonest, watcher]);
    await Promise.all([dishonest, watcher].filter(Boolean).map((worker) => worker.stop()));
    await devnet?.stop();
  });

  it("the watcher proves the right output: the result is overturned at once, the worker slashed, the watcher paid", async () => {
    const dishonestStake = (await devnet.workerRegistry.getWorker(dishonest.address)).stakeWei;
    const resolver = await resolverOf(devnet);
    const req = await request(devnet, "credit-risk", sampleInput("credit-risk", 5), {
      assignee: dishonest.address,
    });
    await waitForStatus(devnet, [req.id], [RequestStatus.Refunded], 120_000);
    const { slashAmountWei, challengeBondWei } = await devnet.hub.disputeConfig();
    expect((await devnet.workerRegistry.getWorker(dishonest.address)).stakeWei).to.equal(
      dishonestStake - slashAmountWei,
    );
    // The watcher earns its bond back and its share of the slash; the treasury takes the rest.
    const shareWei = (slashAmountWei * (await devnet.hub.CHALLENGER_SHARE_BPS())) / 10_000n;
    expect(await devnet.hub.balanceOf(watcher.address)).to.equal(challengeBondWei + shareWei);
    const [resolved] = await resolver.queryFilter(resolver.filters.DisputeResolvedByProof(req.id));
    expect(resolved.args.challengerWon).to.equal(true);
    expect(resolved.args.prover).to.equal(watcher.address);
    expect((await resolver.getRound(req.id)).status).to.equal(0n, "no jury was needed");
  });
});
