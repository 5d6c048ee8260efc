// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {Test, Vm} from "../utils/Test.sol";
import {ScriptedConsumer} from "./HubHandler.sol";
import {InferenceHub} from "../../../contracts/InferenceHub.sol";
import {WorkerRegistry} from "../../../contracts/WorkerRegistry.sol";
import {DisputeResolver} from "../../../contracts/disputes/DisputeResolver.sol";
import {QuorumCoordinator} from "../../../contracts/quorum/QuorumCoordinator.sol";
import {QuorumRounds} from "../../../contracts/quorum/QuorumRounds.sol";
import {IInferenceHub} from "../../../contracts/interfaces/IInferenceHub.sol";
import {IQuorumRounds} from "../../../contracts/interfaces/IQuorumRounds.sol";
import {IWorkerRegistry} from "../../../contracts/interfaces/IWorkerRegistry.sol";
import {
    Challenge,
    ProofMode,
    Request,
    RequestStatus,
    Submission
} from "../../../contracts/types/Inference.sol";

/// @dev Drives QUORUM requests and every dispute path through random but valid sequences: quorum
/// commits and reveals (honest or not), ATTESTED results (right or wrong) challenged, decided by
/// a ZK proof or by a jury, expired, finalized or refunded, rounds closed, withdrawals from the
/// hub, the coordinator and the resolver, stake added, unbonded and withdrawn. Each action checks
/// its own preconditions (from the contracts' views) and does nothing when they fail, so any
/// revert is a finding. The handler keeps its own books of every wei that entered or left the
/// system and of every slash and its payout, from calls it made and events the contracts emitted.
contract DisputeHandler is Test {
    enum Kind {
        Quorum,
        /// ATTESTED on a model without a ZK verifier: disputes go to a jury.
        Jury,
        /// ATTESTED on a model with a (mock) ZK verifier: disputes are decided by a proof.
        Zk
    }

    struct Tracked {
        Request request;
        Kind kind;
        Submission submission;
        Challenge challengeRecord;
        bytes submittedOutput;
        bool escalated;
        bool challenged;
    }

    struct Setup {
        InferenceHub hub;
        WorkerRegistry workers;
        QuorumCoordinator coordinator;
        DisputeResolver resolver;
        ScriptedConsumer consumer;
        address requester;
        address modelOwner;
        address treasury;
        bytes32 quorumModelId;
        bytes32 juryModelId;
        bytes32 zkModelId;
        bytes32 environmentId;
        uint256[6] workerKeys;
    }

    InferenceHub public immutable hub;
    WorkerRegistry public immutable workers;
    QuorumCoordinator public immutable coordinator;
    DisputeResolver public immutable resolver;
    ScriptedConsumer public immutable consumer;
    address public immutable requester;
    bytes32 public immutable environmentId;
    bytes32[3] internal _modelIds;

    uint256[6] internal _keys;
    address[6] internal _workers;
    address[] internal _actors;
    /// @dev Every account that can be credited by the hub, the coordinator or the resolver.
    address[] internal _accounts;

    Tracked[] internal _tracked;
    mapping(uint256 requestId => uint256 index) internal _indexOf;
    /// @dev What each member committed to, per contract and round.
    mapping(address rounds => mapping(uint256 roundId => mapping(address worker => bytes output)))
        internal _committed;

    // ---- books: ETH in and out of the system (hub + registry + coordinator + resolver)
    uint256 public ghostDepositedWei;
    uint256 public ghostPaidOutWei;
    /// @dev Stake put into and taken out of the registry by its workers (slashes aside).
    uint256 public ghostStakedWei;
    uint256 public ghostUnstakedWei;
    // ---- books: slashes, by who received the stake, and what each payer said it paid out of them
    mapping(address recipient => uint256 amountWei) public ghostSlashedTo;
    mapping(address payer => uint256 amountWei) public ghostSlashPaidBy;
    /// @dev Σ MemberPaid by the coordinator (resolver) and what those payouts are made of.
    mapping(address rounds => uint256 amountWei) public ghostMemberPaid;
    mapping(address rounds => uint256 amountWei) public ghostRoundPaid;
    // ---- books: per request and round, from events
    mapping(uint256 requestId => uint256 count) public settledEvents;
    mapping(uint256 requestId => uint256 count) public refundedEvents;
    mapping(uint256 requestId => bytes32 outputHash) public settledOutputHash;
    mapping(address rounds => mapping(uint256 roundId => uint256 count)) public quorumEvents;
    mapping(address rounds => mapping(uint256 roundId => uint256 count)) public closedEvents;
    mapping(address rounds => mapping(uint256 roundId => bytes32 outputHash))
        public decidedOutputHash;
    /// @dev Requests whose result a challenge overturned.
    mapping(uint256 requestId => bool) public overturned;
    mapping(bytes32 action => uint256 count) public calls;

    constructor(Setup memory setup) {
        hub = setup.hub;
        workers = setup.workers;
        coordinator = setup.coordinator;
        resolver = setup.resolver;
        consumer = setup.consumer;
        requester = setup.requester;
        environmentId = setup.environmentId;
        _modelIds = [setup.quorumModelId, setup.juryModelId, setup.zkModelId];
        for (uint256 i; i < 6; ++i) {
            _keys[i] = setup.workerKeys[i];
            _workers[i] = vm.addr(setup.workerKeys[i]);
            // The fixture staked each worker.
            ghostDepositedWei += workers.getWorker(_workers[i]).stakeWei;
            ghostStakedWei += workers.getWorker(_workers[i]).stakeWei;
        }
        _actors.push(setup.requester);
        _actors.push(address(0xA001));
        _actors.push(address(0xA002));
        _actors.push(address(0xA003));
        for (uint256 i; i < _actors.length; ++i) _accounts.push(_actors[i]);
        for (uint256 i; i < 6; ++i) _accounts.push(_workers[i]);
        _accounts.push(setup.modelOwner);
        _accounts.push(setup.treasury);
        _accounts.push(address(coordinator));
        _accounts.push(address(resolver));
        // Sends finalize, refund, expireChallenge and close itself: may earn callback fees.
        _accounts.push(address(this));
    }

    // ================================================================ requests

    function request(uint256 kindSeed, uint256 valueSeed, uint256 choice) external {
        calls["request"]++;
        Kind kind = Kind(kindSeed % 3);
        bytes32 modelId = _modelIds[uint256(kind)];
        bool withCallback = choice % 4 != 0;
        uint32 gasLimit = withCallback ? 200_000 : 0;
        uint256 value = bound(
            valueSeed,
            hub.quote(modelId, gasLimit),
            hub.quote(modelId, gasLimit) + 0.1 ether
        );
        uint64 deadline = uint64(block.timestamp + (kind == Kind.Quorum ? 2 hours : 1 hours));
        if (withCallback) {
            consumer.setBehaviour(
                hub.nextRequestId(),
                ScriptedConsumer.Behaviour((choice >> 4) % 3)
            );
        }
        address from = _actor(choice >> 8);
        vm.deal(from, from.balance + value);
        vm.recordLogs();
        vm.prank(from);
        hub.requestInference{value: value}(
            modelId,
            _input(choice),
            kind == Kind.Quorum ? ProofMode.QUORUM : ProofMode.ATTESTED,
            address(0),
            withCallback ? address(consumer) : address(0),
            gasLimit,
            deadline
        );
        ghostDepositedWei += value;
        Request memory r = _requestFromLogs();
        _indexOf[r.id] = _tracked.length;
        Tracked storage t = _tracked.push();
        t.request = r;
        t.kind = kind;
    }

    /// @dev The right output of a request: a function of its id, as if every honest worker ran
    /// the model. A wrong one differs from it by `skew`.
    function _output(uint256 requestId, uint256 skew) internal pure returns (bytes memory) {
        return
            abi.encodePacked(
                uint8(1),
                uint8(1),
                uint8(2),
                uint32(1),
                uint32(1),
                int32(int256((requestId % 1_000_000) + skew))
            );
    }

    // ================================================================ QUORUM rounds

    function commitQuorum(uint256 requestSeed, uint256 workerSeed, uint256 honesty) external {
        uint256 n = _tracked.length;
        for (uint256 k; k < n; ++k) {
            Tracked storage t = _tracked[((requestSeed % n) + k) % n];
            if (t.kind != Kind.Quorum || !_quorumCommitsOpen(t)) continue;
            (bool ok, address worker) = _seatable(
                address(coordinator),
                t.request.id,
                workerSeed,
                address(0),
                address(0)
            );
            if (!ok) continue;
            calls["commitQuorum"]++;
            bytes32 c = _rememberCommitment(address(coordinator), t.request.id, worker, honesty);
            vm.recordLogs();
            vm.prank(worker);
            coordinator.commit(t.request, c);
            _collect();
            return;
        }
    }

    function revealQuorum(uint256 requestSeed, uint256 workerSeed) external {
        uint256 n = _tracked.length;
        for (uint256 k; k < n; ++k) {
            Tracked storage t = _tracked[((requestSeed % n) + k) % n];
            if (t.kind != Kind.Quorum) continue;
            uint256 id = t.request.id;
            (bool ok, address worker) = _revealer(address(coordinator), id, workerSeed);
            if (!ok) continue;
            calls["revealQuorum"]++;
            vm.recordLogs();
            vm.prank(worker);
            coordinator.reveal(
                t.request,
                _committed[address(coordinator)][id][worker],
                _salt(id, worker)
            );
            _collect();
            return;
        }
    }

    /// @dev Closes a round of the coordinator or the resolver, warping past its reveal phase when
    /// someone could still reveal.
    function closeRound(uint256 requestSeed, bool jury, uint256 extraSeconds) external {
        QuorumRounds rounds =
            jury ? QuorumRounds(payable(resolver)) : QuorumRounds(payable(coordinator));
        uint256 n = _tracked.length;
        for (uint256 k; k < n; ++k) {
            Tracked storage t = _tracked[((requestSeed % n) + k) % n];
            if (t.kind != (jury ? Kind.Jury : Kind.Quorum)) continue;
            IQuorumRounds.Round memory round = rounds.getRound(t.request.id);
            if (
                round.status != IQuorumRounds.RoundStatus.Open &&
                round.status != IQuorumRounds.RoundStatus.Decided
            ) continue;
            bool everyoneRevealed =
                round.revealed == round.committed && block.timestamp >= round.commitEndsAt;
            if (!everyoneRevealed && block.timestamp <= round.revealEndsAt) {
                if (!_mayWarp(extraSeconds)) return;
                vm.warp(uint256(round.revealEndsAt) + 1 + bound(extraSeconds, 0, 1 hours));
            }
            calls["closeRound"]++;
            vm.recordLogs();
            rounds.close(t.request.id);
            _collect();
            return;
        }
    }

    /// @dev Whether a commit to the request's round (opening it if need be) would be taken now.
    function _quorumCommitsOpen(Tracked storage t) private view returns (bool) {
        if (hub.requestStatus(t.request.id) != RequestStatus.Pending) return false;
        IQuorumRounds.Round memory round = coordinator.getRound(t.request.id);
        if (round.status == IQuorumRounds.RoundStatus.None) {
            // The round opens with this commit: it needs a full reveal phase before the deadline.
            uint256 reveal = coordinator.config().revealWindowSeconds;
            return block.timestamp + reveal < t.request.deadline;
        }
        return
            round.status == IQuorumRounds.RoundStatus.Open &&
            round.committed < round.seats &&
            block.timestamp < round.commitEndsAt;
    }

    /// @dev Picks the worker's output (right three times in four) and returns its commitment.
    function _rememberCommitment(
        address rounds,
        uint256 id,
        address worker,
        uint256 honesty
    ) private returns (bytes32) {
        bytes memory output = _output(id, honesty % 4 == 0 ? 1 + ((honesty >> 2) % 2) : 0);
        _committed[rounds][id][worker] = output;
        return
            QuorumRounds(payable(rounds)).commitmentOf(
                id,
                worker,
                keccak256(output),
                _salt(id, worker)
            );
    }

    // ================================================================ ATTESTED results and disputes

    function submit(uint256 requestSeed, uint256 workerSeed, bool right) external {
        if (hub.paused()) return;
        uint256 n = _tracked.length;
        for (uint256 k; k < n; ++k) {
            Tracked storage t = _tracked[((requestSeed % n) + k) % n];
            if (t.kind == Kind.Quorum || block.timestamp > t.request.deadline) continue;
            if (hub.requestStatus(t.request.id) != RequestStatus.Pending) continue;
            (bool ok, uint256 w) = _eligibleWorker(workerSeed);
            if (!ok) return;
            calls["submit"]++;
            bytes memory output = _output(t.request.id, right ? 0 : 7);
            vm.recordLogs();
            vm.prank(_actor(workerSeed >> 8));
            hub.submitResult(t.request, output, environmentId, _signResult(w, t.request, output));
            _collect();
            t.submittedOutput = output;
            t.submission = Submission(
                _workers[w],
                keccak256(output),
                environmentId,
                uint64(block.timestamp) + t.request.challengeWindowSeconds
            );
            return;
        }
    }

    function _eligibleWorker(uint256 seed) private view returns (bool, uint256) {
        for (uint256 k; k < 6; ++k) {
            uint256 i = ((seed % 6) + k) % 6;
            if (workers.isEligible(_workers[i])) return (true, i);
        }
        return (false, 0);
    }

    function _signResult(
        uint256 w,
        Request storage r,
        bytes memory output
    ) private view returns (bytes memory) {
        bytes32 digest = hub.resultDigest(
            r.id,
            r.modelId,
            r.inputHash,
            keccak256(output),
            environmentId
        );
        (uint8 v, bytes32 rr, bytes32 s) = vm.sign(_keys[w], digest);
        return abi.encodePacked(rr, s, v);
    }

    function finalize(uint256 requestSeed, uint256 extraSeconds) external {
        (bool found, uint256 index) = _pickAttested(requestSeed, RequestStatus.Submitted);
        if (!found) return;
        Tracked storage t = _tracked[index];
        if (block.timestamp < t.submission.finalizableAt) {
            if (extraSeconds % 2 == 0) return;
            vm.warp(t.submission.finalizableAt + bound(extraSeconds, 0, 1 hours));
        }
        calls["finalize"]++;
        vm.recordLogs();
        hub.finalize(t.request, t.submission, t.submittedOutput);
        _collect();
    }

    function challenge(uint256 requestSeed, uint256 challengerSeed, bool claimRight) external {
        uint256 n = _tracked.length;
        for (uint256 k; k < n; ++k) {
            Tracked storage t = _tracked[((requestSeed % n) + k) % n];
            if (t.kind == Kind.Quorum) continue;
            if (hub.requestStatus(t.request.id) != RequestStatus.Submitted) continue;
            if (block.timestamp >= t.submission.finalizableAt) continue;
            bytes32 claimed = keccak256(_output(t.request.id, claimRight ? 0 : 3));
            if (claimed == t.submission.outputHash) continue;
            calls["challenge"]++;
            address challenger = _challenger(challengerSeed, t.submission.worker);
            uint256 bond = hub.disputeConfig().challengeBondWei;
            vm.deal(challenger, challenger.balance + bond);
            vm.prank(challenger);
            hub.challenge{value: bond}(t.request, t.submission, claimed);
            ghostDepositedWei += bond;
            t.challengeRecord = Challenge(
                challenger,
                uint96(bond),
                claimed,
                uint64(block.timestamp)
            );
            t.challenged = true;
            return;
        }
    }

    function resolveWithProof(uint256 requestSeed, uint256 senderSeed) external {
        (bool found, uint256 index) = _pickChallenged(requestSeed, Kind.Zk);
        if (!found) return;
        Tracked storage t = _tracked[index];
        // A timed-out dispute can only expire.
        uint256 expiresAt =
            uint256(t.challengeRecord.challengedAt) + hub.disputeConfig().disputeTimeoutSeconds;
        if (block.timestamp >= expiresAt) return;
        calls["resolveWithProof"]++;
        bytes memory right = _output(t.request.id, 0);
        bytes memory proof = abi.encode(t.request.id, keccak256(right), _actor(senderSeed));
        vm.recordLogs();
        vm.prank(_actor(senderSeed));
        resolver.resolveWithProof(t.request, t.submission, t.challengeRecord, right, proof);
        _collect();
    }

    function escalate(uint256 requestSeed, uint256 escalatorSeed) external {
        uint256 window =
            resolver.config().commitWindowSeconds + resolver.config().revealWindowSeconds;
        uint256 timeout = hub.disputeConfig().disputeTimeoutSeconds;
        uint256 n = _tracked.length;
        for (uint256 k; k < n; ++k) {
            Tracked storage t = _tracked[((requestSeed % n) + k) % n];
            if (t.kind != Kind.Jury || t.escalated) continue;
            if (hub.requestStatus(t.request.id) != RequestStatus.Challenged) continue;
            if (block.timestamp + window >= t.challengeRecord.challengedAt + timeout) continue;
            calls["escalate"]++;
            uint256 fee = resolver.config().jurorFeeWei;
            address escalator = _actor(escalatorSeed);
            vm.deal(escalator, escalator.balance + fee);
            vm.recordLogs();
            vm.prank(escalator);
            resolver.escalate{value: fee}(t.request, t.submission, t.challengeRecord);
            _collect();
            ghostDepositedWei += fee;
            t.escalated = true;
            return;
        }
    }

    function commitJury(uint256 requestSeed, uint256 workerSeed, uint256 honesty) external {
        uint256 n = _tracked.length;
        for (uint256 k; k < n; ++k) {
            Tracked storage t = _tracked[((requestSeed % n) + k) % n];
            if (t.kind != Kind.Jury || !t.escalated) continue;
            uint256 id = t.request.id;
            IQuorumRounds.Round memory round = resolver.getRound(id);
            if (
                round.status != IQuorumRounds.RoundStatus.Open ||
                round.committed == round.seats ||
                block.timestamp >= round.commitEndsAt
            ) continue;
            (bool ok, address worker) = _seatable(
                address(resolver),
                id,
                workerSeed,
                t.submission.worker,
                t.challengeRecord.challenger
            );
            if (!ok) continue;
            calls["commitJury"]++;
            bytes32 c = _rememberCommitment(address(resolver), id, worker, honesty);
            vm.prank(worker);
            resolver.commit(id, c);
            return;
        }
    }

    function revealJury(uint256 requestSeed, uint256 workerSeed) external {
        uint256 n = _tracked.length;
        for (uint256 k; k < n; ++k) {
            Tracked storage t = _tracked[((requestSeed % n) + k) % n];
            if (t.kind != Kind.Jury || !t.escalated) continue;
            uint256 id = t.request.id;
            (bool ok, address worker) = _revealer(address(resolver), id, workerSeed);
            if (!ok) continue;
            calls["revealJury"]++;
            vm.recordLogs();
            vm.prank(worker);
            resolver.reveal(
                t.request,
                t.submission,
                t.challengeRecord,
                _committed[address(resolver)][id][worker],
                _salt(id, worker)
            );
            _collect();
            return;
        }
    }

    function expireChallenge(uint256 requestSeed, uint256 extraSeconds) external {
        (bool found, uint256 index) = _pickChallengedAny(requestSeed);
        if (!found) return;
        Tracked storage t = _tracked[index];
        uint256 expiresAt =
            t.challengeRecord.challengedAt + hub.disputeConfig().disputeTimeoutSeconds;
        if (block.timestamp < expiresAt) {
            if (!_mayWarp(extraSeconds)) return;
            vm.warp(expiresAt + bound(extraSeconds, 0, 1 hours));
        }
        calls["expireChallenge"]++;
        vm.recordLogs();
        hub.expireChallenge(t.request, t.submission, t.challengeRecord);
        _collect();
    }

    function refund(uint256 requestSeed, uint256 extraSeconds) external {
        uint256 n = _tracked.length;
        if (n == 0) return;
        for (uint256 k; k < n; ++k) {
            Tracked storage t = _tracked[((requestSeed % n) + k) % n];
            if (hub.requestStatus(t.request.id) != RequestStatus.Pending) continue;
            if (block.timestamp <= t.request.deadline) {
                if (!_mayWarp(extraSeconds)) return;
                vm.warp(uint256(t.request.deadline) + 1 + bound(extraSeconds, 0, 1 hours));
            }
            calls["refund"]++;
            vm.recordLogs();
            hub.refund(t.request);
            _collect();
            return;
        }
    }

    // ================================================================ compound actions
    // Long paths (a dispute reaching a jury, a full round) are rare as chains of single random
    // actions; these take several steps at once so that sequences reach them often, while the
    // single actions keep every interleaving possible.

    function quorumRound(uint256 valueSeed, uint256 choice, uint256 honesty) external {
        this.request(uint256(Kind.Quorum), valueSeed, choice);
        uint256 last = _tracked.length - 1;
        for (uint256 i; i < 3; ++i)
            this.commitQuorum(last, honesty >> (8 * i), honesty >> (8 * i + 4));
    }

    function escalatedDispute(
        uint256 valueSeed,
        uint256 choice,
        bool right,
        uint256 honesty
    ) external {
        this.request(uint256(Kind.Jury), valueSeed, choice);
        uint256 last = _tracked.length - 1;
        this.submit(last, choice >> 16, right);
        this.challenge(last, choice >> 24, !right);
        this.escalate(last, choice >> 32);
        for (uint256 i; i < 3; ++i)
            this.commitJury(last, honesty >> (8 * i), honesty >> (8 * i + 4));
    }

    // ================================================================ money out, stake

    function withdraw(uint256 accountSeed, uint256 where, uint256 toSeed) external {
        address account = _accounts[accountSeed % _accounts.length];
        if (account == address(coordinator) || account == address(resolver)) return;
        address payable to = payable(_actor(toSeed));
        uint256 pick = where % 3;
        if (pick == 0) {
            uint256 amount = hub.balanceOf(account);
            if (amount == 0) return;
            calls["withdrawHub"]++;
            vm.prank(account);
            hub.withdraw(to);
            ghostPaidOutWei += amount;
        } else {
            QuorumRounds rounds =
                pick == 1 ? QuorumRounds(payable(coordinator)) : QuorumRounds(payable(resolver));
            uint256 amount = rounds.balanceOf(account);
            if (amount == 0) return;
            calls["withdrawRounds"]++;
            vm.prank(account);
            rounds.withdraw(to);
            ghostPaidOutWei += amount;
        }
    }

    function collectProtocolFees() external {
        if (hub.protocolFeesWei() == 0) return;
        calls["collectProtocolFees"]++;
        hub.collectProtocolFees();
    }

    function addStake(uint256 workerSeed, uint256 amountSeed) external {
        calls["addStake"]++;
        address account = _workers[workerSeed % 6];
        uint256 amount = bound(amountSeed, 1, 1 ether);
        vm.deal(account, account.balance + amount);
        vm.prank(account);
        workers.addStake{value: amount}();
        ghostDepositedWei += amount;
        ghostStakedWei += amount;
    }

    /// @dev Usually only stake above the minimum, so workers stay eligible; sometimes any amount.
    function startUnbonding(uint256 workerSeed, uint256 amountSeed) external {
        address account = _workers[workerSeed % 6];
        uint256 stake = workers.getWorker(account).stakeWei;
        uint256 minimum = workers.MIN_STAKE_WEI();
        uint256 most = amountSeed % 4 == 0 || stake <= minimum ? stake : stake - minimum;
        if (most == 0) return;
        calls["startUnbonding"]++;
        vm.prank(account);
        workers.startUnbonding(bound(amountSeed >> 2, 1, most));
    }

    function withdrawStake(uint256 workerSeed, uint256 warpSeed) external {
        address account = _workers[workerSeed % 6];
        IWorkerRegistry.Worker memory info = workers.getWorker(account);
        if (info.unbondingWei == 0) return;
        if (block.timestamp < info.withdrawableAt) {
            if (!_mayWarp(warpSeed)) return;
            vm.warp(info.withdrawableAt);
        }
        calls["withdrawStake"]++;
        vm.prank(account);
        workers.withdraw();
        ghostPaidOutWei += info.unbondingWei;
        ghostUnstakedWei += info.unbondingWei;
    }

    /// @dev Mostly minutes (rounds and windows are minutes to hours long), sometimes hours.
    function warp(uint256 secondsSeed) external {
        calls["warp"]++;
        uint256 most = secondsSeed % 4 == 0 ? 6 hours : 15 minutes;
        vm.warp(block.timestamp + bound(secondsSeed >> 2, 1, most));
    }

    // ================================================================ views for the invariants

    function trackedCount() external view returns (uint256) {
        return _tracked.length;
    }

    function trackedRequest(uint256 index) external view returns (Request memory) {
        return _tracked[index].request;
    }

    function trackedKind(uint256 index) external view returns (Kind) {
        return _tracked[index].kind;
    }

    function accounts() external view returns (address[] memory) {
        return _accounts;
    }

    function workerAddresses() external view returns (address[6] memory) {
        return _workers;
    }

    /// @dev What the hub owes on requests that are not final: escrow less the protocol fee, plus
    /// the bond of a challenged one. From the handler's records and the hub's status.
    function openEscrowWei() external view returns (uint256 total) {
        for (uint256 i; i < _tracked.length; ++i) {
            Tracked storage t = _tracked[i];
            RequestStatus status = hub.requestStatus(t.request.id);
            if (
                status != RequestStatus.Pending &&
                status != RequestStatus.Submitted &&
                status != RequestStatus.Challenged
            ) continue;
            total +=
                uint256(t.request.modelFeeWei) +
                t.request.workerRewardWei +
                t.request.callbackFeeWei;
            if (status == RequestStatus.Challenged) total += t.challengeRecord.bondWei;
        }
    }

    /// @dev Rewards a rounds contract holds for rounds not yet closed: a QUORUM request's worker
    /// reward once it settled, a jury's fee once it was escalated. From events and records.
    function heldRewardsWei(address rounds) external view returns (uint256 total) {
        for (uint256 i; i < _tracked.length; ++i) {
            Tracked storage t = _tracked[i];
            uint256 id = t.request.id;
            if (closedEvents[rounds][id] != 0) continue;
            if (rounds == address(coordinator) && t.kind == Kind.Quorum && settledEvents[id] != 0) {
                total += t.request.workerRewardWei;
            }
            if (rounds == address(resolver) && t.kind == Kind.Jury && t.escalated) {
                total += resolver.config().jurorFeeWei;
            }
        }
    }

    // ================================================================ internals

    /// @dev Counts the events the invariants reason about, from the last recorded call.
    function _collect() private {
        Vm.Log[] memory logs = vm.getRecordedLogs();
        for (uint256 i; i < logs.length; ++i) {
            Vm.Log memory log = logs[i];
            bytes32 topic = log.topics[0];
            if (log.emitter == address(hub)) {
                uint256 id = uint256(log.topics[1]);
                if (topic == IInferenceHub.RequestSettled.selector) {
                    settledEvents[id]++;
                    (bytes32 outputHash, ) = abi.decode(log.data, (bytes32, uint8));
                    settledOutputHash[id] = outputHash;
                } else if (topic == IInferenceHub.RequestRefunded.selector) {
                    refundedEvents[id]++;
                } else if (topic == IInferenceHub.ChallengeResolved.selector) {
                    (bool challengerWon, uint256 slashedWei) = abi.decode(
                        log.data,
                        (bool, uint256)
                    );
                    ghostSlashPaidBy[address(hub)] += slashedWei;
                    if (challengerWon) overturned[id] = true;
                }
            } else if (
                log.emitter == address(workers) && topic == IWorkerRegistry.WorkerSlashed.selector
            ) {
                uint256 amountWei = abi.decode(log.data, (uint256));
                ghostSlashedTo[address(uint160(uint256(log.topics[2])))] += amountWei;
            } else if (log.emitter == address(coordinator) || log.emitter == address(resolver)) {
                uint256 roundId = uint256(log.topics[1]);
                if (topic == IQuorumRounds.QuorumReached.selector) {
                    quorumEvents[log.emitter][roundId]++;
                    decidedOutputHash[log.emitter][roundId] = abi.decode(log.data, (bytes32));
                } else if (topic == IQuorumRounds.RoundClosed.selector) {
                    closedEvents[log.emitter][roundId]++;
                    (, , uint256 paidWei, uint256 slashedWei) = abi.decode(
                        log.data,
                        (bool, uint8, uint256, uint256)
                    );
                    ghostRoundPaid[log.emitter] += paidWei;
                    ghostSlashPaidBy[log.emitter] += slashedWei;
                } else if (topic == IQuorumRounds.MemberPaid.selector) {
                    ghostMemberPaid[log.emitter] += abi.decode(log.data, (uint256));
                }
            }
        }
    }

    function _requestFromLogs() private returns (Request memory r) {
        Vm.Log[] memory logs = vm.getRecordedLogs();
        for (uint256 i; i < logs.length; ++i) {
            if (
                logs[i].emitter == address(hub) &&
                logs[i].topics[0] == IInferenceHub.InferenceRequested.selector
            ) {
                (r, ) = abi.decode(logs[i].data, (Request, bytes));
                return r;
            }
        }
        fail("no InferenceRequested");
    }

    /// @dev An eligible worker without a seat in the round, other than the two parties.
    function _seatable(
        address rounds,
        uint256 id,
        uint256 seed,
        address partyA,
        address partyB
    ) private view returns (bool, address) {
        for (uint256 k; k < 6; ++k) {
            address worker = _workers[((seed % 6) + k) % 6];
            if (worker == partyA || worker == partyB) continue;
            if (!workers.isEligible(worker)) continue;
            if (QuorumRounds(payable(rounds)).seatOf(id, worker) != bytes32(0)) continue;
            return (true, worker);
        }
        return (false, address(0));
    }

    /// @dev A member who committed and has not revealed, in a round still taking reveals; warps
    /// to the end of the commit phase if it is still running (as if no one else came to commit).
    function _revealer(address rounds, uint256 id, uint256 seed) private returns (bool, address) {
        QuorumRounds qr = QuorumRounds(payable(rounds));
        IQuorumRounds.Round memory round = qr.getRound(id);
        if (
            round.status != IQuorumRounds.RoundStatus.Open &&
            round.status != IQuorumRounds.RoundStatus.Decided
        ) {
            return (false, address(0));
        }
        if (block.timestamp > round.revealEndsAt) return (false, address(0));
        for (uint256 k; k < 6; ++k) {
            address worker = _workers[((seed % 6) + k) % 6];
            bytes32 seat = qr.seatOf(id, worker);
            if (seat == bytes32(0) || uint256(seat) & 0xff != 1) continue;
            if (block.timestamp < round.commitEndsAt) vm.warp(round.commitEndsAt);
            return (true, worker);
        }
        return (false, address(0));
    }

    function _pickAttested(
        uint256 seed,
        RequestStatus status
    ) private view returns (bool, uint256) {
        uint256 n = _tracked.length;
        for (uint256 k; k < n; ++k) {
            Tracked storage t = _tracked[((seed % n) + k) % n];
            if (t.kind != Kind.Quorum && hub.requestStatus(t.request.id) == status) {
                return (true, ((seed % n) + k) % n);
            }
        }
        return (false, 0);
    }

    function _pickChallenged(uint256 seed, Kind kind) private view returns (bool, uint256) {
        uint256 n = _tracked.length;
        for (uint256 k; k < n; ++k) {
            Tracked storage t = _tracked[((seed % n) + k) % n];
            if (t.kind == kind && hub.requestStatus(t.request.id) == RequestStatus.Challenged) {
                return (true, ((seed % n) + k) % n);
            }
        }
        return (false, 0);
    }

    function _pickChallengedAny(uint256 seed) private view returns (bool, uint256) {
        uint256 n = _tracked.length;
        for (uint256 k; k < n; ++k) {
            Tracked storage t = _tracked[((seed % n) + k) % n];
            if (hub.requestStatus(t.request.id) == RequestStatus.Challenged) {
                return (true, ((seed % n) + k) % n);
            }
        }
        return (false, 0);
    }

    /// @dev Actions that need days to pass take them one time in four, so that sequences also
    /// spend time inside commit, reveal and challenge windows.
    function _mayWarp(uint256 seed) private pure returns (bool) {
        return seed % 4 == 0;
    }

    /// @dev A challenger other than the worker, from the actors and the workers.
    function _challenger(uint256 seed, address worker) private view returns (address) {
        address candidate = seed % 2 == 0 ? _actor(seed >> 1) : _workers[(seed >> 1) % 6];
        return candidate == worker ? _actor(seed >> 1) : candidate;
    }

    function _actor(uint256 seed) private view returns (address) {
        return _actors[seed % _actors.length];
    }

    function _salt(uint256 id, address worker) private pure returns (bytes32) {
        return keccak256(abi.encode("salt", id, worker));
    }

    /// @dev A [1, 16] int32 tensor.
    function _input(uint256 seed) private pure returns (bytes memory) {
        return
            abi.encodePacked(
                uint8(1),
                uint8(1),
                uint8(2),
                uint32(1),
                uint32(16),
                keccak256(abi.encode(seed, 0)),
                keccak256(abi.encode(seed, 1))
            );
    }
}
