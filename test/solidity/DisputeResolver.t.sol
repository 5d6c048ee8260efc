// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {QuorumFixture} from "./utils/QuorumFixture.sol";
import {MockProofVerifier} from "../../contracts/mocks/MockProofVerifier.sol";
import {IDisputeResolver} from "@verity/solidity/interfaces/IDisputeResolver.sol";
import {IInferenceHub} from "@verity/solidity/interfaces/IInferenceHub.sol";
import {IProofVerifier} from "@verity/solidity/interfaces/IProofVerifier.sol";
import {IQuorumRounds} from "@verity/solidity/interfaces/IQuorumRounds.sol";
import {
    Challenge,
    ProofMode,
    Request,
    RequestStatus,
    Submission
} from "@verity/solidity/types/Inference.sol";

/// @dev Disputes over ATTESTED results: decided by a ZK proof at once, or by a jury of other
/// workers; the loser pays, the consumer hears only the outcome.
contract DisputeResolverTest is QuorumFixture {
    bytes internal right = _output(7);
    bytes internal wrong = _output(8);
    address internal prover = address(0x9120);

    function _status(uint256 id) internal view returns (RequestStatus) {
        return hub.requestStatus(id);
    }

    function _round(uint256 id) internal view returns (IQuorumRounds.Round memory) {
        return resolver.getRound(id);
    }

    function _assertSolvent() internal view {
        assertEq(
            _assets(address(resolver)),
            resolver.liabilitiesWei(),
            "resolver assets != liabilities"
        );
    }

    /// @dev What the requester is refunded when a request with a callback is overturned.
    function _refundOf(Request memory r) internal pure returns (uint256) {
        return uint256(r.modelFeeWei) + r.workerRewardWei;
    }

    // ------------------------------------------------------------ challenge guards (hub)

    function test_challenge_RevertWhen_InsufficientBond() public {
        Request memory r = _request();
        Submission memory s = _submit(KEYS[0], r, wrong);
        vm.deal(w[1], 1 ether);
        vm.expectRevert(
            abi.encodeWithSelector(
                IInferenceHub.InsufficientBond.selector,
                CHALLENGE_BOND - 1,
                CHALLENGE_BOND
            )
        );
        vm.prank(w[1]);
        hub.challenge{value: CHALLENGE_BOND - 1}(r, s, keccak256(right));
    }

    function test_challenge_RevertWhen_ChallengeWindowClosed() public {
        Request memory r = _request();
        Submission memory s = _submit(KEYS[0], r, wrong);
        vm.warp(s.finalizableAt);
        vm.deal(w[1], 1 ether);
        vm.expectRevert(
            abi.encodeWithSelector(
                IInferenceHub.ChallengeWindowClosed.selector,
                r.id,
                s.finalizableAt
            )
        );
        vm.prank(w[1]);
        hub.challenge{value: CHALLENGE_BOND}(r, s, keccak256(right));
    }

    function test_challenge_RevertWhen_RequestSettled() public {
        Request memory r = _request();
        Submission memory s = _submit(KEYS[0], r, wrong);
        vm.warp(s.finalizableAt);
        hub.finalize(r, s, wrong);
        vm.deal(w[1], 1 ether);
        vm.expectRevert(
            abi.encodeWithSelector(
                IInferenceHub.RequestNotSubmitted.selector,
                r.id,
                RequestStatus.Settled
            )
        );
        vm.prank(w[1]);
        hub.challenge{value: CHALLENGE_BOND}(r, s, keccak256(right));
    }

    // ------------------------------------------------------------ ZK

    function test_resolveWithProof_OverturnsAWrongResult() public {
        (Request memory r, Submission memory s, Challenge memory c) = _disputed(
            ZK_MODEL_ID,
            wrong,
            right
        );
        uint256 requesterBefore = hub.balanceOf(requester);
        vm.prank(w[3]);
        resolver.resolveWithProof(r, s, c, right, _zkProof(r, right, prover));

        assertEq(uint256(_status(r.id)), uint256(RequestStatus.Refunded), "overturned: refunded");
        assertEq(_stake(w[0]), MIN_STAKE - SLASH_AMOUNT, "worker slashed");
        assertEq(
            hub.balanceOf(w[1]),
            CHALLENGE_BOND + CHALLENGER_SLASH,
            "challenger: bond + slash"
        );
        assertEq(hub.balanceOf(requester), requesterBefore + _refundOf(r), "requester refunded");
        assertEq(consumer.failureCount(), 1, "consumer told it failed");
        assertEq(consumer.resultCount(), 0, "never the overturned output");
        assertEq(resolver.balanceOf(w[3]), r.callbackFeeWei, "sender: callback fee");
        _assertSolvent();
    }

    function test_resolveWithProof_UpholdsARightResult() public {
        (Request memory r, Submission memory s, Challenge memory c) = _disputed(
            ZK_MODEL_ID,
            right,
            wrong
        );
        resolver.resolveWithProof(r, s, c, right, _zkProof(r, right, prover));

        assertEq(uint256(_status(r.id)), uint256(RequestStatus.Settled), "upheld: settled");
        assertEq(_stake(w[0]), MIN_STAKE, "worker keeps its stake");
        assertEq(
            hub.balanceOf(w[0]),
            uint256(r.workerRewardWei) + CHALLENGE_BOND,
            "worker: reward + the bond"
        );
        assertEq(hub.balanceOf(w[1]), 0, "challenger loses its bond");
        assertEq(consumer.resultCount(), 1, "result delivered once");
        assertEq(consumer.lastOutput(), right, "the proven output");
        _assertSolvent();
    }

    function test_resolveWithProof_ProofOfAThirdOutputOverturns() public {
        (Request memory r, Submission memory s, Challenge memory c) = _disputed(
            ZK_MODEL_ID,
            wrong,
            _output(9)
        );
        resolver.resolveWithProof(r, s, c, right, _zkProof(r, right, prover));
        assertEq(uint256(_status(r.id)), uint256(RequestStatus.Refunded), "the result was wrong");
        assertEq(_stake(w[0]), MIN_STAKE - SLASH_AMOUNT, "worker slashed");
    }

    function test_resolveWithProof_RevertWhen_ResolvedAlready() public {
        (Request memory r, Submission memory s, Challenge memory c) = _disputed(
            ZK_MODEL_ID,
            wrong,
            right
        );
        bytes memory proof = _zkProof(r, right, prover);
        resolver.resolveWithProof(r, s, c, right, proof);
        vm.expectRevert(
            abi.encodeWithSelector(
                IInferenceHub.RequestNotChallenged.selector,
                r.id,
                RequestStatus.Refunded
            )
        );
        resolver.resolveWithProof(r, s, c, right, proof);
    }

    function test_resolveWithProof_RevertWhen_ProofInvalid() public {
        (Request memory r, Submission memory s, Challenge memory c) = _disputed(
            ZK_MODEL_ID,
            wrong,
            right
        );
        bytes memory proofOfWrong = _zkProof(r, wrong, prover);
        vm.expectRevert(MockProofVerifier.BadProof.selector);
        resolver.resolveWithProof(r, s, c, right, proofOfWrong);
    }

    function test_resolveWithProof_RevertWhen_NoZkVerifier() public {
        (Request memory r, Submission memory s, Challenge memory c) = _disputed(
            MODEL_ID,
            wrong,
            right
        );
        bytes memory proof = _zkProof(r, right, prover);
        vm.expectRevert(abi.encodeWithSelector(IDisputeResolver.NoZkVerifier.selector, MODEL_ID));
        resolver.resolveWithProof(r, s, c, right, proof);
    }

    // ------------------------------------------------------------ jury

    function test_escalate_OpensAJuryRound() public {
        (Request memory r, Submission memory s, Challenge memory c) = _disputed(
            MODEL_ID,
            wrong,
            right
        );
        _escalate(r, s, c);
        IQuorumRounds.Round memory round = _round(r.id);
        assertEq(round.quorum, JURY_SIZE, "jury size");
        assertEq(round.seats, 2 * JURY_SIZE - 1, "seats");
        assertEq(round.rewardWei, JUROR_FEE, "fee held");
        assertEq(round.sponsor, address(0xE5CA), "escalator");
        assertEq(resolver.partiesOf(r.id).worker, w[0], "worker");
        assertEq(resolver.partiesOf(r.id).challenger, w[1], "challenger");
        _assertSolvent();
    }

    function test_reveal_JuryOverturnsAWrongResult() public {
        (Request memory r, Submission memory s, Challenge memory c) = _disputed(
            MODEL_ID,
            wrong,
            right
        );
        _escalate(r, s, c);
        _commitJury(r.id, 2, right);
        _commitJury(r.id, 3, wrong);
        _commitJury(r.id, 4, right);
        _revealJury(r, s, c, 3, wrong);
        _revealJury(r, s, c, 2, right);
        assertEq(uint256(_status(r.id)), uint256(RequestStatus.Challenged), "one vote each");
        _revealJury(r, s, c, 4, right);

        assertEq(uint256(_status(r.id)), uint256(RequestStatus.Refunded), "overturned");
        assertEq(_stake(w[0]), MIN_STAKE - SLASH_AMOUNT, "worker slashed");
        assertEq(
            hub.balanceOf(w[1]),
            CHALLENGE_BOND + CHALLENGER_SLASH,
            "challenger: bond + slash"
        );
        assertEq(consumer.failureCount(), 1, "consumer told it failed");
        assertEq(consumer.resultCount(), 0, "never the overturned output");

        assertEq(_stake(w[3]), MIN_STAKE - JUROR_SLASH, "dissenting juror slashed");
        uint256 pool = uint256(JUROR_FEE) + JUROR_SLASH;
        assertEq(resolver.balanceOf(w[2]), pool / 2, "juror: half of fee + slash");
        assertEq(resolver.balanceOf(w[4]), pool / 2 + r.callbackFeeWei, "+ callback fee");
        _assertSolvent();
    }

    function test_reveal_JuryUpholdsARightResult() public {
        (Request memory r, Submission memory s, Challenge memory c) = _disputed(
            MODEL_ID,
            right,
            wrong
        );
        _escalate(r, s, c);
        for (uint256 i = 2; i < 5; ++i) _commitJury(r.id, i, right);
        for (uint256 i = 2; i < 5; ++i) _revealJury(r, s, c, i, right);

        assertEq(uint256(_status(r.id)), uint256(RequestStatus.Settled), "upheld");
        assertEq(
            hub.balanceOf(w[0]),
            uint256(r.workerRewardWei) + CHALLENGE_BOND,
            "worker: reward + bond"
        );
        assertEq(consumer.lastOutput(), right, "the upheld output, once");
        assertEq(consumer.resultCount(), 1, "once");
        assertEq(uint256(_round(r.id).status), uint256(IQuorumRounds.RoundStatus.Closed), "closed");
        _assertSolvent();
    }

    function test_reveal_DecidingRevealNeedsTheHubsStructs() public {
        (Request memory r, Submission memory s, Challenge memory c) = _disputed(
            MODEL_ID,
            wrong,
            right
        );
        _escalate(r, s, c);
        for (uint256 i = 2; i < 5; ++i) _commitJury(r.id, i, right);
        _revealJury(r, s, c, 2, right);
        Challenge memory forged = Challenge(w[4], c.bondWei, c.claimedOutputHash, c.challengedAt);
        vm.expectRevert(abi.encodeWithSelector(IInferenceHub.RequestMismatch.selector, r.id));
        _revealJury(r, s, forged, 3, right);
        _revealJury(r, s, c, 3, right);
        assertEq(
            hub.balanceOf(w[1]),
            CHALLENGE_BOND + CHALLENGER_SLASH,
            "the real challenger wins"
        );
    }

    function test_close_UndecidedJuryRefundsTheFeeAndTheChallengeExpires() public {
        (Request memory r, Submission memory s, Challenge memory c) = _disputed(
            MODEL_ID,
            wrong,
            right
        );
        _escalate(r, s, c);
        _commitJury(r.id, 2, right);
        _commitJury(r.id, 3, wrong);
        vm.warp(_round(r.id).commitEndsAt);
        _revealJury(r, s, c, 2, right);
        _revealJury(r, s, c, 3, wrong);
        assertEq(uint256(_round(r.id).status), uint256(IQuorumRounds.RoundStatus.Closed), "closed");
        assertEq(resolver.balanceOf(address(0xE5CA)), JUROR_FEE, "fee back to the escalator");
        assertEq(_stake(w[2]) + _stake(w[3]), 2 * MIN_STAKE, "nobody slashed");

        vm.warp(c.challengedAt + DISPUTE_TIMEOUT);
        hub.expireChallenge(r, s, c);
        assertEq(hub.balanceOf(w[1]), CHALLENGE_BOND, "bond returned");
        assertEq(_stake(w[0]), MIN_STAKE, "worker not slashed");
        _assertSolvent();
    }

    function test_reveal_VerdictNotAppliedWhenTheHubClosedTheDispute() public {
        (Request memory r, Submission memory s, Challenge memory c) = _disputed(
            MODEL_ID,
            wrong,
            right
        );
        _escalate(r, s, c);
        for (uint256 i = 2; i < 5; ++i) _commitJury(r.id, i, right);
        // Another holder of the role (an admin in an emergency) decides first.
        bytes32 role = hub.DISPUTE_RESOLVER_ROLE();
        vm.startPrank(admin);
        hub.grantRole(role, admin);
        hub.resolveChallenge(r, s, c, "", true);
        vm.stopPrank();

        _revealJury(r, s, c, 2, right);
        vm.expectEmit(true, false, false, true);
        emit IDisputeResolver.VerdictNotApplied(r.id, RequestStatus.Refunded);
        _revealJury(r, s, c, 3, right);
        _revealJury(r, s, c, 4, right);
        assertEq(_stake(w[0]), MIN_STAKE - SLASH_AMOUNT, "slashed once, by the first verdict");
        assertEq(
            resolver.balanceOf(w[2]) + resolver.balanceOf(w[3]) + resolver.balanceOf(w[4]),
            JUROR_FEE,
            "jurors still share the fee"
        );
        _assertSolvent();
    }

    function test_commit_RevertWhen_PartyCannotSit() public {
        (Request memory r, Submission memory s, Challenge memory c) = _disputed(
            MODEL_ID,
            wrong,
            right
        );
        _escalate(r, s, c);
        vm.expectRevert(abi.encodeWithSelector(IQuorumRounds.PartyCannotSit.selector, r.id, w[0]));
        vm.prank(w[0]);
        resolver.commit(r.id, keccak256("c"));
        vm.expectRevert(abi.encodeWithSelector(IQuorumRounds.PartyCannotSit.selector, r.id, w[1]));
        vm.prank(w[1]);
        resolver.commit(r.id, keccak256("c"));
    }

    function test_commit_RevertWhen_NotEscalated() public {
        (Request memory r, , ) = _disputed(MODEL_ID, wrong, right);
        vm.expectRevert(
            abi.encodeWithSelector(
                IQuorumRounds.RoundNotOpen.selector,
                r.id,
                IQuorumRounds.RoundStatus.None
            )
        );
        vm.prank(w[2]);
        resolver.commit(r.id, keccak256("c"));
    }

    function test_escalate_RevertWhen_ZkProofRequired() public {
        (Request memory r, Submission memory s, Challenge memory c) = _disputed(
            ZK_MODEL_ID,
            wrong,
            right
        );
        vm.expectRevert(
            abi.encodeWithSelector(IDisputeResolver.ZkProofRequired.selector, ZK_MODEL_ID)
        );
        resolver.escalate{value: JUROR_FEE}(r, s, c);
    }

    function test_escalate_RevertWhen_WrongJurorFee() public {
        (Request memory r, Submission memory s, Challenge memory c) = _disputed(
            MODEL_ID,
            wrong,
            right
        );
        vm.expectRevert(
            abi.encodeWithSelector(IDisputeResolver.WrongJurorFee.selector, 1, JUROR_FEE)
        );
        resolver.escalate{value: 1}(r, s, c);
    }

    function test_escalate_RevertWhen_RequestNotChallenged() public {
        Request memory r = _request();
        Submission memory s = _submit(KEYS[0], r, wrong);
        Challenge memory none;
        vm.expectRevert(
            abi.encodeWithSelector(
                IDisputeResolver.RequestNotChallenged.selector,
                r.id,
                RequestStatus.Submitted
            )
        );
        resolver.escalate{value: JUROR_FEE}(r, s, none);
    }

    function test_escalate_RevertWhen_RequestMismatch() public {
        (Request memory r, Submission memory s, Challenge memory c) = _disputed(
            MODEL_ID,
            wrong,
            right
        );
        c.bondWei += 1;
        vm.expectRevert(abi.encodeWithSelector(IDisputeResolver.RequestMismatch.selector, r.id));
        resolver.escalate{value: JUROR_FEE}(r, s, c);
    }

    function test_escalate_RevertWhen_RoundTooLate() public {
        (Request memory r, Submission memory s, Challenge memory c) = _disputed(
            MODEL_ID,
            wrong,
            right
        );
        vm.warp(c.challengedAt + DISPUTE_TIMEOUT - JURY_COMMIT_WINDOW - JURY_REVEAL_WINDOW);
        vm.expectRevert(
            abi.encodeWithSelector(
                IQuorumRounds.RoundTooLate.selector,
                r.id,
                c.challengedAt + DISPUTE_TIMEOUT
            )
        );
        resolver.escalate{value: JUROR_FEE}(r, s, c);
    }

    function test_escalate_RevertWhen_RoundAlreadyOpen() public {
        (Request memory r, Submission memory s, Challenge memory c) = _disputed(
            MODEL_ID,
            wrong,
            right
        );
        _escalate(r, s, c);
        vm.expectRevert(abi.encodeWithSelector(IQuorumRounds.RoundAlreadyOpen.selector, r.id));
        resolver.escalate{value: JUROR_FEE}(r, s, c);
    }

    function test_setConfig_RevertWhen_InvalidConfig() public {
        IDisputeResolver.JuryConfig memory cfg = resolver.config();
        cfg.jurySize = 0;
        vm.expectRevert(IQuorumRounds.InvalidConfig.selector);
        vm.prank(admin);
        resolver.setConfig(cfg);
    }

    function test_setConfig_RevertWhen_InvalidConfig_JuryOfOne() public {
        IDisputeResolver.JuryConfig memory cfg = resolver.config();
        cfg.jurySize = 1;
        vm.expectRevert(IQuorumRounds.InvalidConfig.selector);
        vm.prank(admin);
        resolver.setConfig(cfg);
    }

    /// @dev J < B: a worker defending a right result must net something, a griefer pay something.
    function test_setConfig_RevertWhen_InvalidConfig_FeeNotBelowBond() public {
        IDisputeResolver.JuryConfig memory cfg = resolver.config();
        cfg.jurorFeeWei = CHALLENGE_BOND;
        vm.expectRevert(IQuorumRounds.InvalidConfig.selector);
        vm.prank(admin);
        resolver.setConfig(cfg);
    }
}
