// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IQuorumRounds
/// @notice Commit-reveal rounds in which independent workers each run a model on the same input and
/// the output that `quorum` of them agree on wins. Shared by the `QuorumCoordinator` (QUORUM
/// requests) and the `DisputeResolver` (juries for challenged ATTESTED results); a round's id is
/// the request id.
///
/// A round has `2 * quorum - 1` seats, so at most one output can ever reach `quorum` votes, and
/// fewer than `quorum` colluding seat holders can neither decide an output nor stop the honest
/// ones from deciding. Seats go to the first eligible workers to commit. Commits are open until
/// every seat is taken or `commitEndsAt`; reveals start only then, so nobody can copy an output
/// they saw revealed, and end at `revealEndsAt`. When the round closes (everyone revealed, or the
/// reveal phase is over), members who revealed the decided output share the round's reward and
/// the stake slashed from members who revealed another output; members who never revealed get
/// nothing. A round that never decides slashes nobody.
interface IQuorumRounds {
    enum RoundStatus {
        None,
        /// Taking commits, then reveals; no output has `quorum` votes yet.
        Open,
        /// An output has `quorum` votes and its outcome was applied; late reveals still count.
        Decided,
        /// Paid out and slashed: final.
        Closed
    }

    /// @notice One round, in three slots.
    struct Round {
        // slot 0: commitEndsAt (8) | revealEndsAt (8) | quorum (1) | seats (1) | committed (1) |
        // revealed (1) | status (1)
        /// Commits are refused from this time on (or once every seat is taken).
        uint64 commitEndsAt;
        /// Reveals are refused after this time.
        uint64 revealEndsAt;
        /// Matching reveals that decide the round.
        uint8 quorum;
        /// Always `2 * quorum - 1`.
        uint8 seats;
        uint8 committed;
        uint8 revealed;
        RoundStatus status;
        // slot 1: rewardWei (12) | sponsor (20)
        /// Shared at close by the members who revealed the decided output.
        uint96 rewardWei;
        /// Who paid `rewardWei` up front and is refunded if the round never decides (zero when
        /// the reward only arrives with the decision).
        address sponsor;
        // slot 2
        /// The output hash that reached `quorum` votes, or zero.
        bytes32 decidedOutputHash;
    }

    /// @notice A round opened with `seats` = 2 * quorum - 1 seats and its phase deadlines.
    event RoundOpened(
        uint256 indexed roundId,
        uint8 quorum,
        uint8 seats,
        uint64 commitEndsAt,
        uint64 revealEndsAt
    );
    /// @notice A worker took seat `seat` with a commitment to its output.
    event Committed(
        uint256 indexed roundId,
        address indexed worker,
        uint8 seat,
        bytes32 commitment
    );
    /// @notice A member opened its commitment: the output it committed to.
    event Revealed(
        uint256 indexed roundId,
        address indexed worker,
        bytes32 outputHash,
        bytes output
    );
    /// @notice `quorum` members revealed the same output: it is the round's decision.
    event QuorumReached(uint256 indexed roundId, bytes32 outputHash);
    /// @notice A member revealed an output other than the decided one, or took a seat and never
    /// revealed (a seat is a promise to reveal: silent seats could otherwise block any quorum).
    event MemberSlashed(uint256 indexed roundId, address indexed worker, uint256 slashedWei);
    /// @notice A member's share of the round's reward and slashes was credited.
    event MemberPaid(uint256 indexed roundId, address indexed worker, uint256 amountWei);
    /// @notice `paidWei` is the reward plus the slashed stake shared among `agreeing` members. An
    /// undecided round refunds its sponsor, if any, and shares only the stake slashed from silent
    /// members (`paidWei == slashedWei`) among those who revealed.
    event RoundClosed(
        uint256 indexed roundId,
        bool decided,
        uint8 agreeing,
        uint256 paidWei,
        uint256 slashedWei
    );
    /// @notice `account` was credited (a refunded sponsor, a callback fee, a treasury share).
    event Credited(address indexed account, uint256 amountWei);
    /// @notice `account` took its credited balance, sent to `to`.
    event Withdrawn(address indexed account, address indexed to, uint256 amountWei);

    /// @notice A request or dispute has one round.
    error RoundAlreadyOpen(uint256 roundId);
    /// @notice The round is in `status`, not open for this step.
    error RoundNotOpen(uint256 roundId, RoundStatus status);
    /// @notice Too little time is left before the request's deadline (or the dispute's timeout)
    /// for a commit phase and a full reveal phase.
    error RoundTooLate(uint256 roundId, uint64 endsBy);
    /// @notice Commits closed at `commitEndsAt`.
    error CommitPhaseOver(uint256 roundId, uint64 commitEndsAt);
    /// @notice Every seat is taken.
    error SeatsTaken(uint256 roundId, uint8 seats);
    /// @notice A worker holds one seat per round.
    error AlreadyCommitted(uint256 roundId, address worker);
    /// @notice A commitment cannot be zero.
    error EmptyCommitment();
    /// @notice Only workers staked at least the minimum on an approved environment take seats.
    error NotEligible(address worker);
    /// @notice The worker is a party to the dispute this round decides.
    error PartyCannotSit(uint256 roundId, address worker);
    /// @notice Reveals start when commits close, at `commitEndsAt`.
    error CommitPhaseOpen(uint256 roundId, uint64 commitEndsAt);
    /// @notice Reveals closed at `revealEndsAt`.
    error RevealPhaseOver(uint256 roundId, uint64 revealEndsAt);
    /// @notice The worker holds no seat in this round.
    error NotCommitted(uint256 roundId, address worker);
    /// @notice The member has revealed already.
    error AlreadyRevealed(uint256 roundId, address worker);
    /// @notice The output and salt do not open the member's commitment.
    error CommitmentMismatch(uint256 roundId, address worker);
    /// @notice Someone may still reveal: wait until everyone has or `revealEndsAt` has passed.
    error RoundNotClosable(uint256 roundId, uint64 revealEndsAt);
    /// @notice The caller has no credited balance.
    error NothingToWithdraw();
    /// @notice `to` refused the ETH of a withdrawal; the balance stays credited.
    error TransferFailed(address to, uint256 amountWei);
    /// @notice Only the hub and the worker registry send ETH here.
    error UnexpectedSender(address sender);
    /// @notice Parameters that break a round's guarantees (zero windows, a quorum out of range, a jury of one, a fee not below the bond).
    error InvalidConfig();

    // Commit and reveal take each contract's own context (see `IQuorumCoordinator` and
    // `IDisputeResolver`): the reveal that gives an output `quorum` votes applies the round's
    // outcome at once, and the last reveal closes the round.

    /// @notice Pays out and slashes once everyone has revealed or the reveal phase is over.
    /// Anyone may call it.
    function close(uint256 roundId) external;

    /// @notice Sends the caller's credited balance to `to`.
    function withdraw(address payable to) external;

    /// @notice What a worker commits to: binds the round, the contract, the chain and the worker,
    /// so a commitment cannot be copied by another worker or replayed elsewhere.
    function commitmentOf(
        uint256 roundId,
        address worker,
        bytes32 outputHash,
        bytes32 salt
    ) external view returns (bytes32);

    /// @notice The round's state.
    function getRound(uint256 roundId) external view returns (Round memory);

    /// @notice Seat holders in the order they committed.
    function membersOf(uint256 roundId) external view returns (address[] memory);

    /// @notice The worker's commitment, or once revealed the output hash it revealed (its low byte
    /// replaced by 1 committed, 2 revealed); zero when it holds no seat.
    function seatOf(uint256 roundId, address worker) external view returns (bytes32);

    /// @notice How many members revealed `outputHash`.
    function votesFor(uint256 roundId, bytes32 outputHash) external view returns (uint256);

    /// @notice What `account` may withdraw from this contract.
    function balanceOf(address account) external view returns (uint256);

    /// @notice Everything this contract owes: credited balances plus rewards held for open rounds.
    /// Always equal to its own balance plus what the hub has credited it.
    function liabilitiesWei() external view returns (uint256);
}
