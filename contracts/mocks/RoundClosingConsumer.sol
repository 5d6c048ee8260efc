// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {IInferenceConsumer} from "@verity/solidity/interfaces/IInferenceConsumer.sol";
import {IQuorumRounds} from "@verity/solidity/interfaces/IQuorumRounds.sol";
import {FailureReason} from "@verity/solidity/types/Inference.sol";

/// @dev Test-only consumer that, from inside its result callback, closes the request's round and
/// withdraws from the rounds contract, recording whether each call succeeded.
contract RoundClosingConsumer is IInferenceConsumer {
    IQuorumRounds public immutable ROUNDS;
    bool public closeSucceeded;
    bool public withdrawSucceeded;
    uint256 public results;

    constructor(IQuorumRounds rounds) {
        ROUNDS = rounds;
    }

    function onInferenceResult(uint256 requestId, bytes32, bytes calldata) external {
        ++results;
        (closeSucceeded, ) = address(ROUNDS).call(abi.encodeCall(IQuorumRounds.close, (requestId)));
        (withdrawSucceeded, ) = address(ROUNDS).call(
            abi.encodeCall(IQuorumRounds.withdraw, (payable(address(this))))
        );
    }

    function onInferenceFailed(uint256, FailureReason) external {}

    receive() external payable {}
}
