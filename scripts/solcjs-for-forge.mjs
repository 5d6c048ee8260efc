// The npm `solc` package's compiler behind the two parts of native solc's command line that forge
// uses, `--version` and `--standard-json`, so that forge compiles with no download: name a shell
// launcher of this file as `solc = "..."` in foundry.toml (with `offline = true`). Forge otherwise
// fetches solc from binaries.soliditylang.org, which these machines cannot reach.
//
//   SOLCJS_PATH=<dir of the solc npm package> node solcjs-for-forge.mjs --standard-json < input
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { resolve } from "node:path";

const solcPath = process.env.SOLCJS_PATH;
if (!solcPath) {
  process.stderr.write("solcjs-for-forge: set SOLCJS_PATH to the solc npm package's directory\n");
  process.exit(2);
}
const solc = createRequire(import.meta.url)(solcPath);
const args = process.argv.slice(2);

if (args.includes("--version")) {
  // Forge reads the version from this line, as native solc prints it.
  process.stdout.write(
    `solc, the solidity compiler commandline interface\nVersion: ${solc.version()}\n`,
  );
  process.exit(0);
}
if (!args.includes("--standard-json")) {
  process.stderr.write(`solcjs-for-forge: only --version and --standard-json (got ${args})\n`);
  process.exit(2);
}

// Forge puts every source in the input; the callback only serves an import it left out, from the
// `--base-path` it passes (as native solc would).
const basePathAt = args.indexOf("--base-path");
const basePath = basePathAt >= 0 ? args[basePathAt + 1] : process.cwd();
const findImport = (path) => {
  try {
    return { contents: readFileSync(resolve(basePath, path), "utf8") };
  } catch {
    return { error: `File not found: ${path}` };
  }
};
process.stdout.write(solc.compile(readFileSync(0, "utf8"), { import: findImport }));
