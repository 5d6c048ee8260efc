// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {Test} from "../utils/Test.sol";
import {WorkerRegistry} from "../../../contracts/WorkerRegistry.sol";
import {VerityTimelock} from "../../../contracts/governance/VerityTimelock.sol";
import {IWorkerRegistry} from "@verity/solidity/interfaces/IWorkerRegistry.sol";

/// @dev Drives the worker registry with every party hostile but the one honest worker: the admin
/// acts only through the timelock (scheduling, waiting out the delay and executing whatever it
/// likes, including role grants and slashes), a hostile worker holds two addresses, and the
/// handler itself is the registry's one fixed slasher, which slashes only the hostile worker (for
/// results proven wrong) and records each result's dispute horizon. Every call may fail; the
/// ghost books count only what succeeded, and the invariants compare them with the registry.
contract RegistryHandler is Test {
    uint256 internal constant MIN_STAKE = 1 ether;
    /// @dev The role id that once let its holders slash: the hostile admin tries to grant it.
    bytes32 internal constant SLASHER_ROLE_ID = keccak256("SLASHER_ROLE");
    /// @dev The longest a result stays open to dispute in these runs (window plus timeout).
    uint256 internal constant MAX_DISPUTE_HORIZON = 12 days;

    WorkerRegistry public immutable REGISTRY;
    VerityTimelock public immutable TIMELOCK;
    address public immutable HOSTILE_ADMIN;

    address public constant HONEST = address(0x40E57);
    address public constant HOSTILE = address(0xBAD1);
    address public constant HOSTILE_SECOND = address(0xBAD2);

    bytes32[3] internal _environments;

    mapping(address worker => uint256) public ghostDepositedWei;
    mapping(address worker => uint256) public ghostWithdrawnWei;
    mapping(address worker => uint256) public ghostSlashedWei;
    /// @dev The latest dispute horizon the slasher recorded for each worker, unrounded.
    mapping(address worker => uint256) public ghostSlashableUntil;
    uint256 public ghostEarlyWithdrawals;
    uint256 public ghostRevokedEscapes;
    uint256 public ghostAdminOperationsExecuted;
    uint256 internal _salt;

    constructor(WorkerRegistry registry, VerityTimelock timelock, address hostileAdmin) {
        REGISTRY = registry;
        TIMELOCK = timelock;
        HOSTILE_ADMIN = hostileAdmin;
        _environments = [keccak256("env 0"), keccak256("env 1"), keccak256("env 2")];
        // Every actor starts staked on environment 0, which the test approved before.
        address[3] memory all = [HONEST, HOSTILE, HOSTILE_SECOND];
        for (uint256 i; i < all.length; ++i) {
            vm.deal(all[i], 100 ether);
            vm.prank(all[i]);
            registry.register{value: MIN_STAKE}(_environments[0]);
            ghostDepositedWei[all[i]] += MIN_STAKE;
        }
    }

    // ------------------------------------------------------------------ workers

    function register(uint256 actorSeed, uint256 envSeed, uint256 amountSeed) external {
        address actor = _actor(actorSeed);
        uint256 amountWei = bound(amountSeed, MIN_STAKE, 3 ether);
        vm.deal(actor, actor.balance + amountWei);
        vm.prank(actor);
        try REGISTRY.register{value: amountWei}(_environments[envSeed % 3]) {
            ghostDepositedWei[actor] += amountWei;
        } catch {}
    }

    function addStake(uint256 actorSeed, uint256 amountSeed) external {
        address actor = _actor(actorSeed);
        uint256 amountWei = bound(amountSeed, 1, 2 ether);
        vm.deal(actor, actor.balance + amountWei);
        vm.prank(actor);
        try REGISTRY.addStake{value: amountWei}() {
            ghostDepositedWei[actor] += amountWei;
        } catch {}
    }

    function changeEnvironment(uint256 actorSeed, uint256 envSeed) external {
        address actor = _actor(actorSeed);
        IWorkerRegistry.Worker memory before = REGISTRY.getWorker(actor);
        bool suspended =
            before.environmentId != bytes32(0) &&
                !REGISTRY.isEnvironmentApproved(before.environmentId) &&
                uint256(before.stakeWei) + before.unbondingWei != 0;
        vm.prank(actor);
        try REGISTRY.changeEnvironment(_environments[envSeed % 3]) {
            if (suspended) ++ghostRevokedEscapes;
        } catch {}
    }

    function startUnbonding(uint256 actorSeed, uint256 amountSeed) external {
        address actor = _actor(actorSeed);
        uint256 stakeWei = REGISTRY.getWorker(actor).stakeWei;
        if (stakeWei == 0) return;
        vm.prank(actor);
        try REGISTRY.startUnbonding(bound(amountSeed, 1, stakeWei)) {} catch {}
    }

    function withdraw(uint256 actorSeed) external {
        address actor = _actor(actorSeed);
        uint256 amountWei = REGISTRY.getWorker(actor).unbondingWei;
        vm.prank(actor);
        try REGISTRY.withdraw() {
            ghostWithdrawnWei[actor] += amountWei;
            if (block.timestamp < ghostSlashableUntil[actor]) ++ghostEarlyWithdrawals;
        } catch {}
    }

    function wait(uint256 secondsSeed) external {
        vm.warp(block.timestamp + bound(secondsSeed, 1 hours, 10 days));
    }

    // ------------------------------------------------------------------ the fixed slasher

    /// @dev A result of `actor` was accepted: it may be disputed for up to the horizon.
    function recordResult(uint256 actorSeed, uint256 horizonSeed) external {
        address actor = _actor(actorSeed);
        uint256 until = block.timestamp + bound(horizonSeed, 1 hours, MAX_DISPUTE_HORIZON);
        REGISTRY.extendSlashableUntil(actor, uint64(until));
        if (until > ghostSlashableUntil[actor]) ghostSlashableUntil[actor] = until;
    }

    /// @dev A result of the hostile worker was proven wrong.
    function slashHostile(uint256 secondSeed, uint256 amountSeed) external {
        address target = secondSeed % 2 == 0 ? HOSTILE : HOSTILE_SECOND;
        uint256 slashedWei = REGISTRY.slash(target, bound(amountSeed, 1, 2 ether));
        ghostSlashedWei[target] += slashedWei;
    }

    /// @dev The slasher forwards what it takes (it would pay a challenger), so its balance does
    /// not grow unexplained.
    receive() external payable {}

    // ------------------------------------------------------------------ the hostile admin

    /// @dev Schedules one of the admin's moves in the timelock, waits out the delay, executes.
    function adminThroughTimelock(uint256 moveSeed, uint256 argSeed) external {
        (address[] memory targets, bytes[] memory payloads) = _adminMove(
            moveSeed,
            argSeed,
            address(TIMELOCK)
        );
        uint256[] memory values = new uint256[](targets.length);
        bytes32 salt = bytes32(++_salt);
        uint256 delay = TIMELOCK.getMinDelay();
        vm.prank(HOSTILE_ADMIN);
        TIMELOCK.scheduleBatch(targets, values, payloads, bytes32(0), salt, delay);
        vm.warp(block.timestamp + delay);
        vm.prank(HOSTILE_ADMIN);
        try TIMELOCK.executeBatch(targets, values, payloads, bytes32(0), salt) {
            ++ghostAdminOperationsExecuted;
        } catch {}
    }

    /// @dev The admin's own key, without the timelock. It holds no role unless a handover it
    /// scheduled through the timelock has waited out the registry's admin delay, which it tries
    /// to accept first.
    function adminDirect(uint256 moveSeed, uint256 argSeed) external {
        vm.prank(HOSTILE_ADMIN);
        try REGISTRY.acceptDefaultAdminTransfer() {} catch {}
        (address[] memory targets, bytes[] memory payloads) = _adminMove(
            moveSeed,
            argSeed,
            HOSTILE_ADMIN
        );
        for (uint256 i; i < targets.length; ++i) {
            vm.prank(HOSTILE_ADMIN);
            (bool ok, ) = targets[i].call(payloads[i]);
            ok;
        }
    }

    /// @dev One hostile move, made by `caller` (the timelock or the admin's own key).
    function _adminMove(
        uint256 moveSeed,
        uint256 argSeed,
        address caller
    ) private view returns (address[] memory targets, bytes[] memory payloads) {
        bytes32 environmentId = _environments[argSeed % 3];
        address registry = address(REGISTRY);
        address victim = argSeed % 2 == 0 ? HONEST : HOSTILE;
        uint256 move = moveSeed % 7;
        if (move == 0) {
            return
                _one(
                    registry,
                    abi.encodeCall(IWorkerRegistry.approveEnvironment, (environmentId, "hostile"))
                );
        }
        if (move == 1) {
            return
                _one(registry, abi.encodeCall(IWorkerRegistry.revokeEnvironment, (environmentId)));
        }
        if (move == 2) {
            // Grant the old slasher role to the caller, then slash with it.
            targets = new address[](2);
            payloads = new bytes[](2);
            (targets[0], targets[1]) = (registry, registry);
            payloads[0] = abi.encodeWithSignature(
                "grantRole(bytes32,address)",
                SLASHER_ROLE_ID,
                caller
            );
            payloads[1] = abi.encodeCall(IWorkerRegistry.slash, (victim, MIN_STAKE));
            return (targets, payloads);
        }
        if (move == 3) {
            address[] memory extra = new address[](1);
            extra[0] = caller;
            return _one(registry, abi.encodeCall(IWorkerRegistry.setSlashers, (extra)));
        }
        if (move == 4) {
            return
                _one(
                    registry,
                    abi.encodeWithSignature("beginDefaultAdminTransfer(address)", HOSTILE_ADMIN)
                );
        }
        if (move == 5) {
            // Hold a worker's stake back, as a slasher could.
            return
                _one(
                    registry,
                    abi.encodeCall(IWorkerRegistry.extendSlashableUntil, (victim, type(uint64).max))
                );
        }
        return
            _one(
                registry,
                abi.encodeWithSignature(
                    "grantRole(bytes32,address)",
                    REGISTRY.ENVIRONMENT_ADMIN_ROLE(),
                    HOSTILE_ADMIN
                )
            );
    }

    // ------------------------------------------------------------------ helpers

    function actors() external pure returns (address[3] memory) {
        return [HONEST, HOSTILE, HOSTILE_SECOND];
    }

    /// @dev Any worker move is made by the honest worker or by either address of the hostile one;
    /// only the slasher tells them apart (it slashes only the hostile worker).
    function _actor(uint256 seed) private pure returns (address) {
        uint256 pick = seed % 3;
        return
            pick == 0
                ? HONEST
                : pick == 1
                    ? HOSTILE
                    : HOSTILE_SECOND;
    }

    function _one(
        address target,
        bytes memory payload
    ) private pure returns (address[] memory targets, bytes[] memory payloads) {
        targets = new address[](1);
        payloads = new bytes[](1);
        targets[0] = target;
        payloads[0] = payload;
    }
}
