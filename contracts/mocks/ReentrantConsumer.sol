// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {RequestingConsumer} from "./RequestingConsumer.sol";
import {IInferenceHub} from "@verity/solidity/interfaces/IInferenceHub.sol";
import {FailureReason, Request, Submission} from "@verity/solidity/types/Inference.sol";

/// @dev Test-only consumer that, from inside its callbacks (and its `receive`), calls the hub again:
/// finalize, refund, withdraw and submitResult, recording whether each call succeeded and what it
/// reverted with. The test primes it with the request, submission, output and signature.
contract ReentrantConsumer is RequestingConsumer {
    struct Attempt {
        bool attempted;
        bool succeeded;
        bytes revertData;
    }

    Request private _request;
    Submission private _submission;
    bytes private _output;
    bytes private _signature;

    Attempt public finalizeAttempt;
    Attempt public refundAttempt;
    Attempt public withdrawAttempt;
    Attempt public secondWithdrawAttempt;
    Attempt public submitAttempt;
    Attempt public receiveWithdrawAttempt;
    uint256 public callbacks;
    uint256 public received;

    constructor(IInferenceHub hub) RequestingConsumer(hub) {}

    function prime(
        Request calldata request_,
        Submission calldata submission_,
        bytes calldata output_,
        bytes calldata signature_
    ) external {
        _request = request_;
        _submission = submission_;
        _output = output_;
        _signature = signature_;
    }

    /// @dev Withdraws this contract's hub balance to itself (its `receive` tries to withdraw again).
    function withdrawFromHub() external {
        INFERENCE_HUB.withdraw(payable(address(this)));
    }

    function _onInferenceResult(uint256, bytes32, bytes calldata) internal override {
        _reenter();
    }

    function _onInferenceFailed(uint256, FailureReason) internal override {
        _reenter();
    }

    function _reenter() private {
        ++callbacks;
        Request memory req = _request;
        _try(finalizeAttempt, abi.encodeCall(IInferenceHub.finalize, (req, _submission, _output)));
        _try(refundAttempt, abi.encodeCall(IInferenceHub.refund, (req)));
        _try(
            submitAttempt,
            abi.encodeCall(
                IInferenceHub.submitResult,
                (req, _output, _submission.environmentId, _signature)
            )
        );
        _try(withdrawAttempt, abi.encodeCall(IInferenceHub.withdraw, (payable(address(this)))));
        _try(
            secondWithdrawAttempt,
            abi.encodeCall(IInferenceHub.withdraw, (payable(address(this))))
        );
    }

    function _try(Attempt storage attempt, bytes memory data) private {
        (bool ok, bytes memory ret) = address(INFERENCE_HUB).call(data);
        attempt.attempted = true;
        attempt.succeeded = ok;
        attempt.revertData = ret;
    }

    receive() external payable {
        ++received;
        if (!receiveWithdrawAttempt.attempted) {
            _try(
                receiveWithdrawAttempt,
                abi.encodeCall(IInferenceHub.withdraw, (payable(address(this))))
            );
        }
    }
}
