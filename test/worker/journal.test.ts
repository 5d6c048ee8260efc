import { appendFile, mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { ProofMode, type Request } from "@verity/contracts";
import { Journal, type JournalEntry } from "../../packages/worker/src/journal.js";

function entry(id: bigint, stage: JournalEntry["stage"]): JournalEntry {
  const request: Request = {
    id,
    requester: "0x0000000000000000000000000000000000000001",
    callback: "0x0000000000000000000000000000000000000000",
    modelOwner: "0x0000000000000000000000000000000000000002",
    assignee: "0x0000000000000000000000000000000000000000",
    modelId: `0x${"11".repeat(32)}`,
    inputHash: `0x${"22".repeat(32)}`,
    modelFeeWei: 10n ** 15n,
    workerRewardWei: 5n * 10n ** 14n,
    callbackFeeWei: 0n,
    assignedUntil: 1n,
    deadline: 2n ** 63n,
    callbackGasLimit: 0n,
    challengeWindowSeconds: 0n,
    proofMode: ProofMode.ATTESTED,
    zkVerifier: `0x${"44".repeat(20)}`,
  };
  return {
    request,
    requestHash: `0x${"33".repeat(32)}`,
    input: "0x0102",
    blockNumber: 7,
    stage,
    seenAtMs: 1,
  };
}

describe("worker journal", () => {
  it("replays every flushed change, bigints intact, and ignores a line cut short by a crash", async () => {
    const dir = await mkdtemp(join(tmpdir(), "journal-"));
    const journal = await Journal.open(dir);
    journal.put(entry(1n, "queued"));
    journal.put({ ...entry(1n, "ready"), output: "0xabcd", signature: "0x99" });
    journal.put(entry(2n, "queued"));
    journal.setCheckpoint({ block: 12, hash: "0xfeed" });
    await journal.flush();
    // kill -9 in the middle of a write: half a line at the end of the file.
    await appendFile(join(dir, "journal.jsonl"), '{"t":"entry","e":{"request":{"id":{"$n":"3"');

    const replayed = await Journal.open(dir);
    expect(replayed.get(1n)?.stage).to.equal("ready");
    expect(replayed.get(1n)?.output).to.equal("0xabcd");
    expect(replayed.get(1n)?.request.deadline).to.equal(2n ** 63n);
    expect(replayed.get(2n)?.stage).to.equal("queued");
    expect(replayed.get(3n)).to.equal(undefined);
    expect(replayed.checkpoint).to.deep.equal({ block: 12, hash: "0xfeed" });
    await replayed.close();
    await journal.close();
  });

  it("keeps what was not flushed out of the file, and compacts finished requests to their ids", async () => {
    const dir = await mkdtemp(join(tmpdir(), "journal-"));
    const journal = await Journal.open(dir);
    journal.put(entry(1n, "settled"));
    journal.put(entry(2n, "sent"));
    journal.putTx({
      hash: "0xaa",
      nonce: 4,
      raw: "0xf8",
      requestIds: ["2"],
      kind: "submit",
      sentAtMs: 1,
      maxFeePerGas: "2",
      maxPriorityFeePerGas: "1",
    });
    await journal.flush();
    journal.put(entry(3n, "queued")); // never flushed: lost, as it must be after a crash
    const replayed = await Journal.open(dir);
    expect(replayed.get(3n)).to.equal(undefined);
    expect(replayed.get(1n)?.input).to.equal("0x"); // finished: payload dropped
    expect(replayed.get(2n)?.input).to.equal("0x0102");
    expect([...replayed.sentTxs()].map((tx) => tx.nonce)).to.deep.equal([4]);
    const lines = (await readFile(join(dir, "journal.jsonl"), "utf8")).trim().split("\n");
    expect(lines).to.have.length(3); // two entries and one transaction
    await replayed.close();
    await journal.close();
  });
});
