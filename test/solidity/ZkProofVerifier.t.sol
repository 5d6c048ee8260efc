// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {HubFixture} from "./utils/HubFixture.sol";
import {ZkProofVerifier} from "../../contracts/zk/ZkProofVerifier.sol";
import {IZkModelVerifier} from "../../contracts/zk/IZkModelVerifier.sol";
import {
    MockZkModelVerifier,
    TestCommitmentZkModelVerifier,
    TestPublicZkModelVerifier,
    TestShortKeyZkModelVerifier
} from "../../contracts/mocks/MockZkModelVerifier.sol";
import {ZkModelVerifier} from "../../contracts/zk/ZkModelVerifier.sol";
import {IModelRegistry} from "@verity/solidity/interfaces/IModelRegistry.sol";
import {ProofMode, Request, RequestStatus} from "@verity/solidity/types/Inference.sol";

/// @dev ZkProofVerifier's checks around the model verifier, with a mock that accepts exactly the
/// call a test expects (test/zk/onchain.test.ts runs the same paths with real Groth16 proofs).
contract ZkProofVerifierTest is HubFixture {
    bytes32 internal constant ZK_MODEL_ID = keccak256("zk model");
    uint256 internal constant P =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;

    ZkProofVerifier internal zk;
    MockZkModelVerifier internal modelVerifier;
    address internal prover = address(0x9120);
    uint256 internal constant COMMITMENT = 0xC0FFEE;

    function setUp() public override {
        super.setUp();
        zk = new ZkProofVerifier(models);
        modelVerifier = new MockZkModelVerifier();
        IModelRegistry.ModelSpec memory spec = _spec(_shape(1, 16), _shape(1, 1));
        spec.proofModes = uint8(1 << uint8(ProofMode.ZK));
        vm.startPrank(modelOwner);
        models.registerModel(ZK_MODEL_ID, spec);
        models.setZkCommitment(
            ZK_MODEL_ID,
            IModelRegistry.ZkCommitment(
                modelVerifier.circuitHash(),
                modelVerifier.verifyingKeyHash(),
                address(modelVerifier)
            )
        );
        vm.stopPrank();
        vm.prank(admin);
        hub.setProofVerifier(ProofMode.ZK, zk);
    }

    function _zkRequest(address assignee) internal returns (Request memory) {
        vm.recordLogs();
        vm.prank(requester);
        hub.requestInference{value: hub.quote(ZK_MODEL_ID, 0)}(
            ZK_MODEL_ID,
            _input(),
            ProofMode.ZK,
            assignee,
            address(0),
            0,
            uint64(block.timestamp + 1 hours)
        );
        return _lastRequest();
    }

    function _groth16() internal pure returns (uint256[8] memory proof) {
        for (uint256 i; i < 8; ++i) proof[i] = i + 1;
    }

    /// @dev The proof bytes a worker submits, and the mock primed to accept exactly the call the
    /// adapter should make for them (with the challenge derived for this hub and request).
    function _proof(
        Request memory r,
        address worker_,
        bytes memory input,
        bytes memory output
    ) internal returns (bytes memory) {
        uint256 challenge = zk.challenge(
            block.chainid,
            address(hub),
            r.id,
            worker_,
            keccak256(output),
            COMMITMENT
        );
        modelVerifier.expect(_groth16(), COMMITMENT, challenge, input, output);
        return abi.encode(ZkProofVerifier.ZkProof(_groth16(), COMMITMENT, worker_, input, output));
    }

    function test_submitResult_SettlesAtOnceAndPaysTheProofsWorker() public {
        Request memory r = _zkRequest(address(0));
        bytes memory output = _output(42);
        hub.submitResult(r, output, bytes32(0), _proof(r, prover, _input(), output));
        assertEq(uint256(hub.requestStatus(r.id)), uint256(RequestStatus.Settled), "settled");
        assertEq(hub.balanceOf(prover), r.workerRewardWei, "prover paid");
        assertEq(hub.balanceOf(modelOwner), r.modelFeeWei, "owner paid");
    }

    function test_submitResult_RevertWhen_InputIsNotTheRequests() public {
        Request memory r = _zkRequest(address(0));
        bytes memory output = _output(42);
        bytes memory proof = _proof(r, prover, _tensor(16, 7), output);
        vm.expectRevert(abi.encodeWithSelector(ZkProofVerifier.ZkInputMismatch.selector, r.id));
        hub.submitResult(r, output, bytes32(0), proof);
    }

    function test_submitResult_RevertWhen_OutputIsNotTheSubmitted() public {
        Request memory r = _zkRequest(address(0));
        bytes memory proof = _proof(r, prover, _input(), _output(42));
        vm.expectRevert(abi.encodeWithSelector(ZkProofVerifier.ZkOutputMismatch.selector, r.id));
        hub.submitResult(r, _output(43), bytes32(0), proof);
    }

    function test_submitResult_RevertWhen_ModelVerifierRejects() public {
        Request memory r = _zkRequest(address(0));
        bytes memory output = _output(42);
        bytes memory proof = _proof(r, prover, _input(), output);
        modelVerifier.expect(_groth16(), COMMITMENT + 1, 0, _input(), output);
        vm.expectRevert(abi.encodeWithSelector(ZkProofVerifier.ZkProofInvalid.selector, r.id));
        hub.submitResult(r, output, bytes32(0), proof);
    }

    function test_submitResult_RevertWhen_ReplayedOnAnotherRequest() public {
        Request memory first = _zkRequest(address(0));
        Request memory second = _zkRequest(address(0));
        bytes memory output = _output(42);
        bytes memory proof = _proof(first, prover, _input(), output);
        vm.expectRevert(abi.encodeWithSelector(ZkProofVerifier.ZkProofInvalid.selector, second.id));
        hub.submitResult(second, output, bytes32(0), proof);
    }

    function test_submitResult_RevertWhen_WorkerSwappedByFrontRunner() public {
        Request memory r = _zkRequest(address(0));
        bytes memory output = _output(42);
        _proof(r, prover, _input(), output);
        bytes memory stolen = abi.encode(
            ZkProofVerifier.ZkProof(_groth16(), COMMITMENT, address(this), _input(), output)
        );
        vm.expectRevert(abi.encodeWithSelector(ZkProofVerifier.ZkProofInvalid.selector, r.id));
        hub.submitResult(r, output, bytes32(0), stolen);
    }

    function test_submitResult_RevertWhen_WorkerZero() public {
        Request memory r = _zkRequest(address(0));
        bytes memory output = _output(42);
        bytes memory proof = _proof(r, address(0), _input(), output);
        vm.expectRevert(abi.encodeWithSelector(ZkProofVerifier.ZkWorkerZero.selector, r.id));
        hub.submitResult(r, output, bytes32(0), proof);
    }

    function test_submitResult_AssigneeOnlyDuringGrace() public {
        Request memory r = _zkRequest(worker);
        bytes memory output = _output(42);
        bytes memory proof = _proof(r, prover, _input(), output);
        vm.expectRevert(
            abi.encodeWithSelector(ZkProofVerifier.ZkNotAssignee.selector, r.id, prover, worker)
        );
        hub.submitResult(r, output, bytes32(0), proof);
        vm.warp(r.assignedUntil);
        hub.submitResult(r, output, bytes32(0), proof);
        assertEq(hub.balanceOf(prover), r.workerRewardWei, "anyone after the grace period");
    }

    function test_verify_RevertWhen_RequestMadeWithoutZkVerifier() public {
        Request memory r = _zkRequest(address(0));
        r.modelId = MODEL_ID; // the fixture's ATTESTED-only model
        r.zkVerifier = address(0); // as the hub records it for a model without a ZK commitment
        bytes memory output = _output(42);
        bytes memory proof = _proof(r, prover, _input(), output);
        vm.expectRevert(abi.encodeWithSelector(ZkProofVerifier.ZkNotCommitted.selector, MODEL_ID));
        zk.verify(r, keccak256(output), proof);
    }

    function test_verify_ChallengeBindsTheCallingHub() public {
        Request memory r = _zkRequest(address(0));
        bytes memory output = _output(42);
        bytes memory proof = _proof(r, prover, _input(), output);
        vm.prank(address(hub));
        assertEq(zk.verify(r, keccak256(output), proof), prover, "as the hub");
        vm.expectRevert(abi.encodeWithSelector(ZkProofVerifier.ZkProofInvalid.selector, r.id));
        zk.verify(r, keccak256(output), proof);
    }

    function testFuzz_challenge_IsAFieldElementBindingEveryInput(
        uint256 chainId,
        address hub_,
        uint256 requestId,
        address worker_,
        bytes32 outputHash,
        uint256 commitment
    ) public view {
        uint256 r = zk.challenge(chainId, hub_, requestId, worker_, outputHash, commitment);
        assertLe(r, P - 1, "in the field");
        unchecked {
            assertTrue(
                r != zk.challenge(chainId + 1, hub_, requestId, worker_, outputHash, commitment)
            );
            assertTrue(
                r !=
                    zk.challenge(
                        chainId,
                        address(uint160(hub_) ^ 1),
                        requestId,
                        worker_,
                        outputHash,
                        commitment
                    )
            );
            assertTrue(
                r != zk.challenge(chainId, hub_, requestId + 1, worker_, outputHash, commitment)
            );
            assertTrue(
                r !=
                    zk.challenge(
                        chainId,
                        hub_,
                        requestId,
                        address(uint160(worker_) ^ 1),
                        outputHash,
                        commitment
                    )
            );
            assertTrue(
                r !=
                    zk.challenge(
                        chainId,
                        hub_,
                        requestId,
                        worker_,
                        outputHash ^ bytes32(uint256(1)),
                        commitment
                    )
            );
            assertTrue(
                r != zk.challenge(chainId, hub_, requestId, worker_, outputHash, commitment + 1)
            );
        }
    }
}

/// @dev The shared per-model verifier logic, on test verifiers for a [1, 2] → [1, 1] model.
contract ZkModelVerifierTest is HubFixture {
    uint256 internal constant P =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;
    TestCommitmentZkModelVerifier internal commitmentVerifier;
    TestPublicZkModelVerifier internal publicVerifier;
    uint256[8] internal zeroProof;

    function setUp() public override {
        super.setUp();
        commitmentVerifier = new TestCommitmentZkModelVerifier();
        publicVerifier = new TestPublicZkModelVerifier();
    }

    function _in() internal pure returns (bytes memory) {
        return _tensor(2, -5);
    }

    function test_verifyInference_WellFormedTensorsReachThePairingCheck() public view {
        // The degenerate all-zero key accepts a zero proof: the signals were built and checked.
        assertTrue(
            commitmentVerifier.verifyInference(zeroProof, 1, 2, _in(), _output(-3)),
            "commitment"
        );
        assertTrue(publicVerifier.verifyInference(zeroProof, 0, 0, _in(), _output(-3)), "public");
        assertTrue(commitmentVerifier.binding() == IZkModelVerifier.Binding.Commitment, "binding");
        assertTrue(publicVerifier.binding() == IZkModelVerifier.Binding.Public, "binding");
    }

    function test_verifyInference_FalseForANonTrivialProofUnderTheZeroKey() public view {
        uint256[8] memory proof;
        // A = G1 generator, B = G2 generator: e(−A, B) ≠ 1 while every other pair is 1.
        (proof[0], proof[1]) = (1, 2);
        proof[2] = 0x198e9393920d483a7260bfb731fb5d25f1aa493335a9e71297e485b7aef312c2;
        proof[3] = 0x1800deef121f1e76426a00665e5c4479674322d4f75edadd46debd5cd992f6ed;
        proof[4] = 0x090689d0585ff075ec9e99ad690c3395bc4b313370b38ef355acdadcd122975b;
        proof[5] = 0x12c85ea5db8c6deb4aab71808dcb408fe3d1e7690c43d37b4ce6cc0166fa7daa;
        assertFalse(commitmentVerifier.verifyInference(proof, 1, 2, _in(), _output(-3)));
    }

    function test_verifyInference_FalseForTensorsOfAnotherShape() public view {
        assertFalse(
            commitmentVerifier.verifyInference(zeroProof, 1, 2, _tensor(3, 1), _output(1)),
            "3 inputs"
        );
        assertFalse(
            commitmentVerifier.verifyInference(zeroProof, 1, 2, _in(), _tensor(2, 1)),
            "2 outputs"
        );
        bytes memory badHeader = _in();
        badHeader[0] = 0x02;
        assertFalse(
            commitmentVerifier.verifyInference(zeroProof, 1, 2, badHeader, _output(1)),
            "version"
        );
        bytes memory truncated = new bytes(_in().length - 1);
        assertFalse(
            commitmentVerifier.verifyInference(zeroProof, 1, 2, truncated, _output(1)),
            "length"
        );
        assertFalse(
            publicVerifier.verifyInference(zeroProof, 0, 0, _in(), _tensor(2, 1)),
            "public"
        );
    }

    function test_verifyInference_FalseForSignalsOutsideTheField() public view {
        assertFalse(commitmentVerifier.verifyInference(zeroProof, P, 2, _in(), _output(1)), "c");
        assertFalse(commitmentVerifier.verifyInference(zeroProof, 1, P, _in(), _output(1)), "r");
    }

    function test_verifyInference_RevertWhen_KeyDoesNotMatchTheSignals() public {
        TestShortKeyZkModelVerifier short = new TestShortKeyZkModelVerifier();
        vm.expectRevert(
            abi.encodeWithSelector(ZkModelVerifier.InvalidVerifyingKey.selector, 640, 3)
        );
        short.verifyInference(zeroProof, 1, 2, _in(), _output(1));
    }

    function test_verifyingKeyHash_IsTheKeccakOfTheKey() public view {
        assertEq(commitmentVerifier.verifyingKeyHash(), keccak256(new bytes(32 * 22)), "hash");
    }
}
