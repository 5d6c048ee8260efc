// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {AccessControlDefaultAdminRules} from "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {IWorkerRegistry} from "@verity/solidity/interfaces/IWorkerRegistry.sol";

/// @title WorkerRegistry
/// @notice Holds worker stakes and the environment allowlist.
/// @dev No reentrancy guard: every function that sends value updates state first. The default
/// admin (a timelock in production) changes hands only in two steps with a delay
/// (`AccessControlDefaultAdminRules`), so a handover is visible before it takes effect. No role
/// may slash: slashers are a set fixed once by the deployer (`setSlashers`).
contract WorkerRegistry is IWorkerRegistry, AccessControlDefaultAdminRules {
    bytes32 public constant ENVIRONMENT_ADMIN_ROLE = keccak256("ENVIRONMENT_ADMIN_ROLE");
    /// @dev `extendSlashableUntil` rounds up to this, so consecutive results within it write once.
    uint64 private constant SLASHABLE_UNTIL_GRANULARITY_SECONDS = 1 hours;

    /// @inheritdoc IWorkerRegistry
    uint256 public immutable MIN_STAKE_WEI;
    /// @inheritdoc IWorkerRegistry
    uint64 public immutable UNBONDING_DELAY_SECONDS;
    /// @inheritdoc IWorkerRegistry
    address public immutable DEPLOYER;

    mapping(address worker => Worker) private _workers;
    mapping(bytes32 environmentId => bool approved) private _approvedEnvironments;
    /// @dev Workers staked at least the minimum, for `pickWorker`. `_activeIndex` is position + 1.
    address[] private _activeWorkers;
    mapping(address worker => uint256 positionPlusOne) private _activeIndex;
    /// @dev Written once by `setSlashers`; `_slashers` non-empty means the set is locked.
    mapping(address account => bool) private _isSlasher;
    address[] private _slashers;

    modifier onlySlasher() {
        if (!_isSlasher[msg.sender]) revert NotSlasher(msg.sender);
        _;
    }

    /// @param admin The default admin and first environment admin: the governance timelock.
    /// @param minStakeWei The least stake that makes a worker eligible.
    /// @param unbondingDelaySeconds How long unbonding stake stays slashable before withdrawal.
    /// @param adminTransferDelaySeconds How long a started default-admin handover waits before
    /// the new admin can accept it.
    constructor(
        address admin,
        uint256 minStakeWei,
        uint64 unbondingDelaySeconds,
        uint48 adminTransferDelaySeconds
    ) AccessControlDefaultAdminRules(adminTransferDelaySeconds, admin) {
        if (minStakeWei == 0) revert AmountZero();
        MIN_STAKE_WEI = minStakeWei;
        UNBONDING_DELAY_SECONDS = unbondingDelaySeconds;
        DEPLOYER = msg.sender;
        _grantRole(ENVIRONMENT_ADMIN_ROLE, admin);
    }

    /// @inheritdoc IWorkerRegistry
    function register(bytes32 environmentId) external payable {
        Worker storage worker = _workers[msg.sender];
        if (worker.environmentId != bytes32(0)) revert AlreadyRegistered(msg.sender);
        if (!_approvedEnvironments[environmentId]) revert EnvironmentNotApproved(environmentId);
        if (msg.value < MIN_STAKE_WEI) revert StakeBelowMinimum(msg.value, MIN_STAKE_WEI);
        worker.environmentId = environmentId;
        worker.environmentTag = bytes20(environmentId);
        worker.stakeWei = _toUint96(msg.value);
        _activate(msg.sender);
        emit WorkerRegistered(msg.sender, environmentId, msg.value);
    }

    /// @inheritdoc IWorkerRegistry
    function addStake() external payable {
        if (msg.value == 0) revert AmountZero();
        Worker storage worker = _registered(msg.sender);
        uint256 stakeWei = worker.stakeWei + msg.value;
        worker.stakeWei = _toUint96(stakeWei);
        if (stakeWei >= MIN_STAKE_WEI) _activate(msg.sender);
        emit StakeAdded(msg.sender, msg.value, stakeWei);
    }

    /// @inheritdoc IWorkerRegistry
    function changeEnvironment(bytes32 environmentId) external {
        Worker storage worker = _registered(msg.sender);
        bytes32 declared = worker.environmentId;
        // Registering needs an approved environment, so an unapproved one was revoked. Its bond
        // leaves through unbonding, slashable to the end, instead of backing new results at once.
        if (!_approvedEnvironments[declared]) {
            uint256 heldWei = uint256(worker.stakeWei) + worker.unbondingWei;
            if (heldWei != 0) revert RevokedWorkerStillBonded(msg.sender, declared, heldWei);
        }
        if (!_approvedEnvironments[environmentId]) revert EnvironmentNotApproved(environmentId);
        worker.environmentId = environmentId;
        worker.environmentTag = bytes20(environmentId);
        emit EnvironmentChanged(msg.sender, environmentId);
    }

    /// @inheritdoc IWorkerRegistry
    function startUnbonding(uint256 amountWei) external {
        if (amountWei == 0) revert AmountZero();
        Worker storage worker = _registered(msg.sender);
        uint256 stakeWei = worker.stakeWei;
        if (amountWei > stakeWei) revert AmountExceedsStake(amountWei, stakeWei);
        uint64 withdrawableAt = uint64(block.timestamp) + UNBONDING_DELAY_SECONDS;
        // amountWei <= stakeWei < 2^96, and the sum of both parts is all the worker ever staked.
        unchecked {
            worker.stakeWei = uint96(stakeWei - amountWei);
            worker.unbondingWei += uint96(amountWei);
        }
        // A new unbonding restarts the delay for everything unbonding: slashable until the end.
        worker.withdrawableAt = withdrawableAt;
        if (stakeWei - amountWei < MIN_STAKE_WEI) _deactivate(msg.sender);
        emit UnbondingStarted(msg.sender, amountWei, withdrawableAt);
    }

    /// @inheritdoc IWorkerRegistry
    function withdraw() external {
        Worker storage worker = _workers[msg.sender];
        uint256 amountWei = worker.unbondingWei;
        if (amountWei == 0) revert NothingToWithdraw();
        uint64 withdrawableAt = worker.withdrawableAt;
        uint64 slashableUntil = worker.slashableUntil;
        if (slashableUntil > withdrawableAt) withdrawableAt = slashableUntil;
        if (block.timestamp < withdrawableAt) revert UnbondingNotFinished(withdrawableAt);
        worker.unbondingWei = 0;
        emit StakeWithdrawn(msg.sender, amountWei);
        _send(msg.sender, amountWei);
    }

    /// @inheritdoc IWorkerRegistry
    function approveEnvironment(
        bytes32 environmentId,
        string calldata description
    ) external onlyRole(ENVIRONMENT_ADMIN_ROLE) {
        if (environmentId == bytes32(0) || _approvedEnvironments[environmentId]) {
            revert EnvironmentAlreadyApproved(environmentId);
        }
        _approvedEnvironments[environmentId] = true;
        emit EnvironmentApproved(environmentId, description);
    }

    /// @inheritdoc IWorkerRegistry
    function revokeEnvironment(bytes32 environmentId) external onlyRole(ENVIRONMENT_ADMIN_ROLE) {
        if (!_approvedEnvironments[environmentId]) revert EnvironmentNotApproved(environmentId);
        // Eligibility reads this flag, so every worker on the environment is suspended at once
        // without iterating over them.
        _approvedEnvironments[environmentId] = false;
        emit EnvironmentRevoked(environmentId);
    }

    /// @inheritdoc IWorkerRegistry
    function setSlashers(address[] calldata slashers_) external {
        if (msg.sender != DEPLOYER) revert NotDeployer(msg.sender);
        if (_slashers.length != 0) revert SlashersAlreadySet();
        if (slashers_.length == 0) revert InvalidSlasher(address(0));
        for (uint256 i; i < slashers_.length; ++i) {
            address slasher = slashers_[i];
            if (slasher == address(0)) revert InvalidSlasher(slasher);
            _isSlasher[slasher] = true;
            _slashers.push(slasher);
        }
        emit SlashersSet(slashers_);
    }

    /// @inheritdoc IWorkerRegistry
    function slash(
        address workerAddress,
        uint256 amountWei
    ) external onlySlasher returns (uint256 slashedWei) {
        Worker storage worker = _workers[workerAddress];
        uint256 stakeWei = worker.stakeWei;
        uint256 unbondingWei = worker.unbondingWei;
        uint256 fromStake = amountWei < stakeWei ? amountWei : stakeWei;
        uint256 fromUnbonding =
            amountWei - fromStake < unbondingWei ? amountWei - fromStake : unbondingWei;
        slashedWei = fromStake + fromUnbonding;
        if (slashedWei == 0) return 0;
        // Each part is at most what it is taken from.
        unchecked {
            worker.stakeWei = uint96(stakeWei - fromStake);
            worker.unbondingWei = uint96(unbondingWei - fromUnbonding);
        }
        if (stakeWei - fromStake < MIN_STAKE_WEI) _deactivate(workerAddress);
        emit WorkerSlashed(workerAddress, slashedWei, msg.sender);
        _send(msg.sender, slashedWei);
    }

    /// @inheritdoc IWorkerRegistry
    function extendSlashableUntil(address workerAddress, uint64 until) external onlySlasher {
        // Rounded up in 256 bits, then capped: a later lock is still sound, a shorter one is not.
        uint256 roundedUp =
            ((uint256(until) + SLASHABLE_UNTIL_GRANULARITY_SECONDS - 1) /
                SLASHABLE_UNTIL_GRANULARITY_SECONDS) * SLASHABLE_UNTIL_GRANULARITY_SECONDS;
        uint64 lockedUntil = roundedUp > type(uint64).max ? type(uint64).max : uint64(roundedUp);
        Worker storage worker = _workers[workerAddress];
        if (lockedUntil <= worker.slashableUntil) return;
        worker.slashableUntil = lockedUntil;
        emit SlashableUntilExtended(workerAddress, lockedUntil, msg.sender);
    }

    /// @inheritdoc IWorkerRegistry
    function checkEligible(address workerAddress, bytes32 environmentId) external view {
        Worker storage worker = _workers[workerAddress];
        bytes32 declared = worker.environmentId;
        if (declared == bytes32(0)) revert NotRegistered(workerAddress);
        if (worker.stakeWei < MIN_STAKE_WEI)
            revert StakeBelowMinimum(worker.stakeWei, MIN_STAKE_WEI);
        if (declared != environmentId)
            revert EnvironmentMismatch(workerAddress, declared, environmentId);
        if (!_approvedEnvironments[environmentId]) revert EnvironmentNotApproved(environmentId);
    }

    /// @inheritdoc IWorkerRegistry
    function isEligible(address workerAddress) public view returns (bool) {
        Worker storage worker = _workers[workerAddress];
        return worker.stakeWei >= MIN_STAKE_WEI && _approvedEnvironments[worker.environmentId];
    }

    /// @inheritdoc IWorkerRegistry
    function pickWorker(uint256 seed) external view returns (address picked) {
        uint256 count = _activeWorkers.length;
        if (count == 0) return address(0);
        picked = _activeWorkers[seed % count];
        // A worker on a revoked environment cannot answer; opening the request to all at once
        // beats making everyone wait out the grace period.
        if (!_approvedEnvironments[_workers[picked].environmentId]) return address(0);
    }

    /// @inheritdoc IWorkerRegistry
    function getWorker(address workerAddress) external view returns (Worker memory) {
        return _workers[workerAddress];
    }

    /// @inheritdoc IWorkerRegistry
    function isEnvironmentApproved(bytes32 environmentId) external view returns (bool) {
        return _approvedEnvironments[environmentId];
    }

    /// @inheritdoc IWorkerRegistry
    function activeWorkerCount() external view returns (uint256) {
        return _activeWorkers.length;
    }

    /// @inheritdoc IWorkerRegistry
    function isSlasher(address account) external view returns (bool) {
        return _isSlasher[account];
    }

    /// @inheritdoc IWorkerRegistry
    function slashers() external view returns (address[] memory) {
        return _slashers;
    }

    /// @notice Every worker staked at least the minimum, eligible or not.
    function activeWorkers() external view returns (address[] memory) {
        return _activeWorkers;
    }

    function _registered(address workerAddress) private view returns (Worker storage worker) {
        worker = _workers[workerAddress];
        if (worker.environmentId == bytes32(0)) revert NotRegistered(workerAddress);
    }

    function _activate(address workerAddress) private {
        if (_activeIndex[workerAddress] != 0) return;
        _activeWorkers.push(workerAddress);
        _activeIndex[workerAddress] = _activeWorkers.length;
    }

    function _deactivate(address workerAddress) private {
        uint256 positionPlusOne = _activeIndex[workerAddress];
        if (positionPlusOne == 0) return;
        address last = _activeWorkers[_activeWorkers.length - 1];
        _activeWorkers[positionPlusOne - 1] = last;
        _activeIndex[last] = positionPlusOne;
        _activeWorkers.pop();
        delete _activeIndex[workerAddress];
    }

    function _send(address to, uint256 amountWei) private {
        (bool ok, ) = to.call{value: amountWei}("");
        if (!ok) revert TransferFailed(to, amountWei);
    }

    function _toUint96(uint256 value) private pure returns (uint96) {
        if (value > type(uint96).max) revert AmountExceedsStake(value, type(uint96).max);
        return uint96(value);
    }
}
