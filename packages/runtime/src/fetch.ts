import { readFile, stat } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { ModelFetchError } from "./errors.js";

/** Where and how to fetch model files. */
export interface FetchOptions {
  /** An HTTP gateway that serves `<gateway><cid>/<path>` for `ipfs://<cid>/<path>`. */
  ipfsGateway: string;
  /** The whole fetch, body included. */
  timeoutMs: number;
  /** Files larger than this are refused before they fill memory. */
  maxBytes: number;
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
      return download(uri, url, options);
    case "ipfs:":
      return download(uri, ipfsGatewayUrl(uri, url, options.ipfsGateway), options);
    default:
      throw new ModelFetchError(
        uri,
        `model uri "${uri}" has the unsupported scheme ${url.protocol}; use file://, http(s):// or ipfs://`,
        false,
      );
  }
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

async function download(uri: string, url: URL, options: FetchOptions): Promise<Uint8Array> {
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
          (retryable ? " (may pass: will retry)" : ""),
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

function tooLarge(uri: string, size: number, maxBytes: number): ModelFetchError {
  return new ModelFetchError(
    uri,
    `model at ${uri} is ${size} bytes or more, above the ${maxBytes}-byte limit (maxModelBytes)`,
    false,
  );
}
