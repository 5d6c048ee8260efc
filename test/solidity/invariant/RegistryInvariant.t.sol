// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {Test} from "../utils/Test.sol";
import {RegistryHandler} from "./RegistryHandler.sol";
import {WorkerRegistry} from "../../../contracts/WorkerRegistry.sol";
import {VerityTimelock} from "../../../contracts/governance/VerityTimelock.sol";
import {IWorkerRegistry} from "@verity/solidity/interfaces/IWorkerRegistry.sol";

/// @dev The worker registry as deployed: administered by a timelock whose only proposer is a
/// hostile admin, with one fixed slasher (the handler). Random sequences of worker, slasher and
/// admin moves through `RegistryHandler`; after each call the registry must agree with the
/// handler's books. Moves may fail (the hostile ones should), so reverts are not failures.
contract RegistryInvariantTest is Test {
    uint256 internal constant MIN_STAKE = 1 ether;
    uint64 internal constant UNBONDING_DELAY = 7 days;
    uint256 internal constant TIMELOCK_DELAY = 1 days;

    address internal hostileAdmin = address(0xAD);
    VerityTimelock internal timelock;
    WorkerRegistry internal registry;
    RegistryHandler internal handler;

    function setUp() public {
        vm.warp(1_700_000_000);
        address[] memory proposers = new address[](1);
        proposers[0] = hostileAdmin;
        address[] memory executors = new address[](1); // address(0): anyone executes
        timelock = new VerityTimelock(TIMELOCK_DELAY, proposers, executors);
        registry = new WorkerRegistry(address(timelock), MIN_STAKE, UNBONDING_DELAY, 1 days);
        // The first environment, approved as governance would: scheduled, waited for, executed.
        bytes memory approve = abi.encodeCall(
            IWorkerRegistry.approveEnvironment,
            (keccak256("env 0"), "env 0")
        );
        vm.prank(hostileAdmin);
        timelock.schedule(address(registry), 0, approve, bytes32(0), bytes32(0), TIMELOCK_DELAY);
        vm.warp(block.timestamp + TIMELOCK_DELAY);
        timelock.execute(address(registry), 0, approve, bytes32(0), bytes32(0));

        handler = new RegistryHandler(registry, timelock, hostileAdmin);
        address[] memory slashers = new address[](1);
        slashers[0] = address(handler);
        registry.setSlashers(slashers);
    }

    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    /// hardhat-config: invariant.runs = 64
    /// hardhat-config: invariant.depth = 60
    /// @custom:invariant A worker's stake never decreases except by its own withdrawal or through
    /// the fixed slasher; the honest worker, whom the slasher never targets, loses nothing.
    function invariant_stakeDecreasesOnlyThroughFixedSlasher() public view {
        address[3] memory actors = handler.actors();
        for (uint256 i; i < actors.length; ++i) {
            IWorkerRegistry.Worker memory w = registry.getWorker(actors[i]);
            assertEq(
                uint256(w.stakeWei) +
                    w.unbondingWei +
                    handler.ghostWithdrawnWei(actors[i]) +
                    handler.ghostSlashedWei(actors[i]),
                handler.ghostDepositedWei(actors[i]),
                "held + withdrawn + slashed by the slasher != deposited"
            );
        }
        assertEq(handler.ghostSlashedWei(actors[0]), 0, "the honest worker was slashed");
    }

    /// hardhat-config: invariant.runs = 64
    /// hardhat-config: invariant.depth = 60
    /// @custom:invariant The registry holds exactly the sum of stakes and unbonding stakes.
    function invariant_registryBalanceEqualsStakesPlusUnbonding() public view {
        address[3] memory actors = handler.actors();
        uint256 held;
        for (uint256 i; i < actors.length; ++i) {
            IWorkerRegistry.Worker memory w = registry.getWorker(actors[i]);
            held += uint256(w.stakeWei) + w.unbondingWei;
        }
        assertEq(address(registry).balance, held, "registry balance != stakes + unbonding");
    }

    /// hardhat-config: invariant.runs = 64
    /// hardhat-config: invariant.depth = 60
    /// @custom:invariant No worker withdraws before the latest dispute horizon the slasher recorded
    /// for one of its results.
    function invariant_noWithdrawalBeforeDisputeHorizon() public view {
        assertEq(handler.ghostEarlyWithdrawals(), 0, "withdrew while a result was disputable");
    }

    /// hardhat-config: invariant.runs = 64
    /// hardhat-config: invariant.depth = 60
    /// @custom:invariant A worker on a revoked environment that still holds stake never declares
    /// another environment.
    function invariant_revokedWorkerCannotMoveWhileBonded() public view {
        assertEq(handler.ghostRevokedEscapes(), 0, "a revoked worker moved with its bond");
    }
}
