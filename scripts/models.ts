/**
 * Writes the sample models (credit-risk, mnist-mlp) to `<repo>/models/` and prints each one's
 * name, model id (the SHA-256 of its bytes) and path.
 *
 *   hardhat run scripts/models.ts                                        write the files
 *   VERITY_REGISTER=1 hardhat run scripts/models.ts --network localhost  also register them
 *
 * With VERITY_REGISTER=1 each model is registered in the ModelRegistry that Ignition deployed on
 * the network (`deployments(chainId)`), by the first account, with uri `file://<absolute path>`,
 * fee 0.001 ETH and proof mode ATTESTED. A model already registered is left as it is, so the
 * script can run again.
 */
import { fileURLToPath, pathToFileURL } from "node:url";
import { network } from "hardhat";
import { parseEther } from "ethers";
import { ModelRegistry__factory, ModelStatus, enumName } from "@verity/contracts";
import { deployments } from "@verity/contracts/deployments";
import { registerLikeSample } from "@verity/devnet";
import { writeSampleModels } from "@verity/models";

const MODELS_DIR = fileURLToPath(new URL("../models/", import.meta.url));
const FEE_WEI = parseEther("0.001");

const written = await writeSampleModels(MODELS_DIR);
for (const { name, modelId, path } of written) {
  console.log(`${name.padEnd(12)} ${modelId} ${path}`);
}

if (process.env.VERITY_REGISTER === "1") {
  const { ethers } = await network.create();
  const [owner] = await ethers.getSigners();
  const chainId = (await ethers.provider.getNetwork()).chainId;
  const registry = ModelRegistry__factory.connect(deployments(chainId).modelRegistry, owner);
  console.log(`\nRegistering in ModelRegistry ${await registry.getAddress()} on chain ${chainId}`);
  for (const { name, modelId, path } of written) {
    const existing = await registry.getModel(modelId);
    if (Number(existing.status) !== ModelStatus.None) {
      const status = enumName(ModelStatus, existing.status);
      console.log(`${name.padEnd(12)} already registered (${status}, owner ${existing.owner})`);
      continue;
    }
    await registerLikeSample(registry, name, modelId, pathToFileURL(path).href, FEE_WEI);
    console.log(`${name.padEnd(12)} registered`);
  }
}
