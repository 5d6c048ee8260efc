import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import { ZeroAddress, ZeroHash } from "ethers";

/**
 * The Verity protocol: ModelRegistry, WorkerRegistry and InferenceHub; the proof modes beyond
 * ATTESTED (ZkProofVerifier for ZK, QuorumCoordinator for QUORUM, both registered with the hub);
 * the DisputeResolver, which holds the hub's DISPUTE_RESOLVER_ROLE; and the VerityTimelock, which
 * ends up holding every admin role. See docs/protocol.md and docs/security.md.
 *
 * Who holds what once the module has run:
 *
 * - The timelock holds every admin role: the worker registry's default admin (a two-step, delayed
 *   handover) and ENVIRONMENT_ADMIN_ROLE, and DEFAULT_ADMIN_ROLE of the hub, the coordinator and
 *   the resolver. Each change goes through a scheduled operation that waits
 *   `timelockMinDelaySeconds`; `governor` (default account 0) proposes and cancels, anyone
 *   executes a ready operation.
 * - `guardian` (default account 0) holds the hub's PAUSER_ROLE, so a pause does not wait.
 * - The worker registry's slashers are fixed here, once: the hub, the coordinator and the
 *   resolver. Nobody can add or remove one afterwards.
 * - The deployer (account 0) holds nothing: it renounces the hub's roles after wiring, and never
 *   had the other contracts' (they take the timelock as admin in their constructors).
 *
 * Every number is a module parameter; the defaults suit a local node, with two deliberate
 * differences from a public network:
 *
 * - `challengeWindowSeconds` is 0, so an ATTESTED result settles and calls back in the same
 *   transaction that submits it: handy for local development, unsafe anywhere a result must be
 *   challengeable. Set it (for example 3600) in the network's parameters file.
 * - `treasury`, `governor` and `guardian` default to account 0.
 *
 * The timelock delay defaults to two days, as on a public network; a local devnet or test passes
 * `timelockMinDelaySeconds: 0n` and governs through `executeThroughTimelock` (`@verity/contracts`),
 * which schedules and executes at once. The role layout is the same everywhere; only the wait differs.
 *
 * Deploy: `hardhat ignition deploy deploy/modules/Verity.ts --network localhost
 * --parameters deploy/parameters/localhost.json`. Addresses land in
 * `deploy/deployments/chain-<id>/deployed_addresses.json`, read by `deployments()` in
 * `@verity/contracts`. For a public network, copy `deploy/parameters/testnet.example.json` to
 * `testnet.json` and replace its placeholders: `treasury`, `governor` and `guardian` (0x…01) and
 * CreditLine's `riskModelId`.
 */
export default buildModule("Verity", (m) => {
  const deployer = m.getAccount(0);
  const treasury = m.getParameter("treasury", deployer);
  const governor = m.getParameter("governor", deployer);
  const guardian = m.getParameter("guardian", deployer);
  const timelockMinDelaySeconds = m.getParameter("timelockMinDelaySeconds", 2n * 24n * 3600n);
  // How long a started handover of the worker registry's default admin waits to be accepted.
  const adminTransferDelaySeconds = m.getParameter("adminTransferDelaySeconds", 2n * 24n * 3600n);

  const minStakeWei = m.getParameter("minStakeWei", 10n ** 18n);
  const unbondingDelaySeconds = m.getParameter("unbondingDelaySeconds", 7n * 24n * 3600n);

  const config = {
    protocolFeeWei: m.getParameter("protocolFeeWei", 10n ** 14n), // 0.0001 ether
    minWorkerRewardWei: m.getParameter("minWorkerRewardWei", 5n * 10n ** 14n), // 0.0005 ether
    callbackGasPriceWei: m.getParameter("callbackGasPriceWei", 10n ** 9n), // 1 gwei
    assignmentGraceSeconds: m.getParameter("assignmentGraceSeconds", 30n),
    challengeWindowSeconds: m.getParameter("challengeWindowSeconds", 0n), // local dev only
    maxDeadlineSeconds: m.getParameter("maxDeadlineSeconds", 24n * 3600n),
  };
  const disputeConfig = {
    challengeBondWei: m.getParameter("challengeBondWei", 10n ** 17n), // 0.1 ether
    slashAmountWei: m.getParameter("slashAmountWei", 5n * 10n ** 17n), // 0.5 ether
    disputeTimeoutSeconds: m.getParameter("disputeTimeoutSeconds", 3n * 24n * 3600n),
  };

  // QUORUM rounds and dispute juries. Local defaults: short windows (a few workers answer in
  // seconds); a public network wants minutes and a larger jury (see docs/security.md).
  const quorumConfig = {
    defaultQuorum: m.getParameter("defaultQuorum", 2n),
    commitWindowSeconds: m.getParameter("quorumCommitWindowSeconds", 30n),
    revealWindowSeconds: m.getParameter("quorumRevealWindowSeconds", 120n),
    slashAmountWei: m.getParameter("quorumSlashWei", 5n * 10n ** 17n), // 0.5 ether
  };
  const juryConfig = {
    jurySize: m.getParameter("jurySize", 2n),
    commitWindowSeconds: m.getParameter("juryCommitWindowSeconds", 60n),
    revealWindowSeconds: m.getParameter("juryRevealWindowSeconds", 300n),
    jurorFeeWei: m.getParameter("jurorFeeWei", 10n ** 16n), // 0.01 ether
    jurorSlashWei: m.getParameter("jurorSlashWei", 5n * 10n ** 17n), // 0.5 ether
  };

  // Self-administered (no admin account): only a delayed operation changes its roles or delay.
  const timelock = m.contract("VerityTimelock", [
    timelockMinDelaySeconds,
    [governor],
    [ZeroAddress],
  ]);

  const modelRegistry = m.contract("ModelRegistry");
  const workerRegistry = m.contract("WorkerRegistry", [
    timelock,
    minStakeWei,
    unbondingDelaySeconds,
    adminTransferDelaySeconds,
  ]);
  // The deployer administers the hub only until the wiring below is done, then hands it over.
  const inferenceHub = m.contract("InferenceHub", [
    deployer,
    modelRegistry,
    workerRegistry,
    treasury,
    config,
    disputeConfig,
  ]);

  // ZK mode: one verifier for every model, which reads each model's own Groth16 verifier from its
  // ZK commitment in the registry. A model gets ZK requests only once its owner sets that.
  const zkProofVerifier = m.contract("ZkProofVerifier", [modelRegistry]);
  const setZk = m.call(inferenceHub, "setProofVerifier", [1 /* ProofMode.ZK */, zkProofVerifier], {
    id: "SetZkProofVerifier",
  });

  // QUORUM mode: the coordinator runs each request's commit-reveal round, settles it through the
  // hub as the mode's verifier, and slashes members who reveal another output.
  const quorumCoordinator = m.contract("QuorumCoordinator", [
    timelock,
    inferenceHub,
    modelRegistry,
    workerRegistry,
    quorumConfig,
  ]);
  const setQuorum = m.call(
    inferenceHub,
    "setProofVerifier",
    [2 /* ProofMode.QUORUM */, quorumCoordinator],
    { id: "SetQuorumCoordinator" },
  );

  // Disputes: the resolver decides challenges (ZK proof, else a jury) and slashes jurors who
  // reveal another output.
  const disputeResolver = m.contract("DisputeResolver", [
    timelock,
    inferenceHub,
    modelRegistry,
    workerRegistry,
    juryConfig,
  ]);
  const resolverRole = m.staticCall(inferenceHub, "DISPUTE_RESOLVER_ROLE", [], 0, {
    id: "DisputeResolverRole",
  });
  const grantResolver = m.call(inferenceHub, "grantRole", [resolverRole, disputeResolver], {
    id: "GrantDisputeResolverRole",
  });

  // Every contract that slashes, fixed for good: the registry refuses a second call.
  m.call(workerRegistry, "setSlashers", [[inferenceHub, quorumCoordinator, disputeResolver]], {
    id: "SetSlashers",
  });

  // Hand the hub over: the timelock administers it, the guardian pauses it, the deployer keeps
  // nothing. Ordered after every call that needs the deployer's admin role.
  const wired = [setZk, setQuorum, grantResolver];
  const pauserRole = m.staticCall(inferenceHub, "PAUSER_ROLE", [], 0, { id: "PauserRole" });
  const grantAdmin = m.call(inferenceHub, "grantRole", [ZeroHash, timelock], {
    id: "GrantHubAdminToTimelock",
    after: wired,
  });
  // Renounced before the guardian is granted, so a guardian that is the deployer keeps the role.
  const renouncePauser = m.call(inferenceHub, "renounceRole", [pauserRole, deployer], {
    id: "RenounceHubPauser",
    after: wired,
  });
  const grantPauser = m.call(inferenceHub, "grantRole", [pauserRole, guardian], {
    id: "GrantHubPauserToGuardian",
    after: [renouncePauser],
  });
  m.call(inferenceHub, "renounceRole", [ZeroHash, deployer], {
    id: "RenounceHubAdmin",
    after: [grantAdmin, grantPauser],
  });

  return {
    timelock,
    modelRegistry,
    workerRegistry,
    inferenceHub,
    zkProofVerifier,
    quorumCoordinator,
    disputeResolver,
  };
});
