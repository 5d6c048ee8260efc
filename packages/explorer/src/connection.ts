import { createVerityClient, type VerityClient } from "@verity/sdk";
import type { Problem } from "./api.js";

/** The server's client of the chain, shared by the relay and the verifier. */
export type Connection = ReturnType<typeof createConnection>;

export interface ConnectionOptions {
  rpcUrl: string;
  chainId?: bigint | number;
  fromBlock?: number;
  /** The hub to read, found afresh on each connect (or why there is none). */
  hub: () => Promise<{ address?: string; problem?: Problem }>;
}

/** The server's own client of the chain (the relay, server-side verification), made on first use. */
export function createConnection(options: ConnectionOptions) {
  let client: Promise<VerityClient> | undefined;
  let address: string | undefined;
  const reset = () => {
    const stale = client;
    client = undefined;
    void stale?.then(
      (c) => c.destroy(),
      () => undefined,
    );
  };
  return {
    /** @throws the hub's `Problem` when there is none to read; the SDK's errors. */
    client: async (): Promise<VerityClient> => {
      const hub = await options.hub();
      if (hub.problem) throw hub.problem;
      if (client === undefined || address !== hub.address) {
        reset();
        address = hub.address;
        const connecting = createVerityClient({
          rpcUrl: options.rpcUrl,
          hubAddress: hub.address,
          chainId: options.chainId,
          fromBlock: options.fromBlock,
        });
        client = connecting;
        connecting.catch(() => {
          if (client === connecting) client = undefined;
        });
      }
      return client;
    },
    /**
     * Connect afresh next time: after an error, which may mean a node restarted under the same
     * URL, a new chain.
     */
    reset,
    close: reset,
  };
}
