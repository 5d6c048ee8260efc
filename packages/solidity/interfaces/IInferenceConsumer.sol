// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {FailureReason} from "../types/Inference.sol";

/// @title IInferenceConsumer
/// @notice What the hub calls on a request's `callback` contract. Inherit `InferenceConsumer`
/// rather than implementing this directly: it checks that the caller is the hub.
interface IInferenceConsumer {
    /// @notice A final, proven result. Called with exactly the request's `callbackGasLimit`.
    function onInferenceResult(uint256 requestId, bytes32 modelId, bytes calldata output) external;

    /// @notice The request ended without a result: `reason` is `None` for a deadline refund or a
    /// challenge that expired, or the worker's classification of the input.
    function onInferenceFailed(uint256 requestId, FailureReason reason) external;
}
