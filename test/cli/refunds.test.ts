import { expect } from "chai";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Wallet, hexlify, randomBytes } from "ethers";
import { MAX_INPUT_BYTES } from "@verity/contracts";
import { ACCOUNTS, devAccount, startDevnet, type Devnet } from "@verity/devnet";
import { sampleModel } from "@verity/models";
import {
  TransactionRejectedError,
  createVerityClient,
  requestInference,
  type VerityClient,
} from "@verity/sdk";
import { verity } from "./support.js";

/**
 * A request nobody answers, run as real processes against a devnet with no worker: `verity
 * refund` refuses before the deadline and says when, refunds after it, and `verity withdraw --to`
 * pays the refund out. Also what the node says about an input no transaction can carry.
 */
describe("verity refund and withdraw --to, and inputs too large to send", function () {
  this.timeout(120_000);
  let devnet: Devnet;
  let env: Record<string, string>;
  let client: VerityClient;
  let dir: string;
  const credit = sampleModel("credit-risk");
  const requester = devAccount(ACCOUNTS.requester);
  let requestId: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "verity-refund-test-"));
    devnet = await startDevnet({ models: ["credit-risk"], assignmentGraceSeconds: 5 });
    const hubAddress = await devnet.hub.getAddress();
    env = {
      VERITY_RPC_URL: devnet.node.url,
      VERITY_HUB_ADDRESS: hubAddress,
      VERITY_PRIVATE_KEY: requester.privateKey,
    };
    client = await createVerityClient({
      rpcUrl: devnet.node.url,
      hubAddress,
      privateKey: requester.privateKey,
    });
  });

  after(async () => {
    client?.destroy();
    await devnet?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("refuses a refund before the deadline, naming it in UTC and what to do", async () => {
    const sent = await verity(
      [
        "infer",
        "credit-risk",
        "--input",
        JSON.stringify(credit.sampleInput(1)),
        "--assignee",
        "none",
        "--deadline-seconds",
        "60",
        "--json",
      ],
      env,
    );
    expect(sent.code, sent.stdout + sent.stderr).to.equal(0);
    requestId = String(sent.json().requestId);
    const early = await verity(["refund", requestId], env);
    expect(early.code, early.stdout + early.stderr).to.equal(4);
    expect(early.stderr).to.contain(`Request ${requestId} cannot be refunded`);
    expect(early.stderr).to.match(/its deadline is \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/);
    expect(early.stderr).to.contain(`verity refund ${requestId}`);
  });

  it("refunds it once the deadline passed, and withdraw --to pays the refund to another address", async () => {
    await devnet.provider.send("evm_increaseTime", [120]);
    await devnet.provider.send("evm_mine", []);
    const refunded = await verity(["refund", requestId, "--json"], env);
    expect(refunded.code, refunded.stdout + refunded.stderr).to.equal(0);
    const done = refunded.json();
    expect(String(done.requester).toLowerCase()).to.equal(requester.address.toLowerCase());
    const refundedWei = BigInt(String(done.refundedWei));
    expect(refundedWei > 0n).to.equal(true);

    const again = await verity(["refund", requestId], env);
    expect(again.code, again.stdout + again.stderr).to.equal(4);
    expect(again.stderr).to.contain("refunded already");

    const to = Wallet.createRandom().address;
    const paid = await verity(["withdraw", "--to", to], env);
    expect(paid.code, paid.stdout + paid.stderr).to.equal(0);
    expect(paid.stdout).to.contain(`to ${to}`);
    expect(await devnet.provider.getBalance(to)).to.equal(refundedWei);
  });

  it("refuses an input over MAX_INPUT_BYTES before sending it", async () => {
    const file = join(dir, "huge-input.txt");
    await writeFile(file, hexlify(randomBytes(1_000_000)));
    const huge = await verity(["infer", "credit-risk", "--input", file], env);
    expect(huge.code, huge.stdout + huge.stderr).to.equal(5);
    expect(huge.stderr).to.contain(`a request may carry at most ${MAX_INPUT_BYTES}`);
  });

  it("names the node's reason for a 1 MB input sent over JSON-RPC anyway", async () => {
    let error: unknown;
    try {
      await requestInference(client, {
        modelId: credit.modelId,
        input: randomBytes(1_000_000),
        validateInput: false,
        assignee: "none",
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).to.be.instanceOf(TransactionRejectedError);
    const rejected = error as TransactionRejectedError;
    expect(rejected.shortMessage).to.not.contain("requestInference failed");
    expect(rejected.nodeMessage).to.match(/gas/);
    expect(rejected.tooLarge).to.equal(true);
  });
});
