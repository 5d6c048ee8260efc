// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {QuorumFixture} from "./utils/QuorumFixture.sol";
import {IInferenceHub} from "../../contracts/interfaces/IInferenceHub.sol";
import {IQuorumRounds} from "../../contracts/interfaces/IQuorumRounds.sol";
import {Request, RequestStatus} from "../../contracts/types/Inference.sol";

/// @dev What the invariant suites found against the contracts as they are: each test states a
/// promise the protocol makes and fails until the contracts keep it. They are left failing on
/// purpose; the contracts are fixed elsewhere.
contract InvariantFindingsTest is QuorumFixture {
    bytes internal right = _output(7);

    /// @dev Found while making `DisputeHandler`'s honest worker reveal every seat in time
    /// (`invariant_honestWorkerStakeNeverDecreases`): the reveal that decides a QUORUM round
    /// settles the request through `hub.submitResult`, which refuses while the hub is paused, and
    /// the reveal phase (10 minutes here) does not move with the pause as a challenge window does.
    /// So a guardian pause that outlasts a reveal phase makes every honest member after the first
    /// unable to reveal; the round closes undecided and slashes them as silent seats, paying their
    /// stake to the one member who revealed before the pause. The guardian pauses without a delay.
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
}
