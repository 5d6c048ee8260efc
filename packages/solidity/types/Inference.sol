// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice How a result proves that it was computed correctly.
/// @dev Also a bit index: a model's `proofModes` allows mode `m` when bit `1 << m` is set.
enum ProofMode {
    /// Signed by a staked worker on an approved environment; final after a challenge window.
    ATTESTED,
    /// A Groth16 proof checked by the model's verifier contract; final at once.
    ZK,
    /// k independent workers agree on the output.
    QUORUM
}

/// @notice Where a request is in its lifecycle. Stored in the low byte of the request's commitment.
enum RequestStatus {
    None,
    Pending,
    Submitted,
    Challenged,
    Settled,
    Refunded,
    Failed
}

/// @notice Why a worker could not run a request: the input did not fit the model, or the model
/// itself could not be run. New reasons are only ever appended.
enum FailureReason {
    None,
    /// The tensor header names a shape other than the model's input shape.
    InputShapeMismatch,
    /// The bytes are not a well-formed tensor (bad version, dtype or length).
    InputUndecodable,
    /// The values decode but lie outside what the model accepts.
    InputOutOfRange,
    /// The model's bytes could not be fetched from its uri (nor any other source the worker has).
    ModelUnavailable,
    /// The bytes found at the model's uri do not hash to the model id.
    ModelHashMismatch,
    /// The bytes are not a model the canonical executor can load (malformed ONNX, a broken graph).
    ModelInvalid,
    /// The graph uses an operator the canonical executor does not implement.
    UnsupportedOperator,
    /// The run did not finish within the worker's time limit.
    Timeout,
    /// The output is too large for any transaction to carry, so it can never settle.
    OutputTooLarge,
    /// The model loaded but failed while running, for a reason none of the above names.
    ModelError
}

/// @notice What happened when the hub called a consumer back. The call never blocks settlement.
enum CallbackResult {
    /// No callback target, or a zero gas limit: nothing to call.
    None,
    Succeeded,
    Reverted,
    OutOfGas
}

/// @notice Everything settlement needs to know about a request. Only its hash is stored
/// (`InferenceHub.requestCommitment`); callers re-supply the struct, as Chainlink Functions does,
/// so that a request costs one new storage slot. Every field is emitted in `InferenceRequested`.
struct Request {
    uint256 id;
    address requester;
    /// Contract to call back with the result, or zero for none.
    address callback;
    /// Model owner when the request was made: the model fee is theirs even if ownership moves.
    address modelOwner;
    /// Worker that alone may answer until `assignedUntil`, named by the requester (the SDK picks one
    /// with `WorkerRegistry.pickWorker`); zero opens the request to every eligible worker at once.
    address assignee;
    /// SHA-256 of the model's ONNX bytes.
    bytes32 modelId;
    /// keccak256 of the input tensor bytes (the bytes themselves are in the request event).
    bytes32 inputHash;
    uint96 modelFeeWei;
    uint96 workerRewardWei;
    /// `callbackGasLimit * callbackGasPriceWei`, paid to whoever sends the settling transaction.
    uint96 callbackFeeWei;
    /// End of the assignee's exclusive grace period.
    uint64 assignedUntil;
    uint64 deadline;
    uint32 callbackGasLimit;
    uint32 challengeWindowSeconds;
    ProofMode proofMode;
    /// The model's ZK verifier when the request was made, or zero when it had none. A ZK request is
    /// proved, and a dispute over any request decided by proof, only with this verifier: a model
    /// owner who binds a verifier later cannot decide the disputes of requests made before.
    address zkVerifier;
}

/// @notice A result accepted by the hub and waiting for its challenge window to close.
struct Submission {
    address worker;
    bytes32 outputHash;
    bytes32 environmentId;
    /// First timestamp at which `finalize` succeeds.
    uint64 finalizableAt;
}

/// @notice An open challenge against a submission.
struct Challenge {
    address challenger;
    uint96 bondWei;
    /// keccak256 of the output the challenger claims is right.
    bytes32 claimedOutputHash;
    uint64 challengedAt;
}
