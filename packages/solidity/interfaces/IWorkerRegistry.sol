// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IWorkerRegistry
/// @notice Workers stake native currency and declare the environment they run in: a measurement of
/// the worker build, onnxruntime and Node versions and execution settings. Governance approves
/// environments, as TEE registries approve enclave measurements; revoking one suspends every
/// worker that declared it.
/// @dev Trust model. The slashers (the hub, the quorum coordinator, the dispute resolver) are fixed
/// once, right after deployment, and no admin can add or remove one: an admin who could would
/// take any worker's stake, or shield a dishonest one. The admin (a timelock in production) only
/// approves and revokes environments; it never touches stake.
interface IWorkerRegistry {
    struct Worker {
        // slot 0: stakeWei (12 bytes) | environmentTag (20): all that eligibility reads but the
        // allowlist, so checking a result's signer costs two storage reads.
        uint96 stakeWei;
        /// The first 20 bytes of `environmentId`. Forging a match would take a 160-bit second preimage.
        bytes20 environmentTag;
        // slot 1: unbondingWei (12) | withdrawableAt (8) | slashableUntil (8): everything
        // `withdraw` reads, so recording a result's dispute horizon rewrites a slot `withdraw`
        // reads anyway and costs one storage write.
        uint96 unbondingWei;
        /// When `unbondingWei` has waited out the unbonding delay.
        uint64 withdrawableAt;
        /// No stake or unbonding stake is paid out before this time: the latest moment a slasher
        /// said a dispute over one of this worker's results might still end against it.
        uint64 slashableUntil;
        // slot 2
        bytes32 environmentId;
    }

    /// @notice An environment admin approved `environmentId`; workers may register on it.
    event EnvironmentApproved(bytes32 indexed environmentId, string description);
    /// @notice An environment admin revoked `environmentId`: its workers are suspended.
    event EnvironmentRevoked(bytes32 indexed environmentId);
    /// @notice `worker` registered on `environmentId` with `stakeWei`.
    event WorkerRegistered(address indexed worker, bytes32 indexed environmentId, uint256 stakeWei);
    /// @notice `worker` added `amountWei`; its stake is now `stakeWei`.
    event StakeAdded(address indexed worker, uint256 amountWei, uint256 stakeWei);
    /// @notice `worker` declared `environmentId` instead of its previous environment.
    event EnvironmentChanged(address indexed worker, bytes32 indexed environmentId);
    /// @notice `worker` moved `amountWei` into unbonding; all its unbonding stake waits until
    /// `withdrawableAt` (and its `slashableUntil`).
    event UnbondingStarted(address indexed worker, uint256 amountWei, uint64 withdrawableAt);
    /// @notice `worker` was paid `amountWei` of unbonded stake.
    event StakeWithdrawn(address indexed worker, uint256 amountWei);
    /// @notice A slasher took `amountWei` from `worker` and was sent it (`recipient`).
    event WorkerSlashed(address indexed worker, uint256 amountWei, address indexed recipient);
    /// @notice The deployer fixed the slasher set; it can never change again.
    event SlashersSet(address[] slashers);
    /// @notice `slasher` recorded that a dispute over one of `worker`'s results may end against it
    /// until `slashableUntil`; nothing of the worker's is paid out before then.
    event SlashableUntilExtended(
        address indexed worker,
        uint64 slashableUntil,
        address indexed slasher
    );

    /// @notice `worker` is registered already; use `addStake` or `changeEnvironment`.
    error AlreadyRegistered(address worker);
    /// @notice `worker` never registered.
    error NotRegistered(address worker);
    /// @notice `environmentId` is not (or no longer) approved.
    error EnvironmentNotApproved(bytes32 environmentId);
    /// @notice `environmentId` is approved already, or is zero.
    error EnvironmentAlreadyApproved(bytes32 environmentId);
    /// @notice `stakeWei` is below the registry's `minimumWei`.
    error StakeBelowMinimum(uint256 stakeWei, uint256 minimumWei);
    /// @notice An amount of zero where one is needed.
    error AmountZero();
    /// @notice `amountWei` is more than the `stakeWei` available (or than 96 bits hold).
    error AmountExceedsStake(uint256 amountWei, uint256 stakeWei);
    /// @notice Unbonding stake is not withdrawable before `withdrawableAt`: the later of the
    /// unbonding delay's end and the worker's `slashableUntil`.
    error UnbondingNotFinished(uint64 withdrawableAt);
    /// @notice The caller has no unbonding stake.
    error NothingToWithdraw();
    /// @notice `worker` declared `declared` but the result was signed for `signed`.
    error EnvironmentMismatch(address worker, bytes32 declared, bytes32 signed);
    /// @notice Sending `amountWei` to `to` failed.
    error TransferFailed(address to, uint256 amountWei);
    /// @notice `account` is not one of the fixed slashers.
    error NotSlasher(address account);
    /// @notice Only the account that deployed the registry may fix the slasher set; `account` did not.
    error NotDeployer(address account);
    /// @notice The slasher set is fixed already.
    error SlashersAlreadySet();
    /// @notice A slasher set must name at least one account, none of them zero: `slasher` was.
    error InvalidSlasher(address slasher);
    /// @notice `worker` is on `environmentId`, which was revoked, and still holds `heldWei` in
    /// stake or unbonding: it must unbond everything and withdraw it before declaring another
    /// environment.
    error RevokedWorkerStillBonded(address worker, bytes32 environmentId, uint256 heldWei);

    /// @notice Registers the caller with `msg.value` as stake on an approved environment.
    function register(bytes32 environmentId) external payable;

    /// @notice Adds `msg.value` to the caller's stake; reaching the minimum makes it active again.
    function addStake() external payable;

    /// @notice Declares a new approved environment, for example after upgrading the worker build.
    /// A worker whose environment was revoked may do so only once it holds nothing (everything
    /// unbonded and withdrawn): the stake that backed results of a revoked build waits out the
    /// unbonding delay, still slashable, rather than backing new results at once. Revocation goes
    /// through the governance timelock, so a worker on a build about to be revoked sees it coming
    /// and can move while its build is still approved.
    function changeEnvironment(bytes32 environmentId) external;

    /// @notice Moves `amountWei` of stake into unbonding; it stays slashable until withdrawn. A
    /// worker whose remaining stake is below the minimum stops being eligible at once.
    function startUnbonding(uint256 amountWei) external;

    /// @notice Pays out unbonded stake once the unbonding delay has passed and no dispute over one
    /// of the caller's results can still end against it (`slashableUntil`).
    function withdraw() external;

    /// @notice Approves an environment id. Only `ENVIRONMENT_ADMIN_ROLE`.
    function approveEnvironment(bytes32 environmentId, string calldata description) external;

    /// @notice Revokes an environment id: every worker on it is ineligible, and can leave it only
    /// by exiting (see `changeEnvironment`), unless it is approved again. Only
    /// `ENVIRONMENT_ADMIN_ROLE`.
    function revokeEnvironment(bytes32 environmentId) external;

    /// @notice Fixes the slashers, once and for all: the hub, the quorum coordinator and the
    /// dispute resolver. Only the deployer, only while none is set.
    /// @dev Not a constructor argument: the hub and the coordinators take the registry's address in
    /// their constructors, so the registry exists first. Not an admin role either: the admin is a
    /// timelock in production, and a role its holder can grant is exactly the hole this closes.
    /// Anyone can check the set (`slashers`, `SlashersSet`) against the deployed contracts.
    function setSlashers(address[] calldata slashers) external;

    /// @notice Takes up to `amountWei` from the worker's stake, then from its unbonding stake, and
    /// sends it to the caller. Only a slasher. Returns what was taken.
    function slash(address worker, uint256 amountWei) external returns (uint256 slashedWei);

    /// @notice Records that a dispute over one of `worker`'s results may end against it until
    /// `until`: none of its stake is paid out before then, whatever unbonding it started. Only a
    /// slasher. Never shortens an earlier record; `until` is rounded up to the hour, so a busy
    /// worker's results within one hour cost one storage write.
    /// @dev A slasher may take the whole stake anyway, so letting it hold stake back adds no power.
    /// This makes the wait count from the worker's last result, with the dispute horizon the
    /// slasher knows for that result, instead of relying on the unbonding delay outlasting today's
    /// challenge window plus dispute timeout.
    function extendSlashableUntil(address worker, uint64 until) external;

    /// @notice Reverts with the reason unless `worker` may answer requests as `environmentId` now:
    /// registered, staked at least the minimum, declared that environment, and it is approved.
    function checkEligible(address worker, bytes32 environmentId) external view;

    /// @notice Whether `worker` is staked at least the minimum on an approved environment.
    function isEligible(address worker) external view returns (bool);

    /// @notice A staked worker chosen by `seed`, or zero when none is eligible; the hub uses it as a
    /// request's assignee for the grace period.
    function pickWorker(uint256 seed) external view returns (address);

    /// @notice Everything the registry holds about `worker`.
    function getWorker(address worker) external view returns (Worker memory);

    /// @notice Whether `environmentId` is approved now.
    function isEnvironmentApproved(bytes32 environmentId) external view returns (bool);

    /// @notice How many workers are staked at least the minimum, eligible or not.
    function activeWorkerCount() external view returns (uint256);

    /// @notice Whether `account` is one of the fixed slashers.
    function isSlasher(address account) external view returns (bool);

    /// @notice The fixed slashers; empty until the deployer sets them.
    function slashers() external view returns (address[] memory);

    /// @notice The account that may fix the slasher set, once.
    function DEPLOYER() external view returns (address);

    /// @notice The least stake that makes a worker eligible.
    function MIN_STAKE_WEI() external view returns (uint256);

    /// @notice How long unbonding stake waits (still slashable) before it can be withdrawn.
    function UNBONDING_DELAY_SECONDS() external view returns (uint64);
}
