import type { Logger } from "pino";

/** A JSON-RPC error the node answered with: the call reached the chain and was refused. */
export class RpcError extends Error {
  override name = "RpcError";
  constructor(
    readonly method: string,
    readonly code: number,
    message: string,
    /** Revert data for a failed `eth_call`/`eth_estimateGas`, when the node gives it. */
    readonly data?: string,
  ) {
    super(`${method}: ${message} (code ${code})`);
  }
}

/** The node could not be reached or answered garbage: worth retrying. */
export class RpcUnavailableError extends Error {
  override name = "RpcUnavailableError";
}

export interface RpcCall {
  method: string;
  params: unknown[];
}

export type Settled =
  { ok: true; result: unknown } | { ok: false; error: RpcError | RpcUnavailableError };

export interface RpcClientOptions {
  url: string;
  /** Attempts after the first for an unreachable node; a node's own error is never retried. */
  retries: number;
  backoffMs: number;
  timeoutMs?: number;
  logger: Logger;
  /** Called on every failed attempt, for metrics. */
  onError?: (method: string) => void;
}

/**
 * A minimal JSON-RPC client over fetch. It exists so that the worker decides what a failure means:
 * an unreachable node is retried with exponential backoff (the "RPC went away for 10 s" case), while
 * an answer from the node, such as a revert, is returned at once as an `RpcError`.
 */
export class RpcClient {
  private nextId = 1;
  private readonly maxBackoffMs = 10_000;

  constructor(private readonly options: RpcClientOptions) {}

  async request<T>(method: string, params: unknown[] = []): Promise<T> {
    const [result] = await this.batch<[T]>([{ method, params }]);
    return result;
  }

  /** Sends several calls in one HTTP request; results come back in the order of `calls`. */
  async batch<T extends unknown[]>(calls: RpcCall[]): Promise<T> {
    const settled = await this.batchSettled(calls);
    return settled.map((answer) => {
      if (!answer.ok) throw answer.error;
      return answer.result;
    }) as T;
  }

  /**
   * As `batch`, but one call's error does not hide the others' results: for probes where some
   * calls are expected to fail. An unreachable node still throws.
   */
  async batchSettled(calls: RpcCall[]): Promise<Settled[]> {
    if (calls.length === 0) return [];
    const body = calls.map((call) => ({
      jsonrpc: "2.0",
      id: this.nextId++,
      method: call.method,
      params: call.params,
    }));
    const answers = await this.post(calls.length === 1 ? body[0] : body, calls[0].method);
    const list = (Array.isArray(answers) ? answers : [answers]) as {
      id: number;
      result?: unknown;
      error?: { code: number; message: string; data?: unknown };
    }[];
    const byId = new Map(list.map((answer) => [answer.id, answer]));
    return body.map(({ id, method }): Settled => {
      const answer = byId.get(id);
      if (answer === undefined) {
        return { ok: false, error: new RpcUnavailableError(`${method}: no answer in batch`) };
      }
      if (answer.error) {
        return {
          ok: false,
          error: new RpcError(
            method,
            answer.error.code,
            answer.error.message,
            revertData(answer.error.data),
          ),
        };
      }
      return { ok: true, result: answer.result };
    });
  }

  private async post(body: unknown, method: string): Promise<unknown> {
    const { retries, backoffMs, logger, onError, url, timeoutMs = 30_000 } = this.options;
    for (let attempt = 0; ; attempt++) {
      try {
        const response = await fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(timeoutMs),
        });
        if (!response.ok && response.status !== 400 && response.status !== 500) {
          throw new RpcUnavailableError(`${method}: HTTP ${response.status} from ${url}`);
        }
        return await response.json();
      } catch (error) {
        onError?.(method);
        const reason = error instanceof Error ? error.message : String(error);
        if (attempt >= retries) {
          throw new RpcUnavailableError(
            `${method}: node at ${url} unreachable after ${attempt + 1} attempts (${reason}); ` +
              `check that it is running and that rpcUrl points to it`,
          );
        }
        const delay = Math.min(this.maxBackoffMs, backoffMs * 2 ** attempt);
        logger.warn(
          { method, attempt: attempt + 1, delayMs: delay, reason },
          "rpc unreachable, retrying",
        );
        await sleep(delay);
      }
    }
  }
}

function revertData(data: unknown): string | undefined {
  if (typeof data === "string" && data.startsWith("0x")) return data;
  if (typeof data === "object" && data !== null && "data" in data) return revertData(data.data);
  return undefined;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
