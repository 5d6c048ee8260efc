// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {QuorumFixture} from "./utils/QuorumFixture.sol";
import {IInferenceHub} from "@verity/solidity/interfaces/IInferenceHub.sol";
import {IModelRegistry} from "@verity/solidity/interfaces/IModelRegistry.sol";
import {IQuorumCoordinator} from "@verity/solidity/interfaces/IQuorumCoordinator.sol";
import {IQuorumRounds} from "@verity/solidity/interfaces/IQuorumRounds.sol";
import {ProofMode, Request, RequestStatus} from "@verity/solidity/types/Inference.sol";

/// @dev QUORUM mode: commit, reveal, settle when `quorum` agree, share and slash at close.
contract QuorumCoordinatorTest is QuorumFixture {
    bytes internal right = _output(7);
    bytes internal wrong = _output(8);

    function _status(uint256 id) internal view returns (RequestStatus) {
        return hub.requestStatus(id);
    }

    function _round(uint256 id) internal view returns (IQuorumRounds.Round memory) {
        return coordinator.getRound(id);
    }

    function _assertSolvent() internal view {
        assertEq(
            _assets(address(coordinator)),
            coordinator.liabilitiesWei(),
            "coordinator assets != liabilities"
        );
    }

    // ------------------------------------------------------------ happy paths

    function test_commit_OpensRoundWithDefaultQuorum() public {
        Request memory r = _quorumRequest();
        _commitQuorum(r, 0, right);
        IQuorumRounds.Round memory round = _round(r.id);
        assertEq(uint256(round.status), uint256(IQuorumRounds.RoundStatus.Open), "open");
        assertEq(round.quorum, DEFAULT_QUORUM, "default quorum");
        assertEq(round.seats, 2 * DEFAULT_QUORUM - 1, "seats");
        assertEq(round.commitEndsAt, block.timestamp + COMMIT_WINDOW, "commit window");
        assertEq(round.revealEndsAt, round.commitEndsAt + REVEAL_WINDOW, "reveal window");
        assertEq(coordinator.membersOf(r.id)[0], w[0], "first seat");
    }

    function test_commit_LastSeatStartsRevealsAtOnce() public {
        Request memory r = _quorumRequest();
        for (uint256 i; i < 3; ++i) _commitQuorum(r, i, right);
        assertEq(_round(r.id).commitEndsAt, block.timestamp, "commit phase over");
        _revealQuorum(r, 0, right);
        assertEq(_round(r.id).revealed, 1, "revealed");
    }

    function test_reveal_SettlesWhenQuorumAgrees() public {
        Request memory r = _quorumRequest();
        for (uint256 i; i < 3; ++i) _commitQuorum(r, i, right);
        _revealQuorum(r, 0, right);
        assertEq(uint256(_status(r.id)), uint256(RequestStatus.Pending), "one vote: pending");

        _revealQuorum(r, 1, right);
        assertEq(uint256(_status(r.id)), uint256(RequestStatus.Settled), "settled");
        assertEq(consumer.resultCount(), 1, "callback once");
        assertEq(consumer.lastOutput(), right, "decided output delivered");
        assertEq(
            hub.balanceOf(address(coordinator)),
            uint256(r.workerRewardWei) + r.callbackFeeWei,
            "hub pays the coordinator the reward and the callback fee"
        );
        assertEq(coordinator.balanceOf(w[1]), r.callbackFeeWei, "decisive revealer: callback fee");
        assertEq(
            uint256(_round(r.id).status),
            uint256(IQuorumRounds.RoundStatus.Decided),
            "decided, still open to the last reveal"
        );
        _assertSolvent();

        _revealQuorum(r, 2, right);
        assertEq(
            uint256(_round(r.id).status),
            uint256(IQuorumRounds.RoundStatus.Closed),
            "last reveal closes"
        );
        uint256 share = r.workerRewardWei / 3;
        uint256 extra = r.workerRewardWei - 3 * share;
        assertEq(coordinator.balanceOf(w[0]), share + extra, "first agreeing: share + remainder");
        assertEq(coordinator.balanceOf(w[1]), share + r.callbackFeeWei, "share + callback fee");
        assertEq(coordinator.balanceOf(w[2]), share, "share");
        assertEq(consumer.resultCount(), 1, "still one callback");
        _assertSolvent();
    }

    function test_close_DissenterSlashedAndAgreeingShareTheSlash() public {
        Request memory r = _quorumRequest();
        _commitQuorum(r, 0, right);
        _commitQuorum(r, 1, wrong);
        _commitQuorum(r, 2, right);
        uint256 stakeBefore = _stake(w[1]);
        _revealQuorum(r, 1, wrong);
        _revealQuorum(r, 0, right);
        _revealQuorum(r, 2, right);

        assertEq(consumer.lastOutput(), right, "the agreed output settles");
        assertEq(_stake(w[1]), stakeBefore - QUORUM_SLASH, "dissenter slashed");
        uint256 pool = uint256(r.workerRewardWei) + QUORUM_SLASH;
        assertEq(coordinator.balanceOf(w[0]), pool / 2, "half of reward + slash");
        assertEq(coordinator.balanceOf(w[2]), pool / 2 + r.callbackFeeWei, "half + callback fee");
        assertEq(coordinator.balanceOf(w[1]), 0, "dissenter paid nothing");
        _assertSolvent();
    }

    /// @dev A seat is a promise to reveal: one taken and left silent is slashed, and its stake
    /// goes to the members who revealed the decided output.
    function test_close_NonRevealerIsSlashedAndPaysTheOthers() public {
        Request memory r = _quorumRequest();
        for (uint256 i; i < 3; ++i) _commitQuorum(r, i, right);
        _revealQuorum(r, 0, right);
        _revealQuorum(r, 1, right);
        vm.expectRevert(
            abi.encodeWithSelector(
                IQuorumRounds.RoundNotClosable.selector,
                r.id,
                _round(r.id).revealEndsAt
            )
        );
        coordinator.close(r.id);

        vm.warp(_round(r.id).revealEndsAt + 1);
        coordinator.close(r.id);
        uint256 pool = uint256(r.workerRewardWei) + QUORUM_SLASH;
        assertEq(coordinator.balanceOf(w[0]), pool / 2 + (pool % 2), "half of reward + slash");
        assertEq(coordinator.balanceOf(w[2]), 0, "non-revealer: nothing");
        assertEq(_stake(w[2]), MIN_STAKE - QUORUM_SLASH, "non-revealer: slashed");
        _assertSolvent();
    }

    function test_close_UndecidedRoundSlashesNobodyAndRequestRefunds() public {
        Request memory r = _quorumRequest();
        _commitQuorum(r, 0, _output(1));
        _commitQuorum(r, 1, _output(2));
        _commitQuorum(r, 2, _output(3));
        _revealQuorum(r, 0, _output(1));
        _revealQuorum(r, 1, _output(2));
        _revealQuorum(r, 2, _output(3));
        assertEq(
            uint256(_round(r.id).status),
            uint256(IQuorumRounds.RoundStatus.Closed),
            "closed without a decision"
        );
        for (uint256 i; i < 3; ++i) assertEq(_stake(w[i]), MIN_STAKE, "nobody slashed");
        assertEq(uint256(_status(r.id)), uint256(RequestStatus.Pending), "still pending");

        vm.warp(r.deadline + 1);
        hub.refund(r);
        assertEq(consumer.failureCount(), 1, "consumer told of the failure");
        assertEq(consumer.resultCount(), 0, "no result");
        _assertSolvent();
    }

    function test_reveal_AfterCommitWindowWithFreeSeats() public {
        Request memory r = _quorumRequest();
        _commitQuorum(r, 0, right);
        _commitQuorum(r, 1, right);
        vm.expectRevert(
            abi.encodeWithSelector(
                IQuorumRounds.CommitPhaseOpen.selector,
                r.id,
                _round(r.id).commitEndsAt
            )
        );
        vm.prank(w[0]);
        coordinator.reveal(r, right, _salt(0));

        vm.warp(_round(r.id).commitEndsAt);
        _revealQuorum(r, 0, right);
        _revealQuorum(r, 1, right);
        assertEq(uint256(_status(r.id)), uint256(RequestStatus.Settled), "settled");
        assertEq(
            uint256(_round(r.id).status),
            uint256(IQuorumRounds.RoundStatus.Closed),
            "both revealed: closed"
        );
    }

    function test_open_RequesterChoosesQuorum() public {
        Request memory r = _quorumRequest();
        vm.prank(requester);
        coordinator.open(r, 3);
        assertEq(_round(r.id).quorum, 3, "quorum");
        assertEq(_round(r.id).seats, 5, "seats");
    }

    function test_open_ShortensCommitPhaseNearTheDeadline() public {
        Request memory r = _quorumRequest(uint64(block.timestamp + 15 minutes));
        _commitQuorum(r, 0, right);
        assertEq(_round(r.id).commitEndsAt, r.deadline - REVEAL_WINDOW, "commit phase shortened");
        assertEq(_round(r.id).revealEndsAt, r.deadline, "reveals end at the deadline");
    }

    function test_setQuorumLimits_BoundTheChoiceAndSetTheDefault() public {
        vm.prank(modelOwner);
        coordinator.setQuorumLimits(QUORUM_MODEL_ID, 3, 4);
        Request memory r = _quorumRequest();
        vm.expectRevert(
            abi.encodeWithSelector(IQuorumCoordinator.QuorumOutOfRange.selector, 2, 3, 4)
        );
        vm.prank(requester);
        coordinator.open(r, 2);
        _commitQuorum(r, 0, right);
        assertEq(_round(r.id).quorum, 3, "the model's minimum is the default");
    }

    function test_withdraw_PullsTheHubCreditWhenNeeded() public {
        Request memory r = _quorumRequest();
        for (uint256 i; i < 3; ++i) _commitQuorum(r, i, right);
        for (uint256 i; i < 3; ++i) _revealQuorum(r, i, right);
        uint256 owed = coordinator.balanceOf(w[0]);
        uint256 before = w[0].balance;
        vm.prank(w[0]);
        coordinator.withdraw(payable(w[0]));
        assertEq(w[0].balance, before + owed, "paid");
        assertEq(hub.balanceOf(address(coordinator)), 0, "hub credit pulled");
        _assertSolvent();
        for (uint256 i = 1; i < 3; ++i) {
            vm.prank(w[i]);
            coordinator.withdraw(payable(w[i]));
        }
        assertEq(address(coordinator).balance, 0, "nothing left behind");
        assertEq(coordinator.liabilitiesWei(), 0, "owes nothing");
    }

    // ------------------------------------------------------------ reverts

    function test_open_RevertWhen_OnlyRequesterChoosesQuorum() public {
        Request memory r = _quorumRequest();
        vm.expectRevert(
            abi.encodeWithSelector(
                IQuorumCoordinator.OnlyRequesterChoosesQuorum.selector,
                r.id,
                w[0]
            )
        );
        vm.prank(w[0]);
        coordinator.open(r, 3);
    }

    function test_open_RevertWhen_QuorumOutOfRange() public {
        Request memory r = _quorumRequest();
        uint8 max = coordinator.MAX_QUORUM();
        vm.expectRevert(
            abi.encodeWithSelector(
                IQuorumCoordinator.QuorumOutOfRange.selector,
                max + 1,
                DEFAULT_QUORUM,
                max
            )
        );
        vm.prank(requester);
        coordinator.open(r, max + 1);
    }

    function test_open_RevertWhen_NotQuorumRequest() public {
        Request memory r = _request();
        vm.expectRevert(
            abi.encodeWithSelector(
                IQuorumCoordinator.NotQuorumRequest.selector,
                r.id,
                ProofMode.ATTESTED
            )
        );
        coordinator.open(r, 0);
    }

    function test_open_RevertWhen_RequestMismatch() public {
        Request memory r = _quorumRequest();
        r.workerRewardWei += 1;
        vm.expectRevert(abi.encodeWithSelector(IQuorumCoordinator.RequestMismatch.selector, r.id));
        coordinator.open(r, 0);
    }

    function test_open_RevertWhen_RequestNotPending() public {
        Request memory r = _quorumRequest();
        vm.warp(r.deadline + 1);
        hub.refund(r);
        vm.expectRevert(
            abi.encodeWithSelector(
                IQuorumCoordinator.RequestNotPending.selector,
                r.id,
                RequestStatus.Refunded
            )
        );
        coordinator.open(r, 0);
    }

    function test_open_RevertWhen_RoundAlreadyOpen() public {
        Request memory r = _quorumRequest();
        coordinator.open(r, 0);
        vm.expectRevert(abi.encodeWithSelector(IQuorumRounds.RoundAlreadyOpen.selector, r.id));
        vm.prank(requester);
        coordinator.open(r, 3);
    }

    function test_open_RevertWhen_RoundTooLate() public {
        Request memory r = _quorumRequest(uint64(block.timestamp + 5 minutes));
        vm.expectRevert(
            abi.encodeWithSelector(IQuorumRounds.RoundTooLate.selector, r.id, r.deadline)
        );
        coordinator.open(r, 0);
    }

    function test_commit_RevertWhen_EmptyCommitment() public {
        Request memory r = _quorumRequest();
        vm.expectRevert(IQuorumRounds.EmptyCommitment.selector);
        vm.prank(w[0]);
        coordinator.commit(r, bytes32(0));
    }

    function test_commit_RevertWhen_NotEligible() public {
        Request memory r = _quorumRequest();
        address stranger = address(0x5757);
        vm.expectRevert(abi.encodeWithSelector(IQuorumRounds.NotEligible.selector, stranger));
        vm.prank(stranger);
        coordinator.commit(r, keccak256("c"));
    }

    function test_commit_RevertWhen_AlreadyCommitted() public {
        Request memory r = _quorumRequest();
        _commitQuorum(r, 0, right);
        vm.expectRevert(
            abi.encodeWithSelector(IQuorumRounds.AlreadyCommitted.selector, r.id, w[0])
        );
        vm.prank(w[0]);
        coordinator.commit(r, keccak256("again"));
    }

    function test_commit_RevertWhen_SeatsTaken() public {
        Request memory r = _quorumRequest();
        for (uint256 i; i < 3; ++i) _commitQuorum(r, i, right);
        vm.expectRevert(abi.encodeWithSelector(IQuorumRounds.SeatsTaken.selector, r.id, 3));
        vm.prank(w[3]);
        coordinator.commit(r, keccak256("late"));
    }

    function test_commit_RevertWhen_CommitPhaseOver() public {
        Request memory r = _quorumRequest();
        _commitQuorum(r, 0, right);
        uint64 endsAt = _round(r.id).commitEndsAt;
        vm.warp(endsAt);
        vm.expectRevert(
            abi.encodeWithSelector(IQuorumRounds.CommitPhaseOver.selector, r.id, endsAt)
        );
        vm.prank(w[1]);
        coordinator.commit(r, keccak256("late"));
    }

    function test_reveal_RevertWhen_CommitmentMismatch() public {
        Request memory r = _quorumRequest();
        for (uint256 i; i < 3; ++i) _commitQuorum(r, i, right);
        vm.expectRevert(
            abi.encodeWithSelector(IQuorumRounds.CommitmentMismatch.selector, r.id, w[0])
        );
        vm.prank(w[0]);
        coordinator.reveal(r, wrong, _salt(0));
    }

    function test_reveal_RevertWhen_NotCommitted() public {
        Request memory r = _quorumRequest();
        for (uint256 i; i < 3; ++i) _commitQuorum(r, i, right);
        vm.expectRevert(abi.encodeWithSelector(IQuorumRounds.NotCommitted.selector, r.id, w[3]));
        vm.prank(w[3]);
        coordinator.reveal(r, right, _salt(3));
    }

    function test_reveal_RevertWhen_AlreadyRevealed() public {
        Request memory r = _quorumRequest();
        for (uint256 i; i < 3; ++i) _commitQuorum(r, i, right);
        _revealQuorum(r, 0, right);
        vm.expectRevert(abi.encodeWithSelector(IQuorumRounds.AlreadyRevealed.selector, r.id, w[0]));
        vm.prank(w[0]);
        coordinator.reveal(r, right, _salt(0));
    }

    function test_reveal_RevertWhen_RevealPhaseOver() public {
        Request memory r = _quorumRequest();
        for (uint256 i; i < 3; ++i) _commitQuorum(r, i, right);
        uint64 endsAt = _round(r.id).revealEndsAt;
        vm.warp(endsAt + 1);
        vm.expectRevert(
            abi.encodeWithSelector(IQuorumRounds.RevealPhaseOver.selector, r.id, endsAt)
        );
        vm.prank(w[0]);
        coordinator.reveal(r, right, _salt(0));
    }

    function test_reveal_RevertWhen_HubPaused() public {
        Request memory r = _quorumRequest();
        for (uint256 i; i < 3; ++i) _commitQuorum(r, i, right);
        _revealQuorum(r, 0, right);
        vm.prank(admin);
        hub.pause();
        vm.expectRevert(IInferenceHub.EnforcedPause.selector);
        vm.prank(w[1]);
        coordinator.reveal(r, right, _salt(1));
        vm.prank(admin);
        hub.unpause();
        _revealQuorum(r, 1, right);
        assertEq(uint256(_status(r.id)), uint256(RequestStatus.Settled), "settles after unpause");
    }

    function test_close_RevertWhen_RoundNotOpen() public {
        Request memory r = _quorumRequest();
        vm.expectRevert(
            abi.encodeWithSelector(
                IQuorumRounds.RoundNotOpen.selector,
                r.id,
                IQuorumRounds.RoundStatus.None
            )
        );
        coordinator.close(r.id);
    }

    function test_verify_RevertWhen_NotSettling() public {
        Request memory r = _quorumRequest();
        vm.expectRevert(abi.encodeWithSelector(IQuorumCoordinator.NotSettling.selector, r.id));
        hub.submitResult(r, right, bytes32(0), "");
    }

    function test_withdraw_RevertWhen_NothingToWithdraw() public {
        vm.expectRevert(IQuorumRounds.NothingToWithdraw.selector);
        vm.prank(w[0]);
        coordinator.withdraw(payable(w[0]));
    }

    function test_receive_RevertWhen_UnexpectedSender() public {
        vm.deal(address(this), 1 ether);
        (bool ok, bytes memory data) = address(coordinator).call{value: 1}("");
        assertFalse(ok, "refused");
        assertEq(
            data,
            abi.encodeWithSelector(IQuorumRounds.UnexpectedSender.selector, address(this)),
            "UnexpectedSender"
        );
    }

    function test_setQuorumLimits_RevertWhen_NotModelOwner() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IQuorumCoordinator.NotModelOwner.selector,
                QUORUM_MODEL_ID,
                requester
            )
        );
        vm.prank(requester);
        coordinator.setQuorumLimits(QUORUM_MODEL_ID, 2, 3);
    }

    function test_setQuorumLimits_RevertWhen_InvalidQuorumLimits() public {
        vm.startPrank(modelOwner);
        vm.expectRevert(
            abi.encodeWithSelector(IQuorumCoordinator.InvalidQuorumLimits.selector, 1, 3)
        );
        coordinator.setQuorumLimits(QUORUM_MODEL_ID, 1, 3);
        vm.expectRevert(
            abi.encodeWithSelector(IQuorumCoordinator.InvalidQuorumLimits.selector, 4, 3)
        );
        coordinator.setQuorumLimits(QUORUM_MODEL_ID, 4, 3);
        vm.expectRevert(
            abi.encodeWithSelector(IQuorumCoordinator.InvalidQuorumLimits.selector, 2, 9)
        );
        coordinator.setQuorumLimits(QUORUM_MODEL_ID, 2, 9);
        vm.stopPrank();
    }

    function test_setConfig_RevertWhen_InvalidConfig() public {
        IQuorumCoordinator.QuorumConfig memory cfg = coordinator.config();
        cfg.defaultQuorum = 1;
        vm.expectRevert(IQuorumRounds.InvalidConfig.selector);
        vm.prank(admin);
        coordinator.setConfig(cfg);
    }

    function test_setConfig_RevertWhen_NotAdmin() public {
        IQuorumCoordinator.QuorumConfig memory cfg = coordinator.config();
        vm.expectRevert();
        vm.prank(requester);
        coordinator.setConfig(cfg);
    }

    function test_requestInference_QuorumNeedsTheModelToAllowIt() public {
        IModelRegistry.RequestTerms memory terms = models.getRequestTerms(MODEL_ID);
        assertEq(terms.proofModes & (1 << uint8(ProofMode.QUORUM)), 0, "fixture model: no QUORUM");
        uint256 payment = hub.quote(MODEL_ID, 0);
        bytes memory input = _input();
        vm.expectRevert(
            abi.encodeWithSelector(
                IInferenceHub.ProofModeNotAllowed.selector,
                MODEL_ID,
                ProofMode.QUORUM
            )
        );
        vm.prank(requester);
        hub.requestInference{value: payment}(
            MODEL_ID,
            input,
            ProofMode.QUORUM,
            address(0),
            address(0),
            0,
            uint64(block.timestamp + 1 hours)
        );
    }
}
