// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {IModelRegistry} from "@verity/solidity/interfaces/IModelRegistry.sol";
import {IProofVerifier} from "@verity/solidity/interfaces/IProofVerifier.sol";
import {Request} from "@verity/solidity/types/Inference.sol";
import {IZkModelVerifier} from "./IZkModelVerifier.sol";

/// @title ZkProofVerifier
/// @notice The hub's verifier for `ProofMode.ZK`: checks a Groth16 proof with the verifier that the
/// model's owner bound in the registry (`setZkCommitment`, once, before any ZK request could be
/// made). See docs/zk.md.
///
/// The hub passes only the request and the output hash, so the proof carries the rest:
/// `abi.encode(ZkProof)`. The input and output bytes must hash to the request's input hash and to
/// the output hash. The model's verifier turns them into public signals; for the commitment
/// binding the challenge r is derived here from the circuit's input commitment c, the output hash,
/// the request id, the worker, the chain and the calling hub, so a proof is bound to one request
/// and one worker: it cannot be replayed on another request or stolen by a front-runner.
contract ZkProofVerifier is IProofVerifier {
    /// @dev Domain tag of the Fiat–Shamir challenge.
    bytes32 public constant CHALLENGE_DOMAIN = keccak256("Verity ZK challenge v1");
    uint256 internal constant SNARK_SCALAR_FIELD =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;

    IModelRegistry public immutable MODEL_REGISTRY;

    /// @notice What a worker submits as `proof` (abi-encoded).
    struct ZkProof {
        /// Groth16 A (x, y), B (x1, x0, y1, y0), C (x, y), in the EVM's order.
        uint256[8] proof;
        /// The circuit's commitment to the input (commitment binding; zero otherwise).
        uint256 commitment;
        /// Who gets the worker reward; bound into the challenge.
        address worker;
        /// The request's input tensor bytes.
        bytes input;
        /// The output tensor bytes the hub was given.
        bytes output;
    }

    /// @notice The model has no ZK commitment (no verifier bound in the registry).
    error ZkNotCommitted(bytes32 modelId);
    /// @notice The proof's input bytes are not the request's input.
    error ZkInputMismatch(uint256 requestId);
    /// @notice The proof's output bytes are not the submitted output.
    error ZkOutputMismatch(uint256 requestId);
    /// @notice The model's verifier rejected the proof for this input, output, request and worker.
    error ZkProofInvalid(uint256 requestId);
    /// @notice The proof names no worker to pay.
    error ZkWorkerZero(uint256 requestId);
    /// @notice Another worker is assigned to the request until `assignedUntil`.
    error ZkNotAssignee(uint256 requestId, address worker, address assignee);

    constructor(IModelRegistry modelRegistry) {
        MODEL_REGISTRY = modelRegistry;
    }

    /// @inheritdoc IProofVerifier
    /// @dev `msg.sender` is the hub: the challenge binds it, so call this as the hub does.
    function verify(
        Request calldata request,
        bytes32 outputHash,
        bytes calldata proof
    ) external view returns (address worker) {
        ZkProof memory zk = abi.decode(proof, (ZkProof));
        worker = zk.worker;
        if (worker == address(0)) revert ZkWorkerZero(request.id);
        if (worker != request.assignee && block.timestamp < request.assignedUntil) {
            revert ZkNotAssignee(request.id, worker, request.assignee);
        }
        if (keccak256(zk.input) != request.inputHash) revert ZkInputMismatch(request.id);
        if (keccak256(zk.output) != outputHash) revert ZkOutputMismatch(request.id);
        // The verifier the model had when the request was made, never one bound since.
        address verifier = request.zkVerifier;
        if (verifier == address(0)) revert ZkNotCommitted(request.modelId);
        uint256 r = challenge(
            block.chainid,
            msg.sender,
            request.id,
            worker,
            outputHash,
            zk.commitment
        );
        if (
            !IZkModelVerifier(verifier).verifyInference(
                zk.proof,
                zk.commitment,
                r,
                zk.input,
                zk.output
            )
        ) {
            revert ZkProofInvalid(request.id);
        }
    }

    /// @notice The Fiat–Shamir challenge r for the commitment binding: a field element derived
    /// from everything the proof must not be moved to another context for. The commitment fixes
    /// the circuit's input before r is known, so an input other than the request's passes the
    /// check on v with probability about (elements)/p.
    function challenge(
        uint256 chainId,
        address hub,
        uint256 requestId,
        address worker,
        bytes32 outputHash,
        uint256 commitment
    ) public pure returns (uint256) {
        return
            uint256(
                keccak256(
                    abi.encode(
                        CHALLENGE_DOMAIN,
                        chainId,
                        hub,
                        requestId,
                        worker,
                        outputHash,
                        commitment
                    )
                )
            ) % SNARK_SCALAR_FIELD;
    }
}
