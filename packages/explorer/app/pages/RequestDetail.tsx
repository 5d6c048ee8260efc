import { useEffect, useState, type ReactNode } from "react";
import { ProofMode, enumName, recoverResultSigner, resultFields } from "@verity/contracts";
import {
  BaseError,
  RequestNotFoundError,
  decodeOutput,
  getResult,
  type InferenceResult,
  type ModelInfo,
  type VerityClient,
} from "@verity/sdk";
import type { ExplorerConfig, Problem } from "../../src/api.js";
import { statusLabel, type ChainIndex, type TimelineEvent } from "../chain.js";
import { Meter, ScoreBars, TensorImage, ValueGrid, imageSide } from "../charts.js";
import { AddressLink, Facts, Hex, Mark, Missing, ProblemView, Status } from "../components.js";
import { clock, eth, integer, modelName, shape } from "../format.js";
import { href } from "../router.js";
import { verifyInPage, type PageVerification } from "../verify.js";
import { latency } from "./Requests.js";

type Loaded =
  | { kind: "loading" }
  | { kind: "found"; result: InferenceResult; model?: ModelInfo }
  | { kind: "problem"; problem: Problem };

/**
 * One request: its input and output decoded (and drawn where the shape suits it), the proof and
 * what checked it, the signer and its environment, the timeline, and independent verification.
 */
export function RequestDetailPage({
  index,
  config,
  id,
}: {
  index: ChainIndex;
  config: ExplorerConfig;
  id: string;
}) {
  const [loaded, setLoaded] = useState<Loaded>({ kind: "loading" });
  const row = /^\d+$/.test(id) ? index.requests.get(BigInt(id)) : undefined;
  // Read the request again whenever the index sees something happen to it.
  const changes = row?.events.length ?? 0;

  useEffect(() => {
    if (!/^\d+$/.test(id)) {
      setLoaded({
        kind: "problem",
        problem: {
          title: "Not a request id",
          message: `"${id}" is not a request id: ids are whole numbers (#1, #2, …).`,
          fix: "pick a request from the list.",
        },
      });
      return;
    }
    let cancelled = false;
    getResult(index.client, BigInt(id)).then(
      (result) => {
        if (!cancelled)
          setLoaded({ kind: "found", result, model: index.model(result.request.modelId) });
      },
      (error: unknown) => {
        if (cancelled) return;
        if (error instanceof RequestNotFoundError) {
          const count = index.requests.size;
          setLoaded({
            kind: "problem",
            problem: {
              title: "Unknown request",
              message: `Request ${id} does not exist on this hub (${index.client.addresses.inferenceHub}, chain ${index.client.chainId}).`,
              fix:
                count === 0
                  ? "no request has been made on this hub yet."
                  : `this hub has ${count} request${count === 1 ? "" : "s"} since block ${index.client.fromBlock}; pick one from the list. A restarted devnet starts again from #1.`,
            },
          });
        } else {
          const message = error instanceof Error ? error.message.split("\n")[0] : String(error);
          setLoaded({ kind: "problem", problem: { title: `Cannot read request ${id}`, message } });
        }
      },
    );
    return () => {
      cancelled = true;
    };
  }, [id, index, changes]);

  if (loaded.kind === "loading") return <p className="muted">Reading request {id}…</p>;
  if (loaded.kind === "problem") {
    return (
      <ProblemView problem={loaded.problem}>
        <p>
          <a href={href("requests")}>← all requests</a>
        </p>
      </ProblemView>
    );
  }
  const { result, model } = loaded;
  const mode = enumName(ProofMode, result.request.proofMode);
  return (
    <section className="request-detail" data-request={String(result.requestId)}>
      <p>
        <a href={href("requests")}>← all requests</a>
      </p>
      <h1>
        Request #{String(result.requestId)} <Status status={statusLabel(result.status)} />
      </h1>
      <NotFinal result={result} mode={mode} />
      <Facts
        rows={[
          [
            "model",
            <>
              <a href={href("requests", { model: result.request.modelId })}>
                {modelName(model?.uri)}
              </a>{" "}
              <Hex value={result.request.modelId} />
            </>,
          ],
          ["proof mode", mode],
          ["requester", <code className="hash">{result.request.requester}</code>],
          ["assigned to", <AddressLink address={result.request.assignee} />],
          [
            "escrow",
            `model fee ${eth(result.request.modelFeeWei)}, worker reward ${eth(result.request.workerRewardWei)}, callback fee ${eth(result.request.callbackFeeWei)}`,
          ],
          [
            "callback",
            /^0x0{40}$/.test(result.request.callback)
              ? "none"
              : `${result.request.callback}, ${integer(result.request.callbackGasLimit)} gas`,
          ],
          ["deadline", clock(Number(result.request.deadline))],
          [
            "latency",
            row ? (
              latency(row, index)
            ) : (
              <Missing
                why={`the explorer has not seen this request's events since block ${index.client.fromBlock}`}
              />
            ),
          ],
          [
            "gas",
            <>
              request {integer(result.requested.gasUsed)}
              {result.result && <>, result {integer(result.result.submitted.gasUsed)}</>}
              {result.outcome &&
                result.outcome.transaction.transactionHash !==
                  result.result?.submitted.transactionHash && (
                  <>
                    , {result.outcome.kind} {integer(result.outcome.transaction.gasUsed)}
                  </>
                )}
            </>,
          ],
        ]}
      />
      <div className="columns">
        <Panel title="Input">
          <TensorView hex={result.input} model={model} role="input" />
        </Panel>
        <Panel title="Output">
          {result.result ? (
            <TensorView hex={result.result.output} model={model} role="output" />
          ) : (
            <p className="muted">
              {result.outcome
                ? `No output: the request was ${result.outcome.kind}.`
                : "No result yet: waiting for a worker."}
            </p>
          )}
        </Panel>
      </div>
      {result.result && <ProofPanel result={result} index={index} />}
      <Panel title="Timeline">
        <Timeline events={row?.events ?? []} index={index} />
      </Panel>
      {result.result && (
        <VerifyPanel requestId={result.requestId} client={index.client} config={config} />
      )}
    </section>
  );
}

function Panel({ title, children }: { title: string; children: ReactNode }) {
  return (
    <section className="panel" data-panel={title.toLowerCase()}>
      <h2>{title}</h2>
      {children}
    </section>
  );
}

/**
 * A result that can still change says so at the top: a submitted one is open to challenge until
 * its window ends, a challenged one is disputed. A dapp must not act on either yet.
 */
function NotFinal({ result, mode }: { result: InferenceResult; mode: string }) {
  if (result.status === "Submitted" && result.result !== undefined) {
    const until = Number(result.result.submission.finalizableAt);
    return (
      <p className="not-final" role="status" data-testid="not-final">
        {mode === "ATTESTED" ? "Signed by a staked worker" : "Submitted"}, open to challenge until{" "}
        {clock(until)}. Do not act on this yet: anyone who re-executes it can still challenge it
        until then.
      </p>
    );
  }
  if (result.status === "Challenged") {
    return (
      <p className="not-final challenged" role="status" data-testid="not-final">
        Challenged: the result is disputed, and the dispute decides who is right. Do not act on this
        yet; see the timeline.
      </p>
    );
  }
  return null;
}

/** A tensor decoded at the model's decimals, drawn as an image, bars or a meter when it suits. */
function TensorView({
  hex,
  model,
  role,
}: {
  hex: string;
  model?: ModelInfo;
  role: "input" | "output";
}) {
  let decoded;
  try {
    decoded = decodeOutput({ decimals: model?.decimals ?? 0 }, hex);
  } catch (error) {
    return <p className="bad">Not a canonical tensor: {String((error as Error).message)}</p>;
  }
  const side = imageSide(decoded.shape);
  const count = decoded.real.length;
  return (
    <>
      <p className="muted">
        shape {shape(decoded.shape)}, {count} value{count === 1 ? "" : "s"}, fixed point at{" "}
        {model?.decimals ?? "?"} decimals, {(hex.length - 2) / 2} bytes
      </p>
      {side !== undefined ? (
        <TensorImage
          values={decoded.real}
          side={side}
          label={`${role} as a ${side}x${side} image`}
        />
      ) : role === "output" && count === 1 ? (
        <Meter value={decoded.real[0]} label="score" />
      ) : role === "output" && count <= 32 ? (
        <ScoreBars values={decoded.real} label="class scores" />
      ) : null}
      <details open={side === undefined}>
        <summary>values</summary>
        <ValueGrid values={decoded.real} />
      </details>
    </>
  );
}

/** The proof, what checked it on-chain, and a signature check made right here in the page. */
function ProofPanel({ result, index }: { result: InferenceResult; index: ChainIndex }) {
  const submitted = result.result!;
  const { submission, proof } = submitted;
  const mode = enumName(ProofMode, result.request.proofMode);
  let recovered: { signer?: string; error?: string } = {};
  if (mode === "ATTESTED" && proof !== undefined) {
    try {
      recovered.signer = recoverResultSigner(
        index.client.addresses.inferenceHub,
        index.client.chainId,
        resultFields(result.request, submitted.output, submission.environmentId),
        proof,
      );
    } catch (error) {
      recovered = { error: String((error as Error).message).split("\n")[0] };
    }
  }
  const signedByWorker = recovered.signer?.toLowerCase() === submission.worker.toLowerCase();
  const environment = index.environments.get(submission.environmentId);
  const worker = index.workers.get(submission.worker.toLowerCase());
  const modeVerifier = useProofVerifier(index, result.request.proofMode);
  const model = index.model(result.request.modelId);
  const checkedBy =
    mode === "ATTESTED"
      ? `the InferenceHub (${index.client.addresses.inferenceHub}): it recovered the EIP-712 signature and asked the WorkerRegistry (${index.client.addresses.workerRegistry}) that the signer is staked on the approved environment it signed`
      : mode === "ZK"
        ? `the hub's ZK proof verifier (${modeVerifier ?? "…"}), with the Groth16 verifier bound to this model in the registry (${model?.zk?.verifier ?? "…"}), in the transaction that submitted it`
        : `the hub's quorum verifier (${modeVerifier ?? "…"}): k workers committed, then revealed the same output`;
  return (
    <Panel title="Proof">
      <Facts
        rows={[
          ["kind", PROOF_KINDS[mode] ?? mode],
          ["checked by", checkedBy],
          [
            "checked in",
            <>
              transaction <Hex value={submitted.submitted.transactionHash} />, block{" "}
              {submitted.submitted.blockNumber}
            </>,
          ],
          [
            "proof",
            proof === undefined ? (
              <span className="muted">
                not in the submitting transaction's calldata (relayed by a contract)
              </span>
            ) : (
              <code className="wrap" data-testid="proof">
                {proof}
              </code>
            ),
          ],
          ...(mode === "ATTESTED" && proof !== undefined
            ? ([
                [
                  "signer (recovered in this page)",
                  recovered.signer ? (
                    <span data-testid="recovered-signer">
                      <Mark ok={signedByWorker} /> <code>{recovered.signer}</code>{" "}
                      {signedByWorker
                        ? "— the worker the hub credited"
                        : `— not the credited worker ${submission.worker}`}
                    </span>
                  ) : (
                    <span className="bad">does not recover: {recovered.error}</span>
                  ),
                ],
              ] as [string, ReactNode][])
            : []),
          ["credited worker", <code className="hash">{submission.worker}</code>],
          [
            "worker stake now",
            worker ? (
              `${eth(worker.stakeWei)}${worker.slashes.length ? `, slashed ${worker.slashes.length}×` : ""}`
            ) : (
              <Missing why="not a worker the explorer has seen register" />
            ),
          ],
          [
            "signed environment",
            <>
              <code className="hash">{submission.environmentId}</code>
              <br />
              {environment ? (
                <span data-testid="environment">
                  <Mark ok={environment.approved} /> {environment.approved ? "approved" : "revoked"}
                  : {environment.description}
                </span>
              ) : (
                <span className="bad">not an environment approved on this chain</span>
              )}
            </>,
          ],
          ["output hash", <code className="hash">{submission.outputHash}</code>],
          [
            "challenge window",
            result.request.challengeWindowSeconds === 0n
              ? "none: final when submitted"
              : `until ${clock(Number(submission.finalizableAt))}`,
          ],
        ]}
      />
    </Panel>
  );
}

const PROOF_KINDS: Record<string, string> = {
  ATTESTED: "EIP-712 signature by a staked worker",
  ZK: "Groth16 proof that the registered circuit gives this output on this input",
  QUORUM: "a quorum of workers' signatures",
};

/** The contract the hub hands `mode`'s proofs to (none for ATTESTED, which the hub checks itself). */
function useProofVerifier(index: ChainIndex, mode: number): string | undefined {
  const [address, setAddress] = useState<string>();
  useEffect(() => {
    if (mode === ProofMode.ATTESTED) return;
    let cancelled = false;
    index.client.hub.proofVerifier(mode).then(
      (found) => !cancelled && setAddress(found),
      () => undefined,
    );
    return () => {
      cancelled = true;
    };
  }, [index, mode]);
  return address;
}

function Timeline({ events, index }: { events: TimelineEvent[]; index: ChainIndex }) {
  if (events.length === 0)
    return <p className="muted">No events seen for it since block {index.client.fromBlock}.</p>;
  return (
    <ol className="timeline">
      {events.map((event) => (
        <li key={`${event.tx}:${event.logIndex}`} data-event={event.name}>
          <span className="when">
            {clock(index.timestamp(event.block))} · block {event.block}
          </span>
          <strong>{event.name}</strong> <span className="detail">{event.detail}</span>{" "}
          <Hex value={event.tx} keep={4} />
        </li>
      ))}
    </ol>
  );
}

/**
 * Verifies the result in this page (app/verify.ts) and shows the receipt: nothing of the
 * explorer's server is trusted for it.
 */
function VerifyPanel({
  requestId,
  client,
  config,
}: {
  requestId: bigint;
  client: VerityClient;
  config: ExplorerConfig;
}) {
  const [state, setState] = useState<
    | { kind: "idle" }
    | { kind: "running" }
    | { kind: "done"; verification: PageVerification }
    | { kind: "problem"; problem: Problem }
  >({ kind: "idle" });
  useEffect(() => setState({ kind: "idle" }), [requestId]);
  const run = async () => {
    setState({ kind: "running" });
    try {
      setState({ kind: "done", verification: await verifyInPage(client, config, requestId) });
    } catch (error) {
      setState({ kind: "problem", problem: verifyProblem(error) });
    }
  };
  return (
    <Panel title="Verify independently">
      <p>
        Don't trust, re-execute, right here: this page reads the request and its result from the
        node, fetches the model and checks its SHA-256 against the registry, re-runs it on this
        input exactly as a worker does (onnxruntime-web's WebAssembly build, whose binary it also
        checks against its pinned hash; for a ZK answer, the circuit's own arithmetic), compares the
        output hash with the one accepted on-chain, and checks the proof (the SDK's{" "}
        <code>verifyResult</code>; the same as <code>verity verify {String(requestId)}</code>). The
        explorer's server only hands over bytes the page checks itself.
      </p>
      <button type="button" onClick={run} disabled={state.kind === "running"} data-testid="verify">
        {state.kind === "running"
          ? "Verifying…"
          : state.kind === "done"
            ? "Verify again"
            : "Verify independently"}
      </button>
      {state.kind === "problem" && <ProblemView problem={state.problem} />}
      {state.kind === "done" && <Receipt verification={state.verification} />}
    </Panel>
  );
}

function verifyProblem(error: unknown): Problem {
  if (error instanceof BaseError) {
    return { title: "Cannot verify", message: error.shortMessage, fix: error.fix };
  }
  return {
    title: "Cannot verify in this page",
    message: error instanceof Error ? error.message : String(error),
  };
}

function Receipt({ verification }: { verification: PageVerification }) {
  const { receipt, elapsedMs, executor } = verification;
  const { local, sameAsLocal } = receipt.environment;
  const failed = receipt.checks.filter((check) => check.ok !== true);
  return (
    <div className={`receipt ${receipt.matches ? "verified" : "mismatch"}`} data-testid="receipt">
      <h3>
        <Mark ok={receipt.matches} />{" "}
        {receipt.matches ? "Verified by re-execution" : "Does not verify"}
      </h3>
      <p>{receipt.summary}</p>
      {!receipt.matches && (
        <p className="bad" data-testid="failed-checks">
          {failed.length === 1 ? "Failed check: " : "Failed checks: "}
          {failed
            .map((check) => `${check.name}${check.ok === null ? " (not possible)" : ""}`)
            .join(", ")}
        </p>
      )}
      <table className="checks">
        <tbody>
          {receipt.checks.map((check) => (
            <tr
              key={check.name}
              data-check={check.name}
              className={check.ok === true ? undefined : "failed"}
            >
              <td>
                <Mark ok={check.ok} />
              </td>
              <th>{check.name}</th>
              <td>{check.detail}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <Facts
        rows={[
          [
            "output on-chain",
            <>
              <code className="hash">{receipt.output.onChainHash}</code>
              {receipt.output.onChainValues && <> [{preview(receipt.output.onChainValues)}]</>}
            </>,
          ],
          [
            "output re-computed",
            <>
              {receipt.output.localHash ? (
                <code className="hash">{receipt.output.localHash}</code>
              ) : (
                <Missing why="the page could not re-run the model; see the failed checks" />
              )}
              {receipt.output.localValues && <> [{preview(receipt.output.localValues)}]</>}
            </>,
          ],
          [
            "re-ran in",
            <span data-testid="ran-in">
              this page: {executor}; environment {local.description}, id{" "}
              <code className="hash">{local.id}</code>
              {sameAsLocal
                ? " (the environment the worker signed)"
                : ` (not the environment the worker signed, ${receipt.environment.id})`}
            </span>,
          ],
          [
            "took",
            <span data-testid="elapsed">
              {Math.round(elapsedMs)} ms in this page (reading the chain, fetching and hashing,
              re-running)
            </span>,
          ],
        ]}
      />
    </div>
  );
}

function preview(values: readonly number[]): string {
  return values.length <= 6
    ? values.join(", ")
    : `${values.slice(0, 5).join(", ")}, … (${values.length} values)`;
}
