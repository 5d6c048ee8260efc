// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {IInferenceHub} from "@verity/solidity/interfaces/IInferenceHub.sol";
import {IQuorumRounds} from "@verity/solidity/interfaces/IQuorumRounds.sol";
import {IWorkerRegistry} from "@verity/solidity/interfaces/IWorkerRegistry.sol";

/// @title QuorumRounds
/// @notice Commit-reveal rounds decided by `quorum` matching reveals out of `2 * quorum - 1`
/// seats, with pull payments. See `IQuorumRounds`. A contract built on it opens rounds, applies
/// the decided output (`_reveal` says when) and supplies how much a dissenting member loses.
/// @dev Money: every wei this contract owes is either a credited balance or the reward of a round
/// not yet closed, and `_liabilitiesWei` is their sum. What it owns is its own balance plus what
/// the hub has credited it; a round's reward is counted only once it has arrived (or is arriving
/// in the same call), so the two are always equal.
abstract contract QuorumRounds is IQuorumRounds {
    /// @notice 15 seats at most: closing a round loops over them.
    uint8 public constant MAX_QUORUM = 8;
    bytes32 public constant COMMITMENT_DOMAIN = keccak256("Verity quorum commitment v1");

    IInferenceHub public immutable HUB;
    IWorkerRegistry public immutable WORKER_REGISTRY;

    bytes32 private constant STATE_MASK = bytes32(uint256(0xff));
    /// @dev Low byte of a seat: its hash is a commitment (1) or a revealed output hash (2).
    uint256 private constant SEAT_COMMITTED = 1;
    uint256 private constant SEAT_REVEALED = 2;

    mapping(uint256 roundId => Round) private _rounds;
    mapping(uint256 roundId => address[] members) private _members;
    /// @dev One slot per seat: 248 bits of the commitment, then of the revealed output hash, with
    /// the seat's state in the low byte (as the hub tags its commitments).
    mapping(uint256 roundId => mapping(address worker => bytes32 seat)) private _seats;
    mapping(uint256 roundId => mapping(bytes32 outputHash => uint256 votes)) private _votes;
    mapping(address account => uint256 balanceWei) private _balances;
    uint256 private _liabilitiesWei;

    constructor(IInferenceHub hub, IWorkerRegistry workerRegistry) {
        HUB = hub;
        WORKER_REGISTRY = workerRegistry;
    }

    /// @notice Takes the hub's payouts (`withdraw`) and slashed stake from the registry, nothing else.
    receive() external payable {
        if (msg.sender != address(HUB) && msg.sender != address(WORKER_REGISTRY)) {
            revert UnexpectedSender(msg.sender);
        }
    }

    /// @inheritdoc IQuorumRounds
    function close(uint256 roundId) external {
        _close(roundId);
    }

    /// @inheritdoc IQuorumRounds
    function withdraw(address payable to) external {
        uint256 amountWei = _balances[msg.sender];
        if (amountWei == 0) revert NothingToWithdraw();
        _balances[msg.sender] = 0;
        _liabilitiesWei -= amountWei;
        // Rewards and callback fees are credited to this contract in the hub; pull them when the
        // ETH at hand does not cover the payout (it then always does: see the contract's @dev).
        if (address(this).balance < amountWei) HUB.withdraw(payable(address(this)));
        emit Withdrawn(msg.sender, to, amountWei);
        (bool ok, ) = to.call{value: amountWei}("");
        if (!ok) revert TransferFailed(to, amountWei);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IQuorumRounds
    function commitmentOf(
        uint256 roundId,
        address worker,
        bytes32 outputHash,
        bytes32 salt
    ) public view returns (bytes32) {
        return
            keccak256(
                abi.encode(
                    COMMITMENT_DOMAIN,
                    block.chainid,
                    address(this),
                    roundId,
                    worker,
                    outputHash,
                    salt
                )
            );
    }

    /// @inheritdoc IQuorumRounds
    function getRound(uint256 roundId) external view returns (Round memory) {
        return _rounds[roundId];
    }

    /// @inheritdoc IQuorumRounds
    function membersOf(uint256 roundId) external view returns (address[] memory) {
        return _members[roundId];
    }

    /// @inheritdoc IQuorumRounds
    function seatOf(uint256 roundId, address worker) external view returns (bytes32) {
        return _seats[roundId][worker];
    }

    /// @inheritdoc IQuorumRounds
    function votesFor(uint256 roundId, bytes32 outputHash) external view returns (uint256) {
        return _votes[roundId][outputHash];
    }

    /// @inheritdoc IQuorumRounds
    function balanceOf(address account) external view returns (uint256) {
        return _balances[account];
    }

    /// @inheritdoc IQuorumRounds
    function liabilitiesWei() external view returns (uint256) {
        return _liabilitiesWei;
    }

    // ---------------------------------------------------------------- for the contracts built on it

    /// @dev Stake taken from each member who revealed an output other than the decided one, or who
    /// took a seat and never revealed.
    function _memberSlashWei() internal view virtual returns (uint256);

    /// @dev Whether members who never revealed in a round whose commits closed at the given time
    /// could not have (their reveal was refused), so that their silence is not slashed. Only what a
    /// contract built on this adds to a reveal can refuse it.
    function _silenceExcused(uint64) internal view virtual returns (bool) {
        return false;
    }

    /// @dev Reverts unless `worker` may take a seat in `roundId`: staked at least the minimum on an
    /// approved environment. A contract may add conditions.
    function _checkSeat(uint256, address worker) internal view virtual {
        if (!WORKER_REGISTRY.isEligible(worker)) revert NotEligible(worker);
    }

    function _roundStatus(uint256 roundId) internal view returns (RoundStatus) {
        return _rounds[roundId].status;
    }

    function _decidedOutputHash(uint256 roundId) internal view returns (bytes32) {
        return _rounds[roundId].decidedOutputHash;
    }

    /// @dev Opens a round. `rewardWei` is already held (paid by `sponsor`, refunded if the round
    /// never decides); zero when the reward arrives with the decision (`_addReward`).
    function _open(
        uint256 roundId,
        uint8 quorum,
        uint64 commitEndsAt,
        uint64 revealEndsAt,
        uint96 rewardWei,
        address sponsor
    ) internal {
        Round storage round = _rounds[roundId];
        if (round.status != RoundStatus.None) revert RoundAlreadyOpen(roundId);
        // quorum <= MAX_QUORUM is checked by the caller's config: 2 * 8 - 1 fits a uint8.
        uint8 seats = 2 * quorum - 1;
        round.commitEndsAt = commitEndsAt;
        round.revealEndsAt = revealEndsAt;
        round.quorum = quorum;
        round.seats = seats;
        round.status = RoundStatus.Open;
        if (rewardWei != 0) {
            round.rewardWei = rewardWei;
            round.sponsor = sponsor;
            _liabilitiesWei += rewardWei;
        }
        emit RoundOpened(roundId, quorum, seats, commitEndsAt, revealEndsAt);
    }

    function _commit(uint256 roundId, address worker, bytes32 commitment) internal {
        if (commitment == bytes32(0)) revert EmptyCommitment();
        Round storage round = _rounds[roundId];
        if (round.status != RoundStatus.Open) revert RoundNotOpen(roundId, round.status);
        uint8 committed = round.committed;
        if (committed == round.seats) revert SeatsTaken(roundId, round.seats);
        if (block.timestamp >= round.commitEndsAt) {
            revert CommitPhaseOver(roundId, round.commitEndsAt);
        }
        if (_seats[roundId][worker] != bytes32(0)) revert AlreadyCommitted(roundId, worker);
        _checkSeat(roundId, worker);

        _seats[roundId][worker] = _tag(commitment, SEAT_COMMITTED);
        _members[roundId].push(worker);
        // committed < seats <= 15.
        unchecked {
            round.committed = committed + 1;
        }
        // Every seat is taken: reveals may start at once.
        if (committed + 1 == round.seats) round.commitEndsAt = uint64(block.timestamp);
        emit Committed(roundId, worker, committed, commitment);
    }

    /// @dev Checks and counts a reveal. `decidedNow`: this reveal gave its output `quorum` votes,
    /// and the caller must apply that outcome. `everyoneRevealed`: the round can close now.
    function _reveal(
        uint256 roundId,
        address worker,
        bytes calldata output,
        bytes32 salt
    ) internal returns (bool decidedNow, bool everyoneRevealed) {
        Round storage round = _rounds[roundId];
        RoundStatus status = round.status;
        if (status != RoundStatus.Open && status != RoundStatus.Decided) {
            revert RoundNotOpen(roundId, status);
        }
        if (block.timestamp < round.commitEndsAt) {
            revert CommitPhaseOpen(roundId, round.commitEndsAt);
        }
        if (block.timestamp > round.revealEndsAt) {
            revert RevealPhaseOver(roundId, round.revealEndsAt);
        }
        bytes32 seat = _seats[roundId][worker];
        if (seat == bytes32(0)) revert NotCommitted(roundId, worker);
        if (uint256(seat & STATE_MASK) == SEAT_REVEALED) revert AlreadyRevealed(roundId, worker);
        bytes32 outputHash = keccak256(output);
        if (_tag(commitmentOf(roundId, worker, outputHash, salt), SEAT_COMMITTED) != seat) {
            revert CommitmentMismatch(roundId, worker);
        }

        _seats[roundId][worker] = _tag(outputHash, SEAT_REVEALED);
        uint256 votes = ++_votes[roundId][outputHash];
        // revealed < committed <= 15.
        unchecked {
            ++round.revealed;
        }
        emit Revealed(roundId, worker, outputHash, output);
        if (status == RoundStatus.Open && votes == round.quorum) {
            round.status = RoundStatus.Decided;
            round.decidedOutputHash = outputHash;
            decidedNow = true;
            emit QuorumReached(roundId, outputHash);
        }
        everyoneRevealed = round.revealed == round.committed;
    }

    /// @dev The reward of a decided round, arriving in this call (the hub credits it).
    function _addReward(uint256 roundId, uint96 amountWei) internal {
        _rounds[roundId].rewardWei += amountWei;
        _liabilitiesWei += amountWei;
    }

    /// @dev Credits `account` with money that arrives in this call or has arrived.
    function _credit(address account, uint256 amountWei) internal {
        if (amountWei == 0) return;
        _balances[account] += amountWei;
        _liabilitiesWei += amountWei;
        emit Credited(account, amountWei);
    }

    /// @dev Closes the round unless a reentrant call (a consumer callback) already did.
    function _closeIfNotClosed(uint256 roundId) internal {
        if (_rounds[roundId].status != RoundStatus.Closed) _close(roundId);
    }

    // ---------------------------------------------------------------- internals

    function _close(uint256 roundId) private {
        Round storage round = _rounds[roundId];
        RoundStatus status = round.status;
        if (status != RoundStatus.Open && status != RoundStatus.Decided) {
            revert RoundNotOpen(roundId, status);
        }
        bool revealsOver =
            block.timestamp > round.revealEndsAt ||
                (block.timestamp >= round.commitEndsAt && round.revealed == round.committed);
        if (!revealsOver) revert RoundNotClosable(roundId, round.revealEndsAt);

        round.status = RoundStatus.Closed;
        uint256 rewardWei = round.rewardWei;
        // The reward leaves the round's pool; `_credit` counts it again where it lands.
        _liabilitiesWei -= rewardWei;
        if (status == RoundStatus.Open) {
            _credit(round.sponsor, rewardWei);
            // A seat taken and never revealed can block a quorum: it costs its stake, and what it
            // loses goes to the members who did reveal.
            uint256 forfeitedWei = _silenceExcused(round.commitEndsAt) ? 0 : _slashSilent(roundId);
            uint256 membersPaidWei = _payRevealed(roundId, forfeitedWei, round.sponsor);
            emit RoundClosed(roundId, false, 0, membersPaidWei, forfeitedWei);
            return;
        }

        bytes32 winning = _tag(round.decidedOutputHash, SEAT_REVEALED);
        bool silenceExcused = _silenceExcused(round.commitEndsAt);
        (uint256 slashedWei, uint8 agreeing) = _slashDissenters(roundId, winning, silenceExcused);
        // A decided round has at least `quorum` >= 1 agreeing members.
        uint256 paidWei = rewardWei + slashedWei;
        _payAgreeing(roundId, winning, paidWei, agreeing);
        _liabilitiesWei += paidWei;
        emit RoundClosed(roundId, true, agreeing, paidWei, slashedWei);
    }

    /// @dev Slashes every member who revealed an output other than the decided one, or never
    /// revealed at all; counts those who revealed the decided one.
    function _slashDissenters(
        uint256 roundId,
        bytes32 winning,
        bool silenceExcused
    ) private returns (uint256 slashedWei, uint8 agreeing) {
        address[] storage members = _members[roundId];
        uint256 slashAmountWei = _memberSlashWei();
        for (uint256 i; i < members.length; ++i) {
            address member = members[i];
            bytes32 seat = _seats[roundId][member];
            if (seat == winning) {
                ++agreeing;
            } else if (!silenceExcused || uint256(seat & STATE_MASK) == SEAT_REVEALED) {
                uint256 takenWei =
                    slashAmountWei == 0 ? 0 : WORKER_REGISTRY.slash(member, slashAmountWei);
                slashedWei += takenWei;
                emit MemberSlashed(roundId, member, takenWei);
            }
        }
    }

    /// @dev Slashes every member of an undecided round who committed and never revealed.
    function _slashSilent(uint256 roundId) private returns (uint256 slashedWei) {
        address[] storage members = _members[roundId];
        uint256 slashAmountWei = _memberSlashWei();
        if (slashAmountWei == 0) return 0;
        for (uint256 i; i < members.length; ++i) {
            address member = members[i];
            if (uint256(_seats[roundId][member] & STATE_MASK) != SEAT_COMMITTED) continue;
            uint256 takenWei = WORKER_REGISTRY.slash(member, slashAmountWei);
            slashedWei += takenWei;
            emit MemberSlashed(roundId, member, takenWei);
        }
    }

    /// @dev Shares `amountWei`, which arrived in this call, equally among the members who revealed
    /// and returns it; with none, it goes to `sponsor`, or without one to the hub's treasury.
    function _payRevealed(
        uint256 roundId,
        uint256 amountWei,
        address sponsor
    ) private returns (uint256 membersPaidWei) {
        if (amountWei == 0) return 0;
        address[] storage members = _members[roundId];
        uint256 revealed;
        for (uint256 i; i < members.length; ++i) {
            if (uint256(_seats[roundId][members[i]] & STATE_MASK) == SEAT_REVEALED) ++revealed;
        }
        if (revealed == 0) {
            _credit(sponsor != address(0) ? sponsor : HUB.treasury(), amountWei);
            return 0;
        }
        uint256 shareWei = amountWei / revealed;
        uint256 extraWei = amountWei - shareWei * revealed;
        for (uint256 i; i < members.length; ++i) {
            address member = members[i];
            if (uint256(_seats[roundId][member] & STATE_MASK) != SEAT_REVEALED) continue;
            _balances[member] += shareWei + extraWei;
            emit MemberPaid(roundId, member, shareWei + extraWei);
            extraWei = 0;
        }
        _liabilitiesWei += amountWei;
        return amountWei;
    }

    /// @dev Shares `paidWei` equally among the members who revealed the decided output; the first
    /// of them also gets the remainder of the division.
    function _payAgreeing(
        uint256 roundId,
        bytes32 winning,
        uint256 paidWei,
        uint8 agreeing
    ) private {
        address[] storage members = _members[roundId];
        uint256 shareWei = paidWei / agreeing;
        uint256 extraWei = paidWei - shareWei * agreeing;
        for (uint256 i; i < members.length; ++i) {
            address member = members[i];
            if (_seats[roundId][member] != winning) continue;
            uint256 amountWei = shareWei + extraWei;
            extraWei = 0;
            _balances[member] += amountWei;
            emit MemberPaid(roundId, member, amountWei);
        }
    }

    /// @dev The state replaces the hash's low byte: 248 bits of hash still bind the seat.
    function _tag(bytes32 hash, uint256 state) private pure returns (bytes32) {
        return (hash & ~STATE_MASK) | bytes32(state);
    }
}
