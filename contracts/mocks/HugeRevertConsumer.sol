// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {FailureReason} from "@verity/solidity/types/Inference.sol";

/// @dev Test-only consumer that reverts with `size` bytes of revert data, byte i being uint8(i),
/// to check that the hub keeps only a bounded prefix.
contract HugeRevertConsumer {
    uint256 public immutable SIZE;

    constructor(uint256 size) {
        SIZE = size;
    }

    function onInferenceResult(uint256, bytes32, bytes calldata) external view {
        _revertHuge();
    }

    function onInferenceFailed(uint256, FailureReason) external view {
        _revertHuge();
    }

    function _revertHuge() private view {
        bytes memory data = new bytes(SIZE);
        for (uint256 i; i < SIZE; ++i) data[i] = bytes1(uint8(i));
        assembly ("memory-safe") {
            revert(add(data, 0x20), mload(data))
        }
    }
}
