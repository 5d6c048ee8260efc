/**
 * What installing Verity costs a dapp, measured: the packages packed as published (scripts/pack.ts)
 * and installed with npm into fresh projects beside one with ethers alone; the light SDK bundled
 * for the browser with esbuild. Writes reports/packages.json; exits 1 when the light SDK's install
 * adds more than its budget beyond ethers.
 *
 *   npm run report:packages
 */
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import {
  BROWSER_BUNDLE_FLAGS,
  LIGHT_BROWSER_ENTRY,
  REPO_ROOT,
  bundleLightSdk,
  packUserPackages,
  run,
} from "./pack.js";

/** What the light SDK may add to a project that already has ethers. */
const LIGHT_BUDGET_BYTES = 5 * 1024 * 1024;

async function installed(
  dir: string,
  specs: string[],
): Promise<{ bytes: number; packages: number }> {
  await mkdir(dir, { recursive: true });
  await writeFile(
    join(dir, "package.json"),
    JSON.stringify({ name: "dapp", private: true, type: "module" }),
  );
  await run("npm", ["install", "--no-audit", "--no-fund", "--ignore-scripts", ...specs], {
    cwd: dir,
  });
  const stdout = await run("du", ["-sb", join(dir, "node_modules")], { cwd: dir });
  const lock = JSON.parse(await readFile(join(dir, "package-lock.json"), "utf8")) as {
    packages: Record<string, unknown>;
  };
  return {
    bytes: Number(stdout.split("\t")[0]),
    packages: Object.keys(lock.packages).filter((key) => key !== "").length,
  };
}

const work = await mkdtemp(join(tmpdir(), "verity-package-report-"));
try {
  const tarballs = await packUserPackages(join(work, "tarballs"));
  const ethersVersion = JSON.parse(
    await readFile(join(REPO_ROOT, "packages/sdk/package.json"), "utf8"),
  ).dependencies.ethers as string;
  const baseline = await installed(join(work, "ethers"), [`ethers@${ethersVersion}`]);
  const light = await installed(join(work, "light"), [tarballs.sdk, tarballs.contracts]);
  const heavy = await installed(join(work, "heavy"), [
    tarballs.sdk,
    tarballs.contracts,
    tarballs.models,
    tarballs.runtime,
  ]);

  const bundle = await bundleLightSdk(join(work, "light"));

  const tarballSizes = Object.fromEntries(
    await Promise.all(
      Object.entries(tarballs).map(async ([name, file]) => [
        `@verity/${name}`,
        (await stat(file)).size,
      ]),
    ),
  );
  const lightBeyondEthers = light.bytes - baseline.bytes;
  const report = {
    measuredAt: new Date().toISOString(),
    npm: (await run("npm", ["--version"], { cwd: work })).trim(),
    tarballBytes: tarballSizes,
    install: {
      ethersAlone: baseline,
      lightSdk: {
        ...light,
        beyondEthersBytes: lightBeyondEthers,
        installed: ["@verity/sdk", "@verity/contracts"],
      },
      withReExecution: {
        ...heavy,
        beyondEthersBytes: heavy.bytes - baseline.bytes,
        installed: ["@verity/sdk", "@verity/contracts", "@verity/models", "@verity/runtime"],
      },
    },
    budget: {
      lightBeyondEthersBytes: LIGHT_BUDGET_BYTES,
      ok: lightBeyondEthers <= LIGHT_BUDGET_BYTES,
    },
    browserBundle: {
      entry: LIGHT_BROWSER_ENTRY.trim(),
      esbuild: BROWSER_BUNDLE_FLAGS.join(" "),
      minifiedBytes: bundle.length,
      gzipBytes: gzipSync(bundle, { level: 9 }).length,
    },
  };
  await mkdir(join(REPO_ROOT, "reports"), { recursive: true });
  await writeFile(join(REPO_ROOT, "reports/packages.json"), `${JSON.stringify(report, null, 2)}\n`);
  const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  console.log(
    `light SDK: ${mb(light.bytes)} installed, ${mb(lightBeyondEthers)} beyond ethers ` +
      `(budget ${mb(LIGHT_BUDGET_BYTES)}); with re-execution: ${mb(heavy.bytes)}; ` +
      `browser bundle ${(bundle.length / 1024).toFixed(0)} KB minified, ` +
      `${(report.browserBundle.gzipBytes / 1024).toFixed(0)} KB gzipped. reports/packages.json`,
  );
  if (!report.budget.ok) process.exitCode = 1;
} finally {
  await rm(work, { recursive: true, force: true });
}
