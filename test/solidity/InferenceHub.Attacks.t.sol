// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {HubFixture} from "./utils/HubFixture.sol";
import {InferenceHub} from "../../contracts/InferenceHub.sol";
import {IInferenceHub} from "@verity/solidity/interfaces/IInferenceHub.sol";
import {IWorkerRegistry} from "@verity/solidity/interfaces/IWorkerRegistry.sol";
import {Request, RequestStatus} from "@verity/solidity/types/Inference.sol";

/// @dev Attacks on result signatures: forgery, replay across requests, hubs and chains, wrong or
/// revoked environments, under-staked signers, malleability.
contract InferenceHubAttacksTest is HubFixture {
    /// secp256k1 group order.
    uint256 internal constant N =
        0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141;
    bytes32 internal constant OTHER_ENV = keccak256("verity-worker/0.2.0 onnxruntime/1.31");

    function _assertPending(Request memory r) internal view {
        assertEq(uint256(hub.requestStatus(r.id)), uint256(RequestStatus.Pending), "still pending");
    }

    function test_setUp_ModelIdIsSha256OfModelBytesAndOwnedByModelOwner() public view {
        assertEq(MODEL_ID, sha256("risk-model.onnx bytes"), "literal matches sha256");
        assertEq(models.getModel(MODEL_ID).owner, modelOwner, "registered by the model owner");
    }

    function test_submitResult_RevertWhen_NotRegistered_ForgedSignature() public {
        Request memory r = _request();
        uint256 forgerKey = 0xF0F0F0;
        bytes memory output = _output(1);
        bytes memory sig = _signResult(forgerKey, r, output, ENV);
        vm.expectRevert(
            abi.encodeWithSelector(IWorkerRegistry.NotRegistered.selector, vm.addr(forgerKey))
        );
        hub.submitResult(r, output, ENV, sig);
        _assertPending(r);
    }

    function test_submitResult_RevertWhen_NotRegistered_UnregisteredSigner() public {
        Request memory r = _request();
        bytes memory output = _output(1);
        // A well-formed signature over some unrelated message: on this digest it recovers to an
        // address nobody registered.
        bytes memory sig = _sign(0x1234, keccak256("unrelated message"));
        bytes32 digest = hub.resultDigest(r.id, r.modelId, r.inputHash, keccak256(output), ENV);
        address recovered = _recover(digest, sig);
        assertTrue(recovered != address(0), "recovers to someone");
        vm.expectRevert(abi.encodeWithSelector(IWorkerRegistry.NotRegistered.selector, recovered));
        hub.submitResult(r, output, ENV, sig);
        _assertPending(r);
    }

    function test_submitResult_RevertWhen_NotRegistered_SignatureForOtherRequest() public {
        Request memory r1 = _request();
        Request memory r2 = _request();
        assertEq(r1.inputHash, r2.inputHash, "same model and input");
        bytes memory output = _output(5);
        bytes memory sig = _signResult(WORKER_KEY, r1, output, ENV);
        hub.submitResult(r1, output, ENV, sig);

        bytes32 digest2 = hub.resultDigest(r2.id, r2.modelId, r2.inputHash, keccak256(output), ENV);
        address recovered = _recover(digest2, sig);
        assertTrue(recovered != worker, "not the worker on another request");
        vm.expectRevert(abi.encodeWithSelector(IWorkerRegistry.NotRegistered.selector, recovered));
        hub.submitResult(r2, output, ENV, sig);
        _assertPending(r2);
    }

    function test_submitResult_RevertWhen_NotRegistered_SignatureFromOtherHub() public {
        InferenceHub otherHub = new InferenceHub(
            admin,
            models,
            workers,
            treasury,
            _configWithWindow(CHALLENGE_WINDOW),
            IInferenceHub.DisputeConfig(CHALLENGE_BOND, SLASH_AMOUNT, DISPUTE_TIMEOUT)
        );
        Request memory r = _request();
        bytes memory output = _output(5);
        bytes32 otherDigest = otherHub.resultDigest(
            r.id,
            r.modelId,
            r.inputHash,
            keccak256(output),
            ENV
        );
        bytes memory sig = _sign(WORKER_KEY, otherDigest);
        assertEq(_recover(otherDigest, sig), worker, "valid on the other hub");

        bytes32 digest = hub.resultDigest(r.id, r.modelId, r.inputHash, keccak256(output), ENV);
        address recovered = _recover(digest, sig);
        assertTrue(recovered != worker, "domain separates hubs");
        vm.expectRevert(abi.encodeWithSelector(IWorkerRegistry.NotRegistered.selector, recovered));
        hub.submitResult(r, output, ENV, sig);
        _assertPending(r);
    }

    function test_submitResult_RevertWhen_NotRegistered_SignatureForOtherChain() public {
        Request memory r = _request();
        bytes memory output = _output(5);
        bytes memory sig = _signResult(WORKER_KEY, r, output, ENV);
        vm.chainId(block.chainid + 1);
        bytes32 digest = hub.resultDigest(r.id, r.modelId, r.inputHash, keccak256(output), ENV);
        address recovered = _recover(digest, sig);
        assertTrue(recovered != worker, "domain separates chains");
        vm.expectRevert(abi.encodeWithSelector(IWorkerRegistry.NotRegistered.selector, recovered));
        hub.submitResult(r, output, ENV, sig);
        _assertPending(r);
    }

    function test_submitResult_RevertWhen_NotRegistered_OutputSwapped() public {
        Request memory r = _request();
        bytes memory signedOutput = _output(5);
        bytes memory otherOutput = _output(6);
        bytes memory sig = _signResult(WORKER_KEY, r, signedOutput, ENV);
        bytes32 digest = hub.resultDigest(
            r.id,
            r.modelId,
            r.inputHash,
            keccak256(otherOutput),
            ENV
        );
        address recovered = _recover(digest, sig);
        vm.expectRevert(abi.encodeWithSelector(IWorkerRegistry.NotRegistered.selector, recovered));
        hub.submitResult(r, otherOutput, ENV, sig);
        _assertPending(r);
    }

    function test_submitResult_RevertWhen_EnvironmentMismatch() public {
        vm.prank(admin);
        workers.approveEnvironment(OTHER_ENV, "another build");
        Request memory r = _request();
        bytes memory output = _output(5);
        bytes memory sig = _signResult(WORKER_KEY, r, output, OTHER_ENV);
        vm.expectRevert(
            abi.encodeWithSelector(
                IWorkerRegistry.EnvironmentMismatch.selector,
                worker,
                ENV,
                OTHER_ENV
            )
        );
        hub.submitResult(r, output, OTHER_ENV, sig);
        _assertPending(r);
    }

    function test_submitResult_RevertWhen_EnvironmentNotApproved() public {
        Request memory r = _request();
        bytes memory output = _output(5);
        bytes memory sig = _signResult(WORKER_KEY, r, output, ENV);
        vm.prank(admin);
        workers.revokeEnvironment(ENV);
        vm.expectRevert(
            abi.encodeWithSelector(IWorkerRegistry.EnvironmentNotApproved.selector, ENV)
        );
        hub.submitResult(r, output, ENV, sig);
        _assertPending(r);
    }

    function test_submitResult_RevertWhen_StakeBelowMinimum() public {
        Request memory r = _request();
        bytes memory output = _output(5);
        bytes memory sig = _signResult(WORKER_KEY, r, output, ENV);
        vm.prank(worker);
        workers.startUnbonding(1);
        vm.expectRevert(
            abi.encodeWithSelector(
                IWorkerRegistry.StakeBelowMinimum.selector,
                MIN_STAKE - 1,
                MIN_STAKE
            )
        );
        hub.submitResult(r, output, ENV, sig);
        _assertPending(r);
    }

    function test_submitResult_RevertWhen_ECDSAInvalidSignatureS() public {
        Request memory r = _request();
        bytes memory output = _output(5);
        bytes32 digest = hub.resultDigest(r.id, r.modelId, r.inputHash, keccak256(output), ENV);
        (uint8 v, bytes32 sigR, bytes32 sigS) = vm.sign(WORKER_KEY, digest);
        // The other valid signature for the same message: (r, n - s) with the parity flipped.
        bytes32 highS = bytes32(N - uint256(sigS));
        uint8 flippedV = v == 27 ? 28 : 27;
        assertEq(ecrecover(digest, flippedV, sigR, highS), worker, "malleated form recovers");
        bytes memory sig = abi.encodePacked(sigR, highS, flippedV);
        vm.expectRevert(abi.encodeWithSelector(ECDSA.ECDSAInvalidSignatureS.selector, highS));
        hub.submitResult(r, output, ENV, sig);
        _assertPending(r);
    }

    function test_submitResult_RevertWhen_ECDSAInvalidSignatureLength() public {
        Request memory r = _request();
        bytes memory output = _output(5);
        bytes memory full = _signResult(WORKER_KEY, r, output, ENV);
        bytes memory sig = new bytes(64);
        for (uint256 i; i < 64; ++i) sig[i] = full[i];
        vm.expectRevert(abi.encodeWithSelector(ECDSA.ECDSAInvalidSignatureLength.selector, 64));
        hub.submitResult(r, output, ENV, sig);
        _assertPending(r);
    }

    function test_submitResult_RevertWhen_ECDSAInvalidSignature_Zero() public {
        Request memory r = _request();
        bytes memory output = _output(5);
        bytes memory sig = new bytes(65);
        vm.expectRevert(ECDSA.ECDSAInvalidSignature.selector);
        hub.submitResult(r, output, ENV, sig);
        _assertPending(r);
    }
}
