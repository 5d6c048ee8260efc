import { expect } from "chai";
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { formatEther } from "ethers";
import { encodeTensor } from "@verity/contracts";
import {
  ACCOUNTS,
  freePort,
  spawnWorker,
  startDevnet,
  type Devnet,
  type WorkerProcess,
} from "@verity/devnet";
import { startExplorer, type Explorer } from "@verity/explorer";
import { launchChromium, type Browser, type Locator, type Page } from "@verity/explorer/browser";
import { encodeOnnx, sampleModel } from "@verity/models";
import { checkModel } from "@verity/runtime";
import {
  createVerityClient,
  decodeOutput,
  getResult,
  registerModel,
  requestInference,
  waitForResult,
  type VerityClient,
} from "@verity/sdk";

/** The part of a canvas element the image check reads (the tests compile without DOM types). */
interface CanvasLike {
  getContext(kind: "2d"): {
    getImageData(x: number, y: number, width: number, height: number): { data: ArrayLike<number> };
  };
}

/** Screenshots land here, one per page and state, for a person to look at. */
const SCREENSHOTS = fileURLToPath(new URL("../../reports/explorer/", import.meta.url));

/**
 * The explorer end to end, as a person would use it: a devnet (a real `hardhat node` with Verity
 * and the sample models) and a real worker process, requests sent through the SDK, the explorer's
 * server, and headless Chromium loading each page. Asserts what is on screen and saves
 * screenshots under reports/explorer/.
 */
describe("explorer in headless Chromium", function () {
  this.timeout(120_000);

  let devnet: Devnet;
  let worker: WorkerProcess;
  let client: VerityClient;
  let explorer: Explorer;
  let browser: Browser;
  let page: Page;
  let hubAddress: string;
  const ids = { credit: 0n, mnist: 0n, refused: 0n, zk: 0n };
  /** The dishonest worker's result, left open to challenge by the test that makes it. */
  let dishonestRequest: bigint | undefined;
  let dishonestWorker: string | undefined;

  before(async () => {
    await mkdir(SCREENSHOTS, { recursive: true });
    // credit-risk also in ZK mode: its circuit and keys come from .cache/zk (the demo builds them;
    // about a minute when that cache is empty).
    devnet = await startDevnet({ zkModels: ["credit-risk"] });
    worker = await spawnWorker(devnet);
    const metricsUrl = await worker.httpUrl();
    hubAddress = await devnet.hub.getAddress();
    client = await createVerityClient({
      rpcUrl: devnet.node.url,
      hubAddress,
      signer: devnet.signer(ACCOUNTS.requester),
      pollingIntervalMs: 50,
    });
    const credit = devnet.models["credit-risk"].modelId;
    const mnist = devnet.models["mnist-mlp"].modelId;
    ids.credit = (
      await requestInference(client, {
        modelId: credit,
        input: sampleModel("credit-risk").sampleInput(1),
      })
    ).requestId;
    ids.mnist = (
      await requestInference(client, {
        modelId: mnist,
        input: sampleModel("mnist-mlp").sampleInput(3),
      })
    ).requestId;
    // The right number of bytes, the wrong shape: the hub takes it, the worker refuses it.
    ids.refused = (
      await requestInference(client, {
        modelId: credit,
        input: encodeTensor([16, 1], Array(16).fill(1)),
        validateInput: false,
      })
    ).requestId;
    ids.zk = (
      await requestInference(client, {
        modelId: credit,
        input: sampleModel("credit-risk").sampleInput(21),
        proofMode: "ZK",
        assignee: worker.address,
      })
    ).requestId;
    for (const requestId of Object.values(ids)) {
      await waitForResult(client, { requestId, until: "final", timeoutMs: 60_000 });
    }
    [explorer, browser] = await Promise.all([
      startExplorer({
        rpcUrl: devnet.node.url,
        hubAddress,
        port: 0,
        pollIntervalMs: 250,
        workerEndpoints: [{ address: worker.address, url: metricsUrl }],
      }),
      launchChromium(),
    ]);
    page = await newPage(900);
  });

  /** Errors the page threw or logged: a test fails on them rather than on a blank screen. */
  const pageErrors: string[] = [];

  async function newPage(height: number): Promise<Page> {
    const opened = await browser.newPage({ viewport: { width: 1280, height } });
    opened.setDefaultTimeout(15_000);
    opened.on("pageerror", (error) => pageErrors.push(error.stack ?? error.message));
    opened.on("console", (message) => {
      if (message.type() === "error") pageErrors.push(message.text());
    });
    return opened;
  }

  afterEach(function () {
    const errors = pageErrors.splice(0);
    if (errors.length > 0 && this.currentTest?.state === "failed") {
      console.error(`errors in the page:\n${errors.join("\n")}`);
    }
  });

  after(async () => {
    await browser?.close();
    await explorer?.close();
    client?.destroy();
    await worker?.stop();
    await devnet?.stop();
  });

  async function open(path: string): Promise<void> {
    await page.goto(`${explorer.url}#/${path}`);
    await page.locator('[data-testid="chain-badge"]').waitFor();
  }

  /** Waits until the requests table shows exactly `count` rows. */
  async function expectRows(count: number): Promise<void> {
    const rows = page.locator("tr[data-request]");
    await rows.nth(count - 1).waitFor();
    await rows.nth(count).waitFor({ state: "detached" });
  }

  /**
   * Every URL the page requests while `action` runs (http and ws only: data: images are not the
   * network). The verdict is computed in the page, so it may talk to its own server (the page,
   * the .wasm, the model relay) and the RPC node, and to nothing else.
   */
  async function requestsDuring(action: () => Promise<void>): Promise<URL[]> {
    const seen: URL[] = [];
    const record = (request: { url(): string }) => {
      const url = new URL(request.url());
      if (/^(https?|wss?):$/.test(url.protocol)) seen.push(url);
    };
    page.on("request", record);
    try {
      await action();
    } finally {
      page.off("request", record);
    }
    return seen;
  }

  /** Verifies in the page: no `api/verify`, and only the explorer's and the node's origins. */
  async function verifyInPage(): Promise<Locator> {
    const panel = page.locator('[data-panel="verify independently"]');
    const receipt = panel.locator('[data-testid="receipt"]');
    const requests = await requestsDuring(async () => {
      await page.click('[data-testid="verify"]');
      // A receipt, or the problem that stopped the verification (said, rather than waited out).
      await panel
        .locator('[data-testid="receipt"], [role="alert"]')
        .first()
        .waitFor({ timeout: 60_000 });
    });
    if ((await receipt.count()) === 0) {
      expect.fail(`no receipt: ${await panel.locator('[role="alert"]').textContent()}`);
    }
    const paths = requests.map((url) => url.pathname);
    expect(paths.filter((path) => path.includes("api/verify"))).to.deep.equal([]);
    const origins = new Set(requests.map((url) => url.origin));
    const allowed = [new URL(explorer.url).origin, new URL(devnet.node.url).origin];
    expect([...origins].filter((origin) => !allowed.includes(origin))).to.deep.equal([]);
    // The RPC node is what the page reads the chain from while it verifies.
    expect(origins).to.include(new URL(devnet.node.url).origin);
    if (process.env.VERITY_TEST_LOGS === "1") {
      const elapsed = await receipt.locator('[data-testid="elapsed"]').textContent();
      console.log(
        `      verified: ${elapsed}; requested ${paths.filter((p) => !p.startsWith("/api/config")).length} URLs`,
      );
    }
    return receipt;
  }

  /**
   * No metric cell is blank: every table cell and every fact on the page has text, and each `—`
   * (or `…`) the page puts in place of a value says why in its title. A table cell's dash is
   * always one of those.
   */
  async function expectNoBlankCells(): Promise<void> {
    const cells = await page.locator("main td, main dd").evaluateAll((elements) =>
      elements.map((element) => ({
        html: element.outerHTML.slice(0, 200),
        text: (element.textContent ?? "").trim(),
        table: element.tagName === "TD",
        untitled: [...element.querySelectorAll(".missing")].filter(
          (missing) => !missing.getAttribute("title"),
        ).length,
        bareDashes:
          (element.textContent ?? "").split("—").length -
          1 -
          [...element.querySelectorAll(".missing")].filter((missing) => missing.textContent === "—")
            .length,
      })),
    );
    expect(cells.length).to.be.greaterThan(0);
    for (const cell of cells) {
      expect(cell.text, `blank cell ${cell.html}`).to.not.equal("");
      expect(cell.untitled, `a placeholder that says not why: ${cell.html}`).to.equal(0);
      if (cell.table) expect(cell.bareDashes, `a dash that says not why: ${cell.html}`).to.equal(0);
    }
  }

  /** Amounts are ether: no run of ten or more digits (a wei amount) is on the page. */
  async function expectNoWei(): Promise<void> {
    const text = (await page.locator("main").textContent()) ?? "";
    expect(text.match(/(?<![\w.])\d{10,}(?![\w.])/g) ?? []).to.deep.equal([]);
  }

  /** The explorer's `real`: up to six significant digits (kept apart, so the test checks it). */
  const sixDigits = (value: number) =>
    Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(6)));

  /** What the request list's output column should say for a settled request. */
  async function expectedOutput(requestId: bigint, decimals: number): Promise<string> {
    const result = await getResult(client, requestId);
    const values = decodeOutput({ decimals }, result.result!.output).real;
    const head = values.slice(0, 3).map(sixDigits).join(", ");
    return `[${head}${values.length > 3 ? `, … (${values.length})` : ""}]`;
  }

  /** `2025-01-02 03:04:05 UTC`: a local time and its zone. */
  const ZONED_TIME = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \S+$/;

  async function screenshot(name: string, target: Page = page): Promise<void> {
    await target.screenshot({ path: `${SCREENSHOTS}${name}.png`, fullPage: true });
  }

  it("Models: both sample models with id, uri, shapes, fee, proof modes, versions and requests served", async () => {
    await open("models");
    const credit = page.locator('[data-model="credit-risk"]');
    const mnist = page.locator('[data-model="mnist-mlp"]');
    await credit.waitFor();
    expect(await credit.textContent()).to.include(devnet.models["credit-risk"].modelId);
    expect(await credit.textContent()).to.include("input [1, 16] → output [1, 1]");
    expect(await credit.textContent()).to.include("0.001 ETH per inference");
    expect(await credit.textContent()).to.include("proof modesATTESTED, ZK");
    expect(await credit.textContent()).to.match(/ZK commitmentcircuit 0x[0-9a-f]{6}…/);
    expect(await credit.textContent()).to.include("first version");
    expect(await credit.locator('[data-testid="served"]').textContent()).to.equal(
      "3 requests, 2 settled",
    );
    expect(await mnist.textContent()).to.include("ZK commitmentnone");
    expect(await mnist.textContent()).to.include("input [1, 784] → output [1, 10]");
    expect(await mnist.locator('[data-testid="served"]').textContent()).to.equal(
      "1 request, 1 settled",
    );
    await expectNoBlankCells();
    await expectNoWei();
    await screenshot("models");
  });

  it("Requests: every request with status, mode, model, latency and gas; filters; new ones appear live", async () => {
    await open("requests");
    const rows = page.locator("tr[data-request]");
    await rows.nth(3).waitFor();
    expect(await rows.count()).to.equal(4);
    const row = (id: bigint) => page.locator(`tr[data-request="${id}"]`);
    expect(await row(ids.credit).getAttribute("data-status")).to.equal("settled");
    expect(await row(ids.mnist).textContent()).to.match(/mnist-mlp/);
    expect(await row(ids.refused).getAttribute("data-status")).to.equal("failed");
    // Gas and block times are fetched for the rows on screen, a moment after the rows appear.
    const gas = /\d[\d,]* \+ \d[\d,]*/;
    const latency = /\d+ s \(\d+ blocks?\)/;
    await row(ids.credit).filter({ hasText: gas }).filter({ hasText: latency }).waitFor();
    const creditText = await row(ids.credit).textContent();
    expect(creditText).to.include("ATTESTED");
    expect(creditText).to.include("credit-risk");
    // The output column: the settled results' values at the model's decimals, in short.
    const output = (id: bigint) => row(id).locator('[data-testid="output"]');
    const decimals = (name: "credit-risk" | "mnist-mlp") => sampleModel(name).decimals;
    expect(await output(ids.credit).textContent()).to.equal(
      await expectedOutput(ids.credit, decimals("credit-risk")),
    );
    expect(await output(ids.credit).textContent()).to.match(/^\[-?\d+(\.\d+)?\]$/);
    expect(await output(ids.mnist).textContent()).to.equal(
      await expectedOutput(ids.mnist, decimals("mnist-mlp")),
    );
    expect(await output(ids.mnist).textContent()).to.match(/, … \(10\)\]$/);
    expect(await output(ids.zk).textContent()).to.equal(
      await expectedOutput(ids.zk, decimals("credit-risk")),
    );
    // A refused input has no output: a dash, and why on hover.
    expect(await output(ids.refused).textContent()).to.equal("—");
    expect(await output(ids.refused).locator(".missing").getAttribute("title")).to.match(
      /^no output: the worker refused the input \(the input tensor's shape is not the model's input shape\)/,
    );
    // Times carry their zone, as the request page's do.
    for (const id of Object.values(ids)) {
      const requested = row(id).locator('[data-testid="requested"]');
      await requested.filter({ hasText: /\d{4}-/ }).waitFor();
      const [time, block] = (await requested.innerText()).split("\n");
      expect(time).to.match(ZONED_TIME);
      expect(block).to.match(/^block \d+$/);
    }
    await expectNoBlankCells();
    await expectNoWei();

    await page.selectOption('select[name="status"]', "failed");
    await expectRows(1);
    expect(await page.locator('[data-testid="request-count"]').textContent()).to.equal(
      "1 of 4 requests",
    );
    await page.selectOption('select[name="status"]', "");
    await page.selectOption('select[name="model"]', devnet.models["mnist-mlp"].modelId);
    await expectRows(1);
    await page.selectOption('select[name="model"]', "");
    await page.selectOption('select[name="worker"]', worker.address);
    await expectRows(4);
    await page.goto(`${explorer.url}#/requests`);

    // A request sent while the page is open shows up without a reload, then settles.
    const { requestId } = await requestInference(client, {
      modelId: devnet.models["credit-risk"].modelId,
      input: sampleModel("credit-risk").sampleInput(7),
    });
    await row(requestId).waitFor({ timeout: 10_000 });
    await page.waitForSelector(`tr[data-request="${requestId}"][data-status="settled"]`, {
      timeout: 15_000,
    });
    expect(await rows.count()).to.equal(5);
    await screenshot("requests");
  });

  it("Request detail (mnist-mlp): the input as a 28x28 image, scores as bars, proof, signer, environment, timeline", async () => {
    await open(`requests/${ids.mnist}`);
    await page.locator(".request-detail").waitFor();
    expect(await page.locator("h1").textContent()).to.match(
      new RegExp(`Request #${ids.mnist}\\s*settled`),
    );
    const image = page.locator('[data-panel="input"] canvas');
    expect(await image.getAttribute("width")).to.equal("28");
    expect(await image.getAttribute("aria-label")).to.equal("input as a 28x28 image");
    // The pen stroke is drawn: the canvas has both dark and light pixels.
    const greys = await image.evaluate((element) => {
      const canvas = element as unknown as CanvasLike;
      const data = canvas.getContext("2d").getImageData(0, 0, 28, 28).data;
      return new Set(Array.from({ length: 784 }, (_, i) => data[i * 4])).size;
    });
    expect(greys).to.be.greaterThan(1);
    expect(await page.locator('[data-panel="output"] .bar-row').count()).to.equal(10);
    expect(await page.locator('[data-panel="output"] .bar-row.best').count()).to.equal(1);

    const proof = page.locator('[data-panel="proof"]');
    expect(await proof.textContent()).to.include("EIP-712 signature by a staked worker");
    expect(await proof.locator('[data-testid="proof"]').textContent()).to.match(
      /^0x[0-9a-f]{130}$/,
    );
    expect(await proof.locator('[data-testid="recovered-signer"]').textContent()).to.include(
      `${worker.address} — the worker the hub credited`,
    );
    expect(await proof.locator('[data-testid="environment"]').textContent()).to.include(
      `approved: ${devnet.environment.description}`,
    );
    const timeline = page.locator('[data-panel="timeline"] li');
    expect(
      await timeline.evaluateAll((items) => items.map((item) => item.getAttribute("data-event"))),
    ).to.deep.equal(["requested", "result submitted", "settled"]);
    for (const when of await page.locator('[data-panel="timeline"] .when').allInnerTexts()) {
      expect(when.split(" · ")[0]).to.match(ZONED_TIME);
    }
    // Every amount in ether, exactly: the escrow, and who the settlement credited.
    const { request } = await getResult(client, ids.mnist);
    const ether = (wei: bigint) => `${formatEther(wei).replace(/\.0$/, "")} ETH`;
    expect(await page.locator(".request-detail > .facts").textContent()).to.include(
      `escrowmodel fee ${ether(request.modelFeeWei)}, worker reward ${ether(request.workerRewardWei)}, callback fee ${ether(request.callbackFeeWei)}`,
    );
    expect(ether(request.modelFeeWei)).to.equal("0.001 ETH");
    expect(
      await page.locator('[data-panel="timeline"] [data-event="settled"]').textContent(),
    ).to.include(
      `worker ${worker.address} credited ${ether(request.workerRewardWei)}, model owner credited 0.001 ETH`,
    );
    expect(
      await page.locator('[data-panel="timeline"] [data-event="requested"]').textContent(),
    ).to.match(
      /escrow [\d.]+ ETH \(model fee 0\.001 ETH, worker reward [\d.]+ ETH, callback fee 0 ETH\)/,
    );
    expect(await page.locator(".request-detail > .facts").textContent()).to.match(
      /deadline\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \S+latency/,
    );
    await expectNoBlankCells();
    await expectNoWei();
    await screenshot("request-mnist");
  });

  const ALL_CHECKS = ["input", "output", "model", "re-execution", "proof", "worker", "environment"];

  async function expectAllChecksPass(receipt: Locator): Promise<void> {
    expect(await receipt.getAttribute("class")).to.include("verified");
    expect(await receipt.locator("h3").textContent()).to.include("Verified by re-execution");
    for (const check of ALL_CHECKS) {
      expect(
        await receipt.locator(`tr[data-check="${check}"] .mark`).textContent(),
        `${check} check`,
      ).to.equal("✓");
    }
    expect(await receipt.locator('[data-testid="elapsed"]').textContent()).to.match(
      /^\d+ ms in this page/,
    );
  }

  it("Request detail: verify independently re-runs the model in the page and shows the receipt", async () => {
    // credit-risk has a ZK commitment: in every mode its answer is the circuit's arithmetic.
    await open(`requests/${ids.credit}`);
    await page.locator('[data-panel="output"] .meter').waitFor();
    const receipt = await verifyInPage();
    await expectAllChecksPass(receipt);
    const ranIn = await receipt.locator('[data-testid="ran-in"]').textContent();
    expect(ranIn).to.include("this page: the model's circuit arithmetic");
    // The devnet's models are file:// uris, which a page cannot read: they come through the relay.
    expect(await receipt.locator('tr[data-check="model"]').textContent()).to.include(
      `from the explorer's relay (${explorer.url}api/models/${devnet.models["credit-risk"].modelId})`,
    );
    expect(ranIn).to.include(devnet.environment.id);
    expect(ranIn).to.include("(the environment the worker signed)");
    await screenshot("request-credit-verified");
  });

  it("Request detail (mnist-mlp): verify independently runs onnxruntime-web's WebAssembly build in the page", async () => {
    await open(`requests/${ids.mnist}`);
    await page.locator('[data-panel="output"] .bar-row').first().waitFor();
    const receipt = await verifyInPage();
    await expectAllChecksPass(receipt);
    expect(await receipt.locator('tr[data-check="re-execution"]').textContent()).to.include(
      "re-ran the model in the canonical executor",
    );
    const ranIn = await receipt.locator('[data-testid="ran-in"]').textContent();
    expect(ranIn).to.include("this page: onnxruntime-web 1.30.0 WebAssembly");
    expect(ranIn).to.include(devnet.environment.id);
    expect(ranIn).to.include("(the environment the worker signed)");
  });

  it("Request detail (ZK): the Groth16 proof, the verifier contracts that checked it, and a receipt", async () => {
    await open(`requests/${ids.zk}`);
    await page.locator(".request-detail").waitFor();
    expect(await page.locator("h1 .status").textContent()).to.equal("settled");
    const proof = page.locator('[data-panel="proof"]');
    expect(await proof.textContent()).to.include("Groth16 proof that the registered circuit");
    const zkVerifier = await devnet.hub.proofVerifier(1);
    const modelVerifier = (
      await devnet.modelRegistry.getModel(devnet.models["credit-risk"].modelId)
    ).zk.verifier;
    await proof.filter({ hasText: zkVerifier }).waitFor();
    expect(await proof.textContent()).to.include(modelVerifier);
    expect(
      await page
        .locator('[data-panel="timeline"] li')
        .evaluateAll((items) => items.map((item) => item.getAttribute("data-event"))),
    ).to.deep.equal(["requested", "result submitted", "settled"]);
    const receipt = await verifyInPage();
    expect(await receipt.locator("h3").textContent()).to.include("Verified by re-execution");
    for (const check of ["model", "re-execution", "proof"]) {
      expect(
        await receipt.locator(`tr[data-check="${check}"] .mark`).textContent(),
        `${check} check`,
      ).to.equal("✓");
    }
    expect(await receipt.locator('tr[data-check="re-execution"]').textContent()).to.include(
      "re-ran the model's circuit arithmetic",
    );
    expect(await receipt.locator('[data-testid="ran-in"]').textContent()).to.include(
      "this page: the model's circuit arithmetic",
    );
    await screenshot("request-zk-verified");
  });

  it("Request detail of a refused input: failed, with the worker's reason and no output", async () => {
    await open(`requests/${ids.refused}`);
    await page.locator(".request-detail").waitFor();
    expect(await page.locator("h1 .status").textContent()).to.equal("failed");
    expect(await page.locator('[data-panel="output"]').textContent()).to.include(
      "No output: the request was failed.",
    );
    expect(await page.locator('[data-panel="timeline"]').textContent()).to.include(
      "the input tensor's shape is not the model's input shape",
    );
    expect(await page.locator('[data-testid="verify"]').count()).to.equal(0);
  });

  it("Workers: stake, environment, results, slashes and uptime from the worker's metrics", async () => {
    await open("workers");
    const card = page.locator(`[data-worker="${worker.address}"]`);
    await card.waitFor();
    expect(await card.locator('[data-testid="stake"]').textContent()).to.equal("1 ETH");
    expect(await card.textContent()).to.include(`approved: ${devnet.environment.description}`);
    expect(await card.textContent()).to.include("eligible");
    expect(await card.locator('[data-testid="results"]').textContent()).to.include(
      "5 answered: 4 settled, 1 refused as invalid input",
    );
    expect(await card.textContent()).to.match(/slashes\s*none/);
    expect(await card.locator('[data-testid="challenges"]').textContent()).to.equal(
      "0 raised, 0 lost",
    );
    expect(await card.locator('[data-testid="challenges-raised-by"]').textContent()).to.equal(
      "none",
    );
    // Exact ether, read from the chain: the hub's credit and the account that pays for gas.
    const ether = (wei: bigint) => `${formatEther(wei).replace(/\.0$/, "")} ETH`;
    expect(await card.locator('[data-testid="earned"]').textContent()).to.equal(
      `${ether(await devnet.hub.balanceOf(worker.address))} credited in the hub, not yet withdrawn`,
    );
    expect(await card.locator('[data-testid="gas-balance"]').textContent()).to.match(
      /^\d+(\.\d+)? ETH in the worker's account$/,
    );
    await card.locator('[data-testid="uptime"]').waitFor();
    expect(await card.locator('[data-testid="uptime"]').textContent()).to.match(
      /^up \d+ s · healthy/,
    );
    expect(await card.locator('[data-testid="counters"]').textContent()).to.match(
      /seen 5, settled 4/,
    );
    await card.locator('[data-testid="timings"]').waitFor();
    await expectNoBlankCells();
    await expectNoWei();
    await screenshot("workers");
  });

  it("a dishonest worker's result inside its challenge window: do not act on it yet, and the page's re-execution says Does not verify", async () => {
    const dishonest = await spawnWorker(devnet, {
      account: ACCOUNTS.firstWorker + 1,
      settings: { dishonest: true },
    });
    // A challenge window for this one request (a request keeps the window it was made with).
    const current = await devnet.hub.config();
    const config = {
      protocolFeeWei: current.protocolFeeWei,
      minWorkerRewardWei: current.minWorkerRewardWei,
      callbackGasPriceWei: current.callbackGasPriceWei,
      assignmentGraceSeconds: current.assignmentGraceSeconds,
      challengeWindowSeconds: current.challengeWindowSeconds,
      maxDeadlineSeconds: current.maxDeadlineSeconds,
    };
    await devnet.govern(devnet.hub, "setConfig", [{ ...config, challengeWindowSeconds: 3600n }]);
    try {
      await dishonest.httpUrl();
      const { requestId } = await requestInference(client, {
        modelId: devnet.models["credit-risk"].modelId,
        input: sampleModel("credit-risk").sampleInput(5),
        assignee: dishonest.address,
      });
      dishonestRequest = requestId;
      dishonestWorker = dishonest.address;
      await devnet.govern(devnet.hub, "setConfig", [config]);
      const found = await waitForResult(client, { requestId, timeoutMs: 60_000 });
      expect(found.status).to.equal("Submitted");
      await open(`requests/${requestId}`);
      await page.locator('[data-panel="output"] .meter').waitFor();
      expect(await page.locator("h1 .status").textContent()).to.equal("submitted");
      const banner = await page.locator('[data-testid="not-final"]').textContent();
      expect(banner).to.match(
        /^Signed by a staked worker, open to challenge until \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \S+\. Do not act on this yet/,
      );
      const receipt = await verifyInPage();
      expect(await receipt.getAttribute("class")).to.include("mismatch");
      expect(await receipt.locator("h3").textContent()).to.include("Does not verify");
      const mark = (check: string) =>
        receipt.locator(`tr[data-check="${check}"] .mark`).textContent();
      expect(await mark("re-execution")).to.equal("✗");
      // It is the output that is wrong: the model, the signature and the worker all check out.
      for (const check of ["model", "proof", "worker"]) {
        expect(await mark(check), `${check} check`).to.equal("✓");
      }
      expect(await receipt.locator('[data-testid="failed-checks"]').textContent()).to.equal(
        "Failed check: re-execution",
      );
      expect(await receipt.textContent()).to.match(/re-execution check failed/);
      await screenshot("request-dishonest-mismatch");
      // Open to challenge, not final: the list shows its values, greyed, and says so on hover.
      await open("requests");
      const output = page.locator(`tr[data-request="${requestId}"] [data-testid="output"] span`);
      await output.waitFor();
      expect(await output.getAttribute("title")).to.match(/^not final: open to challenge\./);
    } finally {
      await dishonest.stop();
    }
  });

  it("a real dispute: a watcher challenges the dishonest result and proves it wrong; Workers shows the challenge raised and lost, and the slash", async function () {
    this.timeout(240_000);
    expect(dishonestRequest !== undefined, "the dishonest worker's test made a request").to.equal(
      true,
    );
    // The dishonest result from the test above is still inside its hour-long window: a watcher
    // re-runs it, challenges it and resolves the dispute with a ZK proof (credit-risk has one).
    const watcher = await spawnWorker(devnet, {
      account: ACCOUNTS.firstWorker + 2,
      settings: { watch: true, pollIntervalMs: 25 },
    });
    try {
      await watcher.httpUrl();
      const refunded = await waitForResult(client, {
        requestId: dishonestRequest!,
        until: "final",
        timeoutMs: 180_000,
      });
      expect(refunded.status).to.equal("Refunded");
      const { slashAmountWei } = await devnet.hub.disputeConfig();
      const ether = (wei: bigint) => `${formatEther(wei).replace(/\.0$/, "")} ETH`;

      await open("workers");
      const card = page.locator(`[data-worker="${dishonestWorker}"]`);
      await card
        .locator('[data-testid="challenges"]')
        .filter({ hasText: "1 raised, 1 lost" })
        .waitFor({ timeout: 15_000 });
      expect(await card.locator('[data-testid="challenges"]').textContent()).to.equal(
        "1 raised, 1 lost (0 upheld, 0 expired, 0 open)",
      );
      expect(await card.textContent()).to.include(`slashes1, ${ether(slashAmountWei)} in all`);
      expect(await card.locator('[data-testid="results"]').textContent()).to.include(
        "1 answered: 0 settled, 0 refused as invalid input, 1 overturned, 0 open or challenged",
      );
      const watcherCard = page.locator(`[data-worker="${watcher.address}"]`);
      expect(
        await watcherCard.locator('[data-testid="challenges-raised-by"]').textContent(),
      ).to.equal("1, 1 won");
      expect(await watcherCard.locator('[data-testid="challenges"]').textContent()).to.equal(
        "0 raised, 0 lost",
      );
      // The honest worker was never challenged.
      expect(
        await page
          .locator(`[data-worker="${worker.address}"] [data-testid="challenges"]`)
          .textContent(),
      ).to.equal("0 raised, 0 lost");
      await expectNoBlankCells();
      await expectNoWei();
      await screenshot("workers-after-dispute");

      // The list: refunded, no output, and why.
      await open("requests");
      const row = page.locator(`tr[data-request="${dishonestRequest}"]`);
      await page.waitForSelector(`tr[data-request="${dishonestRequest}"][data-status="refunded"]`);
      expect(await row.locator('[data-testid="output"]').textContent()).to.equal("—");
      expect(await row.locator('[data-testid="output"] .missing').getAttribute("title")).to.equal(
        "no output: a challenge proved the worker's result wrong; the requester was refunded",
      );
      await expectNoBlankCells();
      await open(`requests/${dishonestRequest}`);
      const timeline = page.locator('[data-panel="timeline"]');
      await timeline.locator('[data-event="challenge resolved"]').waitFor();
      expect(await timeline.locator('[data-event="challenged"]').textContent()).to.match(
        new RegExp(`by ${watcher.address}, bond [\\d.]+ ETH,`),
      );
      expect(await timeline.locator('[data-event="challenge resolved"]').textContent()).to.include(
        `worker slashed ${ether(slashAmountWei)}`,
      );
      await expectNoWei();
    } finally {
      await watcher.stop();
    }
  });

  it("the relay serves a registered model's bytes only when they hash to its id", async () => {
    const relay = (modelId: string) => fetch(`${explorer.url}api/models/${modelId}`);
    const credit = await relay(devnet.models["credit-risk"].modelId);
    expect(credit.status).to.equal(200);
    const bytes = new Uint8Array(await credit.arrayBuffer());
    expect(`0x${createHash("sha256").update(bytes).digest("hex")}`).to.equal(
      devnet.models["credit-risk"].modelId,
    );
    expect((await relay(`0x${"ab".repeat(32)}`)).status).to.equal(404);
    expect((await relay("0x1234")).status).to.equal(404);

    // A model whose uri serves another file: the relay refuses to pass it on, and says why.
    const dir = await mkdtemp(join(tmpdir(), "verity-relay-"));
    try {
      const graph = { ...sampleModel("credit-risk").graph, name: "relay-swapped" };
      const file = join(dir, "swapped.onnx");
      await writeFile(file, encodeOnnx({ ...graph, name: "something else" }));
      const { model } = await registerModel(client, {
        bytes: encodeOnnx(graph),
        uri: pathToFileURL(file).href,
        inputShape: [1, 16],
        outputShape: [1, 1],
        check: checkModel,
      });
      const refused = await relay(model.modelId);
      expect(refused.status).to.equal(502);
      expect(refused.statusText).to.match(
        /^Not the registered model: the file at file:.* hashes to 0x/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("api/verify still verifies on the server, for scripts (the page does not use it)", async () => {
    const response = await fetch(`${explorer.url}api/verify/${ids.mnist}`, { method: "POST" });
    const body = (await response.json()) as { receipt?: { matches: boolean; summary: string } };
    expect(body.receipt?.matches, JSON.stringify(body)).to.equal(true);
  });

  it("a fresh deployment: every page says it is empty and how to fill it", async () => {
    const fresh = await startDevnet({ models: [] });
    const empty = await startExplorer({
      rpcUrl: fresh.node.url,
      hubAddress: await fresh.hub.getAddress(),
      port: 0,
      workerEndpoints: [],
    });
    const other = await newPage(600);
    try {
      for (const [path, title, hint] of [
        ["requests", "No requests yet", "verity infer credit-risk"],
        ["models", "No models registered", "verity model register"],
        ["workers", "No workers registered", "--register-stake-eth 1"],
      ]) {
        await other.goto(`${empty.url}#/${path}`);
        const notice = other.locator(".empty");
        await notice.waitFor();
        expect(await notice.locator("h3").textContent()).to.equal(title);
        expect(await notice.textContent()).to.include(hint);
        if (path === "requests") await screenshot("empty-requests", other);
      }
    } finally {
      await other.close();
      await empty.close();
      await fresh.stop();
    }
  });

  it("an unknown request says so, and how many there are", async () => {
    await open("requests/999");
    const problem = page.locator('[role="alert"]');
    await problem.waitFor();
    expect(await problem.locator("h2").textContent()).to.equal("Unknown request");
    expect(await problem.textContent()).to.include("Request 999 does not exist on this hub");
    expect(await problem.textContent()).to.include("this hub has 6 requests");
    await screenshot("unknown-request");
  });

  it("no node running: says so, and how to start one", async () => {
    const port = await freePort();
    const idle = await startExplorer({ rpcUrl: `http://127.0.0.1:${port}`, hubAddress, port: 0 });
    const other = await newPage(600);
    try {
      await other.goto(idle.url);
      const problem = other.locator('[role="alert"]');
      await problem.waitFor();
      expect(await problem.locator("h2").textContent()).to.equal("No node running");
      expect(await problem.textContent()).to.include(
        `No Ethereum node answers at http://127.0.0.1:${port}`,
      );
      expect(await problem.textContent()).to.include("npx verity devnet");
      await screenshot("no-node", other);
    } finally {
      await other.close();
      await idle.close();
    }
  });

  it("an address with no hub: says Verity is not deployed there", async () => {
    const nowhere = await startExplorer({
      rpcUrl: devnet.node.url,
      hubAddress: "0x000000000000000000000000000000000000dEaD",
      port: 0,
    });
    const other = await newPage(600);
    try {
      await other.goto(nowhere.url);
      const problem = other.locator('[role="alert"]');
      await problem.waitFor();
      expect(await problem.locator("h2").textContent()).to.equal(
        "Wrong chain, or Verity is not deployed here",
      );
      expect(await problem.textContent()).to.include(
        "No InferenceHub at 0x000000000000000000000000000000000000dEaD",
      );
      await screenshot("no-hub", other);
    } finally {
      await other.close();
      await nowhere.close();
    }
  });

  it("the wrong chain: says which chain it found", async () => {
    const wrong = await startExplorer({ rpcUrl: devnet.node.url, hubAddress, chainId: 1, port: 0 });
    const other = await newPage(600);
    try {
      await other.goto(wrong.url);
      const problem = other.locator('[role="alert"]');
      await problem.waitFor();
      expect(await problem.locator("h2").textContent()).to.equal("Wrong chain");
      expect(await problem.textContent()).to.include(
        `is chain ${devnet.chainId}, not the expected chain 1`,
      );
      await screenshot("wrong-chain", other);
    } finally {
      await other.close();
      await wrong.close();
    }
  });

  // Last: it stops the shared node.
  it("the node going away: the page keeps what it has and says it lost the node", async () => {
    await open("requests");
    await page.locator("tr[data-request]").first().waitFor();
    await worker.stop();
    await devnet.stop();
    const problem = page.locator('[role="alert"]');
    await problem.waitFor();
    expect(await problem.locator("h2").textContent()).to.equal("Lost the node");
    expect(await page.locator("tr[data-request]").count()).to.equal(6);
    expect(await page.locator('[data-testid="chain-badge"]').textContent()).to.include(
      "reconnecting",
    );
    await screenshot("lost-node");
  });
});
