// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IWorkerRegistry
/// @notice Workers stake native currency and declare the environment they run in: a measurement of
/// the worker build, onnxruntime and Node versions and execution settings. Governance approves
/// environments, as TEE registries approve enclave measurements; revoking one suspends every
/// worker that declared it.
interface IWorkerRegistry {
    struct Worker {
        // slot 0: stakeWei (12 bytes) | environmentTag (20): all that eligibility reads but the
        // allowlist, so checking a result's signer costs two storage reads.
        uint96 stakeWei;
        /// The first 20 bytes of `environmentId`. Forging a match would take a 160-bit second preimage.
        bytes20 environmentTag;
        // slot 1: unbondingWei (12) | withdrawableAt (8)
        uint96 unbondingWei;
        /// When `unbondingWei` can be withdrawn.
        uint64 withdrawableAt;
        // slot 2
        bytes32 environmentId;
    }

    event EnvironmentApproved(bytes32 indexed environmentId, string description);
    event EnvironmentRevoked(bytes32 indexed environmentId);
    event WorkerRegistered(address indexed worker, bytes32 indexed environmentId, uint256 stakeWei);
    event StakeAdded(address indexed worker, uint256 amountWei, uint256 stakeWei);
    event EnvironmentChanged(address indexed worker, bytes32 indexed environmentId);
    event UnbondingStarted(address indexed worker, uint256 amountWei, uint64 withdrawableAt);
    event StakeWithdrawn(address indexed worker, uint256 amountWei);
    event WorkerSlashed(address indexed worker, uint256 amountWei, address indexed recipient);

    error AlreadyRegistered(address worker);
    error NotRegistered(address worker);
    error EnvironmentNotApproved(bytes32 environmentId);
    error EnvironmentAlreadyApproved(bytes32 environmentId);
    error StakeBelowMinimum(uint256 stakeWei, uint256 minimumWei);
    error AmountZero();
    error AmountExceedsStake(uint256 amountWei, uint256 stakeWei);
    error UnbondingNotFinished(uint64 withdrawableAt);
    error NothingToWithdraw();
    error EnvironmentMismatch(address worker, bytes32 declared, bytes32 signed);
    error TransferFailed(address to, uint256 amountWei);

    /// @notice Registers the caller with `msg.value` as stake on an approved environment.
    function register(bytes32 environmentId) external payable;

    function addStake() external payable;

    /// @notice Declares a new environment, for example after upgrading the worker build.
    function changeEnvironment(bytes32 environmentId) external;

    /// @notice Moves `amountWei` of stake into unbonding; it stays slashable until withdrawn. A
    /// worker whose remaining stake is below the minimum stops being eligible at once.
    function startUnbonding(uint256 amountWei) external;

    /// @notice Pays out unbonded stake once the unbonding delay has passed.
    function withdraw() external;

    /// @notice Approves an environment id. Only `ENVIRONMENT_ADMIN_ROLE`.
    function approveEnvironment(bytes32 environmentId, string calldata description) external;

    /// @notice Revokes an environment id: every worker on it is ineligible until it changes
    /// environment. Only `ENVIRONMENT_ADMIN_ROLE`.
    function revokeEnvironment(bytes32 environmentId) external;

    /// @notice Takes up to `amountWei` from the worker's stake, then from its unbonding stake, and
    /// sends it to the caller. Only `SLASHER_ROLE` (the hub). Returns what was taken.
    function slash(address worker, uint256 amountWei) external returns (uint256 slashedWei);

    /// @notice Reverts with the reason unless `worker` may answer requests as `environmentId` now:
    /// registered, staked at least the minimum, declared that environment, and it is approved.
    function checkEligible(address worker, bytes32 environmentId) external view;

    function isEligible(address worker) external view returns (bool);

    /// @notice A staked worker chosen by `seed`, or zero when none is eligible; the hub uses it as a
    /// request's assignee for the grace period.
    function pickWorker(uint256 seed) external view returns (address);

    function getWorker(address worker) external view returns (Worker memory);

    function isEnvironmentApproved(bytes32 environmentId) external view returns (bool);

    function activeWorkerCount() external view returns (uint256);

    function MIN_STAKE_WEI() external view returns (uint256);

    function UNBONDING_DELAY_SECONDS() external view returns (uint64);
}
