// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {FailureReason} from "../types/Inference.sol";

/// @title IModelRegistry
/// @notice Models are identified by the SHA-256 of their ONNX bytes, so a worker can check that the
/// file it fetched from the model's uri is the one the requester paid for.
interface IModelRegistry {
    enum ModelStatus {
        None,
        Active,
        Deprecated
    }

    /// @notice Binds a model to a zero-knowledge circuit (compare the ERC-7992 draft `ModelCommitment`).
    struct ZkCommitment {
        bytes32 circuitHash;
        bytes32 verifyingKeyHash;
        address verifier;
    }

    /// @notice What a model owner declares when registering.
    struct ModelSpec {
        /// Where workers fetch the ONNX file: `file://`, `https://` or `ipfs://`.
        string uri;
        uint32[] inputShape;
        uint32[] outputShape;
        /// Fixed-point scale of every input and output value: a real value x travels as round(x * 10^decimals).
        uint8 decimals;
        uint64 feeWei;
        /// Bitmask of allowed `ProofMode`s: bit `1 << mode`. The ZK bit declares intent only: ZK
        /// requests become possible when `setZkCommitment` binds the model's verifier.
        uint8 proofModes;
        /// The model this one replaces, or zero. Must be owned by the same account.
        bytes32 previousVersion;
    }

    struct Model {
        // slot 0, everything a request reads: owner (20 bytes) | feeWei (8) | status (1) |
        // proofModes (1) | inputBytes (2)
        address owner;
        /// At most 2^64 - 1 wei (about 18.4 of the native currency).
        uint64 feeWei;
        ModelStatus status;
        /// Modes requests may use now: ZK only once the model has a ZK commitment.
        uint8 proofModes;
        /// Exact length of a well-formed input tensor in the canonical encoding (see `TensorCodec`).
        /// At most `MAX_INPUT_BYTES`, so 16 bits hold it.
        uint16 inputBytes;
        // slot 1: decimals (1) | outputBytes (4)
        uint8 decimals;
        uint32 outputBytes;
        bytes32 previousVersion;
        ZkCommitment zk;
        string uri;
        uint32[] inputShape;
        uint32[] outputShape;
    }

    /// @notice The part of a model the hub reads for every request: one storage slot, and a second
    /// only for a model with a ZK commitment.
    struct RequestTerms {
        address owner;
        uint64 feeWei;
        ModelStatus status;
        uint8 proofModes;
        uint16 inputBytes;
        /// The bound ZK verifier, or zero: the request keeps it, so a later binding changes nothing
        /// for requests already made.
        address zkVerifier;
    }

    /// @notice A model was registered under the SHA-256 of its ONNX bytes.
    event ModelRegistered(
        bytes32 indexed modelId,
        address indexed owner,
        bytes32 indexed previousVersion,
        string uri,
        uint32[] inputShape,
        uint32[] outputShape,
        uint8 decimals,
        uint64 feeWei,
        uint8 proofModes
    );
    /// @notice The model's fee changed; requests already made keep the fee they were made with.
    event ModelFeeUpdated(bytes32 indexed modelId, uint64 feeWei);
    /// @notice The model takes no new requests; those already made still settle.
    event ModelDeprecated(bytes32 indexed modelId);
    /// @notice The model's owner changed; fees of requests already made go to the owner they were made with.
    event ModelOwnershipTransferred(
        bytes32 indexed modelId,
        address indexed previousOwner,
        address indexed newOwner
    );
    /// @notice The model was bound, once, to a circuit, a verifying key and their verifier.
    event ModelZkCommitmentSet(
        bytes32 indexed modelId,
        bytes32 circuitHash,
        bytes32 verifyingKeyHash,
        address verifier
    );

    /// @notice A model id is the SHA-256 of its bytes, never zero.
    error ModelIdZero();
    /// @notice A model id is registered once; a new version is a new id (`previousVersion`).
    error ModelAlreadyRegistered(bytes32 modelId);
    /// @notice No model is registered under this id.
    error ModelNotFound(bytes32 modelId);
    /// @notice The model is deprecated.
    error ModelNotActive(bytes32 modelId);
    /// @notice Only the model's owner may do this.
    error NotModelOwner(bytes32 modelId, address caller);
    /// @notice A model needs a uri where workers can fetch its bytes.
    error EmptyUri();
    /// @notice A shape must have 1 to `MAX_RANK` dimensions, none zero, and at most `MAX_ELEMENTS` elements.
    error InvalidShape();
    /// @notice More than 18 fixed-point decimals cannot hold a unit in int32.
    error InvalidDecimals(uint8 decimals);
    /// @notice The encoded input would be longer than `MAX_INPUT_BYTES`.
    error InputTooLarge(uint256 inputBytes, uint256 maxInputBytes);
    /// @notice The proof-mode mask is zero or names an undefined mode.
    error InvalidProofModes(uint8 proofModes);
    /// @notice The zero address cannot own a model.
    error InvalidOwner(address owner);
    /// @notice The ZK verifier address has no contract code.
    error VerifierHasNoCode(address verifier);
    /// @notice A model's ZK commitment is set once: a new circuit or key is a new model version.
    error ZkCommitmentAlreadySet(bytes32 modelId);
    /// @notice A ZK commitment needs a circuit hash and a verifying-key hash.
    error InvalidZkCommitment();
    /// @notice The verifier does not report the commitment's circuit and verifying-key hashes, or
    /// does not bind its proofs to a request (only the commitment binding does).
    error VerifierMismatch(address verifier);

    /// @notice The longest encoded input tensor a model may take, in bytes: every request carries
    /// its input in calldata and in `InferenceRequested`, so this bounds what one request costs
    /// (about 2.7 million gas at this length, reports/input-limit.json). The same number is
    /// `MAX_INPUT_BYTES` of packages/contracts/src/limits.ts, which the SDK checks before sending.
    function MAX_INPUT_BYTES() external view returns (uint256);

    /// @notice Registers a model owned by the caller.
    /// @param modelId SHA-256 of the ONNX bytes. It cannot be checked on-chain; workers check it
    /// before loading the file and refuse a mismatch.
    function registerModel(bytes32 modelId, ModelSpec calldata spec) external;

    /// @notice Sets the fee paid to the model owner for each inference. Applies to later requests.
    function setFee(bytes32 modelId, uint64 feeWei) external;

    /// @notice Stops new requests for a model. Requests already made still settle.
    function deprecate(bytes32 modelId) external;

    /// @notice Hands the model to `newOwner`. Only its owner.
    function transferModelOwnership(bytes32 modelId, address newOwner) external;

    /// @notice Which failure the chain itself can see in `input` for this model: `InputUndecodable`
    /// when it is not a canonical tensor, `InputShapeMismatch` when its header names another shape
    /// than the model's input shape, `None` otherwise. The hub checks failure reports with it.
    function inputFailure(
        bytes32 modelId,
        bytes calldata input
    ) external view returns (FailureReason);

    /// @notice Binds the model to a circuit and its verifier, and enables `ProofMode.ZK` for it.
    /// Once only (`ZkCommitmentAlreadySet`): a ZK request can exist only after its verifier is
    /// fixed, so no verifier can be swapped under requests already made, and every request keeps
    /// the verifier it was made with (`Request.zkVerifier`), so a binding made after a request
    /// cannot decide that request's dispute. The verifier must report the commitment's circuit and
    /// verifying-key hashes and use the commitment binding (`VerifierMismatch`), whose proofs are
    /// bound to one request and one worker. To change the circuit, the setup or the verifier,
    /// register a new model version (`previousVersion`).
    function setZkCommitment(bytes32 modelId, ZkCommitment calldata zk) external;

    /// @notice The model's full record.
    function getModel(bytes32 modelId) external view returns (Model memory);

    /// @notice Reverts with `ModelNotFound` for an unknown model.
    function getRequestTerms(bytes32 modelId) external view returns (RequestTerms memory);

    /// @notice The verifier of the model's ZK commitment, or zero: one storage read, for the ZK
    /// proof verifier at settlement.
    function zkVerifierOf(bytes32 modelId) external view returns (address);
}
