import type { HubSource } from "@verity/contracts";

/**
 * What `#deployment-files` is in a browser bundle (see package.json "imports"): a page has no
 * environment variables, devnet records or Ignition files, so the hub is only ever the one given.
 * In Node it is `@verity/contracts/deployments` itself.
 */
export function findHubAddress(
  chainId: bigint,
  rpcUrl: string | undefined,
): { address: string; source: HubSource } {
  throw new Error(
    `no InferenceHub is known for chain ${chainId} at ${rpcUrl ?? "this provider"}: a web page ` +
      "reads no deployment files or environment variables, so pass hubAddress",
  );
}
