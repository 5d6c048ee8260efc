// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {CallbackResult} from "../types/Inference.sol";

/// @title ExactGasCall
/// @notice Calls a consumer with exactly the gas it paid for, and classifies the outcome instead of
/// reverting, so that a broken consumer can never block settlement (as Chainlink Functions'
/// `callWithExactGas`). The caller of the settling transaction cannot starve the callback either:
/// without enough gas left for the full limit, the whole transaction reverts.
library ExactGasCall {
    /// @notice Gas left after the call is less than the limit the requester paid for.
    error InsufficientGasForCallback(uint256 gasLeft, uint256 gasLimit);

    /// @dev Covers the CALL itself and the cold access to the target (EIP-2929).
    uint256 private constant CALL_OVERHEAD = 5_000;
    /// @dev Revert data kept for the `CallbackFailed` event; the rest is dropped so that a consumer
    /// cannot make the hub pay to copy a huge return buffer.
    uint256 internal constant MAX_REASON_BYTES = 256;

    function call(
        address target,
        uint256 gasLimit,
        bytes memory data
    ) internal returns (CallbackResult result, bytes memory reason) {
        if (target.code.length == 0)
            return (CallbackResult.Reverted, bytes("callback has no code"));
        // EIP-150 forwards at most 63/64 of what is left: require enough that all of `gasLimit` arrives.
        uint256 gasLeft = gasleft();
        if (gasLeft < CALL_OVERHEAD || ((gasLeft - CALL_OVERHEAD) * 63) / 64 < gasLimit) {
            revert InsufficientGasForCallback(gasLeft, gasLimit);
        }
        bool success;
        uint256 returned;
        assembly ("memory-safe") {
            success := call(gasLimit, target, 0, add(data, 0x20), mload(data), 0, 0)
            returned := returndatasize()
        }
        if (success) return (CallbackResult.Succeeded, "");
        uint256 kept = returned < MAX_REASON_BYTES ? returned : MAX_REASON_BYTES;
        reason = new bytes(kept);
        assembly ("memory-safe") {
            returndatacopy(add(reason, 0x20), 0, kept)
        }
        // An out-of-gas failure returns no data and leaves 1/64 of the limit unused at most.
        uint256 used = gasLeft - gasleft();
        result =
            returned == 0 && used >= gasLimit ? CallbackResult.OutOfGas : CallbackResult.Reverted;
    }
}
