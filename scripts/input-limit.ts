/**
 * Input-size measurement: the gas of `requestInference` at several input sizes on Hardhat's
 * in-process EVM, with inputs of all non-zero bytes (the worst case for calldata) and of zero
 * elements (the best), and what they say about the largest input one transaction can carry.
 * Writes `reports/input-limit.json`; `MAX_INPUT_BYTES` in packages/contracts/src/limits.ts cites it.
 *
 *   pnpm exec hardhat run scripts/input-limit.ts
 *
 * A transaction pays the larger of two prices (EIP-7623): the standard one (21,000, 16 gas a
 * non-zero calldata byte and 4 a zero byte, plus execution: here chiefly 8 gas a byte of log data
 * for `InferenceRequested` and the memory to hold the input) and the calldata floor (21,000 plus
 * 10 gas a token, a zero byte one token, a non-zero byte four). Each measurement says which bound.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { network } from "hardhat";
import { ZeroAddress, ZeroHash, getBytes, randomBytes } from "ethers";
import VerityModule from "../deploy/modules/Verity.js";
import {
  InferenceHub__factory,
  MAX_INPUT_BYTES,
  ModelRegistry__factory,
  ProofMode,
  TRANSACTION_GAS_CAP,
  proofModesMask,
} from "@verity/contracts";

const REPORT = new URL("../reports/input-limit.json", import.meta.url);
const BASE_GAS = 21_000;
const FLOOR_GAS_PER_TOKEN = 10;
const GETH_MAX_TRANSACTION_BYTES = 128 * 1024;

const { ethers, ignition } = await network.create();
const [, modelOwner, requester] = await ethers.getSigners();
const deployed = await ignition.deploy(VerityModule, {
  parameters: { Verity: { timelockMinDelaySeconds: 0n } },
});
const models = ModelRegistry__factory.connect(
  await deployed.modelRegistry.getAddress(),
  modelOwner,
);
const hub = InferenceHub__factory.connect(await deployed.inferenceHub.getAddress(), requester);
const onChainMax = Number(await models.MAX_INPUT_BYTES());
if (onChainMax !== MAX_INPUT_BYTES) {
  throw new Error(
    `ModelRegistry.MAX_INPUT_BYTES is ${onChainMax} but @verity/contracts says ${MAX_INPUT_BYTES}: make them one number`,
  );
}

/** A canonical rank-1 tensor of `elements` int32s; `nonZero`: every byte non-zero. */
function tensor(elements: number, nonZero: boolean): Uint8Array {
  const bytes = new Uint8Array(3 + 4 * (1 + elements));
  bytes.set([1, 1, 1]);
  new DataView(bytes.buffer).setUint32(3, elements);
  if (nonZero)
    bytes.set(
      randomBytes(4 * elements).map((b) => b | 1),
      7,
    );
  return bytes;
}

function floorGas(data: string): number {
  let tokens = 0;
  for (const byte of getBytes(data)) tokens += byte === 0 ? 1 : 4;
  return BASE_GAS + FLOOR_GAS_PER_TOKEN * tokens;
}

let modelCount = 0;
async function registerModel(elements: number): Promise<string> {
  const id = ethers.sha256(ethers.toUtf8Bytes(`input-limit model ${modelCount++}`));
  await (
    await models.registerModel(id, {
      uri: "file://input-limit.onnx",
      inputShape: [elements],
      outputShape: [1],
      decimals: 6,
      feeWei: 0n,
      proofModes: proofModesMask(ProofMode.ATTESTED),
      previousVersion: ZeroHash,
    })
  ).wait();
  return id;
}

// 16 elements is a credit-risk input; the largest is exactly MAX_INPUT_BYTES (3 + 4 * (1 + n)).
const largest = (MAX_INPUT_BYTES - 7) / 4;
const sizes = [16, 256, 2_048, 8_192, largest];
const measurements: Record<string, unknown>[] = [];
for (const elements of sizes) {
  const modelId = await registerModel(elements);
  const valueWei = await hub.quote(modelId, 0);
  for (const nonZero of [true, false]) {
    const input = tensor(elements, nonZero);
    const block = await ethers.provider.getBlock("latest");
    const tx = await hub.requestInference(
      modelId,
      input,
      ProofMode.ATTESTED,
      ZeroAddress,
      ZeroAddress,
      0,
      block!.timestamp + 3600,
      { value: valueWei },
    );
    const receipt = (await tx.wait())!;
    const floor = floorGas(tx.data);
    const gasUsed = Number(receipt.gasUsed);
    measurements.push({
      inputBytes: input.length,
      content: nonZero ? "non-zero bytes" : "zero elements",
      calldataBytes: getBytes(tx.data).length,
      gasUsed,
      calldataFloorGas: floor,
      boundBy: gasUsed === floor ? "EIP-7623 calldata floor" : "execution (standard pricing)",
      shareOfTransactionGasCap: Number((gasUsed / TRANSACTION_GAS_CAP).toFixed(4)),
    });
    console.log(
      `${String(input.length).padStart(6)} bytes, ${nonZero ? "non-zero" : "zeros   "}: ` +
        `${String(gasUsed).padStart(9)} gas (floor ${floor})`,
    );
  }
}

// The largest input the cap allows, from the floor (the standard price, measured below the floor
// for non-zero inputs at every size here, grows by less per byte): 40 gas a non-zero byte.
const overheadBytes = getBytes(
  hub.interface.encodeFunctionData("requestInference", [
    ZeroHash,
    "0x",
    ProofMode.ATTESTED,
    ZeroAddress,
    ZeroAddress,
    0,
    0,
  ]),
).length;
const nonZeroAtCap = Math.floor(
  (TRANSACTION_GAS_CAP - BASE_GAS) / (4 * FLOOR_GAS_PER_TOKEN) - overheadBytes,
);

const report = {
  what: "gas of InferenceHub.requestInference by encoded input size, Hardhat in-process EVM",
  network: {
    hardhat: true,
    blockGasLimit: Number((await ethers.provider.getBlock("latest"))!.gasLimit),
  },
  transactionGasCap: TRANSACTION_GAS_CAP,
  measurements,
  limits: {
    largestNonZeroInputUnderTheGasCapBytes: nonZeroAtCap,
    gethMaxTransactionBytes: GETH_MAX_TRANSACTION_BYTES,
    chosenMaxInputBytes: MAX_INPUT_BYTES,
    why:
      "the largest input, of non-zero bytes, stays under a sixth of the EIP-7825 cap and inside " +
      "geth's 128 KiB transaction limit with room for the rest of the call, and it is what the " +
      "registry's packed model record holds (16 bits, in the one slot the hub reads per request)",
  },
};
await mkdir(new URL(".", REPORT), { recursive: true });
await writeFile(REPORT, `${JSON.stringify(report, null, 2)}\n`);
console.log(
  `largest non-zero input under the cap: ${nonZeroAtCap} bytes; wrote reports/input-limit.json`,
);
