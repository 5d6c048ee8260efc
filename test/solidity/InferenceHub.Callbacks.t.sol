// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {HubFixture} from "./utils/HubFixture.sol";
import {Vm} from "./utils/Test.sol";
import {InferenceConsumer} from "@verity/solidity/consumer/InferenceConsumer.sol";
import {CreditLine} from "../../contracts/examples/CreditLine.sol";
import {IInferenceHub} from "@verity/solidity/interfaces/IInferenceHub.sol";
import {ExactGasCall} from "@verity/solidity/libraries/ExactGasCall.sol";
import {GasBurnerConsumer} from "../../contracts/mocks/GasBurnerConsumer.sol";
import {HugeRevertConsumer} from "../../contracts/mocks/HugeRevertConsumer.sol";
import {RecordingConsumer} from "../../contracts/mocks/RecordingConsumer.sol";
import {ReentrantConsumer} from "../../contracts/mocks/ReentrantConsumer.sol";
import {RevertingConsumer} from "../../contracts/mocks/RevertingConsumer.sol";
import {
    CallbackResult,
    FailureReason,
    Request,
    RequestStatus,
    Submission
} from "@verity/solidity/types/Inference.sol";

/// @dev Consumer callbacks: the CreditLine example end to end, consumers that revert, burn their
/// gas, return huge revert data or re-enter the hub, and settlers that withhold gas.
contract InferenceHubCallbacksTest is HubFixture {
    address internal keeper = address(0x4EE9);
    address internal borrower = address(0xB0B);

    uint256 internal constant MAX_LIMIT = 10 ether;
    int256 internal constant THRESHOLD = 500_000; // 0.5 at 6 decimals

    // ============================================================ CreditLine end to end

    function _creditLine() internal returns (CreditLine line) {
        line = new CreditLine(hub, MODEL_ID, 6, MAX_LIMIT, THRESHOLD);
        vm.deal(borrower, 10 ether);
    }

    function _apply(CreditLine line) internal returns (Request memory r, uint256 payment) {
        payment = _minPayment(line.CALLBACK_GAS_LIMIT());
        uint64 deadline = uint64(block.timestamp + 1 hours);
        vm.recordLogs();
        vm.prank(borrower);
        line.applyForCredit{value: payment}(_input(), worker, deadline);
        r = _lastRequest();
    }

    function _settleCredit(int32 probability) internal returns (CreditLine line, Request memory r) {
        line = _creditLine();
        (r, ) = _apply(line);
        assertEq(line.pendingApplication(borrower), r.id, "pending");
        bytes memory output = _output(probability);
        Submission memory s = _submit(WORKER_KEY, r, output);
        vm.warp(s.finalizableAt);
        vm.prank(keeper);
        hub.finalize(r, s, output);
        assertEq(line.pendingApplication(borrower), 0, "closed");
        assertEq(hub.balanceOf(keeper), r.callbackFeeWei, "keeper earns callback fee");
        assertEq(hub.balanceOf(worker), r.workerRewardWei, "worker paid");
    }

    function test_onInferenceResult_CreditLineSetsLimitFromDefaultProbability() public {
        CreditLine line = _creditLine();
        (Request memory r, ) = _apply(line);
        bytes memory output = _output(200_000); // 20% default probability
        Submission memory s = _submit(WORKER_KEY, r, output);
        vm.warp(s.finalizableAt);
        vm.expectEmit();
        emit CreditLine.CreditDecided(borrower, r.id, 200_000, 8 ether);
        vm.expectEmit();
        emit IInferenceHub.RequestSettled(r.id, worker, s.outputHash, CallbackResult.Succeeded);
        hub.finalize(r, s, output);
        assertEq(line.creditLimitWei(borrower), 8 ether, "10 ether * (1 - 0.2)");
    }

    function test_onInferenceResult_CreditLineAtThresholdIsNotDeclined() public {
        (CreditLine line, ) = _settleCredit(int32(THRESHOLD));
        assertEq(line.creditLimitWei(borrower), 5 ether, "10 ether * (1 - 0.5)");
    }

    function test_onInferenceResult_CreditLineDeclinesAboveThreshold() public {
        (CreditLine line, ) = _settleCredit(int32(THRESHOLD) + 1);
        assertEq(line.creditLimitWei(borrower), 0, "declined");
    }

    function test_onInferenceResult_CreditLineClampsNegativeProbability() public {
        (CreditLine line, ) = _settleCredit(-5);
        assertEq(line.creditLimitWei(borrower), MAX_LIMIT, "full limit");
    }

    /// @dev Anyone can name CreditLine as the callback of their own request: its answer must not
    /// write credit state (it used to set a limit for borrower 0).
    function test_Attack_ForeignRequestDrivesCreditLineCallback() public {
        CreditLine line = _creditLine();
        uint32 gasLimit = line.CALLBACK_GAS_LIMIT();
        Request memory r = _request(requester, address(line), gasLimit, _minPayment(gasLimit));
        bytes memory output = _output(0);
        Submission memory s = _submit(WORKER_KEY, r, output);
        vm.warp(s.finalizableAt);
        vm.recordLogs();
        hub.finalize(r, s, output);
        assertEq(line.creditLimitWei(address(0)), 0, "no limit for borrower 0");
        assertEq(_logsFrom(address(line)), 0, "CreditLine ignored a request it did not make");
    }

    function test_recoverRefund_RevertWhen_UnknownApplication_AfterTheCallbackRan() public {
        CreditLine line = _creditLine();
        (Request memory r, ) = _apply(line);
        bytes memory sig = _signFailure(WORKER_KEY, r, FailureReason.InputOutOfRange);
        hub.reportFailure(r, _input(), FailureReason.InputOutOfRange, ENV, sig);
        uint256 refund = line.refundsWei(borrower);
        assertTrue(refund > 0, "refunded once");
        vm.expectRevert(abi.encodeWithSelector(CreditLine.UnknownApplication.selector, r.id));
        line.recoverRefund(r.id);
        assertEq(line.refundsWei(borrower), refund, "never twice");
    }

    function test_recoverRefund_RevertWhen_NotRefunded() public {
        CreditLine line = _creditLine();
        (Request memory r, ) = _apply(line);
        vm.expectRevert(
            abi.encodeWithSelector(CreditLine.NotRefunded.selector, r.id, RequestStatus.Pending)
        );
        line.recoverRefund(r.id);
    }

    function _logsFrom(address emitter) internal returns (uint256 count) {
        Vm.Log[] memory logs = vm.getRecordedLogs();
        for (uint256 i; i < logs.length; ++i) if (logs[i].emitter == emitter) ++count;
    }

    function test_onInferenceFailed_CreditLineRefundsBorrower() public {
        CreditLine line = _creditLine();
        (Request memory r, uint256 payment) = _apply(line);
        bytes memory sig = _signFailure(WORKER_KEY, r, FailureReason.InputOutOfRange);
        // Out of range is the worker's word, yet refunded at once: the requester gets the escrow
        // back whoever wins a dispute over the report. Whoever relays it earns the callback fee.
        vm.prank(keeper);
        hub.reportFailure(r, _input(), FailureReason.InputOutOfRange, ENV, sig);

        uint256 refundWei = payment - PROTOCOL_FEE - r.callbackFeeWei;
        assertEq(hub.balanceOf(address(line)), refundWei, "hub credited the consumer");
        assertEq(line.refundsWei(borrower), refundWei, "consumer owes the borrower the same");
        assertEq(line.pendingApplication(borrower), 0, "closed");

        uint256 before = borrower.balance;
        vm.prank(borrower);
        line.claimRefund();
        assertEq(borrower.balance - before, refundWei, "borrower refunded");
        assertEq(address(line).balance, 0, "consumer keeps nothing");
    }

    /// @dev Exposes a CreditLine bug: when its result callback reverts (here on an output that is
    /// not a well-formed tensor; equally on running out of gas), `pendingApplication` is never
    /// cleared, so the borrower can never apply again. Fails until CreditLine is fixed.
    function test_applyForCredit_BorrowerCanReapplyAfterResultCallbackFailed() public {
        CreditLine line = _creditLine();
        (Request memory r, uint256 payment) = _apply(line);
        bytes memory malformed = hex"01ff"; // wrong dtype, truncated header
        Submission memory s = _submit(WORKER_KEY, r, malformed);
        vm.warp(s.finalizableAt);
        hub.finalize(r, s, malformed);
        assertEq(uint256(hub.requestStatus(r.id)), uint256(RequestStatus.Settled), "settled");

        vm.prank(borrower);
        line.applyForCredit{value: payment}(_input(), worker, uint64(block.timestamp + 1 hours));
        assertEq(line.pendingApplication(borrower), r.id + 1, "second application pending");
    }

    // ============================================================ failing consumers

    function _settleNow(
        address callback,
        uint32 gasLimit
    ) internal returns (Request memory r, bytes memory output) {
        _disableChallengeWindow();
        r = _request(requester, callback, gasLimit, _minPayment(gasLimit));
        output = _output(11);
    }

    function test_submitResult_SettlesWhenCallbackReverts() public {
        RevertingConsumer consumer = new RevertingConsumer();
        (Request memory r, bytes memory output) = _settleNow(address(consumer), 100_000);
        bytes memory sig = _signResult(WORKER_KEY, r, output, ENV);

        vm.expectEmit();
        emit IInferenceHub.CallbackFailed(
            r.id,
            address(consumer),
            CallbackResult.Reverted,
            abi.encodeWithSelector(RevertingConsumer.ConsumerRejected.selector, r.id, MODEL_ID)
        );
        vm.expectEmit();
        emit IInferenceHub.RequestSettled(r.id, worker, keccak256(output), CallbackResult.Reverted);
        vm.prank(keeper);
        hub.submitResult(r, output, ENV, sig);

        assertEq(uint256(hub.requestStatus(r.id)), uint256(RequestStatus.Settled), "settled");
        assertEq(hub.balanceOf(worker), r.workerRewardWei, "worker paid");
        assertEq(hub.balanceOf(modelOwner), MODEL_FEE, "owner paid");
        assertEq(hub.balanceOf(keeper), r.callbackFeeWei, "settler paid for the gas");
    }

    function test_submitResult_SettlesWhenCallbackRunsOutOfGas() public {
        GasBurnerConsumer consumer = new GasBurnerConsumer();
        (Request memory r, bytes memory output) = _settleNow(address(consumer), 200_000);
        bytes memory sig = _signResult(WORKER_KEY, r, output, ENV);

        vm.expectEmit();
        emit IInferenceHub.CallbackFailed(r.id, address(consumer), CallbackResult.OutOfGas, "");
        vm.expectEmit();
        emit IInferenceHub.RequestSettled(r.id, worker, keccak256(output), CallbackResult.OutOfGas);
        hub.submitResult(r, output, ENV, sig);

        assertEq(uint256(hub.requestStatus(r.id)), uint256(RequestStatus.Settled), "settled");
        assertEq(hub.balanceOf(worker), r.workerRewardWei, "worker paid");
        assertEq(consumer.counter(), 0, "burner's writes rolled back");
    }

    function test_submitResult_TruncatesHugeRevertData() public {
        HugeRevertConsumer consumer = new HugeRevertConsumer(10_000);
        (Request memory r, bytes memory output) = _settleNow(address(consumer), 3_000_000);
        bytes memory sig = _signResult(WORKER_KEY, r, output, ENV);
        bytes memory kept = new bytes(256);
        for (uint256 i; i < 256; ++i) kept[i] = bytes1(uint8(i));

        vm.expectEmit();
        emit IInferenceHub.CallbackFailed(r.id, address(consumer), CallbackResult.Reverted, kept);
        vm.expectEmit();
        emit IInferenceHub.RequestSettled(r.id, worker, keccak256(output), CallbackResult.Reverted);
        hub.submitResult(r, output, ENV, sig);
        assertEq(uint256(hub.requestStatus(r.id)), uint256(RequestStatus.Settled), "settled");
    }

    function test_submitResult_SettlesWhenCallbackHasNoCode() public {
        address eoa = address(0xCA11);
        (Request memory r, bytes memory output) = _settleNow(eoa, 50_000);
        bytes memory sig = _signResult(WORKER_KEY, r, output, ENV);
        vm.expectEmit();
        emit IInferenceHub.CallbackFailed(
            r.id,
            eoa,
            CallbackResult.Reverted,
            bytes("callback has no code")
        );
        vm.prank(keeper);
        hub.submitResult(r, output, ENV, sig);
        assertEq(uint256(hub.requestStatus(r.id)), uint256(RequestStatus.Settled), "settled");
        assertEq(hub.balanceOf(keeper), r.callbackFeeWei, "fee still paid");
    }

    // ============================================================ gas given to the callback

    function _recordingRequest(
        uint32 gasLimit
    ) internal returns (RecordingConsumer consumer, Request memory r, Submission memory s) {
        consumer = new RecordingConsumer(hub);
        r = _request(requester, address(consumer), gasLimit, _minPayment(gasLimit));
        s = _submit(WORKER_KEY, r, _output(3));
        vm.warp(s.finalizableAt);
    }

    function test_finalize_RevertWhen_InsufficientGasForCallback() public {
        uint32 gasLimit = 500_000;
        (RecordingConsumer consumer, Request memory r, Submission memory s) = _recordingRequest(
            gasLimit
        );
        bytes memory output = _output(3);

        vm.prank(keeper);
        (bool ok, bytes memory ret) = address(hub).call{gas: 300_000}(
            abi.encodeCall(IInferenceHub.finalize, (r, s, output))
        );

        assertFalse(ok, "starved settlement reverts");
        assertEq(
            uint256(uint32(bytes4(ret))),
            uint256(uint32(ExactGasCall.InsufficientGasForCallback.selector)),
            "selector"
        );
        uint256 gasLeft;
        uint256 reportedLimit;
        assembly ("memory-safe") {
            gasLeft := mload(add(ret, 0x24))
            reportedLimit := mload(add(ret, 0x44))
        }
        assertEq(reportedLimit, gasLimit, "reports the paid limit");
        assertLe(gasLeft, 300_000, "gas left is below what was sent");
        assertEq(uint256(hub.requestStatus(r.id)), uint256(RequestStatus.Submitted), "untouched");
        assertEq(consumer.resultCount(), 0, "consumer not called");
        assertEq(hub.balanceOf(worker), 0, "nobody paid");

        // With enough gas the same call settles and the consumer gets its whole limit.
        vm.prank(keeper);
        hub.finalize{gas: 1_000_000}(r, s, output);
        assertEq(consumer.resultCount(), 1, "called back");
        assertLe(consumer.lastGasLeft(), gasLimit, "no more than the limit");
        assertGe(consumer.lastGasLeft(), gasLimit - 2_000, "essentially all of the limit");
        assertEq(hub.balanceOf(keeper), r.callbackFeeWei, "callback fee to the settler");
    }

    function test_finalize_CallbackFeeGoesToSettler() public {
        (RecordingConsumer consumer, Request memory r, Submission memory s) = _recordingRequest(
            150_000
        );
        vm.prank(keeper);
        hub.finalize(r, s, _output(3));
        assertEq(r.callbackFeeWei, uint256(150_000) * CALLBACK_GAS_PRICE, "fee priced");
        assertEq(hub.balanceOf(keeper), r.callbackFeeWei, "settler");
        assertEq(hub.balanceOf(worker), r.workerRewardWei, "worker gets only the reward");
        assertEq(consumer.resultCount(), 1, "called back");
        assertEq(consumer.lastRequestId(), r.id, "request id");
        assertEq(consumer.lastModelId(), MODEL_ID, "model id");
        assertEq(consumer.lastOutput(), _output(3), "output");
    }

    function test_onInferenceResult_RevertWhen_OnlyInferenceHub() public {
        RecordingConsumer consumer = new RecordingConsumer(hub);
        vm.prank(keeper);
        vm.expectRevert(
            abi.encodeWithSelector(InferenceConsumer.OnlyInferenceHub.selector, keeper)
        );
        consumer.onInferenceResult(1, MODEL_ID, _output(1));
    }

    // ============================================================ reentrancy

    uint32 internal constant REENTRANT_GAS = 1_000_000;

    function _reentrantRequest() internal returns (ReentrantConsumer consumer, Request memory r) {
        consumer = new ReentrantConsumer(hub);
        uint256 payment = _minPayment(REENTRANT_GAS);
        vm.recordLogs();
        consumer.request{value: payment}(
            MODEL_ID,
            _misshapenInput(),
            worker,
            REENTRANT_GAS,
            uint64(block.timestamp + 1 hours)
        );
        r = _lastRequest();
    }

    function _assertAttempt(
        bool attempted,
        bool succeeded,
        bytes memory revertData,
        bytes memory expected,
        string memory what
    ) internal pure {
        assertTrue(attempted, string.concat(what, ": attempted"));
        assertFalse(succeeded, string.concat(what, ": must fail"));
        assertEq(revertData, expected, string.concat(what, ": revert data"));
    }

    function test_finalize_ReentrantCallbackCannotSettleTwice() public {
        (ReentrantConsumer consumer, Request memory r) = _reentrantRequest();
        bytes memory output = _output(8);
        bytes memory sig = _signResult(WORKER_KEY, r, output, ENV);
        Submission memory s = _submit(WORKER_KEY, r, output);
        consumer.prime(r, s, output, sig);
        vm.warp(s.finalizableAt);
        uint256 hubEth = address(hub).balance;

        vm.prank(keeper);
        hub.finalize(r, s, output);

        assertEq(consumer.callbacks(), 1, "one callback");
        bool attempted;
        bool succeeded;
        bytes memory data;
        (attempted, succeeded, data) = consumer.finalizeAttempt();
        _assertAttempt(
            attempted,
            succeeded,
            data,
            abi.encodeWithSelector(
                IInferenceHub.RequestNotSubmitted.selector,
                r.id,
                RequestStatus.Settled
            ),
            "finalize"
        );
        (attempted, succeeded, data) = consumer.refundAttempt();
        _assertAttempt(
            attempted,
            succeeded,
            data,
            abi.encodeWithSelector(
                IInferenceHub.RequestNotPending.selector,
                r.id,
                RequestStatus.Settled
            ),
            "refund"
        );
        (attempted, succeeded, data) = consumer.submitAttempt();
        _assertAttempt(
            attempted,
            succeeded,
            data,
            abi.encodeWithSelector(
                IInferenceHub.RequestNotPending.selector,
                r.id,
                RequestStatus.Settled
            ),
            "submitResult"
        );
        (attempted, succeeded, data) = consumer.withdrawAttempt();
        _assertAttempt(
            attempted,
            succeeded,
            data,
            abi.encodeWithSelector(IInferenceHub.NothingToWithdraw.selector),
            "withdraw"
        );

        assertEq(hub.balanceOf(worker), r.workerRewardWei, "worker paid once");
        assertEq(hub.balanceOf(modelOwner), MODEL_FEE, "owner paid once");
        assertEq(hub.balanceOf(keeper), r.callbackFeeWei, "settler paid once");
        assertEq(hub.balanceOf(address(consumer)), 0, "consumer credited nothing");
        assertEq(address(hub).balance, hubEth, "no ETH left the hub");
        assertEq(uint256(hub.requestStatus(r.id)), uint256(RequestStatus.Settled), "settled");
    }

    function test_reportFailure_ReentrantCallbackCannotWithdrawTwice() public {
        (ReentrantConsumer consumer, Request memory r) = _reentrantRequest();
        bytes memory output = _output(8);
        Submission memory dummy = Submission(worker, keccak256(output), ENV, 0);
        consumer.prime(r, dummy, output, _signResult(WORKER_KEY, r, output, ENV));
        bytes memory sig = _signFailure(WORKER_KEY, r, FailureReason.InputShapeMismatch);
        uint256 refundWei = uint256(r.modelFeeWei) + r.workerRewardWei;

        vm.prank(keeper);
        hub.reportFailure(r, _misshapenInput(), FailureReason.InputShapeMismatch, ENV, sig);

        bool attempted;
        bool succeeded;
        bytes memory data;
        (attempted, succeeded, data) = consumer.withdrawAttempt();
        assertTrue(attempted && succeeded, "first withdraw of its own refund succeeds");
        (attempted, succeeded, data) = consumer.receiveWithdrawAttempt();
        _assertAttempt(
            attempted,
            succeeded,
            data,
            abi.encodeWithSelector(IInferenceHub.NothingToWithdraw.selector),
            "withdraw from receive"
        );
        (attempted, succeeded, data) = consumer.secondWithdrawAttempt();
        _assertAttempt(
            attempted,
            succeeded,
            data,
            abi.encodeWithSelector(IInferenceHub.NothingToWithdraw.selector),
            "second withdraw"
        );
        (attempted, succeeded, data) = consumer.refundAttempt();
        _assertAttempt(
            attempted,
            succeeded,
            data,
            abi.encodeWithSelector(
                IInferenceHub.RequestNotPending.selector,
                r.id,
                RequestStatus.Failed
            ),
            "refund"
        );
        (attempted, succeeded, data) = consumer.finalizeAttempt();
        _assertAttempt(
            attempted,
            succeeded,
            data,
            abi.encodeWithSelector(
                IInferenceHub.RequestNotSubmitted.selector,
                r.id,
                RequestStatus.Failed
            ),
            "finalize"
        );
        (attempted, succeeded, data) = consumer.submitAttempt();
        _assertAttempt(
            attempted,
            succeeded,
            data,
            abi.encodeWithSelector(
                IInferenceHub.RequestNotPending.selector,
                r.id,
                RequestStatus.Failed
            ),
            "submitResult"
        );

        assertEq(consumer.received(), 1, "paid exactly once");
        assertEq(address(consumer).balance, refundWei, "exactly the refund");
        assertEq(hub.balanceOf(address(consumer)), 0, "balance zeroed");
        assertEq(
            address(hub).balance,
            uint256(PROTOCOL_FEE) + r.callbackFeeWei,
            "hub keeps only the protocol fee and the settler's fee"
        );
        assertEq(uint256(hub.requestStatus(r.id)), uint256(RequestStatus.Failed), "failed");
    }

    function test_refund_ReentrantCallbackCannotRefundTwice() public {
        (ReentrantConsumer consumer, Request memory r) = _reentrantRequest();
        bytes memory output = _output(8);
        Submission memory dummy = Submission(worker, keccak256(output), ENV, 0);
        consumer.prime(r, dummy, output, _signResult(WORKER_KEY, r, output, ENV));
        vm.warp(uint256(r.deadline) + 1);

        vm.prank(keeper);
        hub.refund(r);

        bool attempted;
        bool succeeded;
        bytes memory data;
        (attempted, succeeded, data) = consumer.refundAttempt();
        _assertAttempt(
            attempted,
            succeeded,
            data,
            abi.encodeWithSelector(
                IInferenceHub.RequestNotPending.selector,
                r.id,
                RequestStatus.Refunded
            ),
            "refund"
        );
        assertEq(consumer.received(), 1, "paid exactly once");
        assertEq(
            address(consumer).balance,
            uint256(r.modelFeeWei) + r.workerRewardWei,
            "exactly the refund"
        );
        assertEq(hub.balanceOf(keeper), r.callbackFeeWei, "refunder earns callback fee");
    }
}
