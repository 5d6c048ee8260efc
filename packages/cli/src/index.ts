/**
 * @verity/cli: the `verity` command (bin/verity.js). `main(argv)` runs it and returns the exit
 * code; `EXIT` lists the codes scripts can rely on.
 *
 * @example
 * import { main } from "@verity/cli";
 * const code = await main(["model", "list", "--json"]);
 */
export { USAGE, exitCodeOf, main } from "./cli.js";
export { EXIT, UsageError, type ExitCode } from "./output.js";
