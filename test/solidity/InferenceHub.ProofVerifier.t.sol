// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {HubFixture} from "./utils/HubFixture.sol";
import {MockProofVerifier} from "../../contracts/mocks/MockProofVerifier.sol";
import {IModelRegistry} from "@verity/solidity/interfaces/IModelRegistry.sol";
import {ProofMode, Request, RequestStatus} from "@verity/solidity/types/Inference.sol";

/// @dev The extension point for ZK and QUORUM: a registered `IProofVerifier` settles at once.
contract InferenceHubProofVerifierTest is HubFixture {
    bytes32 internal constant ZK_MODEL_ID = keccak256("zk model");
    MockProofVerifier internal verifier;
    address internal prover = address(0x9120);

    function setUp() public override {
        super.setUp();
        verifier = new MockProofVerifier();
        IModelRegistry.ModelSpec memory spec = _spec(_shape(1, 16), _shape(1, 1));
        spec.proofModes = uint8((1 << uint8(ProofMode.ATTESTED)) | (1 << uint8(ProofMode.ZK)));
        vm.startPrank(modelOwner);
        models.registerModel(ZK_MODEL_ID, spec);
        // ZK requests need the model's ZK commitment (it enables the mode).
        _commitZk(ZK_MODEL_ID);
        vm.stopPrank();
        vm.prank(admin);
        hub.setProofVerifier(ProofMode.ZK, verifier);
    }

    function _zkRequest() internal returns (Request memory) {
        vm.recordLogs();
        vm.prank(requester);
        hub.requestInference{value: hub.quote(ZK_MODEL_ID, 0)}(
            ZK_MODEL_ID,
            _input(),
            ProofMode.ZK,
            address(0),
            address(0),
            0,
            uint64(block.timestamp + 1 hours)
        );
        return _lastRequest();
    }

    function test_submitResult_ZkSettlesAtOnceAndPaysProver() public {
        Request memory r = _zkRequest();
        bytes memory output = _output(42);
        hub.submitResult(r, output, bytes32(0), abi.encode(r.id, keccak256(output), prover));
        assertEq(uint256(hub.requestStatus(r.id)), uint256(RequestStatus.Settled), "settled");
        assertEq(hub.balanceOf(prover), r.workerRewardWei, "prover paid");
        assertEq(hub.balanceOf(modelOwner), r.modelFeeWei, "owner paid");
    }

    function test_submitResult_RevertWhen_ProofRejected() public {
        Request memory r = _zkRequest();
        bytes memory output = _output(42);
        bytes memory proofOfOtherOutput = abi.encode(r.id, keccak256(_output(43)), prover);
        vm.expectRevert(MockProofVerifier.BadProof.selector);
        hub.submitResult(r, output, bytes32(0), proofOfOtherOutput);
    }

    function test_submitResult_RevertWhen_ProofReplayedOnAnotherRequest() public {
        Request memory first = _zkRequest();
        Request memory second = _zkRequest();
        bytes memory output = _output(42);
        bytes memory proofForFirst = abi.encode(first.id, keccak256(output), prover);
        vm.expectRevert(MockProofVerifier.BadProof.selector);
        hub.submitResult(second, output, bytes32(0), proofForFirst);
    }
}
