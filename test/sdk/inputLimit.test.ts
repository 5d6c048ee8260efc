import { expect } from "chai";
import { network } from "hardhat";
import { ZeroHash, randomBytes } from "ethers";
import VerityModule from "../../deploy/modules/Verity.js";
import {
  MAX_INPUT_BYTES,
  ModelRegistry__factory,
  ProofMode,
  proofModesMask,
} from "@verity/contracts";
import {
  type BaseError,
  InputTooLargeError,
  TransactionRejectedError,
  createVerityClient,
  encodeInput,
  requestInference,
  type VerityClient,
} from "@verity/sdk";

/**
 * The input limit and the node's own reasons, on Hardhat's in-process EVM with the real
 * contracts: an input over `MAX_INPUT_BYTES` is refused before sending, and one sent anyway
 * comes back with what the node said, not a bare "requestInference failed".
 */
describe("sdk: the input limit and the node's reasons", function () {
  this.timeout(120_000);
  let client: VerityClient;
  let modelId: string;
  let maxOnChain: bigint;

  before(async () => {
    const { ethers, ignition } = await network.create();
    const [, modelOwner, requester] = await ethers.getSigners();
    const deployed = await ignition.deploy(VerityModule, {
      parameters: { Verity: { timelockMinDelaySeconds: 0n } },
    });
    const models = ModelRegistry__factory.connect(
      await deployed.modelRegistry.getAddress(),
      modelOwner,
    );
    modelId = ethers.sha256(ethers.toUtf8Bytes("input-limit test model"));
    await (
      await models.registerModel(modelId, {
        uri: "file://input-limit.onnx",
        inputShape: [1, 16],
        outputShape: [1, 1],
        decimals: 6,
        feeWei: 0n,
        proofModes: proofModesMask(ProofMode.ATTESTED),
        previousVersion: ZeroHash,
      })
    ).wait();
    maxOnChain = await models.MAX_INPUT_BYTES();
    client = await createVerityClient({
      provider: ethers.provider,
      signer: requester,
      hubAddress: await deployed.inferenceHub.getAddress(),
    });
  });

  it("states one limit: the registry's cap is the SDK's MAX_INPUT_BYTES", () => {
    expect(maxOnChain).to.equal(BigInt(MAX_INPUT_BYTES));
  });

  it("sends a 1 MB input only when told to, and then names the node's reason and the limit", async () => {
    const input = randomBytes(1_000_000);
    let error: unknown;
    try {
      await requestInference(client, { modelId, input, validateInput: false, assignee: "none" });
    } catch (caught) {
      error = caught;
    }
    expect(error).to.be.instanceOf(TransactionRejectedError);
    const rejected = error as TransactionRejectedError;
    expect(rejected.message).to.not.match(/requestInference failed/);
    // Hardhat's EIP-7623 check: "Transaction requires gas floor of ... but got limit of 16777216".
    expect(rejected.nodeMessage).to.match(/gas floor of \d+ but got limit of 16777216/);
    expect(rejected.shortMessage).to.contain(rejected.nodeMessage);
    expect(rejected.tooLarge).to.equal(true);
    expect(rejected.fix).to.contain(`at most ${MAX_INPUT_BYTES} bytes`);
    expect(rejected.cause, "the node's error is kept").to.not.equal(undefined);
  });

  it("refuses the same input before sending anything when it validates (the default)", async () => {
    const nonce = await client.provider.getTransactionCount(client.account!);
    let error: unknown;
    try {
      await requestInference(client, { modelId, input: randomBytes(1_000_000), assignee: "none" });
    } catch (caught) {
      error = caught;
    }
    expect(error).to.be.instanceOf(InputTooLargeError);
    expect((error as BaseError).shortMessage).to.contain(
      `1000000 bytes; a request may carry at most ${MAX_INPUT_BYTES}`,
    );
    expect(await client.provider.getTransactionCount(client.account!)).to.equal(nonce);
  });

  it("refuses to encode values for a shape longer than the limit", () => {
    expect(() =>
      encodeInput({ inputShape: [1, 20_000], decimals: 6 }, new Array(20_000).fill(0)),
    ).to.throw(InputTooLargeError, /80011 bytes/);
  });
});
