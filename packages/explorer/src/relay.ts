import type { ServerResponse } from "node:http";
import { fetchModelBytes, sha256Hex } from "@verity/runtime";
import { BaseError, getModel, ModelNotFoundError } from "@verity/sdk";
import type { Connection } from "./connection.js";

export interface ModelRelayOptions {
  /** Reads the ModelRegistry: the uri a model id is registered with. */
  connection: Pick<Connection, "client" | "reset">;
  /** For `ipfs://` uris. */
  ipfsGateway: string;
  /** Per download; default 30 s. */
  fetchTimeoutMs?: number;
}

/** What a worker's model store accepts (its default), so the page, not the relay, draws the line. */
const MAX_MODEL_BYTES = 2 ** 30;

/**
 * `GET api/models/<modelId>`: the bytes of a registered model, for the page, which cannot read a
 * `file://` uri and may not reach the model's host itself (no CORS, cleartext http).
 *
 * Content-addressed: the server reads the uri registered for `<modelId>`, fetches it (file://,
 * http(s)://, ipfs:// through the gateway, as a worker does) and serves the bytes only when they
 * hash to `<modelId>`. The page hashes them again and refuses a mismatch, so the relay is trusted
 * for nothing but availability. And since it only ever serves bytes whose hash the asker already
 * knows, a uri naming some local file discloses nothing that was not known.
 */
export function createModelRelay(options: ModelRelayOptions) {
  return async function relay(modelId: string, res: ServerResponse): Promise<void> {
    let uri: string;
    try {
      uri = (await getModel(await options.connection.client(), modelId)).uri;
    } catch (error) {
      if (error instanceof ModelNotFoundError) {
        return refuse(res, 404, "Unknown model", `no model ${modelId} is registered`);
      }
      options.connection.reset();
      const message =
        error instanceof BaseError
          ? error.shortMessage
          : ((error as { message?: string }).message ?? String(error));
      return refuse(res, 502, "Cannot read the ModelRegistry", message);
    }
    let bytes: Uint8Array;
    try {
      bytes = await fetchModelBytes(uri, {
        ipfsGateway: options.ipfsGateway,
        timeoutMs: options.fetchTimeoutMs ?? 30_000,
        maxBytes: MAX_MODEL_BYTES,
      });
    } catch (error) {
      return refuse(res, 502, "Model file unavailable", (error as Error).message);
    }
    const actual = await sha256Hex(bytes);
    if (actual !== modelId) {
      return refuse(
        res,
        502,
        "Not the registered model",
        `the file at ${uri} hashes to ${actual}, not the model id ${modelId}`,
      );
    }
    res.writeHead(200, {
      "content-type": "application/octet-stream",
      "content-length": bytes.length,
      // The id is the content's hash: what is served under it never changes.
      "cache-control": "public, max-age=31536000, immutable",
      "x-content-type-options": "nosniff",
    });
    res.end(bytes);
  };
}

/**
 * An HTTP error whose reason phrase says why: the page's fetch reports the status line, and says
 * it as "HTTP 502 Not the registered model: the file at … hashes to …".
 */
function refuse(res: ServerResponse, status: number, title: string, message: string): void {
  const reason = `${title}: ${message}`.replace(/[^\x20-\x7e]/g, " ").slice(0, 400);
  res.writeHead(status, reason, {
    "content-type": "application/json",
    "cache-control": "no-store",
  });
  res.end(JSON.stringify({ problem: { title, message } }));
}
