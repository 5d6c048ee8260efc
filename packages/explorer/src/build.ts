import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Plugin } from "vite";

/** The explorer's package directory. */
const PACKAGE_DIR = fileURLToPath(new URL("../", import.meta.url));
/** Sources of the page: the app itself and the workspace packages it bundles. */
const APP_DIR = join(PACKAGE_DIR, "app");
const BUNDLED_SOURCES = [
  APP_DIR,
  join(PACKAGE_DIR, "../sdk/src"),
  join(PACKAGE_DIR, "../contracts/src"),
  join(PACKAGE_DIR, "../contracts/typechain"),
  join(PACKAGE_DIR, "../models/src"),
  join(PACKAGE_DIR, "../runtime/src"),
];
/** Where the built page goes; the server serves it from here. */
export const DEFAULT_DIST_DIR = join(PACKAGE_DIR, "dist");

export interface BuildAppOptions {
  outDir?: string;
  /** Build even when the output is newer than every source. */
  force?: boolean;
}

/**
 * Builds the page with Vite into `outDir` when it is missing or older than its sources (the app,
 * and the SDK, contracts, models and runtime packages it bundles). Everything the page imports is
 * browser-safe as it is: no stand-ins for Node built-ins (the SDK maps its deployment-file lookup
 * away with its "browser" import condition).
 *
 * onnxruntime-web is bundled as its plain-WebAssembly build (`onnxruntime-web/wasm`), the one
 * whose JavaScript glue goes with the pinned `ort-wasm-simd-threaded.wasm`: a browser resolving
 * the package's main entry gets the WebGPU (JSEP) build, whose glue expects another binary. The
 * glue is bundled into the page, so no `.mjs` is fetched at run time; the `.wasm` is not bundled:
 * the page fetches it from the server (`EXECUTOR_WASM_PATH`) and checks its SHA-256.
 *
 * @returns whether it built.
 */
export async function buildApp(options: BuildAppOptions = {}): Promise<boolean> {
  const outDir = options.outDir ?? DEFAULT_DIST_DIR;
  if (!options.force && (await isFresh(outDir))) return false;
  const { build } = await import("vite");
  await build({
    configFile: false,
    root: APP_DIR,
    base: "./",
    // Tests run with NODE_ENV=test; the page is always a production build.
    mode: "production",
    logLevel: "warn",
    resolve: {
      alias: [{ find: /^onnxruntime-web$/, replacement: "onnxruntime-web/wasm" }],
    },
    plugins: [dropBundledWasm],
    oxc: { jsx: { runtime: "automatic", development: false } },
    define: { "process.env.NODE_ENV": JSON.stringify("production") },
    build: {
      outDir,
      emptyOutDir: true,
      target: "es2022",
      chunkSizeWarningLimit: 2_000,
      reportCompressedSize: false,
    },
  });
  return true;
}

/**
 * Drops the copy of onnxruntime-web's `.wasm` that Vite emits for the glue's fallback URL
 * (`new URL("ort-wasm-simd-threaded.wasm", import.meta.url)`). The page never loads it from there
 * (`loadCanonicalExecutor` hands onnxruntime the bytes the page fetched and checked), and 14 MB
 * copied into dist/ on every build would be a second, unpinned path to the binary.
 */
const dropBundledWasm: Plugin = {
  name: "verity:drop-bundled-wasm",
  generateBundle(_options, bundle) {
    for (const [name, file] of Object.entries(bundle)) {
      if (file.type === "asset" && name.endsWith(".wasm")) delete bundle[name];
    }
  },
};

async function isFresh(outDir: string): Promise<boolean> {
  let built: number;
  try {
    built = (await stat(join(outDir, "index.html"))).mtimeMs;
  } catch {
    return false;
  }
  for (const dir of BUNDLED_SOURCES) {
    if ((await newestMtime(dir)) > built) return false;
  }
  return true;
}

async function newestMtime(dir: string): Promise<number> {
  let newest = 0;
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true, recursive: true });
  } catch {
    return 0;
  }
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    newest = Math.max(newest, (await stat(join(entry.parentPath, entry.name))).mtimeMs);
  }
  return newest;
}
