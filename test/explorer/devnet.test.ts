import { expect } from "chai";
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { freePort } from "@verity/devnet";
import type { ExplorerConfig } from "@verity/explorer";
import { launchChromium, type Browser } from "@verity/explorer/browser";

const VERITY = fileURLToPath(new URL("../../packages/cli/bin/verity.js", import.meta.url));

/** `verity devnet --explorer`, as a developer starts it: one process, everything until Ctrl-C. */
describe("verity devnet --explorer", function () {
  this.timeout(120_000);

  let devnet: ChildProcess | undefined;
  let browser: Browser | undefined;

  after(async () => {
    await browser?.close();
    if (devnet && devnet.exitCode === null) devnet.kill("SIGKILL");
  });

  it("serves the explorer next to the node and worker, reading that devnet, and stops on Ctrl-C", async () => {
    const [rpcPort, explorerPort] = [await freePort(), await freePort()];
    const clean = Object.fromEntries(
      Object.entries(process.env).filter(([key]) => !key.startsWith("VERITY_")),
    );
    const child = spawn(
      process.execPath,
      [
        VERITY,
        "devnet",
        "--port",
        `${rpcPort}`,
        "--explorer",
        "--explorer-port",
        `${explorerPort}`,
      ],
      { env: clean, stdio: ["ignore", "pipe", "pipe"] },
    );
    devnet = child;
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    let stdout = "";
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const printed = await new Promise<string>((resolve, reject) => {
      child.stdout.on("data", (chunk: Buffer) => {
        stdout += chunk.toString();
        if (stdout.includes("verity verify 1")) resolve(stdout);
      });
      void exited.then((code) => reject(new Error(`devnet exited with ${code}:\n${stderr}`)));
    });
    const explorerUrl = /^explorer\s+(\S+)$/m.exec(printed)?.[1];
    const hub = /^InferenceHub\s+(0x[0-9a-fA-F]{40})$/m.exec(printed)?.[1];
    expect(explorerUrl).to.equal(`http://127.0.0.1:${explorerPort}/`);

    const config = (await (await fetch(`${explorerUrl}api/config`)).json()) as ExplorerConfig;
    expect(config).to.include({
      rpcUrl: `http://127.0.0.1:${rpcPort}`,
      hubAddress: hub,
      chainId: "31337",
    });

    browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1280, height: 700 } });
    page.setDefaultTimeout(15_000);
    await page.goto(`${explorerUrl}#/workers`);
    await page.locator('[data-testid="uptime"]').waitFor();
    expect(await page.locator('[data-testid="chain-badge"]').textContent()).to.match(
      /^live · chain 31337/,
    );
    expect(await page.locator('[data-testid="uptime"]').textContent()).to.match(/· healthy/);
    // Amounts in ether, and the worker's record of challenges, on the page the devnet serves.
    expect(await page.locator('[data-testid="stake"]').textContent()).to.match(/^\d+(\.\d+)? ETH$/);
    expect(await page.locator('[data-testid="challenges"]').textContent()).to.equal(
      "0 raised, 0 lost",
    );
    await page.goto(`${explorerUrl}#/models`);
    await page.locator('[data-model="mnist-mlp"]').waitFor();
    expect(await page.locator("[data-model]").count()).to.equal(2);

    child.kill("SIGINT");
    expect(await exited).to.equal(0);
    const refused = await fetch(explorerUrl!).then(
      () => false,
      () => true,
    );
    expect(refused, "the explorer stops with the devnet").to.equal(true);
  });
});
