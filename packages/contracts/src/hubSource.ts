/**
 * Where a client found its InferenceHub, for a person to read. Kept apart from the deployment
 * files (`@verity/contracts/deployments`, Node only) so that a page can name it too.
 */

/** Where an InferenceHub address came from. */
export type HubSource = "given" | "VERITY_HUB_ADDRESS" | { devnet: string } | { ignition: string };

/** "VERITY_HUB_ADDRESS", "the devnet recorded in …", …: a `HubSource` in words. */
export function describeHubSource(source: HubSource): string {
  if (source === "given") return "the address given";
  if (source === "VERITY_HUB_ADDRESS") return "VERITY_HUB_ADDRESS";
  return "devnet" in source
    ? `the running devnet recorded in ${source.devnet}`
    : `the Ignition deployment in ${source.ignition}`;
}
