// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {HubFixture} from "./utils/HubFixture.sol";
import {InferenceHub} from "../../contracts/InferenceHub.sol";
import {IInferenceHub} from "@verity/solidity/interfaces/IInferenceHub.sol";
import {IModelRegistry} from "@verity/solidity/interfaces/IModelRegistry.sol";
import {IProofVerifier} from "@verity/solidity/interfaces/IProofVerifier.sol";
import {IWorkerRegistry} from "@verity/solidity/interfaces/IWorkerRegistry.sol";
import {RecordingConsumer} from "../../contracts/mocks/RecordingConsumer.sol";
import {
    CallbackResult,
    Challenge,
    FailureReason,
    ProofMode,
    Request,
    RequestStatus,
    Submission
} from "@verity/solidity/types/Inference.sol";

/// @dev Unit tests of the InferenceHub lifecycle: request, submit, finalize, fail, refund,
/// challenge, withdraw and admin. Attacks and callbacks live in the sibling files.
contract InferenceHubTest is HubFixture {
    bytes32 internal constant MODEL_2 = keccak256("zk-capable-model.onnx bytes");
    address internal stranger = address(0x5757);
    address internal challenger = address(0xC4A1);
    address internal resolver = address(0x2E50);

    function _tagged(bytes32 hash, RequestStatus status) internal pure returns (bytes32) {
        return (hash & ~bytes32(uint256(0xff))) | bytes32(uint256(status));
    }

    function _submissionCommitment(
        Request memory request,
        Submission memory submission
    ) internal view returns (bytes32) {
        return
            _tagged(
                keccak256(abi.encode(hub.hashRequest(request), submission)),
                RequestStatus.Submitted
            );
    }

    function _deadline() internal view returns (uint64) {
        return uint64(block.timestamp + 1 hours);
    }

    // ============================================================ requestInference

    function test_requestInference_CommitsPendingRequestAndSplitsPayment() public {
        uint256 overpay = 0.002 ether;
        uint256 payment = _minPayment(0) + overpay;
        uint64 deadline = _deadline();
        bytes memory input = _input();
        Request memory expected = Request({
            id: 1,
            requester: requester,
            callback: address(0),
            modelOwner: modelOwner,
            assignee: worker,
            modelId: MODEL_ID,
            inputHash: keccak256(input),
            modelFeeWei: MODEL_FEE,
            workerRewardWei: uint96(MIN_REWARD + overpay),
            callbackFeeWei: 0,
            assignedUntil: uint64(block.timestamp) + GRACE,
            deadline: deadline,
            callbackGasLimit: 0,
            challengeWindowSeconds: CHALLENGE_WINDOW,
            proofMode: ProofMode.ATTESTED,
            zkVerifier: address(0)
        });
        uint256 feesBefore = hub.protocolFeesWei();

        vm.expectEmit();
        emit IInferenceHub.InferenceRequested(1, MODEL_ID, requester, expected, input);
        vm.prank(requester);
        uint256 id = hub.requestInference{value: payment}(
            MODEL_ID,
            input,
            ProofMode.ATTESTED,
            worker,
            address(0),
            0,
            deadline
        );

        assertEq(id, 1, "first id");
        assertEq(hub.nextRequestId(), 2, "next id");
        assertEq(uint256(hub.requestStatus(id)), uint256(RequestStatus.Pending), "status");
        assertEq(
            hub.requestCommitment(id),
            _tagged(hub.hashRequest(expected), RequestStatus.Pending),
            "commitment"
        );
        assertEq(address(hub).balance, payment, "escrow is msg.value");
        assertEq(hub.protocolFeesWei(), feesBefore + PROTOCOL_FEE, "protocol fee earned");
        assertEq(
            uint256(expected.modelFeeWei) + expected.workerRewardWei + PROTOCOL_FEE,
            payment,
            "split adds up"
        );
        assertEq(requester.balance, 100 ether - payment, "requester paid");
    }

    function test_requestInference_OpenRequestHasNoGracePeriod() public {
        uint256 payment = _minPayment(0);
        vm.recordLogs();
        vm.prank(requester);
        hub.requestInference{value: payment}(
            MODEL_ID,
            _input(),
            ProofMode.ATTESTED,
            address(0),
            address(0),
            0,
            _deadline()
        );
        Request memory r = _lastRequest();
        assertEq(r.assignedUntil, block.timestamp, "open at once");
        // Any eligible worker may answer immediately.
        _submit(OTHER_WORKER_KEY, r, _output(7));
        assertEq(uint256(hub.requestStatus(r.id)), uint256(RequestStatus.Submitted), "submitted");
    }

    function test_requestInference_RevertWhen_ModelNotFound() public {
        bytes32 unknown = keccak256("no such model");
        uint256 payment = _minPayment(0);
        bytes memory input = _input();
        uint64 deadline = _deadline();
        vm.prank(requester);
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.ModelNotFound.selector, unknown));
        hub.requestInference{value: payment}(
            unknown,
            input,
            ProofMode.ATTESTED,
            worker,
            address(0),
            0,
            deadline
        );
    }

    function test_requestInference_RevertWhen_ModelNotActive() public {
        vm.prank(modelOwner);
        models.deprecate(MODEL_ID);
        uint256 payment = _minPayment(0);
        bytes memory input = _input();
        uint64 deadline = _deadline();
        vm.prank(requester);
        vm.expectRevert(abi.encodeWithSelector(IInferenceHub.ModelNotActive.selector, MODEL_ID));
        hub.requestInference{value: payment}(
            MODEL_ID,
            input,
            ProofMode.ATTESTED,
            worker,
            address(0),
            0,
            deadline
        );
    }

    function test_requestInference_RevertWhen_ProofModeNotAllowed() public {
        uint256 payment = _minPayment(0);
        bytes memory input = _input();
        uint64 deadline = _deadline();
        vm.prank(requester);
        vm.expectRevert(
            abi.encodeWithSelector(
                IInferenceHub.ProofModeNotAllowed.selector,
                MODEL_ID,
                ProofMode.ZK
            )
        );
        hub.requestInference{value: payment}(
            MODEL_ID,
            input,
            ProofMode.ZK,
            worker,
            address(0),
            0,
            deadline
        );
    }

    function _registerAllModesModel() internal {
        IModelRegistry.ModelSpec memory spec = _spec(_shape(1, 16), _shape(1, 1));
        spec.proofModes = uint8(7);
        vm.startPrank(modelOwner);
        models.registerModel(MODEL_2, spec);
        // ZK takes effect with the model's ZK commitment.
        _commitZk(MODEL_2);
        vm.stopPrank();
    }

    function test_requestInference_RevertWhen_ProofModeUnavailable_Zk() public {
        _registerAllModesModel();
        uint256 payment = hub.quote(MODEL_2, 0);
        bytes memory input = _input();
        uint64 deadline = _deadline();
        vm.prank(requester);
        vm.expectRevert(
            abi.encodeWithSelector(IInferenceHub.ProofModeUnavailable.selector, ProofMode.ZK)
        );
        hub.requestInference{value: payment}(
            MODEL_2,
            input,
            ProofMode.ZK,
            worker,
            address(0),
            0,
            deadline
        );
    }

    function test_requestInference_RevertWhen_ProofModeUnavailable_Quorum() public {
        _registerAllModesModel();
        uint256 payment = hub.quote(MODEL_2, 0);
        bytes memory input = _input();
        uint64 deadline = _deadline();
        vm.prank(requester);
        vm.expectRevert(
            abi.encodeWithSelector(IInferenceHub.ProofModeUnavailable.selector, ProofMode.QUORUM)
        );
        hub.requestInference{value: payment}(
            MODEL_2,
            input,
            ProofMode.QUORUM,
            worker,
            address(0),
            0,
            deadline
        );
    }

    function _expectInputLengthRevert(bytes memory input) internal {
        uint256 expectedLength = _input().length;
        uint256 payment = _minPayment(0);
        uint64 deadline = _deadline();
        vm.prank(requester);
        vm.expectRevert(
            abi.encodeWithSelector(
                IInferenceHub.InputLengthMismatch.selector,
                MODEL_ID,
                input.length,
                expectedLength
            )
        );
        hub.requestInference{value: payment}(
            MODEL_ID,
            input,
            ProofMode.ATTESTED,
            worker,
            address(0),
            0,
            deadline
        );
    }

    function test_requestInference_RevertWhen_InputLengthMismatch_Empty() public {
        _expectInputLengthRevert("");
    }

    function test_requestInference_RevertWhen_InputLengthMismatch_Oversized() public {
        _expectInputLengthRevert(new bytes(4096));
    }

    function test_requestInference_RevertWhen_InputLengthMismatch_OneByteLong() public {
        _expectInputLengthRevert(abi.encodePacked(_input(), uint8(0)));
    }

    function test_requestInference_RevertWhen_InputLengthMismatch_OneByteShort() public {
        bytes memory input = _input();
        assembly ("memory-safe") {
            mstore(input, sub(mload(input), 1))
        }
        _expectInputLengthRevert(input);
    }

    function test_requestInference_RevertWhen_InsufficientPayment() public {
        uint256 required = _minPayment(50_000);
        RecordingConsumer consumer = new RecordingConsumer(hub);
        bytes memory input = _input();
        uint64 deadline = _deadline();
        vm.prank(requester);
        vm.expectRevert(
            abi.encodeWithSelector(
                IInferenceHub.InsufficientPayment.selector,
                required - 1,
                required
            )
        );
        hub.requestInference{value: required - 1}(
            MODEL_ID,
            input,
            ProofMode.ATTESTED,
            worker,
            address(consumer),
            50_000,
            deadline
        );
    }

    function test_requestInference_RevertWhen_InvalidDeadline_TooEarly() public {
        uint64 earliest = uint64(block.timestamp) + GRACE;
        uint64 latest = uint64(block.timestamp) + MAX_DEADLINE;
        uint256 payment = _minPayment(0);
        bytes memory input = _input();
        vm.prank(requester);
        vm.expectRevert(
            abi.encodeWithSelector(
                IInferenceHub.InvalidDeadline.selector,
                earliest - 1,
                earliest,
                latest
            )
        );
        hub.requestInference{value: payment}(
            MODEL_ID,
            input,
            ProofMode.ATTESTED,
            worker,
            address(0),
            0,
            earliest - 1
        );
    }

    function test_requestInference_RevertWhen_InvalidDeadline_TooLate() public {
        uint64 earliest = uint64(block.timestamp) + GRACE;
        uint64 latest = uint64(block.timestamp) + MAX_DEADLINE;
        uint256 payment = _minPayment(0);
        bytes memory input = _input();
        vm.prank(requester);
        vm.expectRevert(
            abi.encodeWithSelector(
                IInferenceHub.InvalidDeadline.selector,
                latest + 1,
                earliest,
                latest
            )
        );
        hub.requestInference{value: payment}(
            MODEL_ID,
            input,
            ProofMode.ATTESTED,
            worker,
            address(0),
            0,
            latest + 1
        );
    }

    function test_requestInference_AcceptsDeadlineBounds() public {
        uint256 payment = _minPayment(0);
        vm.startPrank(requester);
        uint256 a = hub.requestInference{value: payment}(
            MODEL_ID,
            _input(),
            ProofMode.ATTESTED,
            worker,
            address(0),
            0,
            uint64(block.timestamp) + GRACE
        );
        uint256 b = hub.requestInference{value: payment}(
            MODEL_ID,
            _input(),
            ProofMode.ATTESTED,
            worker,
            address(0),
            0,
            uint64(block.timestamp) + MAX_DEADLINE
        );
        vm.stopPrank();
        assertEq(uint256(hub.requestStatus(a)), uint256(RequestStatus.Pending), "earliest ok");
        assertEq(uint256(hub.requestStatus(b)), uint256(RequestStatus.Pending), "latest ok");
    }

    function test_requestInference_RevertWhen_CallbackGasLimitWithoutTarget() public {
        uint256 payment = _minPayment(100_000);
        bytes memory input = _input();
        uint64 deadline = _deadline();
        vm.prank(requester);
        vm.expectRevert(IInferenceHub.CallbackGasLimitWithoutTarget.selector);
        hub.requestInference{value: payment}(
            MODEL_ID,
            input,
            ProofMode.ATTESTED,
            worker,
            address(0),
            100_000,
            deadline
        );
    }

    function test_requestInference_RevertWhen_EnforcedPause() public {
        vm.prank(admin);
        hub.pause();
        uint256 payment = _minPayment(0);
        bytes memory input = _input();
        uint64 deadline = _deadline();
        vm.prank(requester);
        vm.expectRevert(IInferenceHub.EnforcedPause.selector);
        hub.requestInference{value: payment}(
            MODEL_ID,
            input,
            ProofMode.ATTESTED,
            worker,
            address(0),
            0,
            deadline
        );
    }

    function testFuzz_requestInference_escrowSplit(
        uint256 extraWei,
        uint32 callbackGasLimit
    ) public {
        extraWei = bound(extraWei, 0, 50 ether);
        callbackGasLimit = uint32(bound(callbackGasLimit, 0, 5_000_000));
        address callback = callbackGasLimit == 0 ? address(0) : address(0xCA11);
        uint256 payment = _minPayment(callbackGasLimit) + extraWei;
        uint256 feesBefore = hub.protocolFeesWei();
        uint256 escrowBefore = address(hub).balance;

        Request memory r = _request(requester, callback, callbackGasLimit, payment);

        assertEq(
            uint256(r.modelFeeWei) + r.workerRewardWei + r.callbackFeeWei + PROTOCOL_FEE,
            payment,
            "split == msg.value"
        );
        assertEq(r.callbackFeeWei, uint256(callbackGasLimit) * CALLBACK_GAS_PRICE, "callback fee");
        assertEq(r.workerRewardWei, MIN_REWARD + extraWei, "overpayment to worker");
        assertEq(hub.protocolFeesWei() - feesBefore, PROTOCOL_FEE, "protocol fee");
        assertEq(address(hub).balance - escrowBefore, payment, "escrow");
    }

    // ============================================================ submitResult

    function test_submitResult_SubmitsWithinChallengeWindow() public {
        Request memory r = _request();
        bytes memory output = _output(123_456);
        bytes memory sig = _signResult(WORKER_KEY, r, output, ENV);
        uint64 finalizableAt = uint64(block.timestamp) + CHALLENGE_WINDOW;

        vm.expectEmit();
        emit IInferenceHub.ResultSubmitted(
            r.id,
            worker,
            ENV,
            keccak256(output),
            finalizableAt,
            output
        );
        hub.submitResult(r, output, ENV, sig);

        assertEq(uint256(hub.requestStatus(r.id)), uint256(RequestStatus.Submitted), "status");
        Submission memory s = Submission(worker, keccak256(output), ENV, finalizableAt);
        assertEq(hub.requestCommitment(r.id), _submissionCommitment(r, s), "commitment");
        assertEq(hub.balanceOf(worker), 0, "worker not paid yet");
        assertEq(hub.balanceOf(modelOwner), 0, "owner not paid yet");
        assertEq(address(hub).balance, _minPayment(0), "escrow held");
    }

    function test_submitResult_SettlesAtOnceWithZeroChallengeWindow() public {
        _disableChallengeWindow();
        Request memory r = _request();
        assertEq(r.challengeWindowSeconds, 0, "window recorded");
        bytes memory output = _output(42);
        bytes memory sig = _signResult(WORKER_KEY, r, output, ENV);

        vm.expectEmit();
        emit IInferenceHub.ResultSubmitted(
            r.id,
            worker,
            ENV,
            keccak256(output),
            uint64(block.timestamp),
            output
        );
        vm.expectEmit();
        emit IInferenceHub.RequestSettled(r.id, worker, keccak256(output), CallbackResult.None);
        vm.prank(stranger);
        hub.submitResult(r, output, ENV, sig);

        assertEq(uint256(hub.requestStatus(r.id)), uint256(RequestStatus.Settled), "settled");
        assertEq(hub.balanceOf(worker), r.workerRewardWei, "worker paid");
        assertEq(hub.balanceOf(modelOwner), MODEL_FEE, "owner paid");
        assertEq(hub.balanceOf(stranger), 0, "relayer gets nothing without callback");
    }

    function test_submitResult_AcceptedAtDeadline() public {
        Request memory r = _request();
        vm.warp(r.deadline);
        _submit(WORKER_KEY, r, _output(1));
        assertEq(uint256(hub.requestStatus(r.id)), uint256(RequestStatus.Submitted), "status");
    }

    function test_submitResult_RevertWhen_RequestExpired() public {
        Request memory r = _request();
        bytes memory output = _output(1);
        bytes memory sig = _signResult(WORKER_KEY, r, output, ENV);
        vm.warp(uint256(r.deadline) + 1);
        vm.expectRevert(
            abi.encodeWithSelector(IInferenceHub.RequestExpired.selector, r.id, r.deadline)
        );
        hub.submitResult(r, output, ENV, sig);
    }

    function test_submitResult_RevertWhen_NotAssignee() public {
        Request memory r = _request();
        bytes memory output = _output(1);
        bytes memory sig = _signResult(OTHER_WORKER_KEY, r, output, ENV);
        vm.warp(uint256(r.assignedUntil) - 1);
        vm.expectRevert(
            abi.encodeWithSelector(IInferenceHub.NotAssignee.selector, r.id, otherWorker, worker)
        );
        hub.submitResult(r, output, ENV, sig);
    }

    function test_submitResult_AcceptsOtherWorkerAfterGrace() public {
        Request memory r = _request();
        vm.warp(r.assignedUntil);
        Submission memory s = _submit(OTHER_WORKER_KEY, r, _output(1));
        assertEq(hub.requestCommitment(r.id), _submissionCommitment(r, s), "other worker's result");
        vm.warp(s.finalizableAt);
        hub.finalize(r, s, _output(1));
        assertEq(hub.balanceOf(otherWorker), r.workerRewardWei, "other worker paid");
        assertEq(hub.balanceOf(worker), 0, "assignee not paid");
    }

    function test_submitResult_RevertWhen_RequestMismatch() public {
        Request memory r = _request();
        bytes memory output = _output(1);
        bytes memory sig = _signResult(WORKER_KEY, r, output, ENV);
        r.workerRewardWei += 1 ether; // the digest does not cover it; the commitment does
        vm.expectRevert(abi.encodeWithSelector(IInferenceHub.RequestMismatch.selector, r.id));
        hub.submitResult(r, output, ENV, sig);
    }

    function test_submitResult_RevertWhen_RequestNotPending_DoubleSubmission() public {
        Request memory r = _request();
        _submit(WORKER_KEY, r, _output(1));
        bytes memory output = _output(2);
        bytes memory sig = _signResult(OTHER_WORKER_KEY, r, output, ENV);
        vm.warp(r.assignedUntil);
        vm.expectRevert(
            abi.encodeWithSelector(
                IInferenceHub.RequestNotPending.selector,
                r.id,
                RequestStatus.Submitted
            )
        );
        hub.submitResult(r, output, ENV, sig);
    }

    function test_submitResult_RevertWhen_RequestNotPending_UnknownRequest() public {
        Request memory r = _request();
        r.id = 99;
        bytes memory output = _output(1);
        bytes memory sig = _signResult(WORKER_KEY, r, output, ENV);
        vm.expectRevert(
            abi.encodeWithSelector(IInferenceHub.RequestNotPending.selector, 99, RequestStatus.None)
        );
        hub.submitResult(r, output, ENV, sig);
    }

    function test_submitResult_RevertWhen_EnforcedPause() public {
        Request memory r = _request();
        bytes memory output = _output(1);
        bytes memory sig = _signResult(WORKER_KEY, r, output, ENV);
        vm.prank(admin);
        hub.pause();
        vm.expectRevert(IInferenceHub.EnforcedPause.selector);
        hub.submitResult(r, output, ENV, sig);
    }

    // ============================================================ submitResults

    function _item(
        uint256 key,
        Request memory r,
        bytes memory output
    ) internal view returns (IInferenceHub.ResultSubmission memory) {
        return
            IInferenceHub.ResultSubmission({
                request: r,
                output: output,
                environmentId: ENV,
                signature: _signResult(key, r, output, ENV)
            });
    }

    function test_submitResults_SubmitsMany() public {
        IInferenceHub.ResultSubmission[] memory items = new IInferenceHub.ResultSubmission[](5);
        for (uint256 i; i < items.length; ++i) {
            items[i] = _item(WORKER_KEY, _request(), _output(int32(int256(i))));
        }
        hub.submitResults(items);
        uint64 finalizableAt = uint64(block.timestamp) + CHALLENGE_WINDOW;
        for (uint256 i; i < items.length; ++i) {
            Submission memory s = Submission(
                worker,
                keccak256(items[i].output),
                ENV,
                finalizableAt
            );
            assertEq(
                hub.requestCommitment(items[i].request.id),
                _submissionCommitment(items[i].request, s),
                "each submitted"
            );
        }
    }

    function test_submitResults_SettlesManyWithZeroChallengeWindow() public {
        _disableChallengeWindow();
        IInferenceHub.ResultSubmission[] memory items = new IInferenceHub.ResultSubmission[](4);
        uint256 rewards;
        for (uint256 i; i < items.length; ++i) {
            Request memory r = _request();
            rewards += r.workerRewardWei;
            items[i] = _item(WORKER_KEY, r, _output(int32(int256(i))));
        }
        hub.submitResults(items);
        for (uint256 i; i < items.length; ++i) {
            assertEq(
                uint256(hub.requestStatus(items[i].request.id)),
                uint256(RequestStatus.Settled),
                "settled"
            );
        }
        assertEq(hub.balanceOf(worker), rewards, "worker paid for all");
        assertEq(hub.balanceOf(modelOwner), MODEL_FEE * items.length, "owner paid for all");
    }

    function test_submitResults_SkipsRequestAnsweredByAnother() public {
        Request memory r1 = _request();
        Request memory r2 = _request();
        Request memory r3 = _request();
        vm.warp(r2.assignedUntil);
        Submission memory theirs = _submit(OTHER_WORKER_KEY, r2, _output(9));
        bytes32 theirCommitment = hub.requestCommitment(r2.id);

        IInferenceHub.ResultSubmission[] memory items = new IInferenceHub.ResultSubmission[](3);
        items[0] = _item(WORKER_KEY, r1, _output(1));
        items[1] = _item(WORKER_KEY, r2, _output(2));
        items[2] = _item(WORKER_KEY, r3, _output(3));

        vm.expectEmit();
        emit IInferenceHub.ResultSkipped(r2.id, RequestStatus.Submitted);
        hub.submitResults(items);

        assertEq(hub.requestCommitment(r2.id), theirCommitment, "skipped one untouched");
        assertEq(theirs.worker, otherWorker, "still the other worker's");
        assertEq(uint256(hub.requestStatus(r1.id)), uint256(RequestStatus.Submitted), "r1");
        assertEq(uint256(hub.requestStatus(r3.id)), uint256(RequestStatus.Submitted), "r3");
    }

    function test_submitResults_RevertWhen_AnyItemForged() public {
        Request memory r1 = _request();
        Request memory r2 = _request();
        uint256 forgerKey = 0xF0F0;
        IInferenceHub.ResultSubmission[] memory items = new IInferenceHub.ResultSubmission[](2);
        items[0] = _item(WORKER_KEY, r1, _output(1));
        items[1] = _item(forgerKey, r2, _output(2));
        vm.expectRevert(
            abi.encodeWithSelector(IWorkerRegistry.NotRegistered.selector, vm.addr(forgerKey))
        );
        hub.submitResults(items);
        assertEq(
            uint256(hub.requestStatus(r1.id)),
            uint256(RequestStatus.Pending),
            "r1 rolled back"
        );
    }

    // ============================================================ finalize

    function test_finalize_RevertWhen_ChallengeWindowOpen() public {
        Request memory r = _request();
        Submission memory s = _submit(WORKER_KEY, r, _output(1));
        vm.warp(uint256(s.finalizableAt) - 1);
        bytes memory output = _output(1);
        vm.expectRevert(
            abi.encodeWithSelector(
                IInferenceHub.ChallengeWindowOpen.selector,
                r.id,
                s.finalizableAt
            )
        );
        hub.finalize(r, s, output);
    }

    function test_finalize_RevertWhen_OutputMismatch() public {
        Request memory r = _request();
        Submission memory s = _submit(WORKER_KEY, r, _output(1));
        vm.warp(s.finalizableAt);
        bytes memory wrong = _output(2);
        vm.expectRevert(abi.encodeWithSelector(IInferenceHub.OutputMismatch.selector, r.id));
        hub.finalize(r, s, wrong);
    }

    function test_finalize_RevertWhen_RequestMismatch_TamperedSubmission() public {
        Request memory r = _request();
        Submission memory s = _submit(WORKER_KEY, r, _output(1));
        vm.warp(s.finalizableAt);
        s.worker = stranger;
        bytes memory output = _output(1);
        vm.expectRevert(abi.encodeWithSelector(IInferenceHub.RequestMismatch.selector, r.id));
        hub.finalize(r, s, output);
    }

    function test_finalize_PaysWorkerAndModelOwner() public {
        uint256 payment = _minPayment(0) + 0.003 ether;
        Request memory r = _request(requester, address(0), 0, payment);
        bytes memory output = _output(77);
        Submission memory s = _submit(WORKER_KEY, r, output);
        vm.warp(s.finalizableAt);

        vm.expectEmit();
        emit IInferenceHub.RequestSettled(r.id, worker, keccak256(output), CallbackResult.None);
        vm.prank(stranger);
        hub.finalize(r, s, output);

        assertEq(uint256(hub.requestStatus(r.id)), uint256(RequestStatus.Settled), "settled");
        assertEq(hub.balanceOf(worker), MIN_REWARD + 0.003 ether, "worker reward");
        assertEq(hub.balanceOf(modelOwner), MODEL_FEE, "model fee");
        assertEq(hub.balanceOf(requester), 0, "requester");
        assertEq(hub.balanceOf(stranger), 0, "finalizer");
        assertEq(
            address(hub).balance,
            hub.balanceOf(worker) + hub.balanceOf(modelOwner) + hub.protocolFeesWei(),
            "hub holds exactly what it owes"
        );
    }

    function test_finalize_RevertWhen_RequestNotSubmitted_AlreadySettled() public {
        Request memory r = _request();
        bytes memory output = _output(1);
        Submission memory s = _submit(WORKER_KEY, r, output);
        vm.warp(s.finalizableAt);
        hub.finalize(r, s, output);
        vm.expectRevert(
            abi.encodeWithSelector(
                IInferenceHub.RequestNotSubmitted.selector,
                r.id,
                RequestStatus.Settled
            )
        );
        hub.finalize(r, s, output);
        assertEq(hub.balanceOf(worker), r.workerRewardWei, "paid once");
    }

    /// @dev Nobody can challenge while paused, so nothing may become final then, and the window
    /// reopens in full afterwards.
    function test_finalize_RevertWhen_Paused_ThenAFullWindowAfter() public {
        Request memory r = _request();
        bytes memory output = _output(1);
        Submission memory s = _submit(WORKER_KEY, r, output);
        vm.prank(admin);
        hub.pause();
        vm.warp(s.finalizableAt);
        vm.expectRevert(IInferenceHub.EnforcedPause.selector);
        hub.finalize(r, s, output);

        vm.prank(admin);
        hub.unpause();
        uint64 windowEnd = uint64(block.timestamp) + CHALLENGE_WINDOW;
        assertEq(hub.challengeWindowEnd(r, s), windowEnd, "a full window after the pause");
        vm.expectRevert(
            abi.encodeWithSelector(IInferenceHub.ChallengeWindowOpen.selector, r.id, windowEnd)
        );
        hub.finalize(r, s, output);
        vm.warp(windowEnd);
        hub.finalize(r, s, output);
        assertEq(hub.balanceOf(worker), r.workerRewardWei, "paid after the window");
    }

    function test_refund_RevertWhen_RequestNotPending_AfterSettlement() public {
        Request memory r = _request();
        bytes memory output = _output(1);
        Submission memory s = _submit(WORKER_KEY, r, output);
        vm.warp(s.finalizableAt);
        hub.finalize(r, s, output);
        vm.warp(uint256(r.deadline) + 1);
        vm.expectRevert(
            abi.encodeWithSelector(
                IInferenceHub.RequestNotPending.selector,
                r.id,
                RequestStatus.Settled
            )
        );
        hub.refund(r);
    }

    function test_refund_RevertWhen_RequestNotPending_Submitted() public {
        Request memory r = _request();
        _submit(WORKER_KEY, r, _output(1));
        vm.warp(uint256(r.deadline) + 1);
        vm.expectRevert(
            abi.encodeWithSelector(
                IInferenceHub.RequestNotPending.selector,
                r.id,
                RequestStatus.Submitted
            )
        );
        hub.refund(r);
    }

    function test_submitResult_RevertWhen_RequestNotPending_AfterRefund() public {
        Request memory r = _request();
        bytes memory output = _output(1);
        bytes memory sig = _signResult(WORKER_KEY, r, output, ENV);
        vm.warp(uint256(r.deadline) + 1);
        hub.refund(r);
        vm.expectRevert(
            abi.encodeWithSelector(
                IInferenceHub.RequestNotPending.selector,
                r.id,
                RequestStatus.Refunded
            )
        );
        hub.submitResult(r, output, ENV, sig);
        assertEq(hub.balanceOf(worker), 0, "worker unpaid");
    }

    // ============================================================ reportFailure

    function test_reportFailure_RefundsRequesterLessProtocolFee() public {
        uint256 payment = _minPayment(0) + 0.001 ether;
        Request memory r = _request(requester, address(0), 0, payment, _misshapenInput());
        bytes memory sig = _signFailure(WORKER_KEY, r, FailureReason.InputShapeMismatch);
        uint256 refundWei = payment - PROTOCOL_FEE;

        vm.expectEmit();
        emit IInferenceHub.RequestRefunded(r.id, requester, refundWei, CallbackResult.None);
        vm.expectEmit();
        emit IInferenceHub.RequestFailed(
            r.id,
            worker,
            FailureReason.InputShapeMismatch,
            CallbackResult.None
        );
        vm.prank(stranger);
        hub.reportFailure(r, _misshapenInput(), FailureReason.InputShapeMismatch, ENV, sig);

        assertEq(uint256(hub.requestStatus(r.id)), uint256(RequestStatus.Failed), "failed");
        assertEq(hub.balanceOf(requester), refundWei, "refund");
        assertEq(hub.balanceOf(worker), 0, "worker unpaid");
        assertEq(hub.balanceOf(modelOwner), 0, "owner unpaid");
    }

    function test_reportFailure_CallsConsumerBack() public {
        RecordingConsumer consumer = new RecordingConsumer(hub);
        uint32 gasLimit = 100_000;
        uint256 payment = _minPayment(gasLimit);
        vm.deal(address(consumer), payment);
        vm.recordLogs();
        consumer.request{value: payment}(
            MODEL_ID,
            _undecodableInput(),
            worker,
            gasLimit,
            _deadline()
        );
        Request memory r = _lastRequest();
        bytes memory sig = _signFailure(WORKER_KEY, r, FailureReason.InputUndecodable);
        uint256 refundWei = payment - PROTOCOL_FEE - r.callbackFeeWei;

        vm.expectEmit();
        emit IInferenceHub.RequestRefunded(
            r.id,
            address(consumer),
            refundWei,
            CallbackResult.Succeeded
        );
        vm.expectEmit();
        emit IInferenceHub.RequestFailed(
            r.id,
            worker,
            FailureReason.InputUndecodable,
            CallbackResult.Succeeded
        );
        vm.prank(stranger);
        hub.reportFailure(r, _undecodableInput(), FailureReason.InputUndecodable, ENV, sig);

        assertEq(consumer.failureCount(), 1, "called back once");
        assertEq(consumer.lastRequestId(), r.id, "request id");
        assertEq(uint256(consumer.lastReason()), uint256(FailureReason.InputUndecodable), "reason");
        assertEq(hub.balanceOf(address(consumer)), refundWei, "consumer refunded");
        assertEq(hub.balanceOf(stranger), r.callbackFeeWei, "relayer earns callback fee");
    }

    function test_reportFailure_RevertWhen_NoFailureReason() public {
        Request memory r = _request();
        bytes memory sig = _signFailure(WORKER_KEY, r, FailureReason.None);
        vm.expectRevert(IInferenceHub.NoFailureReason.selector);
        hub.reportFailure(r, _input(), FailureReason.None, ENV, sig);
    }

    function test_reportFailure_RevertWhen_RequestExpired() public {
        Request memory r = _request();
        bytes memory sig = _signFailure(WORKER_KEY, r, FailureReason.InputOutOfRange);
        vm.warp(uint256(r.deadline) + 1);
        vm.expectRevert(
            abi.encodeWithSelector(IInferenceHub.RequestExpired.selector, r.id, r.deadline)
        );
        hub.reportFailure(r, _input(), FailureReason.InputOutOfRange, ENV, sig);
    }

    function test_reportFailure_RevertWhen_NotRegistered() public {
        Request memory r = _request();
        uint256 key = 0xBAD;
        bytes memory sig = _signFailure(key, r, FailureReason.InputShapeMismatch);
        vm.expectRevert(
            abi.encodeWithSelector(IWorkerRegistry.NotRegistered.selector, vm.addr(key))
        );
        hub.reportFailure(r, _input(), FailureReason.InputShapeMismatch, ENV, sig);
    }

    function test_reportFailure_RevertWhen_NotAssignee() public {
        Request memory r = _request();
        bytes memory sig = _signFailure(OTHER_WORKER_KEY, r, FailureReason.InputShapeMismatch);
        vm.expectRevert(
            abi.encodeWithSelector(IInferenceHub.NotAssignee.selector, r.id, otherWorker, worker)
        );
        hub.reportFailure(r, _input(), FailureReason.InputShapeMismatch, ENV, sig);
    }

    function test_reportFailure_RevertWhen_SignatureForOtherReason() public {
        Request memory r = _request();
        // Signed InputShapeMismatch, relayed as InputOutOfRange: recovers to someone else.
        bytes memory sig = _signFailure(WORKER_KEY, r, FailureReason.InputShapeMismatch);
        bytes32 digest = hub.failureDigest(
            r.id,
            r.modelId,
            r.inputHash,
            FailureReason.InputOutOfRange,
            ENV
        );
        address recovered = _recover(digest, sig);
        assertTrue(recovered != worker, "different signer");
        vm.expectRevert(abi.encodeWithSelector(IWorkerRegistry.NotRegistered.selector, recovered));
        hub.reportFailure(r, _input(), FailureReason.InputOutOfRange, ENV, sig);
    }

    function test_reportFailure_RevertWhen_FailureNotShown() public {
        Request memory r = _request();
        bytes memory sig = _signFailure(WORKER_KEY, r, FailureReason.InputShapeMismatch);
        vm.expectRevert(
            abi.encodeWithSelector(
                IInferenceHub.FailureNotShown.selector,
                r.id,
                FailureReason.InputShapeMismatch
            )
        );
        hub.reportFailure(r, _input(), FailureReason.InputShapeMismatch, ENV, sig);
    }

    function test_reportFailure_RevertWhen_InputMismatch() public {
        Request memory r = _request();
        bytes memory sig = _signFailure(WORKER_KEY, r, FailureReason.InputShapeMismatch);
        vm.expectRevert(abi.encodeWithSelector(IInferenceHub.InputMismatch.selector, r.id));
        hub.reportFailure(r, _misshapenInput(), FailureReason.InputShapeMismatch, ENV, sig);
    }

    /// @dev A reason the chain cannot check is the worker's word: the requester is refunded at
    /// once, and the report stays open to challenge like a result, with the worker unpaid.
    function test_reportFailure_OutOfRangeRefundsAtOnceAndStaysChallengeable() public {
        (Request memory r, Submission memory s) = _reportOpenFailure(FailureReason.InputOutOfRange);
        assertEq(uint256(hub.requestStatus(r.id)), uint256(RequestStatus.Failed), "failed");
        assertEq(hub.balanceOf(requester), uint256(r.modelFeeWei) + r.workerRewardWei, "refund");
        assertEq(hub.balanceOf(worker), 0, "worker unpaid");
        // Nothing is left to finalize: a failure report moves no money after it is made.
        bytes memory failure = hub.failureOutput(FailureReason.InputOutOfRange);
        vm.warp(s.finalizableAt);
        vm.expectRevert(
            abi.encodeWithSelector(
                IInferenceHub.RequestNotSubmitted.selector,
                r.id,
                RequestStatus.Failed
            )
        );
        hub.finalize(r, s, failure);
    }

    /// @dev Every reason about the model itself is the worker's word too, reported at once.
    function testFuzz_reportFailure_ModelReasonsRefundAtOnce(uint8 seed) public {
        uint8 first = uint8(FailureReason.ModelUnavailable);
        uint8 last = uint8(type(FailureReason).max);
        FailureReason reason = FailureReason(first + (seed % (last - first + 1)));
        (Request memory r, ) = _reportOpenFailure(reason);
        assertEq(uint256(hub.requestStatus(r.id)), uint256(RequestStatus.Failed), "failed");
        assertEq(hub.balanceOf(requester), uint256(r.modelFeeWei) + r.workerRewardWei, "refund");
    }

    function test_reportFailure_ChallengerOverturnsALieWithoutASecondRefund() public {
        _grantResolver();
        (Request memory r, Submission memory s) = _reportOpenFailure(FailureReason.ModelInvalid);
        uint256 refundWei = uint256(r.modelFeeWei) + r.workerRewardWei;
        Challenge memory c = _challenge(challenger, r, s, keccak256(_output(2)));
        assertEq(uint256(hub.requestStatus(r.id)), uint256(RequestStatus.Challenged), "disputed");
        vm.prank(resolver);
        hub.resolveChallenge(r, s, c, "", true);

        assertEq(uint256(hub.requestStatus(r.id)), uint256(RequestStatus.Refunded), "overturned");
        assertEq(workers.getWorker(worker).stakeWei, MIN_STAKE - SLASH_AMOUNT, "liar slashed");
        assertEq(hub.balanceOf(challenger), CHALLENGE_BOND + CHALLENGER_SLASH, "challenger paid");
        assertEq(hub.balanceOf(requester), refundWei, "refunded once, not twice");
    }

    function test_reportFailure_UpheldReportEarnsTheBondAndStaysFailed() public {
        _grantResolver();
        (Request memory r, Submission memory s) = _reportOpenFailure(FailureReason.Timeout);
        Challenge memory c = _challenge(challenger, r, s, keccak256(_output(2)));
        bytes memory failure = hub.failureOutput(FailureReason.Timeout);
        vm.prank(resolver);
        hub.resolveChallenge(r, s, c, failure, false);

        assertEq(uint256(hub.requestStatus(r.id)), uint256(RequestStatus.Failed), "failed");
        assertEq(hub.balanceOf(worker), CHALLENGE_BOND, "bond only: a failure earns no reward");
        assertEq(workers.getWorker(worker).stakeWei, MIN_STAKE, "stake intact");
        assertEq(hub.balanceOf(requester), uint256(r.modelFeeWei) + r.workerRewardWei, "once");
        assertEq(hub.balanceOf(modelOwner), 0, "no model fee");
    }

    function test_reportFailure_ExpiredDisputeReturnsTheBondAndNoLongerStands() public {
        (Request memory r, Submission memory s) = _reportOpenFailure(FailureReason.ModelError);
        Challenge memory c = _challenge(challenger, r, s, keccak256(_output(2)));
        vm.warp(uint256(c.challengedAt) + DISPUTE_TIMEOUT);
        hub.expireChallenge(r, s, c);

        assertEq(uint256(hub.requestStatus(r.id)), uint256(RequestStatus.Refunded), "undecided");
        assertEq(hub.balanceOf(challenger), CHALLENGE_BOND, "bond back");
        assertEq(hub.balanceOf(requester), uint256(r.modelFeeWei) + r.workerRewardWei, "once");
    }

    function test_reportFailure_RevertWhen_ChallengedAfterItsWindow() public {
        (Request memory r, Submission memory s) = _reportOpenFailure(FailureReason.OutputTooLarge);
        vm.warp(s.finalizableAt);
        vm.deal(challenger, CHALLENGE_BOND);
        vm.prank(challenger);
        vm.expectRevert(
            abi.encodeWithSelector(
                IInferenceHub.ChallengeWindowClosed.selector,
                r.id,
                s.finalizableAt
            )
        );
        hub.challenge{value: CHALLENGE_BOND}(r, s, keccak256(_output(2)));
    }

    /// @dev A report the chain checked (a misshapen input) is final: there is nothing to dispute.
    function test_reportFailure_RevertWhen_ChallengingACheckedReport() public {
        Request memory r = _request(requester, address(0), 0, _minPayment(0), _misshapenInput());
        bytes memory sig = _signFailure(WORKER_KEY, r, FailureReason.InputShapeMismatch);
        hub.reportFailure(r, _misshapenInput(), FailureReason.InputShapeMismatch, ENV, sig);
        bytes memory failure = hub.failureOutput(FailureReason.InputShapeMismatch);
        Submission memory s = Submission(
            worker,
            keccak256(failure),
            ENV,
            uint64(block.timestamp) + CHALLENGE_WINDOW
        );
        vm.deal(challenger, CHALLENGE_BOND);
        vm.prank(challenger);
        vm.expectRevert(
            abi.encodeWithSelector(
                IInferenceHub.RequestNotSubmitted.selector,
                r.id,
                RequestStatus.Failed
            )
        );
        hub.challenge{value: CHALLENGE_BOND}(r, s, keccak256(_output(2)));
    }

    /// @dev Reports `reason` for a fresh request and returns it with the recorded submission,
    /// checking the events a watcher and the consumer rely on.
    function _reportOpenFailure(
        FailureReason reason
    ) internal returns (Request memory r, Submission memory s) {
        r = _request();
        bytes memory sig = _signFailure(WORKER_KEY, r, reason);
        bytes memory failure = hub.failureOutput(reason);
        assertEq(failure, abi.encodePacked(uint8(0), uint8(reason)), "failure output");
        s = Submission(worker, keccak256(failure), ENV, uint64(block.timestamp) + CHALLENGE_WINDOW);
        vm.expectEmit();
        emit IInferenceHub.ResultSubmitted(
            r.id,
            worker,
            ENV,
            s.outputHash,
            s.finalizableAt,
            failure
        );
        vm.expectEmit();
        emit IInferenceHub.RequestRefunded(
            r.id,
            requester,
            uint256(r.modelFeeWei) + r.workerRewardWei,
            CallbackResult.None
        );
        vm.expectEmit();
        emit IInferenceHub.RequestFailed(r.id, worker, reason, CallbackResult.None);
        hub.reportFailure(r, _input(), reason, ENV, sig);
    }

    function test_submitResult_RevertWhen_OutputIsAFailureOutput() public {
        Request memory r = _request();
        bytes memory failure = hub.failureOutput(FailureReason.InputOutOfRange);
        bytes memory sig = _signResult(WORKER_KEY, r, failure, ENV);
        vm.expectRevert(abi.encodeWithSelector(IInferenceHub.OutputMismatch.selector, r.id));
        hub.submitResult(r, failure, ENV, sig);
    }

    // ============================================================ refund

    function test_refund_RevertWhen_RequestNotExpired() public {
        Request memory r = _request();
        vm.warp(r.deadline);
        vm.expectRevert(
            abi.encodeWithSelector(IInferenceHub.RequestNotExpired.selector, r.id, r.deadline)
        );
        hub.refund(r);
    }

    function test_refund_CreditsRequesterAfterDeadline() public {
        uint256 payment = _minPayment(0) + 0.004 ether;
        Request memory r = _request(requester, address(0), 0, payment);
        vm.warp(uint256(r.deadline) + 1);
        vm.expectEmit();
        emit IInferenceHub.RequestRefunded(
            r.id,
            requester,
            payment - PROTOCOL_FEE,
            CallbackResult.None
        );
        vm.prank(requester);
        hub.refund(r);
        assertEq(uint256(hub.requestStatus(r.id)), uint256(RequestStatus.Refunded), "refunded");
        assertEq(hub.balanceOf(requester), payment - PROTOCOL_FEE, "credited");

        vm.prank(requester);
        hub.withdraw(payable(requester));
        assertEq(requester.balance, 100 ether - PROTOCOL_FEE, "only the protocol fee is spent");
    }

    function test_refund_RevertWhen_RequestNotPending_Twice() public {
        Request memory r = _request();
        vm.warp(uint256(r.deadline) + 1);
        hub.refund(r);
        vm.expectRevert(
            abi.encodeWithSelector(
                IInferenceHub.RequestNotPending.selector,
                r.id,
                RequestStatus.Refunded
            )
        );
        hub.refund(r);
        assertEq(hub.balanceOf(requester), r.modelFeeWei + r.workerRewardWei, "credited once");
    }

    function test_refund_AnyoneMayCall() public {
        Request memory r = _request();
        vm.warp(uint256(r.deadline) + 1);
        vm.prank(stranger);
        hub.refund(r);
        assertEq(hub.balanceOf(requester), r.modelFeeWei + r.workerRewardWei, "requester credited");
        assertEq(hub.balanceOf(stranger), 0, "caller gets nothing");
    }

    function test_refund_RevertWhen_RequestMismatch() public {
        Request memory r = _request();
        vm.warp(uint256(r.deadline) + 1);
        r.requester = stranger;
        vm.expectRevert(abi.encodeWithSelector(IInferenceHub.RequestMismatch.selector, r.id));
        hub.refund(r);
    }

    // ============================================================ challenge

    function test_challenge_ChallengesWithinWindow() public {
        Request memory r = _request();
        Submission memory s = _submit(WORKER_KEY, r, _output(1));
        bytes32 claimed = keccak256(_output(2));
        vm.deal(challenger, 1 ether);
        vm.expectEmit();
        emit IInferenceHub.ResultChallenged(r.id, challenger, claimed, CHALLENGE_BOND);
        vm.prank(challenger);
        hub.challenge{value: CHALLENGE_BOND}(r, s, claimed);

        assertEq(uint256(hub.requestStatus(r.id)), uint256(RequestStatus.Challenged), "status");
        Challenge memory c = Challenge(
            challenger,
            CHALLENGE_BOND,
            claimed,
            uint64(block.timestamp)
        );
        bytes32 subHash = keccak256(abi.encode(hub.hashRequest(r), s));
        assertEq(
            hub.requestCommitment(r.id),
            _tagged(keccak256(abi.encode(subHash, c)), RequestStatus.Challenged),
            "commitment"
        );
        assertEq(address(hub).balance, _minPayment(0) + CHALLENGE_BOND, "bond held");
        assertEq(challenger.balance, 1 ether - CHALLENGE_BOND, "bond paid");
    }

    function test_challenge_RevertWhen_ChallengeWindowClosed() public {
        Request memory r = _request();
        Submission memory s = _submit(WORKER_KEY, r, _output(1));
        vm.warp(s.finalizableAt);
        vm.deal(challenger, 1 ether);
        bytes32 claimed = keccak256(_output(2));
        vm.prank(challenger);
        vm.expectRevert(
            abi.encodeWithSelector(
                IInferenceHub.ChallengeWindowClosed.selector,
                r.id,
                s.finalizableAt
            )
        );
        hub.challenge{value: CHALLENGE_BOND}(r, s, claimed);
    }

    function test_challenge_RevertWhen_InsufficientBond() public {
        Request memory r = _request();
        Submission memory s = _submit(WORKER_KEY, r, _output(1));
        vm.deal(challenger, 1 ether);
        bytes32 claimed = keccak256(_output(2));
        vm.prank(challenger);
        vm.expectRevert(
            abi.encodeWithSelector(
                IInferenceHub.InsufficientBond.selector,
                CHALLENGE_BOND - 1,
                CHALLENGE_BOND
            )
        );
        hub.challenge{value: CHALLENGE_BOND - 1}(r, s, claimed);
    }

    function test_challenge_RevertWhen_ChallengeSameOutput() public {
        Request memory r = _request();
        Submission memory s = _submit(WORKER_KEY, r, _output(1));
        vm.deal(challenger, 1 ether);
        bytes32 claimed = s.outputHash;
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(IInferenceHub.ChallengeSameOutput.selector, r.id));
        hub.challenge{value: CHALLENGE_BOND}(r, s, claimed);
    }

    function test_challenge_RevertWhen_EnforcedPause() public {
        Request memory r = _request();
        Submission memory s = _submit(WORKER_KEY, r, _output(1));
        vm.prank(admin);
        hub.pause();
        vm.deal(challenger, 1 ether);
        bytes32 claimed = keccak256(_output(2));
        vm.prank(challenger);
        vm.expectRevert(IInferenceHub.EnforcedPause.selector);
        hub.challenge{value: CHALLENGE_BOND}(r, s, claimed);
    }

    function test_finalize_RevertWhen_RequestNotSubmitted_Challenged() public {
        Request memory r = _request();
        bytes memory output = _output(1);
        Submission memory s = _submit(WORKER_KEY, r, output);
        _challenge(challenger, r, s, keccak256(_output(2)));
        vm.warp(s.finalizableAt);
        vm.expectRevert(
            abi.encodeWithSelector(
                IInferenceHub.RequestNotSubmitted.selector,
                r.id,
                RequestStatus.Challenged
            )
        );
        hub.finalize(r, s, output);
    }

    function _grantResolver() internal {
        bytes32 role = hub.DISPUTE_RESOLVER_ROLE();
        vm.prank(admin);
        hub.grantRole(role, resolver);
    }

    function test_resolveChallenge_RevertWhen_AccessControlUnauthorizedAccount() public {
        Request memory r = _request();
        bytes memory output = _output(1);
        Submission memory s = _submit(WORKER_KEY, r, output);
        Challenge memory c = _challenge(challenger, r, s, keccak256(_output(2)));
        bytes32 role = hub.DISPUTE_RESOLVER_ROLE();
        vm.prank(challenger);
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector,
                challenger,
                role
            )
        );
        hub.resolveChallenge(r, s, c, output, true);
    }

    function test_resolveChallenge_ChallengerWonSlashesWorker() public {
        _grantResolver();
        Request memory r = _request();
        bytes memory output = _output(1);
        Submission memory s = _submit(WORKER_KEY, r, output);
        Challenge memory c = _challenge(challenger, r, s, keccak256(_output(2)));
        uint256 hubEthBefore = address(hub).balance;

        vm.expectEmit();
        emit IInferenceHub.RequestRefunded(
            r.id,
            requester,
            uint256(r.modelFeeWei) + r.workerRewardWei,
            CallbackResult.None
        );
        vm.expectEmit();
        emit IInferenceHub.ChallengeResolved(r.id, true, SLASH_AMOUNT);
        vm.prank(resolver);
        hub.resolveChallenge(r, s, c, "", true);

        assertEq(uint256(hub.requestStatus(r.id)), uint256(RequestStatus.Refunded), "refunded");
        assertEq(workers.getWorker(worker).stakeWei, MIN_STAKE - SLASH_AMOUNT, "slashed");
        assertFalse(workers.isEligible(worker), "no longer eligible");
        assertEq(hub.balanceOf(challenger), CHALLENGE_BOND + CHALLENGER_SLASH, "challenger paid");
        assertEq(hub.balanceOf(treasury), SLASH_AMOUNT - CHALLENGER_SLASH, "treasury: the rest");
        assertEq(hub.balanceOf(requester), r.modelFeeWei + r.workerRewardWei, "requester refunded");
        assertEq(hub.balanceOf(worker), 0, "worker unpaid");
        assertEq(hub.balanceOf(modelOwner), 0, "owner unpaid");
        assertEq(address(hub).balance, hubEthBefore + SLASH_AMOUNT, "slash received");

        vm.prank(challenger);
        hub.withdraw(payable(challenger));
        assertEq(challenger.balance, CHALLENGE_BOND + CHALLENGER_SLASH, "challenger withdrew");
    }

    function test_resolveChallenge_WorkerWonEarnsBond() public {
        _grantResolver();
        Request memory r = _request();
        bytes memory output = _output(1);
        Submission memory s = _submit(WORKER_KEY, r, output);
        Challenge memory c = _challenge(challenger, r, s, keccak256(_output(2)));

        vm.expectEmit();
        emit IInferenceHub.ChallengeResolved(r.id, false, 0);
        vm.expectEmit();
        emit IInferenceHub.RequestSettled(r.id, worker, s.outputHash, CallbackResult.None);
        vm.prank(resolver);
        hub.resolveChallenge(r, s, c, output, false);

        assertEq(uint256(hub.requestStatus(r.id)), uint256(RequestStatus.Settled), "settled");
        assertEq(hub.balanceOf(worker), r.workerRewardWei + CHALLENGE_BOND, "reward + bond");
        assertEq(hub.balanceOf(modelOwner), MODEL_FEE, "owner paid");
        assertEq(hub.balanceOf(challenger), 0, "challenger lost bond");
        assertEq(workers.getWorker(worker).stakeWei, MIN_STAKE, "stake intact");
    }

    function test_resolveChallenge_RevertWhen_OutputMismatch() public {
        _grantResolver();
        Request memory r = _request();
        bytes memory output = _output(1);
        Submission memory s = _submit(WORKER_KEY, r, output);
        Challenge memory c = _challenge(challenger, r, s, keccak256(_output(2)));
        bytes memory wrong = _output(3);
        vm.prank(resolver);
        vm.expectRevert(abi.encodeWithSelector(IInferenceHub.OutputMismatch.selector, r.id));
        hub.resolveChallenge(r, s, c, wrong, false);
    }

    function test_resolveChallenge_RevertWhen_RequestMismatch_TamperedChallenge() public {
        _grantResolver();
        Request memory r = _request();
        bytes memory output = _output(1);
        Submission memory s = _submit(WORKER_KEY, r, output);
        Challenge memory c = _challenge(challenger, r, s, keccak256(_output(2)));
        c.bondWei = 10 ether; // would inflate the payout if it were trusted
        vm.prank(resolver);
        vm.expectRevert(abi.encodeWithSelector(IInferenceHub.RequestMismatch.selector, r.id));
        hub.resolveChallenge(r, s, c, "", true);
    }

    function test_expireChallenge_RevertWhen_DisputeNotExpired() public {
        Request memory r = _request();
        Submission memory s = _submit(WORKER_KEY, r, _output(1));
        Challenge memory c = _challenge(challenger, r, s, keccak256(_output(2)));
        uint64 expiresAt = c.challengedAt + DISPUTE_TIMEOUT;
        vm.warp(uint256(expiresAt) - 1);
        vm.expectRevert(
            abi.encodeWithSelector(IInferenceHub.DisputeNotExpired.selector, r.id, expiresAt)
        );
        hub.expireChallenge(r, s, c);
    }

    function test_expireChallenge_RefundsRequesterAndReturnsBond() public {
        Request memory r = _request();
        Submission memory s = _submit(WORKER_KEY, r, _output(1));
        Challenge memory c = _challenge(challenger, r, s, keccak256(_output(2)));
        vm.warp(uint256(c.challengedAt) + DISPUTE_TIMEOUT);

        vm.expectEmit();
        emit IInferenceHub.RequestRefunded(
            r.id,
            requester,
            uint256(r.modelFeeWei) + r.workerRewardWei,
            CallbackResult.None
        );
        vm.expectEmit();
        emit IInferenceHub.ChallengeExpired(r.id);
        vm.prank(stranger);
        hub.expireChallenge(r, s, c);

        assertEq(uint256(hub.requestStatus(r.id)), uint256(RequestStatus.Refunded), "refunded");
        assertEq(hub.balanceOf(challenger), CHALLENGE_BOND, "bond back");
        assertEq(hub.balanceOf(requester), r.modelFeeWei + r.workerRewardWei, "requester refunded");
        assertEq(hub.balanceOf(worker), 0, "worker unpaid");
        assertEq(workers.getWorker(worker).stakeWei, MIN_STAKE, "no slash");
    }

    function test_expireChallenge_RevertWhen_RequestNotChallenged_AlreadyExpired() public {
        Request memory r = _request();
        Submission memory s = _submit(WORKER_KEY, r, _output(1));
        Challenge memory c = _challenge(challenger, r, s, keccak256(_output(2)));
        vm.warp(uint256(c.challengedAt) + DISPUTE_TIMEOUT);
        hub.expireChallenge(r, s, c);
        vm.expectRevert(
            abi.encodeWithSelector(
                IInferenceHub.RequestNotChallenged.selector,
                r.id,
                RequestStatus.Refunded
            )
        );
        hub.expireChallenge(r, s, c);
        assertEq(hub.balanceOf(challenger), CHALLENGE_BOND, "bond returned once");
    }

    // ============================================================ withdraw

    function _settleOne() internal returns (Request memory r) {
        r = _request();
        bytes memory output = _output(1);
        Submission memory s = _submit(WORKER_KEY, r, output);
        vm.warp(s.finalizableAt);
        hub.finalize(r, s, output);
    }

    function test_withdraw_PaysOutAndZeroesBalance() public {
        Request memory r = _settleOne();
        address payable to = payable(address(0x70));
        vm.expectEmit();
        emit IInferenceHub.Withdrawn(worker, to, r.workerRewardWei);
        vm.prank(worker);
        hub.withdraw(to);
        assertEq(to.balance, r.workerRewardWei, "paid out");
        assertEq(hub.balanceOf(worker), 0, "zeroed");
        assertEq(address(hub).balance, MODEL_FEE + PROTOCOL_FEE, "rest stays");
    }

    function test_withdraw_RevertWhen_NothingToWithdraw() public {
        vm.prank(stranger);
        vm.expectRevert(IInferenceHub.NothingToWithdraw.selector);
        hub.withdraw(payable(stranger));
    }

    function test_withdraw_RevertWhen_NothingToWithdraw_Twice() public {
        _settleOne();
        vm.prank(worker);
        hub.withdraw(payable(worker));
        vm.prank(worker);
        vm.expectRevert(IInferenceHub.NothingToWithdraw.selector);
        hub.withdraw(payable(worker));
    }

    function test_withdraw_WorksWhilePaused() public {
        _settleOne();
        vm.prank(admin);
        hub.pause();
        uint256 before = modelOwner.balance;
        vm.prank(modelOwner);
        hub.withdraw(payable(modelOwner));
        assertEq(modelOwner.balance - before, MODEL_FEE, "withdrawn while paused");
    }

    function test_withdraw_RevertWhen_TransferFailed() public {
        _settleOne();
        // The hub itself rejects plain ETH from anyone but the worker registry.
        address payable to = payable(address(hub));
        vm.prank(modelOwner);
        vm.expectRevert(
            abi.encodeWithSelector(IInferenceHub.TransferFailed.selector, to, uint256(MODEL_FEE))
        );
        hub.withdraw(to);
        assertEq(hub.balanceOf(modelOwner), MODEL_FEE, "balance kept");
    }

    function test_collectProtocolFees_CreditsTreasury() public {
        _request();
        _request();
        vm.expectEmit();
        emit IInferenceHub.ProtocolFeesCollected(treasury, 2 * uint256(PROTOCOL_FEE));
        vm.prank(stranger);
        hub.collectProtocolFees();
        assertEq(hub.protocolFeesWei(), 0, "fees moved");
        assertEq(hub.balanceOf(treasury), 2 * uint256(PROTOCOL_FEE), "treasury credited");
        vm.prank(treasury);
        hub.withdraw(payable(treasury));
        assertEq(treasury.balance, 2 * uint256(PROTOCOL_FEE), "treasury withdrew");
    }

    function test_collectProtocolFees_RevertWhen_NothingToWithdraw() public {
        vm.expectRevert(IInferenceHub.NothingToWithdraw.selector);
        hub.collectProtocolFees();
    }

    // ============================================================ admin

    function _expectUnauthorized(address account, bytes32 role) internal {
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector,
                account,
                role
            )
        );
    }

    function test_setConfig_RevertWhen_AccessControlUnauthorizedAccount() public {
        IInferenceHub.Config memory cfg = _configWithWindow(0);
        vm.prank(stranger);
        _expectUnauthorized(stranger, bytes32(0));
        hub.setConfig(cfg);
    }

    function test_setConfig_AppliesToNewRequestsOnly() public {
        Request memory before = _request();
        _disableChallengeWindow();
        assertEq(hub.config().challengeWindowSeconds, 0, "updated");
        Request memory afterwards = _request();
        assertEq(before.challengeWindowSeconds, CHALLENGE_WINDOW, "old request keeps window");
        assertEq(afterwards.challengeWindowSeconds, 0, "new request gets new window");
        _submit(WORKER_KEY, before, _output(1));
        assertEq(
            uint256(hub.requestStatus(before.id)),
            uint256(RequestStatus.Submitted),
            "old request still challengeable"
        );
    }

    function test_constructor_RevertWhen_SlashExceedsMinimumStake() public {
        vm.expectRevert(IInferenceHub.InvalidConfig.selector);
        new InferenceHub(
            admin,
            models,
            workers,
            treasury,
            _configWithWindow(CHALLENGE_WINDOW),
            IInferenceHub.DisputeConfig({
                challengeBondWei: CHALLENGE_BOND,
                slashAmountWei: uint96(MIN_STAKE) + 1,
                disputeTimeoutSeconds: DISPUTE_TIMEOUT
            })
        );
    }

    function test_setTreasury_RevertWhen_AccessControlUnauthorizedAccount() public {
        vm.prank(stranger);
        _expectUnauthorized(stranger, bytes32(0));
        hub.setTreasury(stranger);
    }

    function test_setProofVerifier_RevertWhen_AccessControlUnauthorizedAccount() public {
        vm.prank(stranger);
        _expectUnauthorized(stranger, bytes32(0));
        hub.setProofVerifier(ProofMode.ZK, IProofVerifier(stranger));
    }

    function test_setProofVerifier_RevertWhen_ProofVerifierAlreadySet() public {
        vm.startPrank(admin);
        hub.setProofVerifier(ProofMode.ZK, IProofVerifier(stranger));
        vm.expectRevert(
            abi.encodeWithSelector(IInferenceHub.ProofVerifierAlreadySet.selector, ProofMode.ZK)
        );
        hub.setProofVerifier(ProofMode.ZK, IProofVerifier(address(0x5EC0)));
        vm.stopPrank();
    }

    function test_setProofVerifier_RevertWhen_InvalidConfig_Zero() public {
        vm.prank(admin);
        vm.expectRevert(IInferenceHub.InvalidConfig.selector);
        hub.setProofVerifier(ProofMode.ZK, IProofVerifier(address(0)));
    }

    function test_setProofVerifier_RevertWhen_InvalidConfig_Attested() public {
        vm.prank(admin);
        vm.expectRevert(IInferenceHub.InvalidConfig.selector);
        hub.setProofVerifier(ProofMode.ATTESTED, IProofVerifier(stranger));
    }

    function test_pause_RevertWhen_AccessControlUnauthorizedAccount() public {
        bytes32 role = hub.PAUSER_ROLE();
        vm.prank(stranger);
        _expectUnauthorized(stranger, role);
        hub.pause();
        assertFalse(hub.paused(), "not paused");
    }

    function test_unpause_RevertWhen_AccessControlUnauthorizedAccount() public {
        vm.prank(admin);
        hub.pause();
        bytes32 role = hub.PAUSER_ROLE();
        vm.prank(stranger);
        _expectUnauthorized(stranger, role);
        hub.unpause();
        assertTrue(hub.paused(), "still paused");
    }

    function test_grantRole_RevertWhen_AccessControlUnauthorizedAccount() public {
        bytes32 role = hub.DISPUTE_RESOLVER_ROLE();
        vm.prank(stranger);
        _expectUnauthorized(stranger, bytes32(0));
        hub.grantRole(role, stranger);
    }

    function test_receive_RevertWhen_UnexpectedSender() public {
        vm.deal(stranger, 1 ether);
        vm.prank(stranger);
        (bool ok, bytes memory ret) = address(hub).call{value: 1 ether}("");
        assertFalse(ok, "rejected");
        assertEq(
            ret,
            abi.encodeWithSelector(IInferenceHub.UnexpectedSender.selector, stranger),
            "revert data"
        );
        assertEq(address(hub).balance, 0, "no ETH kept");
    }

    function test_receive_AcceptsWorkerRegistry() public {
        vm.deal(address(workers), address(workers).balance + 1 ether);
        vm.prank(address(workers));
        (bool ok, ) = address(hub).call{value: 1 ether}("");
        assertTrue(ok, "registry may send");
        assertEq(address(hub).balance, 1 ether, "received");
    }
}
