import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import VerityModule from "./Verity.js";

type ModuleBuilder = Parameters<Parameters<typeof buildModule>[1]>[0];

/**
 * The CreditLine example dapp's parameters (under module "CreditLine" or "CreditLineOnHub"):
 *
 * - `riskModelId` (required): the risk model's id, the SHA-256 of its ONNX bytes; the model takes
 *   16 features and returns one probability of default.
 * - `decimals` (6): the model's fixed-point decimals.
 * - `maxLimitWei` (10 ether): the credit limit of a borrower with zero default probability.
 * - `maxDefaultProbability` (200000, that is 0.2 at 6 decimals): above it, no credit.
 */
function creditLineSettings(m: ModuleBuilder) {
  return [
    m.getParameter<string>("riskModelId"),
    m.getParameter("decimals", 6n),
    m.getParameter("maxLimitWei", 10n * 10n ** 18n),
    m.getParameter("maxDefaultProbability", 200_000n),
  ] as const;
}

/**
 * Deploys CreditLine against the hub of the Verity module in the same deployment: on a network
 * where `deploy/modules/Verity.ts` already ran, Ignition reuses that hub rather than deploying
 * another one.
 */
export default buildModule("CreditLine", (m) => {
  const verity = m.useModule(VerityModule);
  const creditLine = m.contract("CreditLine", [verity.inferenceHub, ...creditLineSettings(m)]);
  return { creditLine, ...verity };
});

/**
 * Deploys CreditLine against a hub given by address (parameter `hub`): for a hub deployed some
 * other way, and for tests that deploy the protocol on their own.
 */
export const CreditLineOnHubModule = buildModule("CreditLineOnHub", (m) => {
  const hub = m.getParameter<string>("hub");
  const creditLine = m.contract("CreditLine", [hub, ...creditLineSettings(m)]);
  return { creditLine };
});
