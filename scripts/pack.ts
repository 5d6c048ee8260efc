/**
 * Builds the packages a dapp developer installs and packs them as they would be published:
 * JavaScript and `.d.ts` compiled by tsc, package.json rewritten from the workspace's (sources
 * `./src/x.ts` become `./src/x.js` with their types, `workspace:*` becomes the version, nothing
 * private), then `npm pack`. Inside the repository the packages run from their TypeScript
 * sources; only a tarball holds JavaScript.
 *
 *   npx tsx scripts/pack.ts            # tarballs into dist/packages, their names printed
 *
 * `@verity/solidity` ships Solidity sources only and is packed as it is.
 */
import { execFile } from "node:child_process";
import { cp, mkdir, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);

export const REPO_ROOT = fileURLToPath(new URL("../", import.meta.url));

/** The TypeScript packages a user installs, in dependency order: the light SDK, and the
 * executor and model tooling that re-execution brings. */
export const TYPESCRIPT_PACKAGES = ["contracts", "models", "sdk", "runtime"] as const;
/** Every package a user installs. */
export const USER_PACKAGES = [...TYPESCRIPT_PACKAGES, "solidity"] as const;
export type UserPackage = (typeof USER_PACKAGES)[number];

/** What a page imports from the light SDK: the entry the browser bundle is measured with. */
export const LIGHT_BROWSER_ENTRY =
  'import { createVerityClient, encodeInput, waitForResult } from "@verity/sdk";\n' +
  "export { createVerityClient, encodeInput, waitForResult };\n";

/** How the light SDK's browser bundle is made and measured: esbuild, for a page, minified. */
export const BROWSER_BUNDLE_FLAGS = ["--bundle", "--platform=browser", "--format=esm", "--minify"];

/**
 * Bundles `LIGHT_BROWSER_ENTRY` against the packages installed in `project` with esbuild, no
 * shims or externals; returns the bundle.
 */
export async function bundleLightSdk(project: string): Promise<Buffer> {
  await writeFile(join(project, "browser.js"), LIGHT_BROWSER_ENTRY);
  await run(
    join(REPO_ROOT, "node_modules/.bin/esbuild"),
    ["browser.js", ...BROWSER_BUNDLE_FLAGS, "--outfile=browser.bundle.js"],
    { cwd: project },
  );
  return readFile(join(project, "browser.bundle.js"));
}

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** `entry` with every string in it (a target, or a leaf of a conditions object) mapped. */
function mapTargets(entry: Json, map: (target: string) => Json): Json {
  if (typeof entry === "string") return map(entry);
  if (entry === null || typeof entry !== "object" || Array.isArray(entry)) return entry;
  return Object.fromEntries(
    Object.entries(entry).map(([key, value]) => [key, mapTargets(value, map)]),
  );
}

const SOURCE = /\.tsx?$/;

/** An `exports` target for JavaScript: a source entry gains its declarations. */
const builtExport = (target: string): Json =>
  SOURCE.test(target)
    ? { types: target.replace(SOURCE, ".d.ts"), default: target.replace(SOURCE, ".js") }
    : target;

/** An `imports` target for JavaScript (tsc finds the `.d.ts` beside each file). */
const builtImport = (target: string): Json =>
  target.startsWith("./") ? target.replace(SOURCE, ".js") : target;

/** The published package.json of a workspace package whose built files are in `staged`. */
async function publishedManifest(
  source: Record<string, Json>,
  staged: string,
  version: string,
): Promise<Record<string, Json>> {
  const dependencies = Object.fromEntries(
    Object.entries((source.dependencies ?? {}) as Record<string, string>).map(([name, range]) => [
      name,
      range.startsWith("workspace:") ? version : range,
    ]),
  );
  const { private: _private, scripts: _scripts, devDependencies: _dev, ...rest } = source;
  const files = (await readdir(staged, { withFileTypes: true }))
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  return {
    ...rest,
    version,
    engines: { node: ">=20" },
    sideEffects: false,
    ...(rest.exports === undefined ? {} : { exports: mapTargets(rest.exports, builtExport) }),
    ...(rest.imports === undefined ? {} : { imports: mapTargets(rest.imports, builtImport) }),
    files: [...files, "README.md", "LICENSE"],
    dependencies,
  };
}

/** Runs a command and returns its stdout; a failure shows the command with its output. */
export async function run(
  command: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv },
): Promise<string> {
  try {
    return (await execFileAsync(command, args, { ...options, maxBuffer: 64 * 1024 * 1024 })).stdout;
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(" ")} failed:\n${stdout ?? ""}\n${stderr ?? ""}`, {
      cause: error,
    });
  }
}

/**
 * Compiles the TypeScript packages in one tsc program (so that their imports of each other stay
 * package names, resolved at install time) into `stage/<package>`, one directory per package
 * laid out as the package itself, so that relative paths (`../package.json`, a forked host file)
 * hold in the built files as in the sources.
 */
async function compile(stage: string): Promise<void> {
  const root = JSON.parse(await readFile(join(REPO_ROOT, "tsconfig.json"), "utf8")) as {
    compilerOptions: Record<string, Json>;
  };
  const config = {
    compilerOptions: {
      ...root.compilerOptions,
      types: ["node"],
      noEmit: false,
      declaration: true,
      rootDir: join(REPO_ROOT, "packages"),
      outDir: stage,
    },
    include: TYPESCRIPT_PACKAGES.flatMap((name) => [
      join(REPO_ROOT, "packages", name, "src/**/*.ts"),
      ...(name === "contracts" ? [join(REPO_ROOT, "packages/contracts/typechain/**/*.ts")] : []),
    ]),
  };
  const file = join(stage, "tsconfig.json");
  await writeFile(file, JSON.stringify(config, null, 2));
  await run(process.execPath, [join(REPO_ROOT, "node_modules/typescript/bin/tsc"), "-p", file], {
    cwd: REPO_ROOT,
  });
  await rm(file);
}

/**
 * Builds and packs every user-facing package into `destination`; returns each package's tarball.
 * Needs `hardhat build` to have generated the contracts' typechain bindings.
 */
export async function packUserPackages(destination: string): Promise<Record<UserPackage, string>> {
  const stage = join(REPO_ROOT, ".cache/pack");
  await rm(stage, { recursive: true, force: true });
  await mkdir(stage, { recursive: true });
  await mkdir(destination, { recursive: true });
  await compile(stage);
  const license = join(REPO_ROOT, "packages/solidity/LICENSE");
  const tarballs = {} as Record<UserPackage, string>;
  for (const name of USER_PACKAGES) {
    const sourceDir = join(REPO_ROOT, "packages", name);
    const source = JSON.parse(await readFile(join(sourceDir, "package.json"), "utf8")) as Record<
      string,
      Json
    >;
    let packDir = sourceDir;
    if ((TYPESCRIPT_PACKAGES as readonly string[]).includes(name)) {
      packDir = join(stage, name);
      const manifest = await publishedManifest(source, packDir, String(source.version));
      await writeFile(join(packDir, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
      await cp(license, join(packDir, "LICENSE"));
      await writeFile(
        join(packDir, "README.md"),
        `# ${String(source.name)}\n\n${String(source.description)}\n\nPart of Verity, verifiable AI inference for EVM chains: the repository README and docs say how to use it.\n`,
      );
    }
    const [packed] = JSON.parse(
      await run("npm", ["pack", "--json", "--pack-destination", destination], { cwd: packDir }),
    ) as { filename: string }[];
    tarballs[name] = join(destination, packed.filename);
  }
  return tarballs;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const tarballs = await packUserPackages(join(REPO_ROOT, "dist/packages"));
  for (const [name, tarball] of Object.entries(tarballs))
    console.log(`@verity/${name}\t${tarball}`);
}
