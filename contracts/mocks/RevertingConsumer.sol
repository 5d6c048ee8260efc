// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {FailureReason} from "@verity/solidity/types/Inference.sol";

/// @dev Test-only consumer whose callbacks always revert with a custom error.
contract RevertingConsumer {
    error ConsumerRejected(uint256 requestId, bytes32 modelId);

    function onInferenceResult(uint256 requestId, bytes32 modelId, bytes calldata) external pure {
        revert ConsumerRejected(requestId, modelId);
    }

    function onInferenceFailed(uint256 requestId, FailureReason) external pure {
        revert ConsumerRejected(requestId, bytes32(0));
    }
}
