import { createRequire } from "node:module";
import { CANONICAL_EXECUTOR } from "@verity/runtime/executor";

/**
 * Help for one command or group (`verity infer --help`, `verity model --help`): its lines of the
 * command list in `usage`, then the global options. Lines of one command are its first line
 * (two spaces, then the command's words) and every more-indented line after it.
 */
export function commandHelp(usage: string, command: string): string | undefined {
  const lines = usage.split("\n");
  const start = lines.indexOf("commands:");
  const end = lines.indexOf("", start);
  const picked: string[] = [];
  let inside = false;
  for (const line of lines.slice(start + 1, end)) {
    const head = /^ {2}(\S.*)$/.exec(line);
    if (head !== null) inside = head[1] === command || head[1].startsWith(`${command} `);
    if (inside) picked.push(line);
  }
  if (picked.length === 0) return undefined;
  const globals = lines.slice(lines.indexOf("global options:"));
  const globalEnd = globals.indexOf("");
  return [
    `usage: verity ${command} ...`,
    "",
    ...picked,
    "",
    ...globals.slice(0, globalEnd === -1 ? undefined : globalEnd + 1),
    "`verity --help` lists every command and the exit codes.",
  ].join("\n");
}

/** `verity --version`: this command's version and the canonical executor it re-executes with. */
export function versionText(): string {
  const require = createRequire(import.meta.url);
  const { version } = require("../package.json") as { version: string };
  return (
    `verity ${version} (@verity/cli; re-executes with ${CANONICAL_EXECUTOR.runtime} ` +
    `${CANONICAL_EXECUTOR.version} ${CANONICAL_EXECUTOR.wasmFile})`
  );
}

/** The closest of `candidates` to `typed`, when it is close enough to be a typo. */
export function didYouMean(typed: string, candidates: readonly string[]): string | undefined {
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(typed, candidate);
    if (best === undefined || distance < best.distance) best = { candidate, distance };
  }
  const limit = Math.max(1, Math.floor(typed.length / 3));
  return best !== undefined && best.distance <= limit ? best.candidate : undefined;
}

/** Levenshtein distance, with one transposition counted as one edit ("wiat" → "wait"). */
function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      rows[i][j] = Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        rows[i][j] = Math.min(rows[i][j], rows[i - 2][j - 2] + 1);
      }
    }
  }
  return rows[a.length][b.length];
}
