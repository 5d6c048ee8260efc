import { readFile, stat } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { downloadModel, ipfsGatewayUrl, tooLarge, type DownloadOptions } from "./download.js";
import { ModelFetchError } from "./errors.js";

/** Where and how to fetch model files. */
export interface FetchOptions extends DownloadOptions {
  /** An HTTP gateway that serves `<gateway><cid>/<path>` for `ipfs://<cid>/<path>`. */
  ipfsGateway: string;
}

/**
 * The bytes at a model uri: `file:///absolute/path`, `http(s)://…`, or `ipfs://<cid>[/path]`
 * through the configured gateway. The caller verifies the hash; this only fetches.
 *
 * @throws ModelFetchError, `retryable` for 5xx, 408, 429, timeouts and network errors.
 */
export async function fetchModelBytes(uri: string, options: FetchOptions): Promise<Uint8Array> {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new ModelFetchError(uri, `model uri "${uri}" is not a URL`, false);
  }
  switch (url.protocol) {
    case "file:":
      return readLocal(uri, url, options.maxBytes);
    case "http:":
    case "https:":
      return downloadModel(uri, url, options);
    case "ipfs:":
      return downloadModel(uri, ipfsGatewayUrl(uri, url, options.ipfsGateway), options);
    default:
      throw new ModelFetchError(
        uri,
        `model uri "${uri}" has the unsupported scheme ${url.protocol}; use file://, http(s):// or ipfs://`,
        false,
      );
  }
}

async function readLocal(uri: string, url: URL, maxBytes: number): Promise<Uint8Array> {
  let path: string;
  try {
    path = fileURLToPath(url);
  } catch (error) {
    throw new ModelFetchError(
      uri,
      `model uri "${uri}" is not an absolute file URL (${(error as Error).message}); write file:///absolute/path`,
      false,
    );
  }
  try {
    const { size } = await stat(path);
    if (size > maxBytes) throw tooLarge(uri, size, maxBytes);
    return new Uint8Array(await readFile(path));
  } catch (error) {
    if (error instanceof ModelFetchError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    // A missing or unreadable file will not appear by itself; an I/O error might pass.
    const permanent =
      code === "ENOENT" || code === "EACCES" || code === "EISDIR" || code === "ENOTDIR";
    throw new ModelFetchError(
      uri,
      `cannot read model file ${path}: ${(error as Error).message}`,
      !permanent,
      { cause: error },
    );
  }
}
