// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {QuorumFixture} from "../utils/QuorumFixture.sol";
import {DisputeHandler} from "./DisputeHandler.sol";
import {ScriptedConsumer} from "./HubHandler.sol";
import {IQuorumRounds} from "@verity/solidity/interfaces/IQuorumRounds.sol";
import {IWorkerRegistry} from "@verity/solidity/interfaces/IWorkerRegistry.sol";
import {QuorumCoordinator} from "../../../contracts/quorum/QuorumCoordinator.sol";
import {Challenge, Request, RequestStatus, Submission} from "@verity/solidity/types/Inference.sol";

/// @dev Random sequences of QUORUM rounds and of every dispute path (ZK proof, jury, expiry) with
/// honest, dishonest and hostile parties, through `DisputeHandler`. After each call the contracts'
/// money and outcomes must agree with the handler's own books, and what the protocol promises to
/// an honest worker, an honest challenger and a requester must hold. The handler only takes
/// actions whose preconditions hold, so any revert is a failure.
contract DisputeInvariantTest is QuorumFixture {
    DisputeHandler internal handler;
    ScriptedConsumer internal scripted;

    function setUp() public override {
        super.setUp();
        scripted = new ScriptedConsumer(address(hub));
        handler = new DisputeHandler(
            DisputeHandler.Setup({
                hub: hub,
                models: models,
                workers: workers,
                coordinator: coordinator,
                resolver: resolver,
                consumer: scripted,
                admin: admin,
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

    // ---------------------------------------------------------------- promises to honest parties
    // Fewer runs than the books above: each campaign replays the same handler, and these read
    // outcomes that a run of 80 calls reaches many times over.

    /// hardhat-config: invariant.failOnRevert = true
    /// hardhat-config: invariant.runs = 16
    /// hardhat-config: invariant.depth = 80
    /// @custom:invariant A worker that only ever answers, commits and reveals the right output,
    /// and reveals every seat it takes, never loses stake to a slash: its stake is never below what
    /// it staked less what it unbonded itself (unless a quorum of colluders outvoted it).
    function invariant_honestWorkerStakeNeverDecreases() public view {
        IWorkerRegistry.Worker memory info = workers.getWorker(handler.workerAddresses()[5]);
        uint256 colluders = handler.honestSlashedByColludersWei();
        assertGe(
            info.stakeWei + colluders,
            handler.honestStakedWei() - handler.honestUnbondedWei(),
            "honest stake < staked - unbonded"
        );
        assertGe(
            info.stakeWei + info.unbondingWei + colluders,
            handler.honestStakedWei() - handler.honestWithdrawnWei(),
            "honest stake + unbonding < staked - withdrawn"
        );
        // And the handler kept its side: the worker was online for every reveal.
        assertEq(handler.honestMissedReveals(), 0, "the honest worker missed a reveal");
    }

    /// hardhat-config: invariant.failOnRevert = true
    /// hardhat-config: invariant.runs = 16
    /// hardhat-config: invariant.depth = 80
    /// @custom:invariant A challenger that only challenges wrong results, claiming the right
    /// output, never loses a dispute (unless a colluding jury decided it) and is credited its bond
    /// back for every dispute of its that closed, whether decided or expired.
    function invariant_honestChallengerNeverLosesItsBond() public view {
        address challenger = handler.HONEST_CHALLENGER();
        uint256 owed;
        uint256 n = handler.trackedCount();
        for (uint256 i; i < n; ++i) {
            (bool challenged, , bool byHonest, ) = handler.trackedFlags(i);
            if (!challenged || !byHonest) continue;
            uint256 id = handler.trackedRequest(i).id;
            uint8 outcome = handler.disputeOutcome(id);
            if (outcome == 0) continue; // still open
            if (outcome == 2) {
                assertTrue(
                    handler.wrongVerdict(address(resolver), id),
                    "an honest challenger lost a dispute"
                );
                continue;
            }
            (, , Challenge memory c) = handler.trackedRecords(i);
            owed += c.bondWei;
        }
        assertGe(
            hub.balanceOf(challenger) + handler.hubWithdrawnBy(challenger),
            owed,
            "honest challenger credited less than its bonds"
        );
    }

    /// hardhat-config: invariant.failOnRevert = true
    /// hardhat-config: invariant.runs = 16
    /// hardhat-config: invariant.depth = 80
    /// @custom:invariant Every closed request's escrow (model fee, worker reward, callback fee)
    /// left the hub exactly once, as one payout or one refund, and everything the hub ever credited
    /// is such an escrow, a dispute's bond, slashed stake or collected protocol fees.
    function invariant_escrowEndsAsExactlyOnePayoutOrRefund() public view {
        uint256 expectedCredits =
            handler.ghostSlashedTo(address(hub)) + handler.ghostFeesCollectedWei();
        uint256 n = handler.trackedCount();
        for (uint256 i; i < n; ++i) {
            (Request memory r, , Challenge memory c) = handler.trackedRecords(i);
            RequestStatus status = hub.requestStatus(r.id);
            uint256 settled = handler.settledEvents(r.id);
            uint256 refunded = handler.refundedEvents(r.id);
            uint256 failed = handler.failedEvents(r.id);
            (bool challenged, , , ) = handler.trackedFlags(i);
            if (handler.failureReported(i)) {
                // Refunded when reported, whatever a dispute over the report decides later.
                assertEq(settled, 0, "a failure report paid out a result");
                assertEq(refunded, 1, "a failure report not refunded exactly once");
                assertEq(failed, 1, "a failure report without its event");
                expectedCredits += handler.escrowWei(r);
                if (challenged && status != RequestStatus.Challenged) expectedCredits += c.bondWei;
                continue;
            }
            if (
                status == RequestStatus.Pending ||
                status == RequestStatus.Submitted ||
                status == RequestStatus.Challenged
            ) {
                assertEq(settled + refunded + failed, 0, "open request paid out");
                continue;
            }
            assertEq(settled + refunded, 1, "closed request not paid out exactly once");
            assertEq(
                status == RequestStatus.Settled,
                settled == 1,
                "settled status without its payout, or the reverse"
            );
            assertEq(
                status == RequestStatus.Failed,
                failed == 1,
                "failed status without its event, or the reverse"
            );
            assertLe(failed, refunded, "failed without a refund");
            if (refunded == 1) {
                // The callback fee is the settler's when a callback runs, the requester's if not.
                assertEq(
                    handler.refundedWei(r.id),
                    uint256(r.modelFeeWei) +
                        r.workerRewardWei +
                        (r.callbackGasLimit == 0 ? r.callbackFeeWei : 0),
                    "refund != escrow less the settler's callback fee"
                );
            }
            expectedCredits += handler.escrowWei(r);
            if (challenged) expectedCredits += c.bondWei;
        }
        address[] memory accounts = handler.accounts();
        uint256 credits = handler.ghostHubWithdrawnWei();
        for (uint256 i; i < accounts.length; ++i) credits += hub.balanceOf(accounts[i]);
        assertEq(credits, expectedCredits, "hub credits != closed escrow + bonds + slashes + fees");
    }

    /// @dev The most gas one transaction may carry (EIP-7825), and what a closing call needs
    /// beside its callback (at most 63/64 of the gas left reaches it).
    uint256 internal constant TX_GAS_CAP = 16_777_216;
    uint256 internal constant CLOSE_OVERHEAD_GAS = 500_000;

    /// hardhat-config: invariant.failOnRevert = true
    /// hardhat-config: invariant.runs = 16
    /// hardhat-config: invariant.depth = 80
    /// @custom:invariant Every request that is not final, and every open round, has a call that
    /// ends it within 30 days, from records its caller holds (refund after the deadline, finalize
    /// after the challenge window, expireChallenge after the timeout, close after the reveal
    /// phase), and that call fits in one transaction.
    function invariant_noRequestIsStuck() public view {
        uint256 horizon = block.timestamp + 30 days;
        uint256 n = handler.trackedCount();
        for (uint256 i; i < n; ++i) {
            (Request memory r, Submission memory s, Challenge memory c) = handler.trackedRecords(i);
            RequestStatus status = hub.requestStatus(r.id);
            bytes32 requestHash = keccak256(abi.encode(r));
            bytes32 submissionHash = keccak256(abi.encode(requestHash, s));
            bytes32 stored = hub.requestCommitment(r.id);
            if (status == RequestStatus.Pending) {
                assertEq(stored, _tag(requestHash, status), "pending: records do not match");
                assertLe(r.deadline, horizon, "pending: no refund within the horizon");
            } else if (status == RequestStatus.Submitted) {
                assertEq(stored, _tag(submissionHash, status), "submitted: records do not match");
                assertLe(
                    hub.challengeWindowEnd(r, s),
                    horizon,
                    "submitted: no finalize within the horizon"
                );
            } else if (status == RequestStatus.Challenged) {
                assertEq(
                    stored,
                    _tag(keccak256(abi.encode(submissionHash, c)), status),
                    "challenged: records do not match"
                );
                assertLe(
                    uint256(c.challengedAt) + hub.disputeConfig().disputeTimeoutSeconds,
                    horizon,
                    "challenged: no expiry within the horizon"
                );
            } else {
                continue;
            }
            assertLe(
                (uint256(r.callbackGasLimit) * 64) / 63 + CLOSE_OVERHEAD_GAS,
                TX_GAS_CAP,
                "the closing call's callback gas does not fit in a transaction"
            );
        }
        for (uint256 i; i < n; ++i) {
            uint256 id = handler.trackedRequest(i).id;
            for (uint256 k; k < 2; ++k) {
                IQuorumRounds.Round memory round =
                    k == 0 ? coordinator.getRound(id) : resolver.getRound(id);
                if (
                    round.status != IQuorumRounds.RoundStatus.Open &&
                    round.status != IQuorumRounds.RoundStatus.Decided
                ) continue;
                assertLe(round.revealEndsAt, horizon, "round: no close within the horizon");
            }
        }
    }

    function _tag(bytes32 hash, RequestStatus status) private pure returns (bytes32) {
        return (hash & ~bytes32(uint256(0xff))) | bytes32(uint256(status));
    }

    /// hardhat-config: invariant.failOnRevert = true
    /// hardhat-config: invariant.runs = 16
    /// hardhat-config: invariant.depth = 80
    /// @custom:invariant A worker whose second address challenges its own wrong result never gets
    /// back all the stake that is slashed for it: what the second address earned beyond its bonds
    /// is less than what was slashed.
    function invariant_selfChallengeNeverRecoversTheSlash() public view {
        address sidekick = handler.SIDEKICK();
        uint256 bonds;
        uint256 slashed;
        uint256 n = handler.trackedCount();
        for (uint256 i; i < n; ++i) {
            (bool challenged, , , bool bySidekick) = handler.trackedFlags(i);
            if (!challenged || !bySidekick) continue;
            uint256 id = handler.trackedRequest(i).id;
            uint8 outcome = handler.disputeOutcome(id);
            if (outcome != 1 && outcome != 3) continue;
            (, , Challenge memory c) = handler.trackedRecords(i);
            bonds += c.bondWei;
            slashed += handler.disputeSlashedWei(id);
        }
        uint256 credited = hub.balanceOf(sidekick) + handler.hubWithdrawnBy(sidekick);
        assertGe(credited, bonds, "second address credited less than its bonds");
        if (slashed != 0) {
            assertLe(credited - bonds + 1, slashed, "self-challenge recovered the whole slash");
        }
    }

    /// hardhat-config: invariant.failOnRevert = true
    /// hardhat-config: invariant.runs = 16
    /// hardhat-config: invariant.depth = 80
    /// @custom:invariant Every member of a closed round, QUORUM or jury, who took a seat and never
    /// revealed was slashed when the round closed, unless a pause kept it from revealing (a QUORUM
    /// round's deciding reveal settles in the hub, which refuses it while paused).
    function invariant_silentSeatNeverGoesUnpunished() public view {
        uint256 n = handler.trackedCount();
        for (uint256 i; i < n; ++i) {
            uint256 id = handler.trackedRequest(i).id;
            for (uint256 k; k < 2; ++k) {
                QuorumCoordinator rounds = QuorumCoordinator(
                    payable(k == 0 ? address(coordinator) : address(resolver))
                );
                if (handler.closedEvents(address(rounds), id) == 0) continue;
                // A pause since the commits closed excuses silence (checked after the fact: a
                // later pause only widens the excuse).
                if (k == 0 && (hub.paused() || hub.unpausedAt() > rounds.getRound(id).commitEndsAt))
                    continue;
                address[] memory members = rounds.membersOf(id);
                for (uint256 m; m < members.length; ++m) {
                    if (uint256(rounds.seatOf(id, members[m])) & 0xff != 1) continue;
                    assertTrue(
                        handler.memberSlashed(address(rounds), id, members[m]),
                        "a silent seat went unpunished"
                    );
                }
            }
        }
    }

    /// hardhat-config: invariant.failOnRevert = true
    /// hardhat-config: invariant.runs = 16
    /// hardhat-config: invariant.depth = 80
    /// @custom:invariant While an honest challenger watches every challenge window, no request
    /// settles with a wrong output, no valid input ends as a failure the chain checked, and a
    /// false failure report on a valid input does not stand past its window (unless a quorum of
    /// colluders decided its round or jury).
    function invariant_wrongResultNeverSettles() public view {
        uint256 n = handler.trackedCount();
        for (uint256 i; i < n; ++i) {
            uint256 id = handler.trackedRequest(i).id;
            if (
                handler.wrongVerdict(address(coordinator), id) ||
                handler.wrongVerdict(address(resolver), id)
            ) continue;
            if (handler.settledEvents(id) != 0) {
                assertEq(
                    handler.settledOutputHash(id),
                    handler.rightOutputHash(id),
                    "a wrong output settled"
                );
            }
            (, bool badInput, , ) = handler.trackedFlags(i);
            if (badInput) continue;
            if (!handler.failureReported(i)) {
                assertEq(handler.failedEvents(id), 0, "a valid input ended as a failure");
                continue;
            }
            // The lie refunded the requester at once; the honest challenger must overturn it
            // before its window ends (which a pause extends, and nobody challenges while paused).
            (Request memory r, Submission memory s, ) = handler.trackedRecords(i);
            if (hub.paused() || block.timestamp < hub.challengeWindowEnd(r, s)) continue;
            assertTrue(
                hub.requestStatus(id) != RequestStatus.Failed,
                "a false failure report stood past its window"
            );
        }
    }

    /// hardhat-config: invariant.failOnRevert = true
    /// hardhat-config: invariant.runs = 16
    /// hardhat-config: invariant.depth = 80
    /// @custom:invariant Every hostile call is refused: a late-bound verifier's proof over an
    /// earlier request, a failure report on a QUORUM or ZK request or a false on-chain-checkable
    /// one, a callback gas limit above the cap, a verifier swap, a finalize while paused.
    function invariant_hostileCallsAreAlwaysRefused() public view {
        bytes32[] memory actions = handler.hostileActions();
        for (uint256 i; i < actions.length; ++i) {
            assertEq(
                handler.hostileSuccesses(actions[i]),
                0,
                string.concat("hostile call succeeded: ", string(abi.encodePacked(actions[i])))
            );
        }
    }
}
