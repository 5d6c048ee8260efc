// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {QuorumFixture} from "./utils/QuorumFixture.sol";
import {IQuorumRounds} from "@verity/solidity/interfaces/IQuorumRounds.sol";
import {
    Challenge,
    ProofMode,
    Request,
    RequestStatus,
    Submission
} from "@verity/solidity/types/Inference.sol";

/// @dev Property tests over random rounds: what each member commits, who reveals and in which
/// order, the quorum, the reward; and random dispute outcomes.
contract QuorumFuzzTest is QuorumFixture {
    /// @dev ETH held by the protocol's contracts: it only moves between them in these tests.
    function _held() internal view returns (uint256) {
        return
            address(hub).balance +
            address(workers).balance +
            address(coordinator).balance +
            address(resolver).balance;
    }

    /// @dev One of three outputs per seat; output 0 is the one most seats give.
    function _outputOf(uint256 pattern, uint256 seat) internal pure returns (bytes memory) {
        uint256 pick = (pattern >> (2 * seat)) & 3;
        return _output(int32(int256(pick == 3 ? 0 : pick)));
    }

    /// hardhat-config: fuzz.runs = 128
    function testFuzz_close_PaysExactlyTheRewardAndWhatWasSlashed(
        bool largeQuorum,
        uint256 pattern,
        uint256 revealMask,
        uint256 orderSeed,
        uint256 tipSeed
    ) public {
        uint8 seats = largeQuorum ? 5 : 3;
        Request memory r = _openRound(largeQuorum ? 3 : 2, tipSeed);
        for (uint256 i; i < seats; ++i) _commitQuorum(r, i, _outputOf(pattern, i));
        uint256 registryBefore = address(workers).balance;
        uint256 heldBefore = _held();

        uint256 start = orderSeed % seats;
        for (uint256 k; k < seats; ++k) {
            uint256 i = (start + k) % seats;
            if ((revealMask >> i) & 1 == 1) _revealQuorum(r, i, _outputOf(pattern, i));
        }
        IQuorumRounds.Round memory round = coordinator.getRound(r.id);
        if (round.status != IQuorumRounds.RoundStatus.Closed) {
            vm.warp(round.revealEndsAt + 1);
            coordinator.close(r.id);
        }

        bytes32 decided = coordinator.getRound(r.id).decidedOutputHash;
        bool anyRevealed = revealMask & ((1 << seats) - 1) != 0;
        _checkPayments(r, seats, decided, anyRevealed, registryBefore - address(workers).balance);
        assertEq(_held(), heldBefore, "no ETH created or lost");
        _checkStakes(seats, pattern, revealMask, decided);
    }

    function _openRound(uint8 quorum, uint256 tipSeed) internal returns (Request memory r) {
        uint256 payment = hub.quote(QUORUM_MODEL_ID, CALLBACK_GAS) + bound(tipSeed, 0, 1 ether);
        vm.recordLogs();
        vm.prank(requester);
        hub.requestInference{value: payment}(
            QUORUM_MODEL_ID,
            _input(),
            ProofMode.QUORUM,
            address(0),
            address(consumer),
            CALLBACK_GAS,
            uint64(block.timestamp + 1 hours)
        );
        r = _lastRequest();
        vm.prank(requester);
        coordinator.open(r, quorum);
    }

    /// @dev Members are credited the reward, the callback fee and the slashed stake if the round
    /// decided; otherwise only the stake slashed from silent members, if anyone revealed (else it
    /// is the treasury's); the request settled (once) iff it decided.
    function _checkPayments(
        Request memory r,
        uint256 seats,
        bytes32 decided,
        bool anyRevealed,
        uint256 slashedWei
    ) internal view {
        uint256 credited;
        for (uint256 i; i < seats; ++i) credited += coordinator.balanceOf(w[i]);
        bool isDecided = decided != bytes32(0);
        uint256 expected =
            isDecided
                ? uint256(r.workerRewardWei) + r.callbackFeeWei + slashedWei
                : (anyRevealed ? slashedWei : 0);
        assertEq(credited, expected, "credited = reward + fee + slash, or the silent's slash");
        if (!isDecided && !anyRevealed) {
            assertEq(coordinator.balanceOf(treasury), slashedWei, "treasury: the silent's slash");
        }
        assertEq(
            uint256(hub.requestStatus(r.id)),
            uint256(isDecided ? RequestStatus.Settled : RequestStatus.Pending),
            "settled iff decided"
        );
        assertEq(consumer.resultCount(), isDecided ? 1 : 0, "one callback iff decided");
        assertEq(
            _assets(address(coordinator)),
            coordinator.liabilitiesWei(),
            "coordinator solvent"
        );
    }

    /// @dev Silent members, and revealing dissenters of a decided round, and only they, lose the
    /// slash amount.
    function _checkStakes(
        uint256 seats,
        uint256 pattern,
        uint256 revealMask,
        bytes32 decided
    ) internal view {
        for (uint256 i; i < seats; ++i) {
            bool revealed = (revealMask >> i) & 1 == 1;
            bool dissent =
                decided != bytes32(0) && revealed && keccak256(_outputOf(pattern, i)) != decided;
            bool slashed = dissent || !revealed;
            assertEq(_stake(w[i]), slashed ? MIN_STAKE - QUORUM_SLASH : MIN_STAKE, "stake");
        }
    }

    /// hardhat-config: fuzz.runs = 128
    function testFuzz_reveal_OnlyTheCommittedOutputAndSaltOpenTheSeat(
        int32 committed,
        int32 revealed,
        bytes32 salt,
        bytes32 otherSalt
    ) public {
        Request memory r = _quorumRequest();
        bytes32 c = coordinator.commitmentOf(r.id, w[0], keccak256(_output(committed)), salt);
        vm.prank(w[0]);
        coordinator.commit(r, c);
        vm.warp(coordinator.getRound(r.id).commitEndsAt);
        if (revealed != committed || otherSalt != salt) {
            vm.expectRevert(
                abi.encodeWithSelector(IQuorumRounds.CommitmentMismatch.selector, r.id, w[0])
            );
            vm.prank(w[0]);
            coordinator.reveal(r, _output(revealed), otherSalt);
        }
        vm.prank(w[0]);
        coordinator.reveal(r, _output(committed), salt);
        assertEq(coordinator.votesFor(r.id, keccak256(_output(committed))), 1, "counted once");
    }

    /// hardhat-config: fuzz.runs = 128
    function testFuzz_resolveWithProof_TheProvenOutputDecides(
        int32 submitted,
        int32 claimed,
        int32 proven
    ) public {
        vm.assume(submitted != claimed);
        (Request memory r, Submission memory s, Challenge memory c) = _disputed(
            ZK_MODEL_ID,
            _output(submitted),
            _output(claimed)
        );
        uint256 heldBefore = _held();
        uint256 requesterBefore = hub.balanceOf(requester);
        resolver.resolveWithProof(r, s, c, _output(proven), _zkProof(r, _output(proven), w[5]));
        bool overturned = proven != submitted;
        assertEq(
            uint256(hub.requestStatus(r.id)),
            uint256(overturned ? RequestStatus.Refunded : RequestStatus.Settled),
            "outcome"
        );
        assertEq(_stake(w[0]), overturned ? MIN_STAKE - SLASH_AMOUNT : MIN_STAKE, "worker stake");
        assertEq(
            hub.balanceOf(w[1]),
            overturned ? CHALLENGE_BOND + CHALLENGER_SLASH : 0,
            "challenger"
        );
        assertEq(
            hub.balanceOf(requester) - requesterBefore,
            overturned ? uint256(r.modelFeeWei) + r.workerRewardWei : 0,
            "requester refunded iff overturned"
        );
        assertEq(consumer.resultCount() + consumer.failureCount(), 1, "one callback");
        assertEq(consumer.resultCount(), overturned ? 0 : 1, "never an overturned output");
        assertEq(_held(), heldBefore, "no ETH created or lost");
        assertEq(_assets(address(resolver)), resolver.liabilitiesWei(), "resolver solvent");
    }

    /// @dev The dispute under test, in storage to keep the stack small.
    Request internal _r;
    Submission internal _s;
    Challenge internal _c;

    /// hardhat-config: fuzz.runs = 64
    function testFuzz_jury_TheAgreedOutputDecidesAndJurorsSplitFeeAndSlash(
        bool resultRight,
        uint256 pattern,
        uint256 orderSeed
    ) public {
        (_r, _s, _c) = _disputed(
            MODEL_ID,
            resultRight ? _output(0) : _output(5),
            resultRight ? _output(5) : _output(0)
        );
        _escalate(_r, _s, _c);
        // Jurors are workers 2, 3 and 4 (three seats for a jury of two).
        for (uint256 j; j < 3; ++j) _commitJury(_r.id, 2 + j, _outputOf(pattern, j));
        uint256 heldBefore = _held();
        uint256 registryBefore = address(workers).balance;
        for (uint256 k; k < 3; ++k) {
            uint256 j = (orderSeed + k) % 3;
            _revealJury(_r, _s, _c, 2 + j, _outputOf(pattern, j));
        }
        assertEq(
            uint256(resolver.getRound(_r.id).status),
            uint256(IQuorumRounds.RoundStatus.Closed),
            "closed"
        );
        uint256 jurorSlashed = _checkVerdict();
        assertEq(
            registryBefore - address(workers).balance,
            jurorSlashed + (MIN_STAKE - _stake(w[0])),
            "every wei leaving the registry is a recorded slash"
        );
        assertEq(_held(), heldBefore, "no ETH created or lost");
        assertEq(_assets(address(resolver)), resolver.liabilitiesWei(), "resolver solvent");
    }

    /// @dev Undecided: left to expire, fee refunded. Decided: the verdict reached the hub and the
    /// agreeing jurors got the fee, the jurors' slash and the callback fee. Returns the jurors'
    /// slash.
    function _checkVerdict() internal view returns (uint256 jurorSlashed) {
        bytes32 decided = resolver.getRound(_r.id).decidedOutputHash;
        uint256 paid;
        for (uint256 j; j < 3; ++j) {
            jurorSlashed += MIN_STAKE - _stake(w[2 + j]);
            paid += resolver.balanceOf(w[2 + j]);
        }
        RequestStatus status = hub.requestStatus(_r.id);
        if (decided == bytes32(0)) {
            assertEq(uint256(status), uint256(RequestStatus.Challenged), "left to expire");
            assertEq(resolver.balanceOf(address(0xE5CA)), JUROR_FEE, "fee refunded");
            assertEq(paid, 0, "jurors unpaid");
        } else {
            bool upheld = decided == _s.outputHash;
            assertEq(
                uint256(status),
                uint256(upheld ? RequestStatus.Settled : RequestStatus.Refunded),
                "verdict applied"
            );
            assertEq(paid, uint256(JUROR_FEE) + jurorSlashed + _r.callbackFeeWei, "jurors paid");
        }
    }
}
