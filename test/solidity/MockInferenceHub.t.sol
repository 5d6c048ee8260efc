// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {Test, Vm} from "./utils/Test.sol";
import {CreditLine} from "../../contracts/examples/CreditLine.sol";
import {GasBurnerConsumer} from "../../contracts/mocks/GasBurnerConsumer.sol";
import {RecordingConsumer} from "../../contracts/mocks/RecordingConsumer.sol";
import {RevertingConsumer} from "../../contracts/mocks/RevertingConsumer.sol";
import {InferenceConsumer} from "@verity/solidity/consumer/InferenceConsumer.sol";
import {IInferenceHub} from "@verity/solidity/interfaces/IInferenceHub.sol";
import {MockInferenceHub} from "@verity/solidity/mocks/MockInferenceHub.sol";
import {
    CallbackResult,
    FailureReason,
    ProofMode,
    Request,
    RequestStatus,
    Submission
} from "@verity/solidity/types/Inference.sol";

/// @dev A consumer's unit tests as a dapp developer would write them: the CreditLine example and
/// misbehaving consumers against MockInferenceHub, with no registry, workers or signatures.
contract MockInferenceHubTest is Test {
    bytes32 internal constant MODEL_ID = keccak256("risk model");
    uint96 internal constant MODEL_FEE = 0.001 ether;
    uint256 internal constant MAX_LIMIT = 10 ether;
    int256 internal constant THRESHOLD = 500_000; // 0.5 at 6 decimals
    uint32 internal constant GAS_LIMIT = 100_000;

    MockInferenceHub internal hub;
    CreditLine internal line;
    address internal borrower = address(0xB0B);
    address internal keeper = address(0x4EE9);

    function setUp() public {
        hub = new MockInferenceHub();
        // The deployment's defaults, so the consumer pays what it would on a real hub.
        hub.setConfig(
            IInferenceHub.Config({
                protocolFeeWei: 0.0001 ether,
                minWorkerRewardWei: 0.0005 ether,
                callbackGasPriceWei: 1 gwei,
                assignmentGraceSeconds: 30,
                challengeWindowSeconds: 0,
                maxDeadlineSeconds: 1 days
            })
        );
        hub.setModelFee(MODEL_ID, MODEL_FEE);
        line = new CreditLine(hub, MODEL_ID, 6, MAX_LIMIT, THRESHOLD);
        vm.deal(borrower, 10 ether);
    }

    // ============================================================ helpers

    /// @dev A canonical int32 tensor of shape [1, n] holding `seed`, `seed + 1`, ...
    function _tensor(uint32 n, int32 seed) internal pure returns (bytes memory out) {
        out = abi.encodePacked(uint8(1), uint8(1), uint8(2), uint32(1), uint32(n));
        for (uint32 i; i < n; ++i) {
            out = abi.encodePacked(out, seed + int32(i));
        }
    }

    function _deadline() internal view returns (uint64) {
        return uint64(block.timestamp + 1 hours);
    }

    /// @dev Applies for credit as `borrower` with `extraWei` above the quote.
    function _apply(uint256 extraWei) internal returns (uint256 requestId, uint256 paymentWei) {
        paymentWei = hub.quote(MODEL_ID, line.CALLBACK_GAS_LIMIT()) + extraWei;
        vm.prank(borrower);
        requestId = line.applyForCredit{value: paymentWei}(
            _tensor(16, 1_000),
            address(0),
            _deadline()
        );
    }

    /// @dev A request from this test contract naming `callback` as its consumer.
    function _requestFor(address callback) internal returns (uint256) {
        return
            hub.requestInference{value: hub.quote(MODEL_ID, GAS_LIMIT)}(
                MODEL_ID,
                _tensor(16, 0),
                ProofMode.ATTESTED,
                address(0),
                callback,
                GAS_LIMIT,
                _deadline()
            );
    }

    // ============================================================ requestInference

    function test_requestInference_RecordsRequestAndEmitsInferenceRequested() public {
        uint256 paymentWei = hub.quote(MODEL_ID, GAS_LIMIT) + 0.002 ether;
        bytes memory input = _tensor(16, 7);
        vm.recordLogs();
        uint256 id = hub.requestInference{value: paymentWei}(
            MODEL_ID,
            input,
            ProofMode.ATTESTED,
            keeper,
            address(line),
            GAS_LIMIT,
            _deadline()
        );
        assertEq(id, 1, "ids start at 1");
        assertEq(hub.nextRequestId(), 2, "next id");
        assertEq(address(hub).balance, paymentWei, "payment held");
        assertEq(uint256(hub.requestStatus(id)), uint256(RequestStatus.Pending), "pending");

        Vm.Log[] memory logs = vm.getRecordedLogs();
        assertEq(logs.length, 1, "one event");
        assertEq(logs[0].topics[0], IInferenceHub.InferenceRequested.selector, "event");
        assertEq(logs[0].topics[1], bytes32(id), "indexed id");
        assertEq(logs[0].topics[2], MODEL_ID, "indexed model");
        assertEq(logs[0].topics[3], bytes32(uint256(uint160(address(this)))), "indexed requester");
        (Request memory emitted, bytes memory emittedInput) = abi.decode(
            logs[0].data,
            (Request, bytes)
        );
        assertEq(emittedInput, input, "input");
        assertEq(keccak256(abi.encode(emitted)), hub.hashRequest(hub.getRequest(id)), "stored");
        assertEq(emitted.inputHash, keccak256(input), "input hash");
        assertEq(emitted.callback, address(line), "callback");
        assertEq(uint256(emitted.callbackGasLimit), GAS_LIMIT, "gas limit");
        assertEq(uint256(emitted.callbackFeeWei), uint256(GAS_LIMIT) * 1 gwei, "callback fee");
        assertEq(uint256(emitted.modelFeeWei), MODEL_FEE, "model fee");
        assertEq(uint256(emitted.workerRewardWei), 0.0005 ether + 0.002 ether, "reward");
        assertEq(uint256(emitted.assignedUntil), block.timestamp + 30, "grace");
    }

    function test_quote_IsTheSumOfTheConfiguredFees() public view {
        assertEq(
            hub.quote(MODEL_ID, GAS_LIMIT),
            MODEL_FEE + 0.0001 ether + 0.0005 ether + uint256(GAS_LIMIT) * 1 gwei,
            "quote"
        );
        assertEq(hub.quote(keccak256("other"), 0), 0.0006 ether, "unpriced model");
    }

    function test_requestInference_RevertWhen_InsufficientPayment() public {
        uint256 quoted = hub.quote(MODEL_ID, line.CALLBACK_GAS_LIMIT());
        vm.prank(borrower);
        vm.expectRevert(
            abi.encodeWithSelector(IInferenceHub.InsufficientPayment.selector, quoted - 1, quoted)
        );
        line.applyForCredit{value: quoted - 1}(_tensor(16, 0), address(0), _deadline());
    }

    function test_requestInference_RevertWhen_InvalidDeadline() public {
        uint256 paymentWei = hub.quote(MODEL_ID, line.CALLBACK_GAS_LIMIT());
        uint64 now_ = uint64(block.timestamp);
        vm.prank(borrower);
        vm.expectRevert(
            abi.encodeWithSelector(
                IInferenceHub.InvalidDeadline.selector,
                now_,
                now_ + 30,
                now_ + 1 days
            )
        );
        line.applyForCredit{value: paymentWei}(_tensor(16, 0), address(0), now_);
    }

    // ============================================================ deliverResult

    function test_deliverResult_CreditLineSetsLimitFromDefaultProbability() public {
        (uint256 id, ) = _apply(0);
        bytes memory output = _tensor(1, 200_000); // 20% default probability
        vm.expectEmit();
        emit CreditLine.CreditDecided(borrower, id, 200_000, 8 ether);
        vm.expectEmit();
        emit IInferenceHub.RequestSettled(id, keeper, keccak256(output), CallbackResult.Succeeded);
        vm.prank(keeper);
        CallbackResult result = hub.deliverResult(id, output);
        assertEq(uint256(result), uint256(CallbackResult.Succeeded), "callback succeeded");
        assertEq(line.creditLimitWei(borrower), 8 ether, "10 ether * (1 - 0.2)");
        assertEq(line.pendingApplication(borrower), 0, "application closed");
        assertEq(uint256(hub.requestStatus(id)), uint256(RequestStatus.Settled), "settled");
        assertEq(uint256(hub.callbackResultOf(id)), uint256(CallbackResult.Succeeded), "recorded");
        assertEq(hub.balanceOf(keeper), uint256(line.CALLBACK_GAS_LIMIT()) * 1 gwei, "fee");
    }

    /// @dev Recording writes six cold slots, so it needs more than `GAS_LIMIT`.
    function test_deliverResult_CallsBackWithExactlyTheGasLimit() public {
        uint32 gasLimit = 300_000;
        RecordingConsumer consumer = new RecordingConsumer(hub);
        uint256 id = consumer.request{value: hub.quote(MODEL_ID, gasLimit)}(
            MODEL_ID,
            _tensor(16, 0),
            address(0),
            gasLimit,
            _deadline()
        );
        bytes memory output = _tensor(1, 42);
        assertEq(uint256(hub.deliverResult(id, output)), uint256(CallbackResult.Succeeded), "ok");
        assertEq(consumer.resultCount(), 1, "called once");
        assertEq(consumer.lastRequestId(), id, "id");
        assertEq(consumer.lastModelId(), MODEL_ID, "model");
        assertEq(consumer.lastOutput(), output, "output");
        // The limit, less what the entry point spent reaching the hook: all of it arrived.
        assertLe(consumer.lastGasLeft(), gasLimit, "no more than the limit");
        assertGe(consumer.lastGasLeft(), gasLimit - 2_000, "essentially all of the limit");
    }

    function test_deliverResult_RevertingConsumerIsReportedNotBubbled() public {
        RevertingConsumer consumer = new RevertingConsumer();
        uint256 id = _requestFor(address(consumer));
        bytes memory reason = abi.encodeWithSelector(
            RevertingConsumer.ConsumerRejected.selector,
            id,
            MODEL_ID
        );
        vm.expectEmit();
        emit IInferenceHub.CallbackFailed(id, address(consumer), CallbackResult.Reverted, reason);
        CallbackResult result = hub.deliverResult(id, _tensor(1, 1));
        assertEq(uint256(result), uint256(CallbackResult.Reverted), "reverted");
        assertEq(uint256(hub.requestStatus(id)), uint256(RequestStatus.Settled), "settled anyway");
    }

    function test_deliverResult_GasBurningConsumerIsReportedOutOfGas() public {
        GasBurnerConsumer consumer = new GasBurnerConsumer();
        uint256 id = _requestFor(address(consumer));
        vm.expectEmit();
        emit IInferenceHub.CallbackFailed(id, address(consumer), CallbackResult.OutOfGas, "");
        CallbackResult result = hub.deliverResult(id, _tensor(1, 1));
        assertEq(uint256(result), uint256(CallbackResult.OutOfGas), "out of gas");
        assertEq(uint256(hub.requestStatus(id)), uint256(RequestStatus.Settled), "settled anyway");
        assertEq(consumer.counter(), 0, "its writes were undone");
    }

    function test_deliverResult_WithoutCallbackCallsNothing() public {
        uint256 id = hub.requestInference{value: hub.quote(MODEL_ID, 0)}(
            MODEL_ID,
            _tensor(16, 0),
            ProofMode.ATTESTED,
            address(0),
            address(0),
            0,
            _deadline()
        );
        assertEq(uint256(hub.deliverResult(id, _tensor(1, 1))), uint256(CallbackResult.None));
    }

    function test_deliverResult_RevertWhen_RequestNotPending_UnknownId() public {
        vm.expectRevert(
            abi.encodeWithSelector(IInferenceHub.RequestNotPending.selector, 42, RequestStatus.None)
        );
        hub.deliverResult(42, _tensor(1, 1));
    }

    function test_deliverResult_RevertWhen_RequestNotPending_DeliveredTwice() public {
        (uint256 id, ) = _apply(0);
        hub.deliverResult(id, _tensor(1, 100_000));
        vm.expectRevert(
            abi.encodeWithSelector(
                IInferenceHub.RequestNotPending.selector,
                id,
                RequestStatus.Settled
            )
        );
        hub.deliverResult(id, _tensor(1, 100_000));
    }

    function test_deliverFailure_RevertWhen_RequestNotPending_AfterResult() public {
        (uint256 id, ) = _apply(0);
        hub.deliverResult(id, _tensor(1, 100_000));
        vm.expectRevert(
            abi.encodeWithSelector(
                IInferenceHub.RequestNotPending.selector,
                id,
                RequestStatus.Settled
            )
        );
        hub.deliverFailure(id, FailureReason.InputOutOfRange);
    }

    function test_deliverResult_RevertWhen_RequestExpired() public {
        (uint256 id, ) = _apply(0);
        uint64 deadline = hub.getRequest(id).deadline;
        vm.warp(deadline + 1);
        vm.expectRevert(
            abi.encodeWithSelector(IInferenceHub.RequestExpired.selector, id, deadline)
        );
        hub.deliverResult(id, _tensor(1, 1));
    }

    function test_deliverResult_RevertWhen_OutputMismatch_FailureOutput() public {
        (uint256 id, ) = _apply(0);
        bytes memory failure = hub.failureOutput(FailureReason.InputOutOfRange);
        vm.expectRevert(abi.encodeWithSelector(IInferenceHub.OutputMismatch.selector, id));
        hub.deliverResult(id, failure);
    }

    // ============================================================ deliverFailure

    function test_deliverFailure_CreditLineCreditsTheRefund() public {
        (uint256 id, uint256 paymentWei) = _apply(0.001 ether);
        uint256 keptWei = uint256(line.CALLBACK_GAS_LIMIT()) * 1 gwei + 0.0001 ether;
        vm.expectEmit();
        emit CreditLine.CreditApplicationFailed(borrower, id, FailureReason.InputOutOfRange);
        vm.expectEmit();
        emit IInferenceHub.RequestRefunded(
            id,
            address(line),
            paymentWei - keptWei,
            CallbackResult.Succeeded
        );
        vm.expectEmit();
        emit IInferenceHub.RequestFailed(
            id,
            address(this),
            FailureReason.InputOutOfRange,
            CallbackResult.Succeeded
        );
        CallbackResult result = hub.deliverFailure(id, FailureReason.InputOutOfRange);
        assertEq(uint256(result), uint256(CallbackResult.Succeeded), "callback succeeded");
        assertEq(uint256(hub.requestStatus(id)), uint256(RequestStatus.Failed), "failed");
        assertEq(line.refundsWei(borrower), paymentWei - keptWei, "refund owed to the borrower");

        // The consumer takes its refund from the hub, as it would from the real one.
        uint256 before = borrower.balance;
        vm.prank(borrower);
        line.claimRefund();
        assertEq(borrower.balance - before, paymentWei - keptWei, "refund paid");
        assertEq(hub.balanceOf(address(line)), 0, "withdrawn");
    }

    function test_deliverFailure_NoneIsARefund() public {
        (uint256 id, ) = _apply(0);
        vm.warp(block.timestamp + 2 days); // a refund may come after the deadline
        vm.recordLogs();
        hub.deliverFailure(id, FailureReason.None);
        assertEq(uint256(hub.requestStatus(id)), uint256(RequestStatus.Refunded), "refunded");
        Vm.Log[] memory logs = vm.getRecordedLogs();
        for (uint256 i; i < logs.length; ++i) {
            assertTrue(logs[i].topics[0] != IInferenceHub.RequestFailed.selector, "no failure");
        }
    }

    function test_deliverFailure_RevertingConsumerIsReportedNotBubbled() public {
        RevertingConsumer consumer = new RevertingConsumer();
        uint256 id = _requestFor(address(consumer));
        vm.prank(keeper);
        CallbackResult result = hub.deliverFailure(id, FailureReason.InputShapeMismatch);
        assertEq(uint256(result), uint256(CallbackResult.Reverted), "reverted");
        assertEq(uint256(hub.requestStatus(id)), uint256(RequestStatus.Failed), "failed anyway");
        assertEq(hub.balanceOf(address(this)), MODEL_FEE + 0.0005 ether, "requester refunded");
        assertEq(hub.balanceOf(keeper), uint256(GAS_LIMIT) * 1 gwei, "deliverer earns the fee");
    }

    function test_deliverFailure_RevertWhen_RequestNotPending_UnknownId() public {
        vm.expectRevert(
            abi.encodeWithSelector(IInferenceHub.RequestNotPending.selector, 7, RequestStatus.None)
        );
        hub.deliverFailure(7, FailureReason.InputUndecodable);
    }

    function test_deliverFailure_RevertWhen_RequestNotPending_DeliveredTwice() public {
        (uint256 id, ) = _apply(0);
        hub.deliverFailure(id, FailureReason.InputUndecodable);
        vm.expectRevert(
            abi.encodeWithSelector(
                IInferenceHub.RequestNotPending.selector,
                id,
                RequestStatus.Failed
            )
        );
        hub.deliverFailure(id, FailureReason.InputUndecodable);
    }

    // ============================================================ the rest of IInferenceHub

    function test_refund_AfterDeadlineLikeTheRealHub() public {
        (uint256 id, ) = _apply(0);
        Request memory request = hub.getRequest(id);
        vm.expectRevert(
            abi.encodeWithSelector(IInferenceHub.RequestNotExpired.selector, id, request.deadline)
        );
        hub.refund(request);
        vm.warp(request.deadline + 1);
        hub.refund(request);
        assertEq(uint256(hub.requestStatus(id)), uint256(RequestStatus.Refunded), "refunded");
        assertTrue(line.refundsWei(borrower) > 0, "consumer told");
    }

    function test_onInferenceResult_RevertWhen_OnlyInferenceHub() public {
        (uint256 id, ) = _apply(0);
        vm.expectRevert(
            abi.encodeWithSelector(InferenceConsumer.OnlyInferenceHub.selector, address(this))
        );
        line.onInferenceResult(id, MODEL_ID, _tensor(1, 0));
    }

    function test_submitResult_RevertWhen_NotImplementedInMock() public {
        (uint256 id, ) = _apply(0);
        Request memory request = hub.getRequest(id);
        vm.expectRevert(
            abi.encodeWithSelector(MockInferenceHub.NotImplementedInMock.selector, "submitResult")
        );
        hub.submitResult(request, _tensor(1, 0), bytes32(0), "");
    }

    function test_challenge_RevertWhen_NotImplementedInMock() public {
        (uint256 id, ) = _apply(0);
        Request memory request = hub.getRequest(id);
        vm.expectRevert(
            abi.encodeWithSelector(MockInferenceHub.NotImplementedInMock.selector, "challenge")
        );
        hub.challenge(request, Submission(address(0), 0, 0, 0), bytes32(uint256(1)));
    }

    // ============================================================ fuzz

    /// @dev Whatever the model answers, the delivery settles the request and the limit follows
    /// the example's formula: declined above the threshold, else `MAX_LIMIT * (1 - p)`.
    function testFuzz_deliverResult_CreditLineLimitFollowsProbability(int32 probability) public {
        (uint256 id, ) = _apply(0);
        CallbackResult result = hub.deliverResult(id, _tensor(1, probability));
        assertEq(uint256(result), uint256(CallbackResult.Succeeded), "callback succeeded");
        int256 p = probability < 0 ? int256(0) : int256(probability);
        uint256 expected = p > THRESHOLD ? 0 : (MAX_LIMIT * uint256(1e6 - p)) / 1e6;
        assertEq(line.creditLimitWei(borrower), expected, "limit");
        assertEq(uint256(hub.requestStatus(id)), uint256(RequestStatus.Settled), "settled");
    }

    /// @dev A failure refunds exactly the payment less the protocol and callback fees, for any
    /// overpayment and any reason, and the consumer can always take it back out.
    function testFuzz_deliverFailure_RefundsPaymentLessFees(
        uint256 extraWei,
        uint8 rawReason
    ) public {
        extraWei = bound(extraWei, 0, 5 ether);
        FailureReason reason = FailureReason(bound(rawReason, 1, 3));
        (uint256 id, uint256 paymentWei) = _apply(extraWei);
        hub.deliverFailure(id, reason);
        uint256 keptWei = uint256(line.CALLBACK_GAS_LIMIT()) * 1 gwei + 0.0001 ether;
        assertEq(hub.balanceOf(address(line)), paymentWei - keptWei, "hub credit");
        assertEq(line.refundsWei(borrower), paymentWei - keptWei, "owed to the borrower");
        vm.prank(borrower);
        line.claimRefund();
        assertEq(address(line).balance, 0, "nothing left behind");
    }
}
