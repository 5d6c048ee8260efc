/**
 * Downloading a model file over HTTP(S), in Node and in a web page alike (no Node built-ins): the
 * worker's model store and the explorer page's model source fetch with the same limits and the
 * same `ModelFetchError`s. The caller verifies the hash; this only fetches.
 */
import { ModelFetchError } from "./errors.js";

export interface DownloadOptions {
  /** The whole fetch, body included. */
  timeoutMs: number;
  /** Files larger than this are refused before they fill memory. */
  maxBytes: number;
}

/** `ipfs://<cid>/<path>` as `<gateway><cid>/<path>`. */
export function ipfsGatewayUrl(uri: string, url: URL, gateway: string): URL {
  const cid = url.hostname;
  if (cid === "") {
    throw new ModelFetchError(
      uri,
      `model uri "${uri}" names no CID; expected ipfs://<cid>[/path]`,
      false,
    );
  }
  const base = gateway.endsWith("/") ? gateway : `${gateway}/`;
  try {
    return new URL(`${cid}${url.pathname === "/" ? "" : url.pathname}`, base);
  } catch {
    throw new ModelFetchError(
      uri,
      `the IPFS gateway "${gateway}" is not a URL; configure it like http://127.0.0.1:8080/ipfs/`,
      false,
    );
  }
}

/**
 * The body at `url` (for the model at `uri`).
 *
 * @throws ModelFetchError, `retryable` for 5xx, 408, 429, timeouts and network errors.
 */
export async function downloadModel(
  uri: string,
  url: URL,
  options: DownloadOptions,
): Promise<Uint8Array> {
  const signal = AbortSignal.timeout(options.timeoutMs);
  try {
    const response = await fetch(url, { signal, redirect: "follow" });
    if (!response.ok) {
      await response.body?.cancel();
      const status = response.status;
      const retryable = status >= 500 || status === 408 || status === 429;
      throw new ModelFetchError(
        uri,
        `fetching model ${url.href} failed: HTTP ${status} ${response.statusText}` +
          (retryable ? " (may pass later)" : ""),
        retryable,
      );
    }
    const declared = Number(response.headers.get("content-length") ?? NaN);
    if (declared > options.maxBytes) {
      await response.body?.cancel();
      throw tooLarge(uri, declared, options.maxBytes);
    }
    return await readBody(uri, response, options.maxBytes);
  } catch (error) {
    if (error instanceof ModelFetchError) throw error;
    if (signal.aborted) {
      throw new ModelFetchError(
        uri,
        `fetching model ${url.href} took longer than the ${options.timeoutMs} ms limit ` +
          "(modelFetchTimeoutMs)",
        true,
        { cause: error },
      );
    }
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw new ModelFetchError(
      uri,
      `fetching model ${url.href} failed: ${cause?.code ?? cause?.message ?? (error as Error).message}`,
      true,
      { cause: error },
    );
  }
}

/** The body, refusing more than `maxBytes` (a server may send more than it declared). */
async function readBody(uri: string, response: Response, maxBytes: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let length = 0;
  for await (const chunk of response.body ?? []) {
    length += chunk.length;
    if (length > maxBytes) throw tooLarge(uri, length, maxBytes);
    chunks.push(chunk);
  }
  const bytes = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return bytes;
}

/** A model file over the size limit: permanent, the same file will not shrink. */
export function tooLarge(uri: string, size: number, maxBytes: number): ModelFetchError {
  return new ModelFetchError(
    uri,
    `model at ${uri} is ${size} bytes or more, above the ${maxBytes}-byte limit (maxModelBytes)`,
    false,
  );
}
