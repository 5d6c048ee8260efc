import fs from "node:fs";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const require = createRequire(import.meta.url);

interface CircomRunnerModule {
  CircomRunner: new (options: {
    args: string[];
    env: Record<string, string>;
    preopens: Record<string, string>;
    bindings: Record<string, unknown>;
  }) => { execute(wasm: Uint8Array): Promise<unknown> };
  bindings: Record<string, unknown>;
}

const circom2 = require("circom2") as CircomRunnerModule;

/**
 * The directory of an installed package, resolved by `from` (found from its entry point: not every
 * package exports package.json).
 */
export function packageRoot(name: string, from: NodeJS.Require = require): string {
  let dir = dirname(from.resolve(name));
  for (;;) {
    const manifest = join(dir, "package.json");
    if (fs.existsSync(manifest) && JSON.parse(fs.readFileSync(manifest, "utf8")).name === name) {
      return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find the package.json of ${name}`);
    dir = parent;
  }
}

function versionOf(name: string): string {
  return JSON.parse(fs.readFileSync(join(packageRoot(name), "package.json"), "utf8")).version;
}

/** circomlib's `circuits` directory: the include path for Poseidon and Num2Bits. */
export const CIRCOMLIB_CIRCUITS = join(packageRoot("circomlib"), "circuits");

/** Versions of the tools whose output the cache keys depend on. */
export const TOOLCHAIN = {
  circom2: versionOf("circom2"),
  circomlib: versionOf("circomlib"),
  snarkjs: versionOf("snarkjs"),
};

/** circom's flags: full linear simplification, so only non-linear constraints remain. */
export const CIRCOM_FLAGS = ["--r1cs", "--wasm", "--O2"];

/** circom rejected a circuit or could not write its output. */
export class CircomError extends Error {
  override name = "CircomError";
}

/**
 * Compiles `sourcePath` with circom 2 (WebAssembly, from npm) into `outDir`: `<name>.r1cs` and
 * `<name>_js/<name>.wasm`. circom's console output is captured, not printed.
 *
 * @returns circom's output (constraint counts and so on).
 * @throws CircomError with circom's own messages when compilation fails.
 */
export async function compileCircom(sourcePath: string, outDir: string): Promise<string> {
  let output = "";
  const decoder = new TextDecoder();
  // stdout and stderr go through the WASI shim's fs.writeSync: capture them.
  const captured = new Proxy(fs, {
    get(target, property, receiver) {
      if (property === "writeSync") {
        return (
          fd: number,
          buffer: Uint8Array,
          offset = 0,
          length?: number,
          position?: number | null,
        ) => {
          if (fd === 1 || fd === 2) {
            const end = length === undefined ? buffer.byteLength : offset + length;
            output += decoder.decode(buffer.subarray(offset, end));
            return end - offset;
          }
          return fs.writeSync(fd, buffer, offset, length, position);
        };
      }
      return Reflect.get(target, property, receiver);
    },
  });
  const runner = new circom2.CircomRunner({
    args: [sourcePath, ...CIRCOM_FLAGS, "-l", CIRCOMLIB_CIRCUITS, "-o", outDir],
    env: {},
    preopens: { "/": "/" },
    bindings: { ...circom2.bindings, fs: captured, isTTY: () => false },
  });
  const wasm = await readFile(require.resolve("circom2/circom.wasm"));
  try {
    await runner.execute(wasm);
  } catch (error) {
    // eslint-disable-next-line no-control-regex
    const text = output.replace(/\u001b\[[0-9;]*m/g, "").trim();
    throw new CircomError(`circom failed on ${sourcePath}: ${text || (error as Error).message}`);
  }
  // eslint-disable-next-line no-control-regex
  return output.replace(/\u001b\[[0-9;]*m/g, "");
}

/**
 * The full witness of a compiled circuit for `input` (signal name → value or array), computed by
 * snarkjs from the circuit's witness generator. Index 0 is the constant 1; the public signals follow.
 *
 * @throws Error when the input violates a constraint (circom's assertions).
 */
export async function calculateWitness(
  wasmPath: string,
  input: Record<string, unknown>,
): Promise<bigint[]> {
  const { wtns } = await import("snarkjs");
  const witness: { type: "mem"; data?: Uint8Array } = { type: "mem" };
  await wtns.calculate(input, wasmPath, witness);
  return wtns.exportJson(witness);
}
