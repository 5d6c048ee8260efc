import { expect } from "chai";
import { Wallet, parseEther } from "ethers";
import { RequestStatus } from "@verity/contracts";
import {
  ACCOUNTS,
  devAccount,
  spawnWorker,
  startDevnet,
  type Devnet,
  type WorkerProcess,
} from "@verity/devnet";
import { sampleModel } from "@verity/models";
import { createVerityClient, getDispute, getResult, type VerityClient } from "@verity/sdk";
import { verity } from "./support.js";

/**
 * The commands a user needs after a result, run as real processes against a devnet with a
 * challenge window and a dishonest worker: challenge its result, follow the dispute to its end,
 * withdraw what the hub holds, and manage a model as its owner (and fail as anyone else).
 */
describe("verity CLI after a result: challenge, dispute, withdraw, model fee and deprecate", function () {
  this.timeout(120_000);
  let devnet: Devnet;
  let dishonest: WorkerProcess;
  let client: VerityClient;
  let env: Record<string, string>;
  let ownerEnv: Record<string, string>;
  const credit = sampleModel("credit-risk");
  const requester = devAccount(ACCOUNTS.requester).address;
  let requestId: string;

  before(async () => {
    devnet = await startDevnet({
      models: ["credit-risk"],
      assignmentGraceSeconds: 5,
      challengeWindowSeconds: 600,
    });
    dishonest = await spawnWorker(devnet, { settings: { dishonest: true } });
    await dishonest.httpUrl();
    const hubAddress = await devnet.hub.getAddress();
    env = {
      VERITY_RPC_URL: devnet.node.url,
      VERITY_HUB_ADDRESS: hubAddress,
      VERITY_PRIVATE_KEY: devAccount(ACCOUNTS.requester).privateKey,
    };
    ownerEnv = { ...env, VERITY_PRIVATE_KEY: devAccount(ACCOUNTS.modelOwner).privateKey };
    client = await createVerityClient({ provider: devnet.provider, hubAddress });
  });

  after(async () => {
    client?.destroy();
    await dishonest?.stop("SIGKILL");
    await devnet?.stop();
  });

  it("challenges a dishonest result with the hub's bond, and dispute shows it open", async () => {
    const sent = await verity(
      [
        "infer",
        "credit-risk",
        "--input",
        JSON.stringify(credit.sampleInput(5)),
        "--assignee",
        dishonest.address,
        "--wait",
        "--json",
      ],
      env,
    );
    expect(sent.code, sent.stdout + sent.stderr).to.equal(0);
    requestId = String(sent.json().requestId);
    expect((sent.json().result as { status: string }).status).to.equal("Submitted");
    // A signed result is not final: --wait says until when it is open to challenge.
    const openUntil = new Date(String(sent.json().openToChallengeUntil));
    const [request] = await devnet.hub.queryFilter(
      devnet.hub.filters.ResultSubmitted(BigInt(requestId)),
    );
    const minedAt = (await request.getBlock()).timestamp;
    expect(openUntil.getTime() / 1000).to.equal(minedAt + 600);
    const shown = await verity(["result", requestId], env);
    expect(shown.stdout).to.include(
      `signed, open to challenge until ${openUntil.toISOString()} (UTC): not final`,
    );
    // --final waits past the window: here it times out, saying the status it is stuck in.
    const final = await verity(["result", requestId, "--final", "--timeout", "1"], env);
    expect(final.code, final.stdout + final.stderr).to.equal(6);
    expect(final.stderr).to.match(/Submitted/);

    const before = await verity(["dispute", requestId], env);
    expect(before.code, before.stderr).to.equal(0);
    expect(before.stdout).to.include(`request ${requestId}: not challenged`);
    expect(before.stdout).to.include(`verity challenge ${requestId}`);

    const low = await verity(["challenge", requestId, "--bond", "0.01"], env);
    expect(low.code).to.equal(4);
    expect(low.stderr).to.include("error: A challenge needs a bond of 0.1 ETH; 0.01 ETH was sent.");
    expect(low.stderr).to.include("Reverted with: InsufficientBond(");
    expect(low.stderr).to.include("fix: send at least the required bond");

    const run = await verity(["challenge", requestId, "--json"], env);
    expect(run.code, run.stdout + run.stderr).to.equal(0);
    const { challengeBondWei, disputeTimeoutSeconds } = await devnet.hub.disputeConfig();
    const out = run.json() as {
      worker: string;
      challenge: { challenger: string; bondWei: string; claimedOutputHash: string };
      submittedOutputHash: string;
      timesOutAt: string;
    };
    expect(out.challenge.challenger).to.equal(requester);
    expect(out.challenge.bondWei).to.equal(String(challengeBondWei));
    expect(out.worker).to.equal(dishonest.address);
    expect(out.challenge.claimedOutputHash).to.not.equal(out.submittedOutputHash);
    expect(await devnet.hub.requestStatus(BigInt(requestId))).to.equal(
      BigInt(RequestStatus.Challenged),
    );
    const [logged] = await devnet.hub.queryFilter(
      devnet.hub.filters.ResultChallenged(BigInt(requestId)),
    );
    expect(logged.args.claimedOutputHash).to.equal(out.challenge.claimedOutputHash);
    expect(logged.args.bondWei).to.equal(challengeBondWei);

    const status = await verity(["dispute", requestId, "--json"], env);
    expect(status.code, status.stderr).to.equal(0);
    const dispute = status.json() as {
      status: string;
      challenged: boolean;
      challenge: { challenger: string; bondWei: string; challengedAt: string };
      timesOutAt: string;
      timedOut: boolean;
      resolver?: string;
      jury?: unknown;
      outcome?: unknown;
    };
    expect(dispute).to.include({ status: "Challenged", challenged: true, timedOut: false });
    expect(dispute.challenge.challenger).to.equal(requester);
    expect(dispute.challenge.bondWei).to.equal(String(challengeBondWei));
    expect(BigInt(dispute.timesOutAt)).to.equal(
      BigInt(dispute.challenge.challengedAt) + disputeTimeoutSeconds,
    );
    expect(dispute.timesOutAt).to.equal(out.timesOutAt);
    expect(dispute.resolver).to.match(/^0x[0-9a-fA-F]{40}$/);
    expect(dispute.jury).to.equal(undefined);
    expect(dispute.outcome).to.equal(undefined);
    const text = await verity(["dispute", requestId], env);
    expect(text.stdout).to.include(`request ${requestId}: challenged, dispute open`);
    expect(text.stdout).to.match(new RegExp(`challenged\\s+by ${requester}`));
    expect(text.stdout).to.match(/bond\s+0\.1 ETH/);
    expect(text.stdout).to.match(/jury\s+not escalated/);

    const again = await verity(["challenge", requestId], env);
    expect(again.code).to.equal(4);
    expect(again.stderr).to.include(
      `error: Request ${requestId} cannot be challenged: its result is challenged already.`,
    );
    expect(again.stderr).to.include(`fix: follow the dispute with \`verity dispute ${requestId}\``);
  });

  it("dispute shows the timeout passing and the dispute expiring", async () => {
    const id = BigInt(requestId);
    const { disputeTimeoutSeconds } = await devnet.hub.disputeConfig();
    await devnet.provider.send("evm_increaseTime", [Number(disputeTimeoutSeconds)]);
    await devnet.provider.send("evm_mine", []);
    const late = await verity(["dispute", requestId], env);
    expect(late.stdout).to.match(/times out\s+.*passed: anyone may expire it/);

    const [found, dispute] = await Promise.all([
      getResult(client, id),
      getDispute(client, { requestId: id }),
    ]);
    const { transaction: _, ...challengeRecord } = dispute.challenge!;
    await (
      await devnet.hub
        .connect(devnet.signer(ACCOUNTS.outsider))
        .expireChallenge(found.request, found.result!.submission, challengeRecord)
    ).wait();

    const ended = await verity(["dispute", requestId, "--json"], env);
    expect(ended.json()).to.include({ status: "Refunded" });
    expect(ended.json().outcome).to.include({ kind: "expired", decidedBy: "timeout" });
    const text = await verity(["dispute", requestId], env);
    expect(text.stdout).to.include("dispute decided");
    expect(text.stdout).to.match(/outcome\s+expired .*bond returned to the challenger/);
  });

  it("withdraw pays out the refund and the returned bond, then has nothing to withdraw", async () => {
    const heldWei = await devnet.hub.balanceOf(requester);
    const { challengeBondWei } = await devnet.hub.disputeConfig();
    expect(heldWei > challengeBondWei).to.equal(true); // refund + bond
    const to = Wallet.createRandom().address;
    const run = await verity(["withdraw", "--to", to, "--json"], env);
    expect(run.code, run.stdout + run.stderr).to.equal(0);
    expect(run.json()).to.include({ account: requester, to, amountWei: String(heldWei) });
    expect(await devnet.provider.getBalance(to)).to.equal(heldWei);
    expect(await devnet.hub.balanceOf(requester)).to.equal(0n);

    const nonce = await devnet.provider.getTransactionCount(requester);
    const empty = await verity(["withdraw"], env);
    expect(empty.code, empty.stderr).to.equal(0);
    expect(empty.stdout).to.include(`nothing to withdraw: the hub holds 0 ETH for ${requester}`);
    expect(await devnet.provider.getTransactionCount(requester), "no transaction").to.equal(nonce);

    // The model owner earned no fee from a request that was refunded.
    const owner = await verity(["withdraw"], ownerEnv);
    expect(owner.stdout).to.include("nothing to withdraw");
  });

  it("model fee: the owner sets it; anyone else gets NotModelOwner and the fix", async () => {
    const run = await verity(["model", "fee", "credit-risk", "0.002", "--json"], ownerEnv);
    expect(run.code, run.stdout + run.stderr).to.equal(0);
    expect(run.json()).to.include({ previousFeeWei: String(parseEther("0.001")) });
    expect((run.json().model as { feeWei: string }).feeWei).to.equal(String(parseEther("0.002")));
    expect((await devnet.modelRegistry.getModel(credit.modelId)).feeWei).to.equal(
      parseEther("0.002"),
    );

    const text = await verity(["model", "fee", "credit-risk", "0.003"], ownerEnv);
    expect(text.stdout).to.include("fee 0.003 ETH per inference (was 0.002 ETH)");

    const outsider = await verity(["model", "fee", "credit-risk", "0"], env);
    expect(outsider.code).to.equal(4);
    expect(outsider.stderr).to.include(`error: ${requester} does not own model ${credit.modelId}.`);
    expect(outsider.stderr).to.include(`Reverted with: NotModelOwner(${credit.modelId}`);
    expect(outsider.stderr).to.include("fix: send this from the model owner's key");
    const json = await verity(["model", "fee", "credit-risk", "0", "--json"], env);
    expect((json.json().error as { errorName: string }).errorName).to.equal("NotModelOwner");
    expect((await devnet.modelRegistry.getModel(credit.modelId)).feeWei).to.equal(
      parseEther("0.003"),
    );

    const bad = await verity(["model", "fee", "credit-risk", "lots"], ownerEnv);
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.include('the fee must be an amount of ether, got "lots"');
  });

  it("model deprecate: refused to others, done by the owner, then requests are refused", async () => {
    const outsider = await verity(["model", "deprecate", "credit-risk"], env);
    expect(outsider.code).to.equal(4);
    expect(outsider.stderr).to.include("NotModelOwner");

    const run = await verity(["model", "deprecate", "credit-risk"], ownerEnv);
    expect(run.code, run.stdout + run.stderr).to.equal(0);
    expect(run.stdout).to.include("is Deprecated: new requests are refused");
    const show = await verity(["model", "show", "credit-risk", "--json"], env);
    expect((show.json().model as { status: string }).status).to.equal("Deprecated");

    const infer = await verity(
      ["infer", "credit-risk", "--input", JSON.stringify(credit.sampleInput(1))],
      env,
    );
    expect(infer.code).to.equal(4);
    expect(infer.stderr).to.include("Reverted with: ModelNotActive");

    const again = await verity(["model", "deprecate", "credit-risk", "--json"], ownerEnv);
    expect(again.code).to.equal(4);
    expect((again.json().error as { message: string }).message).to.equal(
      `Model ${credit.modelId} is Deprecated already.`,
    );
  });

  it("--help of each new command shows its own usage lines", async () => {
    const cases: [string[], string][] = [
      [["challenge"], "challenge <requestId> [--bond <ether>]"],
      [["dispute"], "dispute <requestId>"],
      [["withdraw"], "withdraw [--to <address>]"],
      [["model", "fee"], "model fee <model> <ether>"],
      [["model", "deprecate"], "model deprecate <model>"],
    ];
    for (const [words, line] of cases) {
      const run = await verity([...words, "--help"]);
      expect(run.code, run.stderr).to.equal(0);
      expect(run.stdout).to.match(new RegExp(`^usage: verity ${words.join(" ")}`));
      expect(run.stdout).to.include(`  ${line}`);
      expect(run.stdout).to.include("--rpc-url");
      expect(run.stdout).to.not.include("infer <model>");
    }
    const group = await verity(["model", "--help"]);
    expect(group.stdout).to.include("model fee").and.include("model deprecate");
  });
});
