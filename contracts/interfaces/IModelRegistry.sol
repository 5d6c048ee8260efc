// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

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
        uint96 feeWei;
        /// Bitmask of allowed `ProofMode`s: bit `1 << mode`.
        uint8 proofModes;
        /// The model this one replaces, or zero. Must be owned by the same account.
        bytes32 previousVersion;
    }

    struct Model {
        // slot 0: owner (20 bytes) | feeWei (12 bytes)
        address owner;
        uint96 feeWei;
        // slot 1: status | proofModes | decimals | inputBytes (4) | outputBytes (4)
        ModelStatus status;
        uint8 proofModes;
        uint8 decimals;
        /// Exact length of a well-formed input tensor in the canonical encoding (see `TensorCodec`).
        uint32 inputBytes;
        uint32 outputBytes;
        bytes32 previousVersion;
        ZkCommitment zk;
        string uri;
        uint32[] inputShape;
        uint32[] outputShape;
    }

    /// @notice The part of a model the hub reads for every request, from two storage slots.
    struct RequestTerms {
        address owner;
        uint96 feeWei;
        ModelStatus status;
        uint8 proofModes;
        uint32 inputBytes;
    }

    event ModelRegistered(
        bytes32 indexed modelId,
        address indexed owner,
        bytes32 indexed previousVersion,
        string uri,
        uint32[] inputShape,
        uint32[] outputShape,
        uint8 decimals,
        uint96 feeWei,
        uint8 proofModes
    );
    event ModelFeeUpdated(bytes32 indexed modelId, uint96 feeWei);
    event ModelDeprecated(bytes32 indexed modelId);
    event ModelOwnershipTransferred(
        bytes32 indexed modelId,
        address indexed previousOwner,
        address indexed newOwner
    );
    event ModelZkCommitmentSet(
        bytes32 indexed modelId,
        bytes32 circuitHash,
        bytes32 verifyingKeyHash,
        address verifier
    );

    error ModelIdZero();
    error ModelAlreadyRegistered(bytes32 modelId);
    error ModelNotFound(bytes32 modelId);
    error ModelNotActive(bytes32 modelId);
    error NotModelOwner(bytes32 modelId, address caller);
    error EmptyUri();
    /// @notice A shape must have 1 to `MAX_RANK` dimensions, none zero, and at most `MAX_ELEMENTS` elements.
    error InvalidShape();
    error InvalidDecimals(uint8 decimals);
    error InvalidProofModes(uint8 proofModes);
    error InvalidOwner(address owner);
    error VerifierHasNoCode(address verifier);

    /// @notice Registers a model owned by the caller.
    /// @param modelId SHA-256 of the ONNX bytes. It cannot be checked on-chain; workers check it
    /// before loading the file and refuse a mismatch.
    function registerModel(bytes32 modelId, ModelSpec calldata spec) external;

    /// @notice Sets the fee paid to the model owner for each inference. Applies to later requests.
    function setFee(bytes32 modelId, uint96 feeWei) external;

    /// @notice Stops new requests for a model. Requests already made still settle.
    function deprecate(bytes32 modelId) external;

    function transferModelOwnership(bytes32 modelId, address newOwner) external;

    /// @notice Binds the model to a circuit and its verifier, for `ProofMode.ZK`.
    function setZkCommitment(bytes32 modelId, ZkCommitment calldata zk) external;

    function getModel(bytes32 modelId) external view returns (Model memory);

    /// @notice Reverts with `ModelNotFound` for an unknown model.
    function getRequestTerms(bytes32 modelId) external view returns (RequestTerms memory);
}
