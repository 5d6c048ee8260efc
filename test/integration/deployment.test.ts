import { expect } from "chai";
import { network } from "hardhat";
import { ZeroHash, hexlify, id, randomBytes } from "ethers";
import {
  DisputeResolver__factory,
  InferenceHub__factory,
  QuorumCoordinator__factory,
  VerityTimelock__factory,
  WorkerRegistry__factory,
} from "@verity/contracts";
import VerityModule from "../../deploy/modules/Verity.js";

const { ethers, ignition, networkHelpers } = await network.create();
const TWO_DAYS = 2 * 24 * 3600;

/** The module with its public-network defaults and a governor and guardian other than the deployer. */
async function deployAsOnPublicNetwork() {
  const [deployer, , , , governor, guardian] = await ethers.getSigners();
  const verity = await ignition.deploy(VerityModule, {
    parameters: { Verity: { governor: governor.address, guardian: guardian.address } },
  });
  const timelock = VerityTimelock__factory.connect(await verity.timelock.getAddress(), governor);
  return {
    deployer,
    governor,
    guardian,
    timelock,
    timelockAddress: await timelock.getAddress(),
    workers: WorkerRegistry__factory.connect(await verity.workerRegistry.getAddress(), deployer),
    hub: InferenceHub__factory.connect(await verity.inferenceHub.getAddress(), deployer),
    coordinator: QuorumCoordinator__factory.connect(
      await verity.quorumCoordinator.getAddress(),
      deployer,
    ),
    resolver: DisputeResolver__factory.connect(await verity.disputeResolver.getAddress(), deployer),
  };
}

describe("Verity deployment: who holds which role", function () {
  it("gives every admin role to the timelock and leaves the deployer nothing", async function () {
    const { deployer, guardian, timelockAddress, timelock, workers, hub, coordinator, resolver } =
      await networkHelpers.loadFixture(deployAsOnPublicNetwork);
    expect(await timelock.getMinDelay()).to.equal(BigInt(TWO_DAYS));
    expect(await workers.defaultAdmin()).to.equal(timelockAddress);
    expect(await workers.defaultAdminDelay()).to.equal(BigInt(TWO_DAYS));
    const environmentAdmin = await workers.ENVIRONMENT_ADMIN_ROLE();
    expect(await workers.hasRole(environmentAdmin, timelockAddress)).to.equal(true);
    expect(await workers.hasRole(environmentAdmin, deployer.address)).to.equal(false);
    for (const contract of [hub, coordinator, resolver]) {
      expect(await contract.hasRole(ZeroHash, timelockAddress)).to.equal(true);
      expect(await contract.hasRole(ZeroHash, deployer.address)).to.equal(false);
    }
    const pauser = await hub.PAUSER_ROLE();
    expect(await hub.hasRole(pauser, guardian.address)).to.equal(true);
    expect(await hub.hasRole(pauser, deployer.address)).to.equal(false);
    // The timelock has no admin besides itself.
    expect(await timelock.hasRole(ZeroHash, deployer.address)).to.equal(false);
  });

  it("fixes the slashers to the hub, the coordinator and the resolver, for good", async function () {
    const { workers, hub, coordinator, resolver } =
      await networkHelpers.loadFixture(deployAsOnPublicNetwork);
    expect(await workers.slashers()).to.deep.equal([
      await hub.getAddress(),
      await coordinator.getAddress(),
      await resolver.getAddress(),
    ]);
    await expect(workers.setSlashers([await hub.getAddress()])).to.be.revertedWithCustomError(
      workers,
      "SlashersAlreadySet",
    );
  });

  it("makes an admin change wait out the timelock delay", async function () {
    const { governor, timelock, workers } =
      await networkHelpers.loadFixture(deployAsOnPublicNetwork);
    const environmentId = id("verity-worker test environment");
    const target = await workers.getAddress();
    const data = workers.interface.encodeFunctionData("approveEnvironment", [environmentId, "t"]);
    const salt = hexlify(randomBytes(32));
    await expect(
      workers.connect(governor).approveEnvironment(environmentId, "t"),
    ).to.be.revertedWithCustomError(workers, "AccessControlUnauthorizedAccount");
    await (await timelock.schedule(target, 0n, data, ZeroHash, salt, BigInt(TWO_DAYS))).wait();
    await expect(timelock.execute(target, 0n, data, ZeroHash, salt)).to.be.revertedWithCustomError(
      timelock,
      "TimelockUnexpectedOperationState",
    );
    await networkHelpers.time.increase(TWO_DAYS);
    await (await timelock.execute(target, 0n, data, ZeroHash, salt)).wait();
    expect(await workers.isEnvironmentApproved(environmentId)).to.equal(true);
  });

  it("lets the guardian pause at once, and nobody else", async function () {
    const { deployer, governor, guardian, hub } =
      await networkHelpers.loadFixture(deployAsOnPublicNetwork);
    for (const account of [deployer, governor]) {
      await expect(hub.connect(account).pause()).to.be.revertedWithCustomError(
        hub,
        "AccessControlUnauthorizedAccount",
      );
    }
    await (await hub.connect(guardian).pause()).wait();
    expect(await hub.paused()).to.equal(true);
  });
});
