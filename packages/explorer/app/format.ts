import { formatEther } from "ethers";

/** Wei as ETH, trimmed: `0.001 ETH`. */
export function eth(wei: bigint | undefined): string {
  if (wei === undefined) return "—";
  return `${formatEther(wei).replace(/\.0$/, "")} ETH`;
}

/** `0x1234…abcd` for hashes and addresses; the full value goes in a title. */
export function shortHex(hex: string | undefined, keep = 6): string {
  if (hex === undefined) return "—";
  return hex.length <= 2 + keep * 2 ? hex : `${hex.slice(0, 2 + keep)}…${hex.slice(-4)}`;
}

/** A model's display name: the file name its uri ends with, without `.onnx`. */
export function modelName(uri: string | undefined): string {
  if (uri === undefined) return "unknown model";
  const last = uri.split(/[/:]/).filter(Boolean).at(-1) ?? uri;
  return decodeURIComponent(last).replace(/\.onnx$/i, "");
}

/** `[1, 784]` */
export function shape(dims: readonly number[]): string {
  return `[${dims.join(", ")}]`;
}

/** A whole number with thousands separators. */
export function integer(value: bigint | number | undefined): string {
  return value === undefined ? "—" : value.toLocaleString("en-US");
}

/** Seconds as `<1 s`, `12 s`, `3 min 4 s`, `2 h 5 min`, `3 d 4 h`. */
export function duration(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return "—";
  if (seconds < 1) return "<1 s";
  const s = Math.floor(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86_400)} d ${Math.floor((s % 86_400) / 3600)} h`;
}

/**
 * A Unix time as local `YYYY-MM-DD HH:MM:SS` and the time zone it is in (`2025-01-02 03:04:05
 * UTC`): a reader in another zone, or a screenshot sent to one, must not have to guess. `…` while
 * the time is still being read.
 */
export function clock(seconds: number | undefined): string {
  if (seconds === undefined) return "…";
  const date = new Date(seconds * 1000);
  const pad = (n: number) => String(n).padStart(2, "0");
  const zone =
    new Intl.DateTimeFormat(undefined, { timeZoneName: "short" })
      .formatToParts(date)
      .find((part) => part.type === "timeZoneName")?.value ?? "local time";
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())} ${zone}`
  );
}

/** A real value for a table: up to 6 significant digits. */
export function real(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(6)));
}
