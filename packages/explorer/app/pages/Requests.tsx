import { useState, type ReactNode } from "react";
import { ProofMode, enumName } from "@verity/contracts";
import { decodeOutput } from "@verity/sdk";
import { STATUS_LABELS, type ChainIndex, type RequestRow } from "../chain.js";
import { AddressLink, Empty, Hex, Missing, Status } from "../components.js";
import { clock, duration, integer, modelName, real } from "../format.js";
import { href, navigate } from "../router.js";

const PAGE_ROWS = 50;
const FILTERS = ["model", "requester", "worker", "status"] as const;
type Filter = (typeof FILTERS)[number];

/** Every request, newest first, live; filters by model, requester, worker and status. */
export function RequestsPage({ index, query }: { index: ChainIndex; query: URLSearchParams }) {
  const [limit, setLimit] = useState(PAGE_ROWS);
  const all = index.requestList();
  const filters = Object.fromEntries(FILTERS.map((key) => [key, query.get(key) ?? ""])) as Record<
    Filter,
    string
  >;
  const same = (a: string | undefined, b: string) => (a ?? "").toLowerCase() === b.toLowerCase();
  const shown = all.filter(
    (row) =>
      (!filters.model || same(row.modelId, filters.model)) &&
      (!filters.requester || same(row.requester, filters.requester)) &&
      (!filters.worker || same(row.worker, filters.worker)) &&
      (!filters.status || row.status === filters.status),
  );
  const setFilter = (key: Filter, value: string) =>
    navigate(href("requests", { ...filters, [key]: value }));
  const distinct = (values: (string | undefined)[]) =>
    [...new Set(values.filter((v): v is string => v !== undefined))].sort();

  return (
    <section>
      <h1>Requests</h1>
      <p className="lede">
        Every inference asked of the hub, newest first, updating as blocks arrive. A request is{" "}
        <em>requested</em> until a worker answers, <em>proved</em> while its result waits out the
        challenge window, then <em>settled</em>; or <em>challenged</em>, <em>failed</em> (the worker
        refused the input) or <em>refunded</em> (no answer in time, or a challenge upheld).
      </p>
      <form className="filters" onSubmit={(event) => event.preventDefault()}>
        <Select
          label="model"
          value={filters.model}
          onChange={(value) => setFilter("model", value)}
          options={index.models.map((model) => [model.modelId, modelName(model.uri)])}
        />
        <Select
          label="requester"
          value={filters.requester}
          onChange={(value) => setFilter("requester", value)}
          options={distinct(all.map((row) => row.requester)).map((a) => [a, a])}
        />
        <Select
          label="worker"
          value={filters.worker}
          onChange={(value) => setFilter("worker", value)}
          options={distinct([
            ...all.map((row) => row.worker),
            ...[...index.workers.values()].map((worker) => worker.address),
          ]).map((a) => [a, a])}
        />
        <Select
          label="status"
          value={filters.status}
          onChange={(value) => setFilter("status", value)}
          options={STATUS_LABELS.map((status) => [status, status])}
        />
        {FILTERS.some((key) => filters[key]) && <a href={href("requests")}>clear filters</a>}
      </form>
      {all.length === 0 ? (
        <Empty title="No requests yet">
          <p>
            Nothing has asked this hub for an inference since block {index.client.fromBlock}. Send
            one and it appears here within a second:
          </p>
          <pre>
            {"export VERITY_PRIVATE_KEY=0x…   # printed by `verity devnet`\n" +
              "npx verity infer credit-risk --input '[0.3, -1.2, 0.8, 0.1, 0, 0.5, -0.4, 1.1, 0.2, -0.3, 0.9, 0, -1, 0.4, 0.6, -0.2]' --wait"}
          </pre>
        </Empty>
      ) : shown.length === 0 ? (
        <Empty title="No requests match these filters">
          <p>
            {all.length} request{all.length === 1 ? "" : "s"} in all.{" "}
            <a href={href("requests")}>Clear the filters</a>.
          </p>
        </Empty>
      ) : (
        <>
          <p className="count" data-testid="request-count">
            {shown.length === all.length
              ? `${all.length} request${all.length === 1 ? "" : "s"}`
              : `${shown.length} of ${all.length} requests`}
          </p>
          <table className="requests">
            <thead>
              <tr>
                <th>id</th>
                <th>status</th>
                <th>mode</th>
                <th>model</th>
                <th title="the accepted result's values, fixed point decoded at the model's decimals; all of them on hover">
                  output
                </th>
                <th>requester</th>
                <th>worker</th>
                <th>requested</th>
                <th>latency</th>
                <th title="gas of the requesting transaction + the transaction that carried the result (a batch shares one)">
                  gas (request + result)
                </th>
              </tr>
            </thead>
            <tbody>
              {shown.slice(0, limit).map((row) => (
                <RequestRowView key={String(row.id)} row={row} index={index} />
              ))}
            </tbody>
          </table>
          {shown.length > limit && (
            <button type="button" onClick={() => setLimit(limit + PAGE_ROWS)}>
              Show {Math.min(PAGE_ROWS, shown.length - limit)} more
            </button>
          )}
        </>
      )}
    </section>
  );
}

function RequestRowView({ row, index }: { row: RequestRow; index: ChainIndex }) {
  const model = index.model(row.modelId);
  const link = href(`requests/${row.id}`);
  return (
    <tr data-request={String(row.id)} data-status={row.status}>
      <td>
        <a href={link}>#{String(row.id)}</a>
      </td>
      <td>
        <Status status={row.status} />
      </td>
      <td>{enumName(ProofMode, row.proofMode)}</td>
      <td>
        <a href={href("requests", { model: row.modelId })} title={row.modelId}>
          {model ? modelName(model.uri) : <Hex value={row.modelId} />}
        </a>
      </td>
      <td className="output" data-testid="output">
        <OutputPreview row={row} index={index} />
      </td>
      <td>
        <Hex value={row.requester} />
      </td>
      <td>
        {row.worker ? (
          <AddressLink address={row.worker} />
        ) : (
          <Missing why="no worker has answered yet" />
        )}
      </td>
      <td data-testid="requested">
        <RequestedAt row={row} index={index} />
      </td>
      <td>{latency(row, index)}</td>
      <td>{gas(row, index)}</td>
    </tr>
  );
}

/** Values shown in a row before `…`; the title has them all. */
const PREVIEW_VALUES = 3;
const TITLE_VALUES = 64;

/**
 * The accepted result's values in short, decoded at the model's decimals; `—` and why for a
 * request with no output to show.
 */
function OutputPreview({ row, index }: { row: RequestRow; index: ChainIndex }) {
  const why = noOutputReason(row);
  if (why !== undefined || row.output === undefined)
    return <Missing why={why ?? "no result yet: waiting for a worker"} />;
  const model = index.model(row.modelId);
  if (model === undefined)
    return <Missing why="the model is not in the registry, so its decimals are unknown" />;
  let values: number[];
  let dims: number[];
  try {
    const decoded = decodeOutput(model, row.output);
    values = decoded.real;
    dims = decoded.shape;
  } catch (error) {
    return <Missing why={`not a canonical tensor: ${(error as Error).message.split("\n")[0]}`} />;
  }
  const shown = values.slice(0, PREVIEW_VALUES).map(real).join(", ");
  const more = values.length > PREVIEW_VALUES ? `, … (${values.length})` : "";
  const notFinal =
    row.status === "submitted"
      ? "not final: open to challenge. "
      : row.status === "challenged"
        ? "not final: disputed. "
        : "";
  const all = values.slice(0, TITLE_VALUES).map(real).join(", ");
  return (
    <span
      className={notFinal ? "muted" : undefined}
      title={
        `${notFinal}shape [${dims.join(", ")}] at ${model.decimals} decimals: [${all}` +
        `${values.length > TITLE_VALUES ? ", …" : ""}]`
      }
    >
      [{shown}
      {more}]
    </span>
  );
}

/** Why a request has no output to show, or undefined when it has one (or may yet). */
function noOutputReason(row: RequestRow): string | undefined {
  switch (row.status) {
    case "requested":
      return "no result yet: waiting for a worker";
    case "failed":
      return `no output: the worker refused the input (${row.failureReason ?? "reason unknown"}); the requester was refunded`;
    case "refunded":
      return row.challenge?.outcome === "challenger won"
        ? "no output: a challenge proved the worker's result wrong; the requester was refunded"
        : row.challenge?.outcome === "expired"
          ? "no output: the dispute over the result was not decided in time; the requester was refunded"
          : "no output: no worker answered before the deadline; the requester was refunded";
  }
  // A failure report inside its challenge window: two bytes, not a tensor.
  if (row.output !== undefined && /^0x00[0-9a-f]{2}$/i.test(row.output))
    return "no output: the worker reported the input as invalid (not final yet)";
  return undefined;
}

/** When the request was made, with its time zone, and in which block. */
function RequestedAt({ row, index }: { row: RequestRow; index: ChainIndex }) {
  const time = index.timestamp(row.requested.block);
  return (
    <>
      {time === undefined ? (
        <Missing why="reading the block's time from the node" loading />
      ) : (
        clock(time)
      )}
      <br />
      <span className="muted">block {row.requested.block}</span>
    </>
  );
}

/** From the request's block to the block that ended it (or the head, while it is open). */
export function latency(row: RequestRow, index: ChainIndex): ReactNode {
  const start = index.timestamp(row.requested.block);
  const endBlock = row.end?.block ?? row.result?.block;
  const end = endBlock === undefined ? undefined : index.timestamp(endBlock);
  if (endBlock === undefined) return <Missing why="no result yet: latency is measured to it" />;
  if (start === undefined || end === undefined)
    return <Missing why="reading the blocks' times from the node" loading />;
  const blocks = endBlock - row.requested.block;
  return `${duration(end - start)} (${blocks} block${blocks === 1 ? "" : "s"})`;
}

function gas(row: RequestRow, index: ChainIndex): ReactNode {
  const requested = index.gasUsed(row.requested.tx);
  const result = row.result ?? row.end;
  const answered = result === undefined ? undefined : index.gasUsed(result.tx);
  const reading = <Missing why="reading the transaction's receipt from the node" loading />;
  return (
    <>
      {requested === undefined ? reading : integer(requested)} +{" "}
      {result === undefined ? (
        <Missing why="no result yet" />
      ) : answered === undefined ? (
        reading
      ) : (
        integer(answered)
      )}
    </>
  );
}

function Select({
  label,
  value,
  options,
  onChange,
}: {
  label: string;
  value: string;
  options: [string, string][];
  onChange: (value: string) => void;
}) {
  return (
    <label>
      {label}
      <select name={label} value={value} onChange={(event) => onChange(event.target.value)}>
        <option value="">any</option>
        {options.map(([optionValue, text]) => (
          <option key={optionValue} value={optionValue}>
            {text}
          </option>
        ))}
      </select>
    </label>
  );
}
