// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {InferenceConsumer} from "../consumer/InferenceConsumer.sol";
import {IInferenceHub} from "../interfaces/IInferenceHub.sol";
import {FailureReason, ProofMode} from "../types/Inference.sol";

/// @dev Test-only consumer that records every callback it receives.
contract RecordingConsumer is InferenceConsumer {
    uint256 public resultCount;
    uint256 public failureCount;
    uint256 public lastRequestId;
    bytes32 public lastModelId;
    bytes public lastOutput;
    FailureReason public lastReason;
    /// @dev `gasleft()` at the start of the last callback: shows how much of the limit arrived.
    uint256 public lastGasLeft;

    constructor(IInferenceHub hub) InferenceConsumer(hub) {}

    function request(
        bytes32 modelId,
        bytes calldata input,
        address assignee,
        uint32 callbackGasLimit,
        uint64 deadline
    ) external payable returns (uint256) {
        return
            _requestInference(
                modelId,
                input,
                ProofMode.ATTESTED,
                assignee,
                callbackGasLimit,
                deadline,
                msg.value
            );
    }

    function _onInferenceResult(
        uint256 requestId,
        bytes32 modelId,
        bytes calldata output
    ) internal override {
        lastGasLeft = gasleft();
        ++resultCount;
        lastRequestId = requestId;
        lastModelId = modelId;
        lastOutput = output;
    }

    function _onInferenceFailed(uint256 requestId, FailureReason reason) internal override {
        lastGasLeft = gasleft();
        ++failureCount;
        lastRequestId = requestId;
        lastReason = reason;
    }

    receive() external payable {}
}
