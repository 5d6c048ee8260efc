// SPDX-License-Identifier: MIT
// Ranged like the interfaces: this file is compiled by the dapp developer's own compiler.
pragma solidity ^0.8.24;

import {IInferenceConsumer} from "../interfaces/IInferenceConsumer.sol";
import {IInferenceHub} from "../interfaces/IInferenceHub.sol";
import {IProofVerifier} from "../interfaces/IProofVerifier.sol";
import {ExactGasCall} from "../libraries/ExactGasCall.sol";
import {
    CallbackResult,
    Challenge,
    FailureReason,
    ProofMode,
    Request,
    RequestStatus,
    Submission
} from "../types/Inference.sol";

/// @title MockInferenceHub
/// @notice FOR TESTS ONLY: never deploy it to a live network. A stand-in for `InferenceHub` in a
/// consumer's unit tests: `requestInference` takes the payment and records the request as the real
/// hub does, and the test itself plays the worker with `deliverResult` and `deliverFailure`. Anyone
/// may call those, with any output: there are no workers, signatures, proofs or challenges.
/// @dev What is faithful to `InferenceHub`, so that a consumer tested here behaves the same there:
/// - `requestInference` checks the callback gas limit, the deadline and the payment against
///   `quote`, returns ids counting up from 1, and emits `InferenceRequested` with the same
///   `Request` fields (`modelOwner` and `zkVerifier` are zero: the mock has no model registry);
/// - the consumer is called back through the same entry points (`onInferenceResult`,
///   `onInferenceFailed`) from this contract, so `InferenceConsumer`'s `OnlyInferenceHub` check
///   passes, with exactly the request's `callbackGasLimit` (`ExactGasCall`, as the real hub);
/// - a callback that reverts or runs out of gas never reverts the delivery: it is classified
///   (`CallbackResult`), reported in `CallbackFailed` and returned to the caller;
/// - settlement and refund emit the events the real hub emits, in the same order, and a failure
///   credits the requester's refund to `balanceOf`, which `withdraw` pays out.
/// What it does not do: check the model (any id and input are accepted; the real hub also checks
/// that the model is active, allows the proof mode and that the input has the model's length), or
/// pay workers and model owners (a delivered result's escrow stays here). Functions of
/// `IInferenceHub` that a consumer does not call revert with `NotImplementedInMock`.
contract MockInferenceHub is IInferenceHub {
    /// @inheritdoc IInferenceHub
    uint256 public constant CHALLENGER_SHARE_BPS = 5_000;
    /// @inheritdoc IInferenceHub
    uint32 public constant MAX_CALLBACK_GAS_LIMIT = 5_000_000;

    /// @notice The mock does not implement `functionName`: it has no workers, proofs, challenges,
    /// treasury or pause. Test those paths against a deployment of the real `InferenceHub`.
    error NotImplementedInMock(string functionName);
    /// @notice A payment above 2^96 - 1 wei; the real hub rejects it too (its fields are 96-bit).
    error PaymentTooLarge(uint256 paidWei);

    /// @notice `quote` and `requestInference` price requests for `modelId` with `feeWei` from now on.
    event ModelFeeSet(bytes32 indexed modelId, uint96 feeWei);

    Config private _config;
    uint256 private _nextRequestId = 1;
    uint256 private _protocolFeesWei;
    mapping(bytes32 modelId => uint96 feeWei) private _modelFeesWei;
    mapping(uint256 requestId => Request) private _requests;
    mapping(uint256 requestId => RequestStatus) private _statuses;
    mapping(uint256 requestId => CallbackResult) private _callbackResults;
    mapping(address account => uint256 balanceWei) private _balances;

    /// @notice Starts with no fees (so `quote` is zero) and deadlines up to a day ahead.
    constructor() {
        _setConfig(
            Config({
                protocolFeeWei: 0,
                minWorkerRewardWei: 0,
                callbackGasPriceWei: 0,
                assignmentGraceSeconds: 0,
                challengeWindowSeconds: 0,
                maxDeadlineSeconds: 1 days
            })
        );
    }

    // ---------------------------------------------------------------- test controls

    /// @notice Test-only: sets the fee of `modelId`, which `quote` and `requestInference` add.
    function setModelFee(bytes32 modelId, uint96 feeWei) external {
        _modelFeesWei[modelId] = feeWei;
        emit ModelFeeSet(modelId, feeWei);
    }

    /// @notice Test-only: sets the fees and deadline range new requests are made with. Unlike the
    /// real hub's, anyone may call it. Reverts with `InvalidConfig` when no deadline is possible.
    function setConfig(Config calldata config_) external {
        _setConfig(config_);
    }

    /// @notice Test-only: plays a worker whose result became final, as `InferenceHub` settling a
    /// request: records it as `Settled`, emits `ResultSubmitted`, calls
    /// `onInferenceResult(requestId, modelId, output)` on the request's callback with exactly its
    /// `callbackGasLimit`, and emits `CallbackFailed` (if it failed) and `RequestSettled`.
    /// @param output The result tensor in the canonical encoding (`TensorCodec`). A failure output
    /// (two bytes starting 0x00) is refused with `OutputMismatch`, as the real hub refuses it as a
    /// result: use `deliverFailure`.
    /// @return callbackResult How the callback went; the delivery never reverts because of it.
    /// Reverts with `RequestNotPending` for an unknown or already ended request, and with
    /// `RequestExpired` after the request's deadline (the real hub takes no result then).
    function deliverResult(
        uint256 requestId,
        bytes calldata output
    ) external returns (CallbackResult callbackResult) {
        Request storage request = _pendingRequest(requestId);
        if (block.timestamp > request.deadline) revert RequestExpired(requestId, request.deadline);
        if (output.length == 2 && output[0] == 0x00) revert OutputMismatch(requestId);
        _statuses[requestId] = RequestStatus.Settled;
        bytes32 outputHash = keccak256(output);
        emit ResultSubmitted(
            requestId,
            msg.sender,
            bytes32(0),
            outputHash,
            uint64(block.timestamp),
            output
        );
        callbackResult = _callBack(
            request,
            abi.encodeCall(
                IInferenceConsumer.onInferenceResult,
                (requestId, request.modelId, output)
            )
        );
        emit RequestSettled(requestId, msg.sender, outputHash, callbackResult);
    }

    /// @notice Test-only: ends a request without a result, as `InferenceHub` does: credits the
    /// requester's refund (model fee and worker reward, plus the callback fee when there is no
    /// callback), calls `onInferenceFailed(requestId, reason)` with exactly the request's
    /// `callbackGasLimit`, and emits `CallbackFailed` (if it failed), `RequestRefunded` and, for a
    /// worker's failure report, `RequestFailed`.
    /// @param reason `None` stands for a refund (a passed deadline, an expired challenge): the
    /// request ends `Refunded`, at any time. Any other reason stands for a worker's failure report
    /// that became final: the request ends `Failed`, and only before its deadline.
    /// @return callbackResult How the callback went; the delivery never reverts because of it.
    /// Reverts with `RequestNotPending` for an unknown or already ended request.
    function deliverFailure(
        uint256 requestId,
        FailureReason reason
    ) external returns (CallbackResult callbackResult) {
        Request storage request = _pendingRequest(requestId);
        if (reason == FailureReason.None) {
            return _closeAndRefund(request, RequestStatus.Refunded, reason);
        }
        if (block.timestamp > request.deadline) revert RequestExpired(requestId, request.deadline);
        callbackResult = _closeAndRefund(request, RequestStatus.Failed, reason);
        emit RequestFailed(requestId, msg.sender, reason, callbackResult);
    }

    /// @notice Test-only: the request as `InferenceRequested` emitted it (zero for an unknown id).
    function getRequest(uint256 requestId) external view returns (Request memory) {
        return _requests[requestId];
    }

    /// @notice Test-only: how the callback of an ended request went (`None` until then, and for a
    /// request without a callback).
    function callbackResultOf(uint256 requestId) external view returns (CallbackResult) {
        return _callbackResults[requestId];
    }

    // ---------------------------------------------------------------- IInferenceHub, implemented

    /// @inheritdoc IInferenceHub
    /// @dev Checks what the real hub checks except the model (see the contract's notes).
    function requestInference(
        bytes32 modelId,
        bytes calldata input,
        ProofMode proofMode,
        address assignee,
        address callback,
        uint32 callbackGasLimit,
        uint64 deadline
    ) external payable returns (uint256 requestId) {
        Request memory request = _newRequest(
            modelId,
            input,
            proofMode,
            assignee,
            callback,
            callbackGasLimit,
            deadline
        );
        requestId = request.id;
        _requests[requestId] = request;
        _statuses[requestId] = RequestStatus.Pending;
        emit InferenceRequested(requestId, modelId, msg.sender, request, input);
    }

    /// @inheritdoc IInferenceHub
    /// @dev The real hub's formula, with the model fee from `setModelFee`.
    function quote(
        bytes32 modelId,
        uint32 callbackGasLimit
    ) external view returns (uint256 minimumWei) {
        return _quote(modelId, uint256(callbackGasLimit) * _config.callbackGasPriceWei);
    }

    /// @inheritdoc IInferenceHub
    /// @dev Takes the request back like the real hub (`RequestMismatch` if any field differs).
    function refund(Request calldata request) external {
        Request storage stored = _pendingRequest(request.id);
        if (keccak256(abi.encode(request)) != keccak256(abi.encode(stored))) {
            revert RequestMismatch(request.id);
        }
        if (block.timestamp <= request.deadline) {
            revert RequestNotExpired(request.id, request.deadline);
        }
        _closeAndRefund(stored, RequestStatus.Refunded, FailureReason.None);
    }

    /// @inheritdoc IInferenceHub
    function withdraw(address payable to) external {
        uint256 amountWei = _balances[msg.sender];
        if (amountWei == 0) revert NothingToWithdraw();
        _balances[msg.sender] = 0;
        (bool ok, ) = to.call{value: amountWei}("");
        if (!ok) revert TransferFailed(to, amountWei);
        emit Withdrawn(msg.sender, to, amountWei);
    }

    /// @inheritdoc IInferenceHub
    function balanceOf(address account) external view returns (uint256) {
        return _balances[account];
    }

    /// @inheritdoc IInferenceHub
    function requestStatus(uint256 requestId) external view returns (RequestStatus) {
        return _statuses[requestId];
    }

    /// @inheritdoc IInferenceHub
    function config() external view returns (Config memory) {
        return _config;
    }

    /// @inheritdoc IInferenceHub
    /// @dev Earned at request and kept here: the mock has no treasury.
    function protocolFeesWei() external view returns (uint256) {
        return _protocolFeesWei;
    }

    /// @inheritdoc IInferenceHub
    function nextRequestId() external view returns (uint256) {
        return _nextRequestId;
    }

    /// @inheritdoc IInferenceHub
    function hashRequest(Request calldata request) external pure returns (bytes32) {
        return keccak256(abi.encode(request));
    }

    /// @inheritdoc IInferenceHub
    function failureOutput(FailureReason reason) external pure returns (bytes memory) {
        return abi.encodePacked(bytes1(0x00), uint8(reason));
    }

    /// @inheritdoc IInferenceHub
    /// @dev The mock is never paused.
    function paused() external pure returns (bool) {
        return false;
    }

    /// @inheritdoc IInferenceHub
    /// @dev The mock is never paused.
    function unpausedAt() external pure returns (uint64) {
        return 0;
    }

    // ---------------------------------------------------------------- IInferenceHub, not in the mock

    /// @notice Not in the mock (`NotImplementedInMock`): use `deliverResult`.
    function submitResult(Request calldata, bytes calldata, bytes32, bytes calldata) external pure {
        revert NotImplementedInMock("submitResult");
    }

    /// @notice Not in the mock (`NotImplementedInMock`): use `deliverResult`.
    function submitResults(ResultSubmission[] calldata) external pure {
        revert NotImplementedInMock("submitResults");
    }

    /// @notice Not in the mock (`NotImplementedInMock`): `deliverResult` settles at once.
    function finalize(Request calldata, Submission calldata, bytes calldata) external pure {
        revert NotImplementedInMock("finalize");
    }

    /// @notice Not in the mock (`NotImplementedInMock`): use `deliverFailure`.
    function reportFailure(
        Request calldata,
        bytes calldata,
        FailureReason,
        bytes32,
        bytes calldata
    ) external pure {
        revert NotImplementedInMock("reportFailure");
    }

    /// @notice Not in the mock (`NotImplementedInMock`): it has no challenges.
    function challenge(Request calldata, Submission calldata, bytes32) external payable {
        revert NotImplementedInMock("challenge");
    }

    /// @notice Not in the mock (`NotImplementedInMock`): it has no challenges.
    function resolveChallenge(
        Request calldata,
        Submission calldata,
        Challenge calldata,
        bytes calldata,
        bool
    ) external pure {
        revert NotImplementedInMock("resolveChallenge");
    }

    /// @notice Not in the mock (`NotImplementedInMock`): it has no challenges.
    function expireChallenge(
        Request calldata,
        Submission calldata,
        Challenge calldata
    ) external pure {
        revert NotImplementedInMock("expireChallenge");
    }

    /// @notice Not in the mock (`NotImplementedInMock`): it has no challenges.
    function challengeWindowEnd(
        Request calldata,
        Submission calldata
    ) external pure returns (uint64) {
        revert NotImplementedInMock("challengeWindowEnd");
    }

    /// @notice Not in the mock (`NotImplementedInMock`): it has no challenges.
    function disputeConfig() external pure returns (DisputeConfig memory) {
        revert NotImplementedInMock("disputeConfig");
    }

    /// @notice Not in the mock (`NotImplementedInMock`): it has no treasury.
    function setTreasury(address) external pure {
        revert NotImplementedInMock("setTreasury");
    }

    /// @notice Not in the mock (`NotImplementedInMock`): it has no treasury.
    function treasury() external pure returns (address) {
        revert NotImplementedInMock("treasury");
    }

    /// @notice Not in the mock (`NotImplementedInMock`): it has no treasury.
    function collectProtocolFees() external pure {
        revert NotImplementedInMock("collectProtocolFees");
    }

    /// @notice Not in the mock (`NotImplementedInMock`): it is never paused.
    function pause() external pure {
        revert NotImplementedInMock("pause");
    }

    /// @notice Not in the mock (`NotImplementedInMock`): it is never paused.
    function unpause() external pure {
        revert NotImplementedInMock("unpause");
    }

    /// @notice Not in the mock (`NotImplementedInMock`): it checks no proofs.
    function setProofVerifier(ProofMode, IProofVerifier) external pure {
        revert NotImplementedInMock("setProofVerifier");
    }

    /// @notice Not in the mock (`NotImplementedInMock`): it checks no proofs.
    function proofVerifier(ProofMode) external pure returns (IProofVerifier) {
        revert NotImplementedInMock("proofVerifier");
    }

    /// @notice Not in the mock (`NotImplementedInMock`): it stores requests whole (`getRequest`),
    /// not as commitments.
    function requestCommitment(uint256) external pure returns (bytes32) {
        revert NotImplementedInMock("requestCommitment");
    }

    /// @notice Not in the mock (`NotImplementedInMock`): it checks no signatures.
    function resultDigest(
        uint256,
        bytes32,
        bytes32,
        bytes32,
        bytes32
    ) external pure returns (bytes32) {
        revert NotImplementedInMock("resultDigest");
    }

    /// @notice Not in the mock (`NotImplementedInMock`): it checks no signatures.
    function failureDigest(
        uint256,
        bytes32,
        bytes32,
        FailureReason,
        bytes32
    ) external pure returns (bytes32) {
        revert NotImplementedInMock("failureDigest");
    }

    // ---------------------------------------------------------------- internals

    /// @dev The real hub's `_newRequest` without the model checks: prices and fills in the request.
    function _newRequest(
        bytes32 modelId,
        bytes calldata input,
        ProofMode proofMode,
        address assignee,
        address callback,
        uint32 callbackGasLimit,
        uint64 deadline
    ) private returns (Request memory request) {
        if (callback == address(0) && callbackGasLimit != 0) revert CallbackGasLimitWithoutTarget();
        if (callbackGasLimit > MAX_CALLBACK_GAS_LIMIT) {
            revert CallbackGasLimitTooHigh(callbackGasLimit, MAX_CALLBACK_GAS_LIMIT);
        }
        Config memory cfg = _config;
        uint64 earliest = uint64(block.timestamp) + cfg.assignmentGraceSeconds;
        uint64 latest = uint64(block.timestamp) + cfg.maxDeadlineSeconds;
        if (deadline < earliest || deadline > latest) {
            revert InvalidDeadline(deadline, earliest, latest);
        }
        uint256 callbackFeeWei = uint256(callbackGasLimit) * cfg.callbackGasPriceWei;
        uint256 requiredWei = _quote(modelId, callbackFeeWei);
        if (msg.value < requiredWei) revert InsufficientPayment(msg.value, requiredWei);
        if (msg.value > type(uint96).max) revert PaymentTooLarge(msg.value);

        _protocolFeesWei += cfg.protocolFeeWei;
        request.id = _nextRequestId;
        ++_nextRequestId;
        request.requester = msg.sender;
        request.callback = callback;
        request.assignee = assignee;
        request.modelId = modelId;
        request.inputHash = keccak256(input);
        request.modelFeeWei = _modelFeesWei[modelId];
        // msg.value >= requiredWei covers the subtraction; msg.value < 2^96 bounds the casts.
        request.workerRewardWei = uint96(msg.value - requiredWei + cfg.minWorkerRewardWei);
        request.callbackFeeWei = uint96(callbackFeeWei);
        request.assignedUntil = assignee == address(0) ? uint64(block.timestamp) : earliest;
        request.deadline = deadline;
        request.callbackGasLimit = callbackGasLimit;
        request.challengeWindowSeconds = cfg.challengeWindowSeconds;
        request.proofMode = proofMode;
    }

    function _quote(bytes32 modelId, uint256 callbackFeeWei) private view returns (uint256) {
        Config memory cfg = _config;
        return
            uint256(_modelFeesWei[modelId]) +
            cfg.protocolFeeWei +
            cfg.minWorkerRewardWei +
            callbackFeeWei;
    }

    /// @dev The request, if it is pending; `RequestNotPending` (with `None` for an unknown id) if not.
    function _pendingRequest(uint256 requestId) private view returns (Request storage request) {
        RequestStatus status = _statuses[requestId];
        if (status != RequestStatus.Pending) revert RequestNotPending(requestId, status);
        return _requests[requestId];
    }

    /// @dev As the real hub's: records `status`, credits the refund and tells the consumer why.
    function _closeAndRefund(
        Request storage request,
        RequestStatus status,
        FailureReason reason
    ) private returns (CallbackResult callbackResult) {
        uint256 requestId = request.id;
        _statuses[requestId] = status;
        uint256 refundWei = uint256(request.modelFeeWei) + request.workerRewardWei;
        if (request.callbackGasLimit == 0) refundWei += request.callbackFeeWei;
        _balances[request.requester] += refundWei;
        callbackResult = _callBack(
            request,
            abi.encodeCall(IInferenceConsumer.onInferenceFailed, (requestId, reason))
        );
        emit RequestRefunded(requestId, request.requester, refundWei, callbackResult);
    }

    /// @dev As the real hub's: runs the callback, if any, with exactly its gas limit and pays its
    /// fee to whoever called; a failed callback is classified and reported, never bubbled up.
    function _callBack(
        Request storage request,
        bytes memory data
    ) private returns (CallbackResult result) {
        if (request.callbackGasLimit == 0) return CallbackResult.None;
        _balances[msg.sender] += request.callbackFeeWei;
        bytes memory reason;
        (result, reason) = ExactGasCall.call(request.callback, request.callbackGasLimit, data);
        _callbackResults[request.id] = result;
        if (result != CallbackResult.Succeeded) {
            emit CallbackFailed(request.id, request.callback, result, reason);
        }
    }

    function _setConfig(Config memory config_) private {
        if (config_.maxDeadlineSeconds <= config_.assignmentGraceSeconds) revert InvalidConfig();
        _config = config_;
        emit ConfigUpdated(config_);
    }
}
