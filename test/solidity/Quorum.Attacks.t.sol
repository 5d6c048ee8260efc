// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {QuorumFixture} from "./utils/QuorumFixture.sol";
import {RoundClosingConsumer} from "../../contracts/mocks/RoundClosingConsumer.sol";
import {IInferenceHub} from "@verity/solidity/interfaces/IInferenceHub.sol";
import {IQuorumCoordinator} from "@verity/solidity/interfaces/IQuorumCoordinator.sol";
import {IQuorumRounds} from "@verity/solidity/interfaces/IQuorumRounds.sol";
import {
    Challenge,
    ProofMode,
    Request,
    RequestStatus,
    Submission
} from "@verity/solidity/types/Inference.sol";

/// @dev Attacks on QUORUM rounds and disputes: copying answers, settling around the round,
/// collusion below the quorum, reentrant consumers, griefing challengers, dishonest requesters,
/// and a slashed stake paying twice.
contract QuorumAttacksTest is QuorumFixture {
    bytes internal right = _output(7);
    bytes internal wrong = _output(8);

    function _round(uint256 id) internal view returns (IQuorumRounds.Round memory) {
        return coordinator.getRound(id);
    }

    function _assertSolvent() internal view {
        assertEq(_assets(address(coordinator)), coordinator.liabilitiesWei(), "coordinator");
        assertEq(_assets(address(resolver)), resolver.liabilitiesWei(), "resolver");
    }

    // ------------------------------------------------------------ copying

    function test_copiedCommitmentCannotBeRevealed() public {
        Request memory r = _quorumRequest();
        bytes32 honest = _commitment(address(coordinator), r.id, 0, right);
        vm.prank(w[0]);
        coordinator.commit(r, honest);
        // A lazy worker copies the honest commitment from the mempool: it binds worker 0.
        vm.prank(w[1]);
        coordinator.commit(r, honest);
        _commitQuorum(r, 2, right);
        _revealQuorum(r, 0, right);
        vm.expectRevert(
            abi.encodeWithSelector(IQuorumRounds.CommitmentMismatch.selector, r.id, w[1])
        );
        vm.prank(w[1]);
        coordinator.reveal(r, right, _salt(0));
        _revealQuorum(r, 2, right);
        vm.warp(_round(r.id).revealEndsAt + 1);
        coordinator.close(r.id);
        assertEq(coordinator.balanceOf(w[1]), 0, "the copier earns nothing");
    }

    function test_nobodyCommitsAfterSeeingAReveal() public {
        Request memory r = _quorumRequest();
        _commitQuorum(r, 0, right);
        _commitQuorum(r, 1, right);
        // Reveals start only when commits end: by then a latecomer cannot take a seat.
        vm.warp(_round(r.id).commitEndsAt);
        _revealQuorum(r, 0, right);
        bytes32 copy = _commitment(address(coordinator), r.id, 3, right);
        vm.expectRevert(
            abi.encodeWithSelector(
                IQuorumRounds.CommitPhaseOver.selector,
                r.id,
                _round(r.id).commitEndsAt
            )
        );
        vm.prank(w[3]);
        coordinator.commit(r, copy);
    }

    function test_commitmentIsBoundToRoundContractAndWorker() public view {
        bytes32 outputHash = keccak256(right);
        bytes32 base = coordinator.commitmentOf(1, w[0], outputHash, _salt(0));
        assertTrue(base != coordinator.commitmentOf(2, w[0], outputHash, _salt(0)), "round");
        assertTrue(base != coordinator.commitmentOf(1, w[1], outputHash, _salt(0)), "worker");
        assertTrue(base != resolver.commitmentOf(1, w[0], outputHash, _salt(0)), "contract");
        assertTrue(base != coordinator.commitmentOf(1, w[0], outputHash, _salt(1)), "salt");
    }

    // ------------------------------------------------------------ settling around the round

    function test_hubCannotBeToldAQuorumResultDirectly() public {
        Request memory r = _quorumRequest();
        for (uint256 i; i < 3; ++i) _commitQuorum(r, i, right);
        _revealQuorum(r, 0, right);
        vm.expectRevert(abi.encodeWithSelector(IQuorumCoordinator.NotSettling.selector, r.id));
        hub.submitResult(r, wrong, bytes32(0), "");
        vm.expectRevert(abi.encodeWithSelector(IQuorumCoordinator.NotSettling.selector, r.id));
        coordinator.verify(r, keccak256(right), "");
        _revealQuorum(r, 1, right);
        assertEq(consumer.lastOutput(), right, "settled by the round, with its output");
    }

    function test_requestSettlesOnceWhateverTheRevealOrder() public {
        Request memory r = _quorumRequest();
        for (uint256 i; i < 3; ++i) _commitQuorum(r, i, right);
        for (uint256 i; i < 3; ++i) _revealQuorum(r, i, right);
        assertEq(consumer.resultCount(), 1, "one callback");
        vm.expectRevert(
            abi.encodeWithSelector(
                IInferenceHub.RequestNotPending.selector,
                r.id,
                RequestStatus.Settled
            )
        );
        hub.submitResult(r, right, bytes32(0), "");
        vm.expectRevert(
            abi.encodeWithSelector(
                IQuorumRounds.RoundNotOpen.selector,
                r.id,
                IQuorumRounds.RoundStatus.Closed
            )
        );
        coordinator.close(r.id);
    }

    function test_reentrantConsumerClosesOnceAndIsPaidNothingExtra() public {
        RoundClosingConsumer closer = new RoundClosingConsumer(coordinator);
        uint256 payment = hub.quote(QUORUM_MODEL_ID, CALLBACK_GAS);
        vm.recordLogs();
        vm.prank(requester);
        hub.requestInference{value: payment}(
            QUORUM_MODEL_ID,
            _input(),
            ProofMode.QUORUM,
            address(0),
            address(closer),
            CALLBACK_GAS,
            uint64(block.timestamp + 1 hours)
        );
        Request memory r = _lastRequest();
        _commitQuorum(r, 0, right);
        _commitQuorum(r, 1, right);
        vm.warp(_round(r.id).commitEndsAt);
        _revealQuorum(r, 0, right);
        // The deciding reveal is also the last: the consumer's callback closes the round first.
        _revealQuorum(r, 1, right);
        assertTrue(closer.closeSucceeded(), "the callback closed the round");
        assertFalse(closer.withdrawSucceeded(), "nothing to withdraw");
        assertEq(uint256(_round(r.id).status), uint256(IQuorumRounds.RoundStatus.Closed), "closed");
        uint256 paid = coordinator.balanceOf(w[0]) + coordinator.balanceOf(w[1]);
        assertEq(paid, uint256(r.workerRewardWei) + r.callbackFeeWei, "reward + fee, once");
        _assertSolvent();
    }

    // ------------------------------------------------------------ collusion below the quorum

    function test_colludersBelowTheQuorumCannotDecideAndAreSlashed() public {
        Request memory r = _quorumRequest();
        vm.prank(requester);
        coordinator.open(r, 3);
        _commitQuorum(r, 0, wrong);
        _commitQuorum(r, 1, wrong);
        for (uint256 i = 2; i < 5; ++i) _commitQuorum(r, i, right);
        _revealQuorum(r, 0, wrong);
        _revealQuorum(r, 1, wrong);
        for (uint256 i = 2; i < 5; ++i) _revealQuorum(r, i, right);
        assertEq(consumer.lastOutput(), right, "the honest majority decides");
        assertEq(_stake(w[0]), MIN_STAKE - QUORUM_SLASH, "colluder slashed");
        assertEq(_stake(w[1]), MIN_STAKE - QUORUM_SLASH, "colluder slashed");
        uint256 pool = uint256(r.workerRewardWei) + 2 * QUORUM_SLASH;
        assertGe(coordinator.balanceOf(w[3]), pool / 3, "honest: a third of reward + slash");
        _assertSolvent();
    }

    function test_colludersWhoWithholdCannotBlockTheQuorum() public {
        Request memory r = _quorumRequest();
        vm.prank(requester);
        coordinator.open(r, 3);
        _commitQuorum(r, 0, wrong);
        _commitQuorum(r, 1, wrong);
        for (uint256 i = 2; i < 5; ++i) _commitQuorum(r, i, right);
        for (uint256 i = 2; i < 5; ++i) _revealQuorum(r, i, right);
        assertEq(uint256(hub.requestStatus(r.id)), uint256(RequestStatus.Settled), "settled");
        vm.warp(_round(r.id).revealEndsAt + 1);
        coordinator.close(r.id);
        assertEq(coordinator.balanceOf(w[0]) + coordinator.balanceOf(w[1]), 0, "withholders: 0");
        _assertSolvent();
    }

    // ------------------------------------------------------------ dishonest requester

    function test_requesterCannotChooseAQuorumOfOne() public {
        Request memory r = _quorumRequest();
        vm.expectRevert(
            abi.encodeWithSelector(
                IQuorumCoordinator.QuorumOutOfRange.selector,
                1,
                DEFAULT_QUORUM,
                coordinator.MAX_QUORUM()
            )
        );
        vm.prank(requester);
        coordinator.open(r, 1);
    }

    function test_requesterCannotRefundWhileTheRoundCanStillSettle() public {
        Request memory r = _quorumRequest();
        for (uint256 i; i < 3; ++i) _commitQuorum(r, i, right);
        vm.expectRevert(
            abi.encodeWithSelector(IInferenceHub.RequestNotExpired.selector, r.id, r.deadline)
        );
        hub.refund(r);
        // The reveal phase ends by the deadline, so the round always has its chance.
        assertLe(_round(r.id).revealEndsAt, r.deadline, "reveals end by the deadline");
    }

    // ------------------------------------------------------------ griefing challengers

    function test_frivolousChallengerLosesTheBondToTheWorker() public {
        (Request memory r, Submission memory s, Challenge memory c) = _disputed(
            ZK_MODEL_ID,
            right,
            wrong
        );
        resolver.resolveWithProof(r, s, c, right, _zkProof(r, right, w[3]));
        assertEq(hub.balanceOf(w[0]), uint256(r.workerRewardWei) + CHALLENGE_BOND, "worker");
        assertEq(hub.balanceOf(w[1]), 0, "challenger lost the bond");
        assertEq(_stake(w[0]), MIN_STAKE, "worker not slashed");
    }

    function test_frivolousEscalationCostsTheEscalatorTheJuryFee() public {
        (Request memory r, Submission memory s, Challenge memory c) = _disputed(
            MODEL_ID,
            right,
            wrong
        );
        vm.deal(w[1], JUROR_FEE);
        vm.prank(w[1]);
        resolver.escalate{value: JUROR_FEE}(r, s, c);
        for (uint256 i = 2; i < 5; ++i) _commitJury(r.id, i, right);
        for (uint256 i = 2; i < 5; ++i) _revealJury(r, s, c, i, right);
        assertEq(hub.balanceOf(w[1]), 0, "bond lost");
        assertEq(resolver.balanceOf(w[1]), 0, "fee lost to the jurors");
        assertEq(
            resolver.balanceOf(w[2]) + resolver.balanceOf(w[3]) + resolver.balanceOf(w[4]),
            uint256(JUROR_FEE) + r.callbackFeeWei,
            "jurors: the fee (and the decisive one the callback fee)"
        );
        _assertSolvent();
    }

    // ------------------------------------------------------------ slashed stake

    function test_aSlashedStakeNeverPaysTwice() public {
        // Worker 0 dissents in three rounds whose reveals all land before any closes.
        Request[3] memory rs;
        for (uint256 k; k < 3; ++k) {
            rs[k] = _quorumRequest();
            _commitQuorum(rs[k], 0, wrong);
            _commitQuorum(rs[k], 1, right);
            _commitQuorum(rs[k], 2, right);
            _revealQuorum(rs[k], 0, wrong);
            _revealQuorum(rs[k], 1, right);
        }
        uint256 registryBefore = address(workers).balance;
        uint256 assetsBefore = _assets(address(coordinator));
        for (uint256 k; k < 3; ++k) _revealQuorum(rs[k], 2, right);
        // 1 ether of stake, 0.5 per dissent: the third round finds nothing left to take.
        assertEq(_stake(w[0]), 0, "stake exhausted");
        assertEq(registryBefore - address(workers).balance, MIN_STAKE, "taken once, in total");
        uint256 rewards = 3 * (uint256(rs[0].workerRewardWei) + rs[0].callbackFeeWei);
        assertEq(
            _assets(address(coordinator)) - assetsBefore,
            rewards + MIN_STAKE,
            "the coordinator received the rewards and exactly the stake taken"
        );
        uint256 credited = coordinator.balanceOf(w[1]) + coordinator.balanceOf(w[2]);
        assertEq(credited, rewards + MIN_STAKE, "credited: rewards + the stake taken, once");
        _assertSolvent();
    }
}
