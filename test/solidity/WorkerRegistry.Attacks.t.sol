// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {HubFixture} from "./utils/HubFixture.sol";
import {IWorkerRegistry} from "@verity/solidity/interfaces/IWorkerRegistry.sol";
import {FailureReason, Request} from "@verity/solidity/types/Inference.sol";

/// @dev Attacks on the worker registry by the parties that may be hostile: the registry admin,
/// the environment admin and a worker holding several addresses. Each test asserts the attack
/// fails. Calls the registry may refuse go through `_try` (a low-level call), so a test states the
/// attack's outcome rather than one revert reason, and the file compiles against any version of
/// the registry it is meant to break.
contract WorkerRegistryAttacksTest is HubFixture {
    bytes32 internal constant ENV_2 = keccak256("verity-worker/0.2.0 onnxruntime/1.30 node/22");
    /// @dev The role that once let its holders slash, spelled out: an admin can grant any role id.
    bytes32 internal constant SLASHER_ROLE_ID = keccak256("SLASHER_ROLE");

    address internal accomplice = address(0xBAD);

    // ------------------------------------------------------------------ slashing by the admin

    function test_Attack_AdminGrantsItselfSlasherAndSlashesWorker() public {
        _try(admin, abi.encodeWithSignature("grantRole(bytes32,address)", SLASHER_ROLE_ID, admin));
        uint256 adminBefore = admin.balance;

        _try(admin, abi.encodeWithSignature("slash(address,uint256)", worker, MIN_STAKE));

        assertEq(workers.getWorker(worker).stakeWei, MIN_STAKE, "the admin slashed a worker");
        assertEq(admin.balance, adminBefore, "the admin took slashed stake");
    }

    function test_Attack_AdminGrantsAccompliceSlasherAndSlashesWorker() public {
        _try(
            admin,
            abi.encodeWithSignature("grantRole(bytes32,address)", SLASHER_ROLE_ID, accomplice)
        );

        _try(accomplice, abi.encodeWithSignature("slash(address,uint256)", worker, MIN_STAKE));

        assertEq(workers.getWorker(worker).stakeWei, MIN_STAKE, "an accomplice slashed a worker");
        assertEq(accomplice.balance, 0, "the accomplice took slashed stake");
    }

    function test_Attack_AdminRemovesHubAsSlasherToShieldDishonestWorker() public {
        _try(
            admin,
            abi.encodeWithSignature("revokeRole(bytes32,address)", SLASHER_ROLE_ID, address(hub))
        );

        // A dispute the worker lost must still cost it its stake.
        vm.prank(address(hub));
        uint256 slashedWei = workers.slash(worker, SLASH_AMOUNT);

        assertEq(slashedWei, SLASH_AMOUNT, "the hub can no longer slash");
    }

    // ------------------------------------------------------------------ revocation

    function test_Attack_RevokedWorkerEscapesByChangingEnvironment() public {
        vm.startPrank(admin);
        workers.approveEnvironment(ENV_2, "v0.2");
        workers.revokeEnvironment(ENV);
        vm.stopPrank();

        // The revoked build's worker re-declares the other approved build and carries on.
        _try(worker, abi.encodeWithSignature("changeEnvironment(bytes32)", ENV_2));

        assertFalse(workers.isEligible(worker), "a revoked worker is eligible again at once");
        (bool accepted, ) = address(workers).staticcall(
            abi.encodeCall(IWorkerRegistry.checkEligible, (worker, ENV_2))
        );
        assertFalse(accepted, "a revoked worker's results are accepted on another environment");
    }

    function test_Attack_RevokedWorkerSubmitsResultOnRevokedEnvironment() public {
        Request memory request = _request();
        bytes memory output = _output(7);
        bytes memory signature = _signResult(WORKER_KEY, request, output, ENV);
        vm.prank(admin);
        workers.revokeEnvironment(ENV);

        assertFalse(workers.isEligible(worker), "isEligible accepts a revoked environment");
        (bool accepted, ) = address(workers).staticcall(
            abi.encodeCall(IWorkerRegistry.checkEligible, (worker, ENV))
        );
        assertFalse(accepted, "checkEligible accepts a revoked environment");
        (bool submitted, ) = address(hub).call(
            abi.encodeCall(hub.submitResult, (request, output, ENV, signature))
        );
        assertFalse(submitted, "the hub took a result signed on a revoked environment");
        (bool reported, ) = address(hub).call(
            abi.encodeCall(
                hub.reportFailure,
                (
                    request,
                    _input(),
                    FailureReason.InputUndecodable,
                    ENV,
                    _signFailure(WORKER_KEY, request, FailureReason.InputUndecodable)
                )
            )
        );
        assertFalse(reported, "the hub took a failure report signed on a revoked environment");
    }

    function test_Attack_RevokedWorkerRegistersSecondAddressOnRevokedEnvironment() public {
        vm.prank(admin);
        workers.revokeEnvironment(ENV);
        address second = address(0x5EC0);
        vm.deal(second, MIN_STAKE);

        _tryValue(second, MIN_STAKE, abi.encodeWithSignature("register(bytes32)", ENV));

        assertFalse(workers.isEligible(second), "a second address joined a revoked environment");
    }

    // ------------------------------------------------------------------ unbonding vs disputes

    /// @dev The hub's check that unbonding outlasts a dispute reads today's challenge window and
    /// dispute timeout: a result challengeable under yesterday's longer window, disputed under
    /// today's longer timeout, outlives an unbonding that started when it was submitted.
    function test_Attack_WorkerWithdrawsBeforeDisputeOverItsResultEnds() public {
        // Submitted under a 3-day window; the dispute timeout has since been raised to 6 days.
        uint64 disputableUntil = uint64(block.timestamp) + 3 days + 6 days;
        _try(
            address(hub),
            abi.encodeWithSignature("extendSlashableUntil(address,uint64)", worker, disputableUntil)
        );
        vm.prank(worker);
        workers.startUnbonding(MIN_STAKE);

        vm.warp(block.timestamp + UNBONDING_DELAY);
        _try(worker, abi.encodeWithSignature("withdraw()"));

        // The dispute ends against the worker before `disputableUntil`.
        vm.warp(disputableUntil - 1);
        vm.prank(address(hub));
        uint256 slashedWei = workers.slash(worker, SLASH_AMOUNT);
        assertEq(slashedWei, SLASH_AMOUNT, "the worker withdrew what its open dispute could slash");
    }

    function test_Attack_WorkerWithdrawsEarlierUnbondingAfterNewResult() public {
        // Unbond half, keep working on the other half, then answer one more request.
        vm.prank(worker);
        workers.addStake{value: MIN_STAKE}();
        vm.prank(worker);
        workers.startUnbonding(MIN_STAKE);
        vm.warp(block.timestamp + UNBONDING_DELAY - 1 hours);
        uint64 disputableUntil = uint64(block.timestamp) + CHALLENGE_WINDOW + DISPUTE_TIMEOUT;
        _try(
            address(hub),
            abi.encodeWithSignature("extendSlashableUntil(address,uint64)", worker, disputableUntil)
        );

        vm.warp(block.timestamp + 1 hours);
        _try(worker, abi.encodeWithSignature("withdraw()"));

        assertEq(
            workers.getWorker(worker).unbondingWei,
            MIN_STAKE,
            "unbonding stake left while a result it backed was open to dispute"
        );
    }

    // ------------------------------------------------------------------ admin handover

    function test_Attack_AdminHandsRegistryToAccompliceAtOnce() public {
        _try(admin, abi.encodeWithSignature("grantRole(bytes32,address)", bytes32(0), accomplice));

        (, bytes memory held) = address(workers).staticcall(
            abi.encodeWithSignature("hasRole(bytes32,address)", bytes32(0), accomplice)
        );
        assertFalse(abi.decode(held, (bool)), "the admin role changed hands without a delay");
    }

    // ------------------------------------------------------------------ helpers

    /// @dev Calls the registry as `from`; the attack's outcome is asserted afterwards.
    function _try(address from, bytes memory data) private {
        _tryValue(from, 0, data);
    }

    function _tryValue(address from, uint256 valueWei, bytes memory data) private {
        vm.prank(from);
        (bool ok, ) = address(workers).call{value: valueWei}(data);
        ok; // refused or not: the assertions say whether the attack worked
    }
}
