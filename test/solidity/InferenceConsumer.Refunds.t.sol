// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {HubFixture} from "./utils/HubFixture.sol";
import {Test} from "./utils/Test.sol";
import {OwnedConsumer} from "../../contracts/mocks/OwnedConsumer.sol";
import {IInferenceHub} from "@verity/solidity/interfaces/IInferenceHub.sol";
import {MockInferenceHub} from "@verity/solidity/mocks/MockInferenceHub.sol";
import {Request, RequestStatus} from "@verity/solidity/types/Inference.sol";

/// @dev A consumer contract that cannot receive ETH still gets its refunds out of the real hub:
/// the hub credits them to the consumer (the requester), and `_withdrawRefunds` pays them to an
/// address its owner names.
contract InferenceConsumerRefundsTest is HubFixture {
    uint32 internal constant CALLBACK_GAS = 50_000;

    OwnedConsumer internal consumer;
    address internal consumerOwner = address(0x0A11);
    address payable internal ownerWallet = payable(address(0x5AFE));
    address internal stranger = address(0xBAD);

    function setUp() public override {
        super.setUp();
        vm.prank(consumerOwner);
        consumer = new OwnedConsumer(hub);
    }

    /// @dev A request made by the consumer, refunded by a keeper once its deadline passed.
    function _refundedRequest() internal returns (Request memory r, uint256 refundWei) {
        vm.recordLogs();
        vm.prank(requester);
        consumer.request{value: _minPayment(CALLBACK_GAS)}(
            MODEL_ID,
            _input(),
            worker,
            CALLBACK_GAS,
            uint64(block.timestamp + 1 hours)
        );
        r = _lastRequest();
        assertEq(r.requester, address(consumer), "the consumer is the requester");
        vm.warp(uint256(r.deadline) + 1);
        vm.prank(stranger);
        hub.refund(r);
        refundWei = uint256(r.modelFeeWei) + r.workerRewardWei;
    }

    function test_withdrawRefunds_OwnerPaysTheRefundToAWallet() public {
        (Request memory r, uint256 refundWei) = _refundedRequest();
        assertTrue(hub.requestStatus(r.id) == RequestStatus.Refunded, "refunded");
        assertEq(hub.balanceOf(address(consumer)), refundWei, "credited to the consumer");

        vm.prank(consumerOwner);
        consumer.withdrawRefunds(ownerWallet);
        assertEq(ownerWallet.balance, refundWei, "the wallet got the refund");
        assertEq(hub.balanceOf(address(consumer)), 0, "nothing left in the hub");
        assertEq(address(consumer).balance, 0, "nothing passed through the consumer");
    }

    function test_withdrawRefunds_RevertWhen_NotOwner() public {
        (, uint256 refundWei) = _refundedRequest();
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(OwnedConsumer.NotOwner.selector, stranger));
        consumer.withdrawRefunds(payable(stranger));
        assertEq(hub.balanceOf(address(consumer)), refundWei, "the refund stays credited");
    }

    function test_withdrawRefunds_RevertWhen_NothingToWithdraw() public {
        vm.prank(consumerOwner);
        vm.expectRevert(IInferenceHub.NothingToWithdraw.selector);
        consumer.withdrawRefunds(ownerWallet);
    }

    function test_withdrawRefunds_RevertWhen_ToIsTheConsumerItself() public {
        (, uint256 refundWei) = _refundedRequest();
        // Without receive() the consumer cannot take the ETH itself: the hub says so and keeps it.
        vm.prank(consumerOwner);
        vm.expectRevert(
            abi.encodeWithSelector(
                IInferenceHub.TransferFailed.selector,
                address(consumer),
                refundWei
            )
        );
        consumer.withdrawRefunds(payable(address(consumer)));
    }
}

/// @dev The same through MockInferenceHub, so a dapp's unit tests of its refund path hold against
/// the real hub too.
contract InferenceConsumerRefundsMockTest is Test {
    bytes32 internal constant MODEL_ID = keccak256("risk model");
    uint96 internal constant MODEL_FEE = 0.001 ether;
    uint32 internal constant CALLBACK_GAS = 50_000;

    MockInferenceHub internal hub;
    OwnedConsumer internal consumer;
    address internal consumerOwner = address(0x0A11);
    address payable internal ownerWallet = payable(address(0x5AFE));
    address internal stranger = address(0xBAD);

    function setUp() public {
        hub = new MockInferenceHub();
        hub.setModelFee(MODEL_ID, MODEL_FEE);
        vm.prank(consumerOwner);
        consumer = new OwnedConsumer(hub);
        vm.deal(stranger, 1 ether);
    }

    function _refundedRequest() internal returns (uint256 requestId) {
        vm.prank(stranger);
        requestId = consumer.request{value: hub.quote(MODEL_ID, CALLBACK_GAS)}(
            MODEL_ID,
            hex"010101000000010000002a",
            address(0),
            CALLBACK_GAS,
            uint64(block.timestamp + 1 hours)
        );
        Request memory r = hub.getRequest(requestId);
        vm.warp(uint256(r.deadline) + 1);
        hub.refund(r);
    }

    function test_withdrawRefunds_OwnerPaysTheRefundToAWallet() public {
        uint256 requestId = _refundedRequest();
        assertTrue(hub.requestStatus(requestId) == RequestStatus.Refunded, "refunded");
        assertEq(hub.balanceOf(address(consumer)), MODEL_FEE, "credited to the consumer");
        vm.prank(consumerOwner);
        consumer.withdrawRefunds(ownerWallet);
        assertEq(ownerWallet.balance, MODEL_FEE, "the wallet got the refund");
        assertEq(hub.balanceOf(address(consumer)), 0, "nothing left in the hub");
    }

    function test_withdrawRefunds_RevertWhen_NotOwner() public {
        _refundedRequest();
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(OwnedConsumer.NotOwner.selector, stranger));
        consumer.withdrawRefunds(payable(stranger));
    }
}
