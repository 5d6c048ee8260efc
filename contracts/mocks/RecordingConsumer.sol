// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {RequestingConsumer} from "./RequestingConsumer.sol";
import {IInferenceHub} from "@verity/solidity/interfaces/IInferenceHub.sol";
import {FailureReason} from "@verity/solidity/types/Inference.sol";

/// @dev Test-only consumer that records every callback it receives.
contract RecordingConsumer is RequestingConsumer {
    uint256 public resultCount;
    uint256 public failureCount;
    uint256 public lastRequestId;
    bytes32 public lastModelId;
    bytes public lastOutput;
    FailureReason public lastReason;
    /// @dev `gasleft()` at the start of the last callback: shows how much of the limit arrived.
    uint256 public lastGasLeft;

    constructor(IInferenceHub hub) RequestingConsumer(hub) {}

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
