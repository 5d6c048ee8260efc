import { hexlify, randomBytes, ZeroHash, type BaseContract, type Signer } from "ethers";
import { VerityTimelock__factory } from "../typechain/index.js";

/**
 * Makes an admin call the way the deployed protocol takes it: through the VerityTimelock, which
 * holds every admin role. Schedules the call as `proposer` (the governor) and executes it at once,
 * so it only serves a timelock whose minimum delay is zero, as on a local devnet or in tests; on a
 * public network, schedule with the timelock directly and execute once the delay has passed.
 *
 * @throws Error when the timelock's minimum delay is not zero.
 * @example
 * await executeThroughTimelock(timelock, admin, workerRegistry, "approveEnvironment", [id, "v1"]);
 */
export async function executeThroughTimelock(
  timelock: string | BaseContract,
  proposer: Signer,
  target: BaseContract,
  functionName: string,
  args: readonly unknown[] = [],
): Promise<void> {
  const address = typeof timelock === "string" ? timelock : await timelock.getAddress();
  const controller = VerityTimelock__factory.connect(address, proposer);
  const delay = await controller.getMinDelay();
  if (delay !== 0n) {
    throw new Error(
      `the timelock at ${address} waits ${delay} s: schedule ${functionName} there and execute ` +
        "it once ready (executeThroughTimelock serves only a zero-delay local timelock)",
    );
  }
  const targetAddress = await target.getAddress();
  const data = target.interface.encodeFunctionData(functionName, args);
  // A fresh salt, so the same call can be made twice (an operation id is used once).
  const salt = hexlify(randomBytes(32));
  await (await controller.schedule(targetAddress, 0n, data, ZeroHash, salt, 0n)).wait();
  await (await controller.execute(targetAddress, 0n, data, ZeroHash, salt)).wait();
}
