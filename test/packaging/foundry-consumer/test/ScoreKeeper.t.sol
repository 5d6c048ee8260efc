// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {InferenceConsumer} from "@verity/solidity/consumer/InferenceConsumer.sol";
import {IInferenceHub} from "@verity/solidity/interfaces/IInferenceHub.sol";
import {MockInferenceHub} from "@verity/solidity/mocks/MockInferenceHub.sol";
import {
    CallbackResult,
    FailureReason,
    ProofMode,
    RequestStatus
} from "@verity/solidity/types/Inference.sol";
import {ScoreKeeper} from "../src/ScoreKeeper.sol";

/// @dev The few cheatcodes used here; forge-std would do as well.
interface Vm {
    function prank(address sender) external;
    function deal(address account, uint256 newBalance) external;
    function expectRevert(bytes calldata revertData) external;
}

contract ScoreKeeperTest {
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));
    bytes32 internal constant MODEL_ID = keccak256("score model");

    MockInferenceHub internal hub;
    ScoreKeeper internal keeper;
    address internal alice = address(0xA11CE);

    error Failed(string what);

    function setUp() public {
        hub = new MockInferenceHub();
        hub.setModelFee(MODEL_ID, 0.001 ether);
        keeper = new ScoreKeeper(hub, MODEL_ID);
        vm.deal(alice, 1 ether);
    }

    function _check(bool condition, string memory what) internal pure {
        if (!condition) revert Failed(what);
    }

    function _tensor(int32 value) internal pure returns (bytes memory) {
        return abi.encodePacked(uint8(1), uint8(1), uint8(1), uint32(1), value);
    }

    function _requestAsAlice() internal returns (uint256 requestId) {
        uint256 price = hub.quote(MODEL_ID, keeper.CALLBACK_GAS_LIMIT());
        vm.prank(alice);
        requestId = keeper.requestScore{value: price}(_tensor(7));
    }

    function test_deliverResult_StoresTheScore() public {
        uint256 id = _requestAsAlice();
        CallbackResult result = hub.deliverResult(id, _tensor(-42));
        _check(result == CallbackResult.Succeeded, "callback succeeded");
        _check(keeper.scoreOf(alice) == -42, "score stored");
        _check(hub.requestStatus(id) == RequestStatus.Settled, "settled");
    }

    function test_deliverFailure_CountsItAndTheHubCreditsTheRefund() public {
        uint256 id = _requestAsAlice();
        CallbackResult result = hub.deliverFailure(id, FailureReason.InputOutOfRange);
        _check(result == CallbackResult.Succeeded, "callback succeeded");
        _check(keeper.failuresOf(alice) == 1, "failure counted");
        _check(hub.balanceOf(address(keeper)) == 0.001 ether, "model fee refunded to the consumer");
    }

    function test_withdrawRefunds_OwnerTakesTheRefundOut() public {
        uint256 id = _requestAsAlice();
        hub.deliverFailure(id, FailureReason.None); // the deadline passed: refunded
        address payable wallet = payable(address(0x5AFE));
        keeper.withdrawRefunds(wallet); // this test contract deployed the keeper: it is the owner
        _check(wallet.balance == 0.001 ether, "the owner's wallet got the refund");
        _check(hub.balanceOf(address(keeper)) == 0, "nothing left in the hub");
    }

    function test_withdrawRefunds_RevertWhen_NotTheOwner() public {
        uint256 id = _requestAsAlice();
        hub.deliverFailure(id, FailureReason.None);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(ScoreKeeper.NotOwner.selector, alice));
        keeper.withdrawRefunds(payable(alice));
    }

    function test_deliverResult_IgnoresRequestsItDidNotMake() public {
        uint32 gasLimit = 50_000;
        vm.deal(address(this), 1 ether);
        uint256 id = hub.requestInference{value: hub.quote(MODEL_ID, gasLimit)}(
            MODEL_ID,
            _tensor(7),
            ProofMode.ATTESTED,
            address(0),
            address(keeper), // a stranger names the consumer as its callback
            gasLimit,
            uint64(block.timestamp + 1 hours)
        );
        CallbackResult result = hub.deliverResult(id, _tensor(99));
        _check(result == CallbackResult.Succeeded, "callback ran");
        _check(keeper.scoreOf(address(this)) == 0, "nothing stored for a stranger's request");
    }

    function test_onInferenceResult_RevertWhen_NotTheHub() public {
        uint256 id = _requestAsAlice();
        vm.expectRevert(
            abi.encodeWithSelector(InferenceConsumer.OnlyInferenceHub.selector, address(this))
        );
        keeper.onInferenceResult(id, MODEL_ID, _tensor(1));
    }

    function test_deliverResult_RevertWhen_DeliveredTwice() public {
        uint256 id = _requestAsAlice();
        hub.deliverResult(id, _tensor(1));
        vm.expectRevert(
            abi.encodeWithSelector(
                IInferenceHub.RequestNotPending.selector,
                id,
                RequestStatus.Settled
            )
        );
        hub.deliverResult(id, _tensor(1));
    }

    function testFuzz_deliverResult_StoresAnyScore(int32 score) public {
        uint256 id = _requestAsAlice();
        hub.deliverResult(id, _tensor(score));
        _check(keeper.scoreOf(alice) == score, "score stored");
    }
}
