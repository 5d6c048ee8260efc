// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";

/// @title VerityTimelock
/// @notice Holds every admin role of the protocol (the worker registry's default and environment
/// admin roles, the hub's, the quorum coordinator's and the dispute resolver's default admin
/// roles), so each change to parameters, environments or roles is announced by a scheduled
/// operation at least `getMinDelay()` before it can take effect: workers and requesters who
/// disagree can leave first. Pausing is not behind it: a guardian holds the hub's `PAUSER_ROLE`.
/// @dev OpenZeppelin's `TimelockController` unchanged, with no separate admin: only the timelock
/// itself (through a delayed operation) can grant its roles or change its delay, so no account
/// can skip the wait.
contract VerityTimelock is TimelockController {
    /// @param minDelaySeconds The least time between scheduling an operation and executing it.
    /// @param proposers Who may schedule (and cancel) operations: the governor.
    /// @param executors Who may execute ready operations; `address(0)` lets anyone.
    constructor(
        uint256 minDelaySeconds,
        address[] memory proposers,
        address[] memory executors
    ) TimelockController(minDelaySeconds, proposers, executors, address(0)) {}
}
