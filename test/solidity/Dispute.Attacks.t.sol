// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {QuorumFixture} from "./utils/QuorumFixture.sol";
import {IDisputeResolver} from "@verity/solidity/interfaces/IDisputeResolver.sol";
import {IInferenceHub} from "@verity/solidity/interfaces/IInferenceHub.sol";
import {IProofVerifier} from "@verity/solidity/interfaces/IProofVerifier.sol";
import {IQuorumRounds} from "@verity/solidity/interfaces/IQuorumRounds.sol";
import {
    Challenge,
    FailureReason,
    ProofMode,
    Request,
    RequestStatus,
    Submission
} from "@verity/solidity/types/Inference.sol";

/// @dev Attacks on disputes, failure reports and the rules that decide a request, each by a
/// hostile party: a model owner, a worker with a second address, a vetoing worker, a requester.
/// Every test here passed as an attack against an earlier version of the contracts.
contract DisputeAttacksTest is QuorumFixture {
    bytes internal right = _output(7);
    bytes internal wrong = _output(8);
    address internal prover = address(0x9120);

    /// @dev An ATTESTED-only model whose owner is the attacker.
    bytes32 internal constant LATE_ZK_MODEL_ID =
        0x3c1d0e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d;

    /// @dev Model owner binds a ZK verifier after an honest worker answered an ATTESTED request,
    /// challenges that answer and "proves" another output with the verifier it just bound: the
    /// dispute must be decided by the rules the request was made with (a jury), not by the proof.
    function test_Attack_LateZkBindingDecidesDispute() public {
        vm.prank(modelOwner);
        models.registerModel(LATE_ZK_MODEL_ID, _spec(_shape(1, 16), _shape(1, 1)));
        (Request memory r, Submission memory s) = _requestAndSubmit(LATE_ZK_MODEL_ID, right);
        assertEq(r.zkVerifier, address(0), "made without a ZK verifier");
        Challenge memory c = _challenge(modelOwner, r, s, keccak256(wrong));

        vm.startPrank(modelOwner);
        _commitZk(LATE_ZK_MODEL_ID);
        vm.stopPrank();
        vm.expectRevert(
            abi.encodeWithSelector(IDisputeResolver.NoZkVerifier.selector, LATE_ZK_MODEL_ID)
        );
        vm.prank(modelOwner);
        resolver.resolveWithProof(r, s, c, wrong, _zkProof(r, wrong, prover));

        assertEq(_stake(w[0]), MIN_STAKE, "honest worker keeps its stake");
        assertEq(uint256(hub.requestStatus(r.id)), uint256(RequestStatus.Challenged), "undecided");
        // The jury the request was made for still decides it.
        _escalate(r, s, c);
    }

    /// @dev A dishonest worker front-runs the honest challenge of its own wrong result from a
    /// second address. Whatever happens next, it must lose: with the dispute decided against it,
    /// its second address gets back less than the stake it lost.
    function test_Attack_SelfChallengeRecoversTheSlash() public {
        (Request memory r, Submission memory s) = _requestAndSubmit(MODEL_ID, wrong);
        address secondAddress = address(0x5EC0);
        Challenge memory c = _challenge(secondAddress, r, s, keccak256(right));
        uint256 before = _stake(w[0]) + secondAddress.balance + CHALLENGE_BOND;

        // The honest watcher cannot challenge any more, but it can escalate the dispute.
        _escalate(r, s, c);
        _juryVotes(r, s, c, right);

        vm.prank(secondAddress);
        hub.withdraw(payable(secondAddress));
        uint256 afterwards = _stake(w[0]) + secondAddress.balance;
        assertEq(before - afterwards, SLASH_AMOUNT - CHALLENGER_SLASH, "the liar nets a loss");
        assertEq(hub.balanceOf(treasury), SLASH_AMOUNT - CHALLENGER_SLASH, "treasury: the rest");
    }

    /// @dev A worker vetoes a QUORUM request by reporting a failure before the round decides.
    function test_Attack_FailureReportVetoesQuorumRequest() public {
        Request memory r = _quorumRequest();
        bytes memory sig = _signFailure(KEYS[0], r, FailureReason.InputOutOfRange);
        vm.expectRevert(
            abi.encodeWithSelector(IInferenceHub.FailureReportNotAllowed.selector, r.id)
        );
        hub.reportFailure(r, _input(), FailureReason.InputOutOfRange, ENV, sig);
        assertEq(uint256(hub.requestStatus(r.id)), uint256(RequestStatus.Pending), "untouched");
    }

    /// @dev A worker vetoes a ZK request by reporting a failure ahead of the deciding proof.
    function test_Attack_FailureReportVetoesZkRequest() public {
        uint256 payment = hub.quote(ZK_MODEL_ID, 0);
        vm.recordLogs();
        vm.prank(requester);
        hub.requestInference{value: payment}(
            ZK_MODEL_ID,
            _input(),
            ProofMode.ZK,
            address(0),
            address(0),
            0,
            uint64(block.timestamp + 1 hours)
        );
        Request memory r = _lastRequest();
        bytes memory sig = _signFailure(KEYS[0], r, FailureReason.InputShapeMismatch);
        vm.expectRevert(
            abi.encodeWithSelector(IInferenceHub.FailureReportNotAllowed.selector, r.id)
        );
        hub.reportFailure(r, _input(), FailureReason.InputShapeMismatch, ENV, sig);
        hub.submitResult(r, right, bytes32(0), _zkProof(r, right, prover));
        assertEq(uint256(hub.requestStatus(r.id)), uint256(RequestStatus.Settled), "proved");
    }

    /// @dev A worker claims a well-formed input is misshapen: the chain checks it itself.
    function test_Attack_FalseShapeFailureOnValidInput() public {
        Request memory r = _requestOnly(MODEL_ID);
        bytes memory sig = _signFailure(KEYS[0], r, FailureReason.InputShapeMismatch);
        vm.expectRevert(
            abi.encodeWithSelector(
                IInferenceHub.FailureNotShown.selector,
                r.id,
                FailureReason.InputShapeMismatch
            )
        );
        hub.reportFailure(r, _input(), FailureReason.InputShapeMismatch, ENV, sig);
    }

    /// @dev A worker claims an input is out of range to fail a request it did not want to run:
    /// the report is open to challenge like a result, and a proof of the real output slashes it.
    function test_Attack_FalseOutOfRangeFailureIsSlashed() public {
        Request memory r = _requestOnly(ZK_MODEL_ID);
        Submission memory s = _reportOutOfRange(r);
        Challenge memory c = _challenge(w[1], r, s, keccak256(right));
        resolver.resolveWithProof(r, s, c, right, _zkProof(r, right, prover));
        assertEq(_stake(w[0]), MIN_STAKE - SLASH_AMOUNT, "the false report is slashed");
        assertEq(hub.balanceOf(w[1]), CHALLENGE_BOND + CHALLENGER_SLASH, "challenger paid");
        assertEq(uint256(hub.requestStatus(r.id)), uint256(RequestStatus.Refunded), "refunded");
    }

    /// @dev A true out-of-range report stands against a wrong challenge: the jury agrees it cannot
    /// be answered, the request fails, and the worker earns the challenger's bond.
    function test_Attack_ChallengeOfTrueFailureLosesTheBond() public {
        Request memory r = _requestOnly(MODEL_ID);
        Submission memory s = _reportOutOfRange(r);
        Challenge memory c = _challenge(w[1], r, s, keccak256(right));
        _escalate(r, s, c);
        _juryVotes(r, s, c, hub.failureOutput(FailureReason.InputOutOfRange));
        assertEq(uint256(hub.requestStatus(r.id)), uint256(RequestStatus.Failed), "failed");
        assertEq(hub.balanceOf(w[0]), CHALLENGE_BOND, "worker earns the bond");
        assertEq(_stake(w[0]), MIN_STAKE, "an honest report keeps its stake");
    }

    /// @dev The admin pauses the hub: nobody can challenge, and a wrong result must not become
    /// final meanwhile, nor right after.
    function test_Attack_PauseLetsWrongResultFinalize() public {
        (Request memory r, Submission memory s) = _requestAndSubmit(MODEL_ID, wrong);
        vm.prank(admin);
        hub.pause();
        vm.warp(s.finalizableAt);
        vm.expectRevert(IInferenceHub.EnforcedPause.selector);
        hub.finalize(r, s, wrong);
        vm.prank(admin);
        hub.unpause();
        // A watcher still has a full window to challenge.
        vm.warp(block.timestamp + CHALLENGE_WINDOW - 1);
        _challenge(w[1], r, s, keccak256(right));
        assertEq(uint256(hub.requestStatus(r.id)), uint256(RequestStatus.Challenged), "caught");
    }

    /// @dev A requester asks for more callback gas than a transaction can carry: refund and
    /// challenge expiry could then never run, stranding escrow and bonds.
    function test_Attack_HugeCallbackGasLimitStrandsEscrow() public {
        uint32 limit = type(uint32).max;
        uint256 payment = hub.quote(MODEL_ID, limit);
        vm.expectRevert(
            abi.encodeWithSelector(
                IInferenceHub.CallbackGasLimitTooHigh.selector,
                limit,
                hub.MAX_CALLBACK_GAS_LIMIT()
            )
        );
        vm.prank(requester);
        hub.requestInference{value: payment}(
            MODEL_ID,
            _input(),
            ProofMode.ATTESTED,
            address(0),
            address(consumer),
            limit,
            uint64(block.timestamp + 1 hours)
        );
    }

    /// @dev The admin swaps the QUORUM verifier under pending requests for one that names it.
    function test_Attack_AdminSwapsVerifierUnderPendingRequest() public {
        _quorumRequest();
        vm.expectRevert(
            abi.encodeWithSelector(IInferenceHub.ProofVerifierAlreadySet.selector, ProofMode.QUORUM)
        );
        vm.prank(admin);
        hub.setProofVerifier(ProofMode.QUORUM, IProofVerifier(admin));
    }

    /// @dev A worker takes every seat of a QUORUM round but one and never reveals, so no quorum
    /// can form and the honest member goes unpaid: the silent seats must cost their stake.
    function test_Attack_SeatSquattingIsFree() public {
        Request memory r = _quorumRequest();
        _commitQuorum(r, 0, right);
        _commitQuorum(r, 1, right); // the squatter's first identity
        _commitQuorum(r, 2, right); // and its second
        _revealQuorum(r, 0, right);
        vm.warp(coordinator.getRound(r.id).revealEndsAt + 1);
        coordinator.close(r.id);
        assertEq(_stake(w[1]), MIN_STAKE - QUORUM_SLASH, "first silent seat slashed");
        assertEq(_stake(w[2]), MIN_STAKE - QUORUM_SLASH, "second silent seat slashed");
        assertEq(coordinator.balanceOf(w[0]), 2 * uint256(QUORUM_SLASH), "the revealer is paid");
        assertEq(
            uint256(coordinator.getRound(r.id).status),
            uint256(IQuorumRounds.RoundStatus.Closed),
            "closed"
        );
    }

    /// @dev One entry whose deadline passed while the batch was in flight must not sink the
    /// others.
    function test_Attack_OneExpiredEntryRevertsTheBatch() public {
        Request memory stale = _requestOnly(MODEL_ID);
        vm.warp(stale.deadline);
        Request memory fresh = _requestOnly(MODEL_ID);
        vm.warp(uint256(stale.deadline) + 1);
        IInferenceHub.ResultSubmission[] memory batch = new IInferenceHub.ResultSubmission[](2);
        batch[0] = IInferenceHub.ResultSubmission(
            stale,
            right,
            ENV,
            _signResult(KEYS[0], stale, right, ENV)
        );
        batch[1] = IInferenceHub.ResultSubmission(
            fresh,
            right,
            ENV,
            _signResult(KEYS[0], fresh, right, ENV)
        );
        vm.expectEmit();
        emit IInferenceHub.ResultSkipped(stale.id, RequestStatus.Pending);
        hub.submitResults(batch);
        assertEq(uint256(hub.requestStatus(fresh.id)), uint256(RequestStatus.Submitted), "sent");
    }

    /// @dev Governance revokes a build after it signed a result: the result must not be paid out
    /// as if someone still vouched for it.
    function test_Attack_RevokedEnvironmentResultFinalizes() public {
        (Request memory r, Submission memory s) = _requestAndSubmit(MODEL_ID, wrong);
        vm.prank(admin);
        workers.revokeEnvironment(ENV);
        vm.warp(s.finalizableAt);
        hub.finalize(r, s, wrong);
        assertEq(uint256(hub.requestStatus(r.id)), uint256(RequestStatus.Refunded), "refunded");
        assertEq(hub.balanceOf(w[0]), 0, "the revoked build is not paid");
        assertEq(consumer.resultCount(), 0, "the consumer never acts on it");
    }

    /// @dev A proof lands after the dispute timed out, when the worker's stake may already be
    /// unbonding: only expiry can close the dispute then.
    function test_Attack_VerdictAfterDisputeTimeout() public {
        (Request memory r, Submission memory s, Challenge memory c) = _disputed(
            ZK_MODEL_ID,
            wrong,
            right
        );
        uint64 expiresAt = c.challengedAt + DISPUTE_TIMEOUT;
        vm.warp(expiresAt);
        vm.expectRevert(
            abi.encodeWithSelector(IInferenceHub.DisputeExpired.selector, r.id, expiresAt)
        );
        resolver.resolveWithProof(r, s, c, right, _zkProof(r, right, prover));
        hub.expireChallenge(r, s, c);
    }

    /// @dev The guardian pauses the hub during a QUORUM round's reveal phase. The reveal that decides
    /// the round settles the request through `hub.submitResult`, which refuses while paused, so no
    /// honest member after the first can reveal: they must not be slashed as silent seats (found
    /// by `invariant_honestWorkerStakeNeverDecreases`).
    function test_Attack_PauseSlashesHonestQuorumRevealers() public {
        Request memory r = _quorumRequest(uint64(block.timestamp + 2 hours));
        for (uint256 i; i < 3; ++i) _commitQuorum(r, i, right);
        // Every seat is taken: the reveal phase starts now.
        _revealQuorum(r, 0, right);

        vm.prank(admin);
        hub.pause();
        // Each of the two others would decide the round, and so settle the request: refused.
        for (uint256 i = 1; i < 3; ++i) {
            vm.expectRevert(IInferenceHub.EnforcedPause.selector);
            _revealQuorum(r, i, right);
        }
        IQuorumRounds.Round memory round = coordinator.getRound(r.id);
        vm.warp(uint256(round.revealEndsAt) + 1);
        vm.prank(admin);
        hub.unpause();
        coordinator.close(r.id);

        // All three revealed (or tried to reveal) the right output.
        assertEq(_stake(w[1]), MIN_STAKE, "honest member slashed because the hub was paused");
        assertEq(_stake(w[2]), MIN_STAKE, "honest member slashed because the hub was paused");
        assertEq(
            uint256(hub.requestStatus(r.id)),
            uint256(RequestStatus.Pending),
            "the request waits for its deadline refund"
        );
    }

    /// @dev Three jurors (workers 2, 3 and 4) re-run the request and reveal `output`.
    function _juryVotes(
        Request memory r,
        Submission memory s,
        Challenge memory c,
        bytes memory output
    ) internal {
        for (uint256 i = 2; i < 5; ++i) _commitJury(r.id, i, output);
        for (uint256 i = 2; i < 4; ++i) _revealJury(r, s, c, i, output);
    }

    /// @dev Worker 0 reports that `r`'s input is out of range: a challengeable failure output.
    function _reportOutOfRange(Request memory r) internal returns (Submission memory) {
        bytes memory failure = hub.failureOutput(FailureReason.InputOutOfRange);
        hub.reportFailure(
            r,
            _input(),
            FailureReason.InputOutOfRange,
            ENV,
            _signFailure(KEYS[0], r, FailureReason.InputOutOfRange)
        );
        return
            Submission(
                w[0],
                keccak256(failure),
                ENV,
                uint64(block.timestamp) + r.challengeWindowSeconds
            );
    }

    /// @dev An ATTESTED request for `modelId` answered with `output` by worker 0.
    function _requestAndSubmit(
        bytes32 modelId,
        bytes memory output
    ) internal returns (Request memory r, Submission memory s) {
        r = _requestOnly(modelId);
        s = _submit(KEYS[0], r, output);
    }
}
