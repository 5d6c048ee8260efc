// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {IInferenceHub} from "@verity/solidity/interfaces/IInferenceHub.sol";
import {FailureReason} from "@verity/solidity/types/Inference.sol";
import {RequestingConsumer} from "./RequestingConsumer.sol";

/// @dev Test-only: a consumer with an owner and, on purpose, no `receive()`: it can never take ETH
/// from the hub itself, so its refunds leave the hub only through `withdrawRefunds`.
contract OwnedConsumer is RequestingConsumer {
    address public immutable OWNER;

    error NotOwner(address caller);

    constructor(IInferenceHub hub) RequestingConsumer(hub) {
        OWNER = msg.sender;
    }

    /// @notice Pays out the refunds the hub credited to this contract, to `to`. Owner only.
    function withdrawRefunds(address payable to) external {
        if (msg.sender != OWNER) revert NotOwner(msg.sender);
        _withdrawRefunds(to);
    }

    function _onInferenceResult(uint256, bytes32, bytes calldata) internal override {}

    function _onInferenceFailed(uint256, FailureReason) internal override {}
}
