// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IInferenceConsumer} from "../interfaces/IInferenceConsumer.sol";
import {IInferenceHub} from "../interfaces/IInferenceHub.sol";
import {FailureReason, ProofMode} from "../types/Inference.sol";

/// @title InferenceConsumer
/// @notice Inherit this to receive verified inference results. The hub calls the external entry
/// points, which check the caller and forward to the internal hooks you override.
/// @dev The hub calls back with exactly the gas limit given at request time; a hook that reverts or
/// runs out of gas is recorded by the hub (`CallbackFailed`) and the request settles regardless.
/// Anyone may name any contract as a request's callback, so a hook must act only on request ids
/// this contract made itself (keep them when `_requestInference` returns, as `CreditLine` does).
abstract contract InferenceConsumer is IInferenceConsumer {
    IInferenceHub public immutable INFERENCE_HUB;

    error OnlyInferenceHub(address caller);

    constructor(IInferenceHub hub) {
        INFERENCE_HUB = hub;
    }

    /// @inheritdoc IInferenceConsumer
    function onInferenceResult(uint256 requestId, bytes32 modelId, bytes calldata output) external {
        if (msg.sender != address(INFERENCE_HUB)) revert OnlyInferenceHub(msg.sender);
        _onInferenceResult(requestId, modelId, output);
    }

    /// @inheritdoc IInferenceConsumer
    function onInferenceFailed(uint256 requestId, FailureReason reason) external {
        if (msg.sender != address(INFERENCE_HUB)) revert OnlyInferenceHub(msg.sender);
        _onInferenceFailed(requestId, reason);
    }

    /// @dev Asks the hub for an inference that calls this contract back. See
    /// `IInferenceHub.requestInference` for `assignee`.
    function _requestInference(
        bytes32 modelId,
        bytes calldata input,
        ProofMode proofMode,
        address assignee,
        uint32 callbackGasLimit,
        uint64 deadline,
        uint256 paymentWei
    ) internal returns (uint256 requestId) {
        return
            INFERENCE_HUB.requestInference{value: paymentWei}(
                modelId,
                input,
                proofMode,
                assignee,
                address(this),
                callbackGasLimit,
                deadline
            );
    }

    /// @dev A final, proven result for one of this contract's requests. `output` is a tensor in the
    /// canonical encoding (`TensorCodec`).
    function _onInferenceResult(
        uint256 requestId,
        bytes32 modelId,
        bytes calldata output
    ) internal virtual;

    /// @dev The request ended without a result; the hub credited the refund to this contract
    /// (pay it out with `_withdrawRefunds`).
    function _onInferenceFailed(uint256 requestId, FailureReason reason) internal virtual;

    /// @dev Pays out everything the hub holds for this contract to `to`, in one `withdraw(to)`.
    /// The hub credits a refund to the request's requester, and for a request made through
    /// `_requestInference` that is this contract, not whoever paid: unless the dapp calls this,
    /// behind its own access control, its refunds stay in the hub for good. Paying to `to` rather
    /// than to this contract means a consumer needs no `receive()` to get its money out.
    /// Reverts with the hub's `NothingToWithdraw` when it holds nothing for this contract, and
    /// `TransferFailed` when `to` refuses ETH.
    function _withdrawRefunds(address payable to) internal {
        INFERENCE_HUB.withdraw(to);
    }
}
