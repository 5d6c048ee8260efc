import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

/**
 * The Verity protocol: ModelRegistry, WorkerRegistry and InferenceHub, with the hub allowed to
 * slash; the proof modes beyond ATTESTED (ZkProofVerifier for ZK, QuorumCoordinator for QUORUM,
 * both registered with the hub); and the DisputeResolver, which holds the hub's
 * DISPUTE_RESOLVER_ROLE. The coordinator and the resolver may slash too (quorum members and jurors
 * who reveal an output other than the decided one). See docs/protocol.md and docs/security.md.
 *
 * Account 0 deploys and is the admin of both the worker registry (environment allowlist) and the
 * hub (config, pause, proof verifiers). Every number is a module parameter; the defaults suit a
 * local node, with two deliberate differences from a public network:
 *
 * - `challengeWindowSeconds` is 0, so an ATTESTED result settles and calls back in the same
 *   transaction that submits it: handy for local development, unsafe anywhere a result must be
 *   challengeable. Set it (for example 3600) in the network's parameters file.
 * - `treasury` defaults to account 0.
 *
 * Deploy: `hardhat ignition deploy deploy/modules/Verity.ts --network localhost
 * --parameters deploy/parameters/localhost.json`. Addresses land in
 * `deploy/deployments/chain-<id>/deployed_addresses.json`, read by `deployments()` in
 * `@verity/contracts`. For a public network, copy `deploy/parameters/testnet.example.json` to
 * `testnet.json` and replace its placeholders: `treasury` (0x…01) and CreditLine's `riskModelId`.
 */
export default buildModule("Verity", (m) => {
  const admin = m.getAccount(0);
  const treasury = m.getParameter("treasury", admin);

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

  const modelRegistry = m.contract("ModelRegistry");
  const workerRegistry = m.contract("WorkerRegistry", [admin, minStakeWei, unbondingDelaySeconds]);
  const inferenceHub = m.contract("InferenceHub", [
    admin,
    modelRegistry,
    workerRegistry,
    treasury,
    config,
    disputeConfig,
  ]);

  const slasherRole = m.staticCall(workerRegistry, "SLASHER_ROLE", [], 0, {
    id: "SlasherRole",
  });
  m.call(workerRegistry, "grantRole", [slasherRole, inferenceHub], { id: "GrantSlasherRoleToHub" });

  // ZK mode: one verifier for every model, which reads each model's own Groth16 verifier from its
  // ZK commitment in the registry. A model gets ZK requests only once its owner sets that.
  const zkProofVerifier = m.contract("ZkProofVerifier", [modelRegistry]);
  m.call(inferenceHub, "setProofVerifier", [1 /* ProofMode.ZK */, zkProofVerifier], {
    id: "SetZkProofVerifier",
  });

  // QUORUM mode: the coordinator runs each request's commit-reveal round, settles it through the
  // hub as the mode's verifier, and slashes members who reveal another output.
  const quorumCoordinator = m.contract("QuorumCoordinator", [
    admin,
    inferenceHub,
    modelRegistry,
    workerRegistry,
    quorumConfig,
  ]);
  m.call(inferenceHub, "setProofVerifier", [2 /* ProofMode.QUORUM */, quorumCoordinator], {
    id: "SetQuorumCoordinator",
  });
  m.call(workerRegistry, "grantRole", [slasherRole, quorumCoordinator], {
    id: "GrantSlasherRoleToCoordinator",
  });

  // Disputes: the resolver decides challenges (ZK proof, else a jury) and slashes jurors who
  // reveal another output.
  const disputeResolver = m.contract("DisputeResolver", [
    admin,
    inferenceHub,
    modelRegistry,
    workerRegistry,
    juryConfig,
  ]);
  const resolverRole = m.staticCall(inferenceHub, "DISPUTE_RESOLVER_ROLE", [], 0, {
    id: "DisputeResolverRole",
  });
  m.call(inferenceHub, "grantRole", [resolverRole, disputeResolver], {
    id: "GrantDisputeResolverRole",
  });
  m.call(workerRegistry, "grantRole", [slasherRole, disputeResolver], {
    id: "GrantSlasherRoleToResolver",
  });

  return {
    modelRegistry,
    workerRegistry,
    inferenceHub,
    zkProofVerifier,
    quorumCoordinator,
    disputeResolver,
  };
});
