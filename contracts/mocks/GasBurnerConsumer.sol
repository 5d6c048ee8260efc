// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {FailureReason} from "@verity/solidity/types/Inference.sol";

/// @dev Test-only consumer whose callbacks loop until they run out of gas.
contract GasBurnerConsumer {
    uint256 public counter;

    function onInferenceResult(uint256, bytes32, bytes calldata) external {
        _burn();
    }

    function onInferenceFailed(uint256, FailureReason) external {
        _burn();
    }

    function _burn() private {
        while (true) {
            ++counter;
        }
    }
}
