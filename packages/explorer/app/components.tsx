import type { ReactNode } from "react";
import type { Problem } from "../src/api.js";
import type { StatusLabel } from "./chain.js";
import { shortHex } from "./format.js";
import { href } from "./router.js";

/** A hash or address, shortened, whole on hover and selectable. */
export function Hex({ value, keep }: { value: string | undefined; keep?: number }) {
  if (value === undefined) return <Missing why="not read from the chain yet" />;
  return (
    <code className="hex" title={value}>
      {shortHex(value, keep)}
    </code>
  );
}

export function AddressLink({ address }: { address: string | undefined }) {
  if (address === undefined || /^0x0{40}$/.test(address))
    return <span className="muted">none</span>;
  return (
    <a href={href("workers")} title={address}>
      <Hex value={address} />
    </a>
  );
}

/**
 * A metric with no value: `—`, or `…` while it is being read, and why in its title, so that no
 * cell is left blank for a reader to guess at.
 */
export function Missing({ why, loading = false }: { why: string; loading?: boolean }) {
  return (
    <span className="missing muted" title={why} data-missing={why}>
      {loading ? "…" : "—"}
    </span>
  );
}

/** A metric cell: its value, or {@link Missing} with `why` when there is none. */
export function Metric({ value, why }: { value: ReactNode | undefined; why: string }) {
  return value === undefined || value === "" ? <Missing why={why} /> : <>{value}</>;
}

export function Status({ status }: { status: StatusLabel }) {
  return <span className={`status status-${status}`}>{status}</span>;
}

/** Something to fix, in the SDK's words: what went wrong, and what to do. */
export function ProblemView({ problem, children }: { problem: Problem; children?: ReactNode }) {
  return (
    <section className="problem" role="alert">
      <h2>{problem.title}</h2>
      <p>{problem.message}</p>
      {problem.fix && (
        <p className="fix">
          <strong>What to do:</strong> {problem.fix}
        </p>
      )}
      {children}
    </section>
  );
}

/** An empty list, said plainly, with how to fill it. */
export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <section className="empty">
      <h3>{title}</h3>
      {children}
    </section>
  );
}

/** A two-column list of facts. */
export function Facts({ rows }: { rows: [string, ReactNode][] }) {
  return (
    <dl className="facts">
      {rows.map(([label, value]) => (
        <div key={label}>
          <dt>{label}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

/** ✓, ✗ or – for a check that passed, failed, or could not be made. */
export function Mark({ ok }: { ok: boolean | null | undefined }) {
  if (ok === true) return <span className="mark ok">✓</span>;
  if (ok === false) return <span className="mark bad">✗</span>;
  return <span className="mark unknown">–</span>;
}
