// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {InferenceConsumer} from "@verity/solidity/consumer/InferenceConsumer.sol";
import {IInferenceHub} from "@verity/solidity/interfaces/IInferenceHub.sol";
import {ProofMode} from "@verity/solidity/types/Inference.sol";

/// @dev Test-only base: a consumer whose requests anyone can trigger, paying with `msg.value`.
abstract contract RequestingConsumer is InferenceConsumer {
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
}
