// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {QuorumFixture} from "../utils/QuorumFixture.sol";
import {DisputeHandler} from "./DisputeHandler.sol";
import {ScriptedConsumer} from "./HubHandler.sol";
import {IWorkerRegistry} from "../../../contracts/interfaces/IWorkerRegistry.sol";
import {Request} from "../../../contracts/types/Inference.sol";

/// @dev Random sequences of QUORUM rounds and of every dispute path (ZK proof, jury, expiry) with
/// honest and dishonest workers, through `DisputeHandler`. After each call the contracts' money
/// and outcomes must agree with the handler's own books. The handler only takes actions whose
/// preconditions hold, so any revert is a failure.
contract DisputeInvariantTest is QuorumFixture {
    DisputeHandler internal handler;
    ScriptedConsumer internal scripted;

    function setUp() public override {
        super.setUp();
        scripted = new ScriptedConsumer(address(hub));
        handler = new DisputeHandler(
            DisputeHandler.Setup({
                hub: hub,
                workers: workers,
                coordinator: coordinator,
                resolver: resolver,
                consumer: scripted,
                requester: requester,
                modelOwner: modelOwner,
                treasury: treasury,
                quorumModelId: QUORUM_MODEL_ID,
                juryModelId: MODEL_ID,
                zkModelId: ZK_MODEL_ID,
                environmentId: ENV,
                workerKeys: KEYS
            })
        );
    }

    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    /// hardhat-config: invariant.failOnRevert = true
    /// hardhat-config: invariant.runs = 48
    /// hardhat-config: invariant.depth = 120
    /// @custom:invariant Every wei that entered the system (payments, bonds, juror fees, stakes)
    /// and has not been paid out is held by exactly one of: a stake or unbonding stake, the escrow
    /// (and bond) of an open request, a credited balance in the hub, the coordinator or the
    /// resolver, a round's undistributed reward, or uncollected protocol fees; and each contract
    /// holds exactly what it owes.
    function invariant_stakeEscrowAndBalancesAreConserved() public view {
        uint256 held =
            address(hub).balance +
                address(workers).balance +
                address(coordinator).balance +
                address(resolver).balance;
        assertEq(
            held,
            handler.ghostDepositedWei() - handler.ghostPaidOutWei(),
            "held != deposited - paid out"
        );
        address[] memory accounts = handler.accounts();
        uint256 hubCredits;
        uint256 coordinatorCredits;
        uint256 resolverCredits;
        for (uint256 i; i < accounts.length; ++i) {
            hubCredits += hub.balanceOf(accounts[i]);
            coordinatorCredits += coordinator.balanceOf(accounts[i]);
            resolverCredits += resolver.balanceOf(accounts[i]);
        }
        assertEq(
            address(hub).balance,
            handler.openEscrowWei() + hubCredits + hub.protocolFeesWei(),
            "hub balance != open escrow + bonds + credits + protocol fees"
        );
        address[6] memory staked = handler.workerAddresses();
        uint256 stakes;
        for (uint256 i; i < 6; ++i) {
            stakes +=
                workers.getWorker(staked[i]).stakeWei + workers.getWorker(staked[i]).unbondingWei;
        }
        assertEq(address(workers).balance, stakes, "registry balance != stakes + unbonding");
        uint256 coordinatorOwes = coordinatorCredits + handler.heldRewardsWei(address(coordinator));
        assertEq(
            _assets(address(coordinator)),
            coordinatorOwes,
            "coordinator assets != credits + held rewards"
        );
        assertEq(coordinator.liabilitiesWei(), coordinatorOwes, "coordinator's own books");
        uint256 resolverOwes = resolverCredits + handler.heldRewardsWei(address(resolver));
        assertEq(_assets(address(resolver)), resolverOwes, "resolver assets != credits + fees");
        assertEq(resolver.liabilitiesWei(), resolverOwes, "resolver's own books");
    }

    /// hardhat-config: invariant.failOnRevert = true
    /// hardhat-config: invariant.runs = 48
    /// hardhat-config: invariant.depth = 120
    /// @custom:invariant No request settles or is refunded more than once, or both; no round
    /// decides or closes more than once; a QUORUM request settles with the output its round
    /// decided; a consumer is called back at most once per request.
    function invariant_noDoubleSettlement() public view {
        uint256 n = handler.trackedCount();
        for (uint256 i; i < n; ++i) {
            Request memory r = handler.trackedRequest(i);
            uint256 settled = handler.settledEvents(r.id);
            uint256 refunded = handler.refundedEvents(r.id);
            assertLe(settled, 1, "settled twice");
            assertLe(refunded, 1, "refunded twice");
            assertTrue(settled == 0 || refunded == 0, "settled and refunded");
            assertLe(scripted.resultCalls(r.id) + scripted.failureCalls(r.id), 1, "two callbacks");
            for (uint256 c; c < 2; ++c) {
                address rounds = c == 0 ? address(coordinator) : address(resolver);
                assertLe(handler.quorumEvents(rounds, r.id), 1, "decided twice");
                assertLe(handler.closedEvents(rounds, r.id), 1, "closed twice");
            }
            if (handler.trackedKind(i) == DisputeHandler.Kind.Quorum && settled == 1) {
                assertEq(handler.quorumEvents(address(coordinator), r.id), 1, "settled undecided");
                assertEq(
                    handler.settledOutputHash(r.id),
                    handler.decidedOutputHash(address(coordinator), r.id),
                    "settled with another output than the round decided"
                );
            }
        }
    }

    /// hardhat-config: invariant.failOnRevert = true
    /// hardhat-config: invariant.runs = 48
    /// hardhat-config: invariant.depth = 120
    /// @custom:invariant A consumer never hears of a result that a challenge overturned.
    function invariant_overturnedResultNeverDelivered() public view {
        uint256 n = handler.trackedCount();
        for (uint256 i; i < n; ++i) {
            uint256 id = handler.trackedRequest(i).id;
            if (handler.overturned(id)) {
                assertEq(scripted.resultCalls(id), 0, "overturned result delivered");
                assertEq(handler.settledEvents(id), 0, "overturned result settled");
            }
        }
    }

    /// hardhat-config: invariant.failOnRevert = true
    /// hardhat-config: invariant.runs = 48
    /// hardhat-config: invariant.depth = 120
    /// @custom:invariant Every wei slashed left a worker's stake (or unbonding stake) once and for
    /// all: the stakes add up to what was staked, less what was withdrawn and slashed. Each slash's
    /// proceeds went to one slasher, which paid them out exactly once (the hub to the challenger,
    /// a rounds contract to the agreeing members), and a round's payout was credited once.
    function invariant_slashedStakeNeverPaysTwice() public view {
        uint256 slashed;
        address[3] memory slashers = [address(hub), address(coordinator), address(resolver)];
        for (uint256 i; i < 3; ++i) {
            assertEq(
                handler.ghostSlashPaidBy(slashers[i]),
                handler.ghostSlashedTo(slashers[i]),
                "slash proceeds paid out != slashed"
            );
            slashed += handler.ghostSlashedTo(slashers[i]);
        }
        address[6] memory staked = handler.workerAddresses();
        uint256 stakes;
        for (uint256 i; i < 6; ++i) {
            IWorkerRegistry.Worker memory info = workers.getWorker(staked[i]);
            stakes += info.stakeWei + info.unbondingWei;
        }
        assertEq(
            stakes,
            handler.ghostStakedWei() - handler.ghostUnstakedWei() - slashed,
            "stakes != staked - withdrawn - slashed"
        );
        for (uint256 i = 1; i < 3; ++i) {
            assertEq(
                handler.ghostMemberPaid(slashers[i]),
                handler.ghostRoundPaid(slashers[i]),
                "members paid != round payouts"
            );
        }
    }
}
