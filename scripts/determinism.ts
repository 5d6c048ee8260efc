/**
 * `npm run bench:determinism`: the canonical executor on x86-64 Node, arm64 Node (qemu) and
 * Chromium, compared bit for bit over seeded inputs, and the native runtime beside it; writes
 * reports/determinism.json. `VERITY_DETERMINISM_INPUTS` sets the inputs per model (default 1000).
 */
import { mkdir, writeFile } from "node:fs/promises";
import { checkDeterminism } from "./determinism/check.js";

const inputsPerModel = Number(process.env.VERITY_DETERMINISM_INPUTS ?? 1000);
const report = await checkDeterminism({
  inputsPerModel,
  progress: (message) => console.log(message),
});
const total = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);
for (const platform of report.platforms) {
  console.log(
    `${platform.platform}: ${total(platform.mismatches)} of ${total(platform.compared)} outputs differ from x86-64 Node`,
  );
}
console.log(
  `native (${report.native.runtime}): ${total(report.native.mismatches)} of ${total(report.native.compared)} outputs differ`,
);
await mkdir("reports", { recursive: true });
await writeFile(
  "reports/determinism.json",
  `${JSON.stringify({ measuredAt: new Date().toISOString(), ...report }, null, 2)}\n`,
);
console.log("wrote reports/determinism.json");
const disagreeing = report.platforms.filter((platform) => total(platform.mismatches) > 0);
if (disagreeing.length > 0) {
  console.error(
    `the canonical executor disagreed on: ${disagreeing.map((p) => p.platform).join(", ")}`,
  );
  process.exitCode = 1;
}
