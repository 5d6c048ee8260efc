// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {IAccessControlDefaultAdminRules} from "@openzeppelin/contracts/access/extensions/IAccessControlDefaultAdminRules.sol";
import {HubFixture} from "./utils/HubFixture.sol";
import {WorkerRegistry} from "../../contracts/WorkerRegistry.sol";
import {IWorkerRegistry} from "@verity/solidity/interfaces/IWorkerRegistry.sol";

/// @dev The fixture deploys the registry with `worker` and `otherWorker` staked `MIN_STAKE` on `ENV`.
contract WorkerRegistryTest is HubFixture {
    bytes32 internal constant ENV_2 = keccak256("verity-worker/0.2.0 onnxruntime/1.30 node/22");
    bytes32 internal constant UNAPPROVED_ENV = keccak256("unapproved");

    address internal newcomer = address(0xC0FFEE);
    address internal slasher = address(0x51A5);
    address internal stranger = address(0x5742);

    function setUp() public override {
        super.setUp();
        vm.deal(newcomer, 100 ether);
    }

    /// @dev The hub and a plain account standing in for any slasher.
    function _wireSlashers() internal override {
        address[] memory slashers = new address[](2);
        (slashers[0], slashers[1]) = (address(hub), slasher);
        workers.setSlashers(slashers);
    }

    // ---------------------------------------------------------------- register

    function test_register_storesStakeEnvironmentAndActivates() public {
        uint256 balanceBefore = address(workers).balance;
        vm.expectEmit();
        emit IWorkerRegistry.WorkerRegistered(newcomer, ENV, 2 ether);
        vm.prank(newcomer);
        workers.register{value: 2 ether}(ENV);

        IWorkerRegistry.Worker memory w = workers.getWorker(newcomer);
        assertEq(w.stakeWei, 2 ether, "stake");
        assertEq(w.environmentId, ENV, "environment");
        assertEq(bytes32(w.environmentTag), bytes32(bytes20(ENV)), "environment tag");
        assertEq(w.unbondingWei, 0, "unbonding");
        assertEq(workers.activeWorkerCount(), 3, "active count");
        assertTrue(_isActive(newcomer), "in the active list");
        assertTrue(workers.isEligible(newcomer), "eligible");
        workers.checkEligible(newcomer, ENV);
        assertEq(address(workers).balance, balanceBefore + 2 ether, "registry holds the stake");
    }

    function test_register_RevertWhen_StakeBelowMinimum() public {
        vm.prank(newcomer);
        vm.expectRevert(
            abi.encodeWithSelector(
                IWorkerRegistry.StakeBelowMinimum.selector,
                MIN_STAKE - 1,
                MIN_STAKE
            )
        );
        workers.register{value: MIN_STAKE - 1}(ENV);
    }

    function test_register_RevertWhen_EnvironmentNotApproved() public {
        vm.prank(newcomer);
        vm.expectRevert(
            abi.encodeWithSelector(IWorkerRegistry.EnvironmentNotApproved.selector, UNAPPROVED_ENV)
        );
        workers.register{value: MIN_STAKE}(UNAPPROVED_ENV);
    }

    function test_register_RevertWhen_AlreadyRegistered() public {
        vm.prank(worker);
        vm.expectRevert(abi.encodeWithSelector(IWorkerRegistry.AlreadyRegistered.selector, worker));
        workers.register{value: MIN_STAKE}(ENV);
    }

    // ---------------------------------------------------------------- addStake

    function test_addStake_increasesStake() public {
        vm.expectEmit();
        emit IWorkerRegistry.StakeAdded(worker, 0.5 ether, MIN_STAKE + 0.5 ether);
        vm.prank(worker);
        workers.addStake{value: 0.5 ether}();
        assertEq(workers.getWorker(worker).stakeWei, MIN_STAKE + 0.5 ether, "stake");
    }

    function test_addStake_reactivatesAboveMinimum() public {
        vm.prank(worker);
        workers.startUnbonding(0.5 ether);
        assertFalse(_isActive(worker), "deactivated");
        vm.prank(worker);
        workers.addStake{value: 0.5 ether}();
        assertTrue(_isActive(worker), "active again");
        assertTrue(workers.isEligible(worker), "eligible again");
    }

    function test_addStake_RevertWhen_AmountZero() public {
        vm.prank(worker);
        vm.expectRevert(IWorkerRegistry.AmountZero.selector);
        workers.addStake();
    }

    function test_addStake_RevertWhen_NotRegistered() public {
        vm.prank(newcomer);
        vm.expectRevert(abi.encodeWithSelector(IWorkerRegistry.NotRegistered.selector, newcomer));
        workers.addStake{value: 1 ether}();
    }

    // ---------------------------------------------------------------- changeEnvironment

    function test_changeEnvironment_updatesEnvironmentAndTag() public {
        vm.prank(admin);
        workers.approveEnvironment(ENV_2, "v0.2");
        vm.expectEmit();
        emit IWorkerRegistry.EnvironmentChanged(worker, ENV_2);
        vm.prank(worker);
        workers.changeEnvironment(ENV_2);

        IWorkerRegistry.Worker memory w = workers.getWorker(worker);
        assertEq(w.environmentId, ENV_2, "environment");
        assertEq(bytes32(w.environmentTag), bytes32(bytes20(ENV_2)), "tag");
        workers.checkEligible(worker, ENV_2);
        vm.expectRevert(
            abi.encodeWithSelector(IWorkerRegistry.EnvironmentMismatch.selector, worker, ENV_2, ENV)
        );
        workers.checkEligible(worker, ENV);
    }

    function test_changeEnvironment_RevertWhen_EnvironmentNotApproved() public {
        vm.prank(worker);
        vm.expectRevert(
            abi.encodeWithSelector(IWorkerRegistry.EnvironmentNotApproved.selector, UNAPPROVED_ENV)
        );
        workers.changeEnvironment(UNAPPROVED_ENV);
    }

    function test_changeEnvironment_RevertWhen_NotRegistered() public {
        vm.prank(newcomer);
        vm.expectRevert(abi.encodeWithSelector(IWorkerRegistry.NotRegistered.selector, newcomer));
        workers.changeEnvironment(ENV);
    }

    // ---------------------------------------------------------------- unbonding

    function test_startUnbonding_keepsActiveAtOrAboveMinimum() public {
        vm.prank(worker);
        workers.addStake{value: 1 ether}();
        uint64 withdrawableAt = uint64(block.timestamp) + UNBONDING_DELAY;
        vm.expectEmit();
        emit IWorkerRegistry.UnbondingStarted(worker, 1 ether, withdrawableAt);
        vm.prank(worker);
        workers.startUnbonding(1 ether);

        IWorkerRegistry.Worker memory w = workers.getWorker(worker);
        assertEq(w.stakeWei, MIN_STAKE, "stake");
        assertEq(w.unbondingWei, 1 ether, "unbonding");
        assertEq(w.withdrawableAt, withdrawableAt, "withdrawable at");
        assertTrue(_isActive(worker), "still active");
        workers.checkEligible(worker, ENV);
    }

    function test_startUnbonding_belowMinimumDeactivates() public {
        vm.prank(worker);
        workers.startUnbonding(1);

        assertEq(workers.activeWorkerCount(), 1, "active count");
        assertFalse(_isActive(worker), "not in the active list");
        assertFalse(workers.isEligible(worker), "not eligible");
        vm.expectRevert(
            abi.encodeWithSelector(
                IWorkerRegistry.StakeBelowMinimum.selector,
                MIN_STAKE - 1,
                MIN_STAKE
            )
        );
        workers.checkEligible(worker, ENV);
        for (uint256 seed; seed < 8; ++seed) {
            assertEq(workers.pickWorker(seed), otherWorker, "picks only the staked worker");
        }
    }

    function test_startUnbonding_restartsDelayForEverythingUnbonding() public {
        vm.prank(worker);
        workers.startUnbonding(0.2 ether);
        vm.warp(block.timestamp + 5 days);
        vm.prank(worker);
        workers.startUnbonding(0.3 ether);
        IWorkerRegistry.Worker memory w = workers.getWorker(worker);
        assertEq(w.unbondingWei, 0.5 ether, "unbonding");
        assertEq(w.withdrawableAt, uint64(block.timestamp) + UNBONDING_DELAY, "restarted delay");
    }

    function test_startUnbonding_RevertWhen_AmountExceedsStake() public {
        vm.prank(worker);
        vm.expectRevert(
            abi.encodeWithSelector(
                IWorkerRegistry.AmountExceedsStake.selector,
                MIN_STAKE + 1,
                MIN_STAKE
            )
        );
        workers.startUnbonding(MIN_STAKE + 1);
    }

    function test_startUnbonding_RevertWhen_AmountZero() public {
        vm.prank(worker);
        vm.expectRevert(IWorkerRegistry.AmountZero.selector);
        workers.startUnbonding(0);
    }

    function test_withdraw_RevertWhen_UnbondingNotFinished() public {
        vm.prank(worker);
        workers.startUnbonding(0.4 ether);
        uint64 withdrawableAt = uint64(block.timestamp) + UNBONDING_DELAY;
        vm.warp(withdrawableAt - 1);
        vm.prank(worker);
        vm.expectRevert(
            abi.encodeWithSelector(IWorkerRegistry.UnbondingNotFinished.selector, withdrawableAt)
        );
        workers.withdraw();
    }

    function test_withdraw_paysOutAfterDelay() public {
        vm.prank(worker);
        workers.startUnbonding(0.4 ether);
        vm.warp(block.timestamp + UNBONDING_DELAY);
        uint256 balanceBefore = worker.balance;
        vm.expectEmit();
        emit IWorkerRegistry.StakeWithdrawn(worker, 0.4 ether);
        vm.prank(worker);
        workers.withdraw();
        assertEq(worker.balance, balanceBefore + 0.4 ether, "paid out");
        assertEq(workers.getWorker(worker).unbondingWei, 0, "nothing left unbonding");
        assertEq(workers.getWorker(worker).stakeWei, MIN_STAKE - 0.4 ether, "stake untouched");
    }

    function test_withdraw_RevertWhen_NothingToWithdraw() public {
        vm.prank(worker);
        vm.expectRevert(IWorkerRegistry.NothingToWithdraw.selector);
        workers.withdraw();
    }

    // ---------------------------------------------------------------- environments

    function test_approveEnvironment_RevertWhen_AccessControlUnauthorizedAccount() public {
        bytes32 role = workers.ENVIRONMENT_ADMIN_ROLE();
        vm.prank(stranger);
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector,
                stranger,
                role
            )
        );
        workers.approveEnvironment(ENV_2, "nope");
    }

    function test_revokeEnvironment_RevertWhen_AccessControlUnauthorizedAccount() public {
        bytes32 role = workers.ENVIRONMENT_ADMIN_ROLE();
        vm.prank(stranger);
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector,
                stranger,
                role
            )
        );
        workers.revokeEnvironment(ENV);
    }

    function test_approveEnvironment_RevertWhen_EnvironmentAlreadyApproved() public {
        vm.prank(admin);
        vm.expectRevert(
            abi.encodeWithSelector(IWorkerRegistry.EnvironmentAlreadyApproved.selector, ENV)
        );
        workers.approveEnvironment(ENV, "again");
    }

    function test_revokeEnvironment_suspendsEveryWorkerOnIt() public {
        vm.expectEmit();
        emit IWorkerRegistry.EnvironmentRevoked(ENV);
        vm.prank(admin);
        workers.revokeEnvironment(ENV);

        assertFalse(workers.isEnvironmentApproved(ENV), "revoked");
        assertFalse(workers.isEligible(worker), "worker suspended");
        assertFalse(workers.isEligible(otherWorker), "other worker suspended");
        vm.expectRevert(
            abi.encodeWithSelector(IWorkerRegistry.EnvironmentNotApproved.selector, ENV)
        );
        workers.checkEligible(worker, ENV);
        vm.expectRevert(
            abi.encodeWithSelector(IWorkerRegistry.EnvironmentNotApproved.selector, ENV)
        );
        workers.checkEligible(otherWorker, ENV);
        for (uint256 seed; seed < 8; ++seed) {
            assertEq(workers.pickWorker(seed), address(0), "no suspended worker is picked");
        }
    }

    function test_revokeEnvironment_workerMovesAheadWhileStillApproved() public {
        vm.prank(admin);
        workers.approveEnvironment(ENV_2, "v0.2");
        // The revocation is scheduled in the timelock; the worker upgrades before it executes.
        vm.prank(worker);
        workers.changeEnvironment(ENV_2);
        vm.prank(admin);
        workers.revokeEnvironment(ENV);
        assertTrue(workers.isEligible(worker), "eligible on the new environment");
        workers.checkEligible(worker, ENV_2);
    }

    function test_revokeEnvironment_workerReturnsOnlyAfterExiting() public {
        vm.startPrank(admin);
        workers.revokeEnvironment(ENV);
        workers.approveEnvironment(ENV_2, "v0.2");
        vm.stopPrank();

        vm.prank(worker);
        vm.expectRevert(
            abi.encodeWithSelector(
                IWorkerRegistry.RevokedWorkerStillBonded.selector,
                worker,
                ENV,
                MIN_STAKE
            )
        );
        workers.changeEnvironment(ENV_2);

        vm.prank(worker);
        workers.startUnbonding(MIN_STAKE);
        vm.prank(worker);
        vm.expectRevert(
            abi.encodeWithSelector(
                IWorkerRegistry.RevokedWorkerStillBonded.selector,
                worker,
                ENV,
                MIN_STAKE
            )
        );
        workers.changeEnvironment(ENV_2);

        vm.warp(block.timestamp + UNBONDING_DELAY);
        vm.startPrank(worker);
        workers.withdraw();
        workers.changeEnvironment(ENV_2);
        workers.addStake{value: MIN_STAKE}();
        vm.stopPrank();
        assertTrue(workers.isEligible(worker), "back on an approved environment");
        workers.checkEligible(worker, ENV_2);
    }

    function test_revokeEnvironment_reapprovalResumesItsWorkers() public {
        vm.startPrank(admin);
        workers.revokeEnvironment(ENV);
        workers.approveEnvironment(ENV, "fixed after all");
        vm.stopPrank();
        assertTrue(workers.isEligible(worker), "eligible again");
    }

    function test_revokeEnvironment_RevertWhen_EnvironmentNotApproved() public {
        vm.prank(admin);
        vm.expectRevert(
            abi.encodeWithSelector(IWorkerRegistry.EnvironmentNotApproved.selector, ENV_2)
        );
        workers.revokeEnvironment(ENV_2);
    }

    function test_checkEligible_RevertWhen_NotRegistered() public {
        vm.expectRevert(abi.encodeWithSelector(IWorkerRegistry.NotRegistered.selector, newcomer));
        workers.checkEligible(newcomer, ENV);
    }

    // ---------------------------------------------------------------- slash

    function test_slash_RevertWhen_NotSlasher() public {
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(IWorkerRegistry.NotSlasher.selector, stranger));
        workers.slash(worker, 1);
    }

    function test_slash_RevertWhen_AdminIsNotSlasher() public {
        vm.prank(admin);
        vm.expectRevert(abi.encodeWithSelector(IWorkerRegistry.NotSlasher.selector, admin));
        workers.slash(worker, 1);
    }

    // ---------------------------------------------------------------- default admin handover

    function test_beginDefaultAdminTransfer_takesEffectOnlyAfterTheDelay() public {
        address successor = address(0x5CCE);
        vm.prank(admin);
        workers.beginDefaultAdminTransfer(successor);
        uint48 acceptableAfter = uint48(block.timestamp) + ADMIN_TRANSFER_DELAY;
        vm.prank(successor);
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControlDefaultAdminRules.AccessControlEnforcedDefaultAdminDelay.selector,
                acceptableAfter
            )
        );
        workers.acceptDefaultAdminTransfer();

        vm.warp(acceptableAfter + 1);
        vm.prank(successor);
        workers.acceptDefaultAdminTransfer();
        assertEq(workers.defaultAdmin(), successor, "handed over");
        assertFalse(workers.hasRole(bytes32(0), admin), "the old admin lost the role");
    }

    function test_grantRole_RevertWhen_AccessControlEnforcedDefaultAdminRules() public {
        vm.prank(admin);
        vm.expectRevert(
            IAccessControlDefaultAdminRules.AccessControlEnforcedDefaultAdminRules.selector
        );
        workers.grantRole(bytes32(0), stranger);
    }

    // ---------------------------------------------------------------- setSlashers

    function test_setSlashers_fixesTheSetAtDeployment() public view {
        address[] memory set = workers.slashers();
        assertEq(set.length, 2, "two slashers");
        assertEq(set[0], address(hub), "hub");
        assertEq(set[1], slasher, "slasher");
        assertTrue(workers.isSlasher(address(hub)), "hub is a slasher");
        assertFalse(workers.isSlasher(admin), "the admin is not");
        assertEq(workers.DEPLOYER(), address(this), "deployer");
    }

    function test_setSlashers_emitsSlashersSet() public {
        WorkerRegistry fresh = new WorkerRegistry(admin, MIN_STAKE, UNBONDING_DELAY, 0);
        address[] memory set = new address[](1);
        set[0] = address(hub);
        vm.expectEmit();
        emit IWorkerRegistry.SlashersSet(set);
        fresh.setSlashers(set);
    }

    function test_setSlashers_RevertWhen_SlashersAlreadySet() public {
        address[] memory more = new address[](1);
        more[0] = stranger;
        vm.expectRevert(IWorkerRegistry.SlashersAlreadySet.selector);
        workers.setSlashers(more);
    }

    function test_setSlashers_RevertWhen_NotDeployer() public {
        WorkerRegistry fresh = new WorkerRegistry(admin, MIN_STAKE, UNBONDING_DELAY, 0);
        address[] memory set = new address[](1);
        set[0] = admin;
        vm.prank(admin);
        vm.expectRevert(abi.encodeWithSelector(IWorkerRegistry.NotDeployer.selector, admin));
        fresh.setSlashers(set);
    }

    function test_setSlashers_RevertWhen_InvalidSlasher() public {
        WorkerRegistry fresh = new WorkerRegistry(admin, MIN_STAKE, UNBONDING_DELAY, 0);
        vm.expectRevert(
            abi.encodeWithSelector(IWorkerRegistry.InvalidSlasher.selector, address(0))
        );
        fresh.setSlashers(new address[](0));
        address[] memory set = new address[](2);
        set[0] = address(hub);
        vm.expectRevert(
            abi.encodeWithSelector(IWorkerRegistry.InvalidSlasher.selector, address(0))
        );
        fresh.setSlashers(set);
    }

    // ---------------------------------------------------------------- extendSlashableUntil

    function test_extendSlashableUntil_holdsBackWithdrawalUntilLater() public {
        vm.prank(worker);
        workers.startUnbonding(0.5 ether);
        uint64 until = _hourCeil(uint64(block.timestamp) + UNBONDING_DELAY + 2 days);
        vm.expectEmit();
        emit IWorkerRegistry.SlashableUntilExtended(worker, until, address(hub));
        vm.prank(address(hub));
        workers.extendSlashableUntil(worker, until - 10);
        assertEq(workers.getWorker(worker).slashableUntil, until, "rounded up to the hour");

        vm.warp(block.timestamp + UNBONDING_DELAY);
        vm.prank(worker);
        vm.expectRevert(
            abi.encodeWithSelector(IWorkerRegistry.UnbondingNotFinished.selector, until)
        );
        workers.withdraw();
        vm.warp(until);
        vm.prank(worker);
        workers.withdraw();
        assertEq(workers.getWorker(worker).unbondingWei, 0, "paid out after the lock");
    }

    function test_extendSlashableUntil_neverShortens() public {
        uint64 later = _hourCeil(uint64(block.timestamp) + 5 days);
        vm.startPrank(address(hub));
        workers.extendSlashableUntil(worker, later);
        workers.extendSlashableUntil(worker, later - 2 days);
        vm.stopPrank();
        assertEq(workers.getWorker(worker).slashableUntil, later, "kept the later lock");
    }

    function test_extendSlashableUntil_keepsTheSlotsOtherFields() public {
        vm.prank(worker);
        workers.startUnbonding(0.25 ether);
        IWorkerRegistry.Worker memory before = workers.getWorker(worker);
        vm.prank(slasher);
        workers.extendSlashableUntil(worker, uint64(block.timestamp) + 1 days);
        IWorkerRegistry.Worker memory afterLock = workers.getWorker(worker);
        assertEq(afterLock.unbondingWei, before.unbondingWei, "unbonding");
        assertEq(afterLock.withdrawableAt, before.withdrawableAt, "withdrawable at");
        assertEq(afterLock.stakeWei, before.stakeWei, "stake");
    }

    function test_extendSlashableUntil_RevertWhen_NotSlasher() public {
        vm.prank(admin);
        vm.expectRevert(abi.encodeWithSelector(IWorkerRegistry.NotSlasher.selector, admin));
        workers.extendSlashableUntil(worker, type(uint64).max);
    }

    function test_extendSlashableUntil_gas() public {
        vm.prank(address(hub));
        workers.extendSlashableUntil(worker, uint64(block.timestamp) + 3 days);
        vm.snapshotGasLastCall("WorkerRegistry", "extendSlashableUntil.firstWrite");
        vm.warp(block.timestamp + 2 hours);
        vm.prank(address(hub));
        workers.extendSlashableUntil(worker, uint64(block.timestamp) + 3 days);
        vm.snapshotGasLastCall("WorkerRegistry", "extendSlashableUntil.laterHour");
        vm.prank(address(hub));
        workers.extendSlashableUntil(worker, uint64(block.timestamp) + 3 days);
        vm.snapshotGasLastCall("WorkerRegistry", "extendSlashableUntil.sameHour");
    }

    function test_slash_takesStakeThenUnbondingAndPaysCaller() public {
        vm.prank(worker);
        workers.startUnbonding(0.4 ether); // stake 0.6, unbonding 0.4
        uint256 registryBefore = address(workers).balance;

        vm.expectEmit();
        emit IWorkerRegistry.WorkerSlashed(worker, 0.8 ether, slasher);
        vm.prank(slasher);
        uint256 slashed = workers.slash(worker, 0.8 ether);

        assertEq(slashed, 0.8 ether, "slashed");
        IWorkerRegistry.Worker memory w = workers.getWorker(worker);
        assertEq(w.stakeWei, 0, "stake taken first");
        assertEq(w.unbondingWei, 0.2 ether, "then unbonding");
        assertEq(slasher.balance, 0.8 ether, "caller paid");
        assertEq(address(workers).balance, registryBefore - 0.8 ether, "registry paid out");
    }

    function test_slash_fromStakeOnlyWhenEnough() public {
        vm.prank(worker);
        workers.addStake{value: 1 ether}();
        vm.prank(slasher);
        workers.slash(worker, 0.5 ether);
        IWorkerRegistry.Worker memory w = workers.getWorker(worker);
        assertEq(w.stakeWei, 1.5 ether, "stake");
        assertTrue(_isActive(worker), "still above the minimum");
    }

    function test_slash_moreThanAvailableTakesAll() public {
        vm.prank(worker);
        workers.startUnbonding(0.3 ether);
        vm.prank(slasher);
        uint256 slashed = workers.slash(worker, 50 ether);
        assertEq(slashed, MIN_STAKE, "everything");
        IWorkerRegistry.Worker memory w = workers.getWorker(worker);
        assertEq(w.stakeWei, 0, "no stake");
        assertEq(w.unbondingWei, 0, "no unbonding");
        assertEq(slasher.balance, MIN_STAKE, "caller paid");
        assertFalse(_isActive(worker), "deactivated");
        assertFalse(workers.isEligible(worker), "ineligible");
    }

    function test_slash_unknownWorkerTakesNothing() public {
        vm.prank(slasher);
        uint256 slashed = workers.slash(stranger, 1 ether);
        assertEq(slashed, 0, "nothing");
        assertEq(slasher.balance, 0, "nothing paid");
    }

    // ---------------------------------------------------------------- fuzz

    function testFuzz_slash_neverExceedsHoldings(
        uint256 extraStake,
        uint256 unbondSeed,
        uint256 amountWei
    ) public {
        extraStake = bound(extraStake, 0, 5 ether);
        if (extraStake > 0) {
            vm.prank(worker);
            workers.addStake{value: extraStake}();
        }
        uint256 stake = MIN_STAKE + extraStake;
        uint256 unbond = bound(unbondSeed, 0, stake);
        if (unbond > 0) {
            vm.prank(worker);
            workers.startUnbonding(unbond);
        }
        uint256 holdings = stake;
        uint256 registryBefore = address(workers).balance;

        vm.prank(slasher);
        uint256 slashed = workers.slash(worker, amountWei);

        uint256 expected = amountWei < holdings ? amountWei : holdings;
        assertEq(slashed, expected, "slashed = min(amount, stake + unbonding)");
        IWorkerRegistry.Worker memory w = workers.getWorker(worker);
        assertEq(uint256(w.stakeWei) + w.unbondingWei, holdings - slashed, "holdings reduced");
        uint256 fromStake = amountWei < stake - unbond ? amountWei : stake - unbond;
        assertEq(w.stakeWei, stake - unbond - fromStake, "stake taken first");
        assertEq(slasher.balance, slashed, "caller paid");
        assertEq(address(workers).balance, registryBefore - slashed, "registry balance");
        assertEq(_isActive(worker), w.stakeWei >= MIN_STAKE, "active iff staked the minimum");
    }

    function testFuzz_unbonding_conservesStake(
        uint256 extraStake,
        uint256 firstSeed,
        uint256 secondSeed,
        uint256 waitSeconds
    ) public {
        extraStake = bound(extraStake, 0, 5 ether);
        if (extraStake > 0) {
            vm.prank(worker);
            workers.addStake{value: extraStake}();
        }
        uint256 total = MIN_STAKE + extraStake;
        uint256 first = bound(firstSeed, 1, total);
        vm.prank(worker);
        workers.startUnbonding(first);
        uint256 second = bound(secondSeed, 0, total - first);
        if (second > 0) {
            vm.warp(block.timestamp + bound(waitSeconds, 0, UNBONDING_DELAY));
            vm.prank(worker);
            workers.startUnbonding(second);
        }
        IWorkerRegistry.Worker memory w = workers.getWorker(worker);
        assertEq(uint256(w.stakeWei) + w.unbondingWei, total, "stake + unbonding conserved");
        assertEq(w.unbondingWei, first + second, "unbonding");
        assertEq(_isActive(worker), w.stakeWei >= MIN_STAKE, "active iff staked the minimum");

        vm.warp(w.withdrawableAt);
        uint256 balanceBefore = worker.balance;
        uint256 registryBefore = address(workers).balance;
        vm.prank(worker);
        workers.withdraw();
        assertEq(worker.balance, balanceBefore + first + second, "paid out");
        assertEq(address(workers).balance, registryBefore - first - second, "registry paid");
        assertEq(workers.getWorker(worker).stakeWei, total - first - second, "stake left");
    }

    function testFuzz_pickWorker_returnsActiveWorker(uint256 seed, uint8 extraWorkers) public {
        extraWorkers = uint8(bound(extraWorkers, 0, 5));
        for (uint256 i; i < extraWorkers; ++i) {
            address account = address(uint160(0x1000 + i));
            vm.deal(account, MIN_STAKE);
            vm.prank(account);
            workers.register{value: MIN_STAKE}(ENV);
        }
        // One worker unbonds below the minimum: it must never be picked.
        vm.prank(otherWorker);
        workers.startUnbonding(1);

        address picked = workers.pickWorker(seed);
        assertTrue(picked != address(0), "someone is eligible");
        assertTrue(picked != otherWorker, "not the unbonded worker");
        assertTrue(_isActive(picked), "picked from the active list");
        assertTrue(workers.isEligible(picked), "picked worker is eligible");
        workers.checkEligible(picked, ENV);
    }

    // ---------------------------------------------------------------- helpers

    function _hourCeil(uint64 t) private pure returns (uint64) {
        return ((t + 1 hours - 1) / 1 hours) * 1 hours;
    }

    function _isActive(address account) private view returns (bool) {
        address[] memory active = workers.activeWorkers();
        for (uint256 i; i < active.length; ++i) if (active[i] == account) return true;
        return false;
    }
}
