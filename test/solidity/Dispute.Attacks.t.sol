// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {QuorumFixture} from "./utils/QuorumFixture.sol";
import {IDisputeResolver} from "../../contracts/interfaces/IDisputeResolver.sol";
import {IModelRegistry} from "../../contracts/interfaces/IModelRegistry.sol";
import {
    Challenge,
    ProofMode,
    Request,
    RequestStatus,
    Submission
} from "../../contracts/types/Inference.sol";

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
        (Request memory r, Submission memory s, ) = _requestAndSubmit(LATE_ZK_MODEL_ID, right);
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

    /// @dev An ATTESTED request for `modelId` answered with `output` by worker 0.
    function _requestAndSubmit(
        bytes32 modelId,
        bytes memory output
    ) internal returns (Request memory r, Submission memory s, bytes32 outputHash) {
        uint256 payment = hub.quote(modelId, CALLBACK_GAS);
        vm.recordLogs();
        vm.prank(requester);
        hub.requestInference{value: payment}(
            modelId,
            _input(),
            ProofMode.ATTESTED,
            address(0),
            address(consumer),
            CALLBACK_GAS,
            uint64(block.timestamp + 1 hours)
        );
        r = _lastRequest();
        s = _submit(KEYS[0], r, output);
        outputHash = keccak256(output);
    }
}
