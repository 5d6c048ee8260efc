// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {HubFixture} from "../utils/HubFixture.sol";
import {HubHandler, ScriptedConsumer} from "./HubHandler.sol";
import {RequestStatus} from "@verity/solidity/types/Inference.sol";

/// @dev Random sequences of hub and stake actions through `HubHandler`; after each call the hub's
/// money and request states must agree with the handler's books. The handler only takes actions
/// whose preconditions hold, so any revert is a failure.
contract HubInvariantTest is HubFixture {
    HubHandler internal handler;

    function setUp() public override {
        super.setUp();
        handler = new HubHandler(
            HubHandler.Setup({
                hub: hub,
                models: models,
                workers: workers,
                admin: admin,
                // Read back rather than assumed: whoever the fixture registered the model as.
                modelOwner: models.getRequestTerms(MODEL_ID).owner,
                treasury: treasury,
                requester: requester,
                modelId: MODEL_ID,
                environmentId: ENV,
                workerKeys: [WORKER_KEY, OTHER_WORKER_KEY],
                consumer: new ScriptedConsumer(address(hub))
            })
        );
        bytes32 resolverRole = hub.DISPUTE_RESOLVER_ROLE();
        vm.prank(admin);
        hub.grantRole(resolverRole, address(handler));
    }

    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    /// hardhat-config: invariant.failOnRevert = true
    /// hardhat-config: invariant.runs = 128
    /// hardhat-config: invariant.depth = 150
    /// @custom:invariant The hub holds exactly what it owes: open escrows (less the protocol fee)
    /// and challenge bonds, credited balances, and uncollected protocol fees; the worker registry
    /// holds exactly its stakes and unbonding stakes.
    function invariant_hubBalanceEqualsLiabilities() public view {
        assertEq(
            address(hub).balance,
            handler.openEscrowWei() + handler.creditedWei() + hub.protocolFeesWei(),
            "hub balance != open escrow + credited balances + protocol fees"
        );
        assertEq(
            hub.protocolFeesWei() + handler.ghostProtocolFeesCollectedWei(),
            handler.ghostProtocolFeesEarnedWei(),
            "protocol fees earned != uncollected + collected"
        );
        address[2] memory staked = handler.workerAddresses();
        uint256 held;
        for (uint256 i; i < staked.length; ++i) {
            held +=
                workers.getWorker(staked[i]).stakeWei + workers.getWorker(staked[i]).unbondingWei;
        }
        assertEq(address(workers).balance, held, "registry balance != stakes + unbonding");
    }

    /// hardhat-config: invariant.failOnRevert = true
    /// hardhat-config: invariant.runs = 128
    /// hardhat-config: invariant.depth = 150
    /// @custom:invariant No request emits `RequestSettled` more than once, nor its consumer hears
    /// of a result more than once.
    function invariant_noRequestSettlesTwice() public view {
        ScriptedConsumer consumer = handler.consumer();
        uint256 n = handler.trackedCount();
        for (uint256 i; i < n; ++i) {
            uint256 id = handler.trackedRequestId(i);
            assertLe(handler.settledEvents(id), 1, "settled more than once");
            assertLe(consumer.resultCalls(id), 1, "result delivered more than once");
        }
    }

    /// hardhat-config: invariant.failOnRevert = true
    /// hardhat-config: invariant.runs = 128
    /// hardhat-config: invariant.depth = 150
    /// @custom:invariant A request is settled, or refunded (a failure report being one kind of
    /// refund), or neither, but never both, and is refunded at most once.
    function invariant_settleAndRefundExclusive() public view {
        ScriptedConsumer consumer = handler.consumer();
        uint256 n = handler.trackedCount();
        for (uint256 i; i < n; ++i) {
            uint256 id = handler.trackedRequestId(i);
            uint256 settled = handler.settledEvents(id);
            uint256 refunded = handler.refundedEvents(id);
            assertLe(refunded, 1, "refunded more than once");
            assertLe(handler.failedEvents(id), refunded, "failed without a refund");
            assertTrue(settled == 0 || refunded == 0, "both settled and refunded");
            assertLe(
                consumer.resultCalls(id) + consumer.failureCalls(id),
                1,
                "consumer called back more than once"
            );
        }
    }

    /// hardhat-config: invariant.failOnRevert = true
    /// hardhat-config: invariant.runs = 128
    /// hardhat-config: invariant.depth = 150
    /// @custom:invariant The hub's status for every request is the status the handler's own
    /// bookkeeping predicts, and final statuses match the events that were emitted.
    function invariant_statusMatchesGhost() public view {
        uint256 n = handler.trackedCount();
        assertEq(hub.nextRequestId(), n + 1, "request ids are not consecutive");
        assertTrue(hub.requestStatus(n + 1) == RequestStatus.None, "unused id has a status");
        uint256 settled;
        uint256 refunded;
        uint256 failed;
        for (uint256 i; i < n; ++i) {
            uint256 id = handler.trackedRequestId(i);
            RequestStatus expected = handler.trackedStatus(i);
            assertEq(
                uint256(hub.requestStatus(id)),
                uint256(expected),
                "status differs from ghost"
            );
            bool isSettled = expected == RequestStatus.Settled;
            bool isRefund = expected == RequestStatus.Refunded || expected == RequestStatus.Failed;
            assertEq(handler.settledEvents(id), isSettled ? 1 : 0, "RequestSettled count");
            assertEq(handler.refundedEvents(id), isRefund ? 1 : 0, "RequestRefunded count");
            assertEq(
                handler.failedEvents(id),
                expected == RequestStatus.Failed ? 1 : 0,
                "RequestFailed count"
            );
            if (isSettled) ++settled;
            if (expected == RequestStatus.Refunded) ++refunded;
            if (expected == RequestStatus.Failed) ++failed;
        }
        assertEq(settled, handler.ghostSettled(), "settled requests");
        assertEq(refunded, handler.ghostRefunded(), "refunded requests");
        assertEq(failed, handler.ghostFailed(), "failed requests");
    }
}
