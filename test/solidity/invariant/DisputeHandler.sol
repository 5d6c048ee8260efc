// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {Test, Vm} from "../utils/Test.sol";
import {ScriptedConsumer} from "./HubHandler.sol";
import {InferenceHub} from "../../../contracts/InferenceHub.sol";
import {ModelRegistry} from "../../../contracts/ModelRegistry.sol";
import {WorkerRegistry} from "../../../contracts/WorkerRegistry.sol";
import {DisputeResolver} from "../../../contracts/disputes/DisputeResolver.sol";
import {QuorumCoordinator} from "../../../contracts/quorum/QuorumCoordinator.sol";
import {QuorumRounds} from "../../../contracts/quorum/QuorumRounds.sol";
import {IInferenceHub} from "@verity/solidity/interfaces/IInferenceHub.sol";
import {IModelRegistry} from "@verity/solidity/interfaces/IModelRegistry.sol";
import {IProofVerifier} from "@verity/solidity/interfaces/IProofVerifier.sol";
import {IQuorumRounds} from "@verity/solidity/interfaces/IQuorumRounds.sol";
import {IWorkerRegistry} from "@verity/solidity/interfaces/IWorkerRegistry.sol";
import {MockProofVerifier} from "../../../contracts/mocks/MockProofVerifier.sol";
import {MockZkModelVerifier} from "../../../contracts/mocks/MockZkModelVerifier.sol";
import {
    Challenge,
    FailureReason,
    ProofMode,
    Request,
    RequestStatus,
    Submission
} from "@verity/solidity/types/Inference.sol";

/// @dev Drives QUORUM requests and every dispute path through random but valid sequences: quorum
/// commits and reveals (honest or not), ATTESTED results (right or wrong) challenged, decided by
/// a ZK proof or by a jury, expired, finalized or refunded, rounds closed, withdrawals from the
/// hub, the coordinator and the resolver, stake added, unbonded and withdrawn, failure reports
/// (true, false, or a lie open to challenge), ZK-mode requests, pauses. Each action checks its own
/// preconditions (from the contracts' views) and does nothing when they fail, so any revert is a
/// finding. The handler keeps its own books of every wei that entered or left the system and of
/// every slash and its payout, from calls it made and events the contracts emitted.
///
/// Cast, beside the anonymous actors and workers:
/// - an honest worker (the fixture's last): it only submits, commits and reveals the right
///   output, and reveals every seat it took before the reveal phase ends (`_warpTo` sees to it);
/// - an honest challenger: online, it challenges every wrong result before its window closes,
///   claiming the right output, and nothing else;
/// - a dishonest worker (the first) with a second address that challenges its own wrong results
///   at once, ahead of honest challengers;
/// - a model owner who registers an ATTESTED-only model mid-run, lets it be answered, binds a ZK
///   verifier to it and then "proves" wrong outputs in the disputes of requests made before;
/// - a vetoing worker who reports failures on ZK and QUORUM requests and false on-chain-checkable
///   failures on valid inputs, a requester asking for more callback gas than a transaction can
///   carry, and an admin trying to swap a proof verifier.
/// What the contracts must refuse is sent as a low-level call: the refusal must carry the expected
/// error (anything else means the attempt was not a real one, and fails the run), and a success
/// is counted for `invariant_hostileCallsAreAlwaysRefused`.
contract DisputeHandler is Test {
    enum Kind {
        Quorum,
        /// ATTESTED, made without a ZK verifier: disputes go to a jury.
        Jury,
        /// ATTESTED, made with the model's (mock) ZK verifier: disputes are decided by a proof.
        Zk,
        /// ProofMode.ZK: settled by a proof at submission, or refunded after the deadline.
        ZkMode
    }

    struct Tracked {
        Request request;
        Kind kind;
        Submission submission;
        Challenge challengeRecord;
        bytes submittedOutput;
        bytes input;
        bool escalated;
        bool challenged;
        /// A tensor of the right length and another shape: its right answer is a failure report.
        bool badInput;
        bool byHonestChallenger;
        bool bySidekick;
        /// Answered by a failure report that is the worker's word: refunded when it was made, yet
        /// open to challenge (in status Failed) for the request's window.
        bool failureReported;
    }

    struct Setup {
        InferenceHub hub;
        ModelRegistry models;
        WorkerRegistry workers;
        QuorumCoordinator coordinator;
        DisputeResolver resolver;
        ScriptedConsumer consumer;
        address admin;
        address requester;
        address modelOwner;
        address treasury;
        bytes32 quorumModelId;
        bytes32 juryModelId;
        bytes32 zkModelId;
        bytes32 environmentId;
        uint256[6] workerKeys;
    }

    /// @dev Registered by the hostile model owner during the run, ATTESTED only at first.
    bytes32 public constant LATE_MODEL_ID = keccak256("verity invariant: late-bound model");
    uint256 public constant HONEST = 5;
    uint256 public constant DISHONEST = 0;
    address public constant HONEST_CHALLENGER = address(0xC4A1);
    /// @dev The dishonest worker's second address.
    address public constant SIDEKICK = address(0x51DE);
    address public constant HOSTILE_REQUESTER = address(0x6A5);

    InferenceHub public immutable hub;
    ModelRegistry public immutable models;
    WorkerRegistry public immutable workers;
    QuorumCoordinator public immutable coordinator;
    DisputeResolver public immutable resolver;
    ScriptedConsumer public immutable consumer;
    address public immutable admin;
    address public immutable requester;
    address public immutable modelOwner;
    bytes32 public immutable environmentId;
    /// @dev Quorum, jury, zk, then the late model once registered.
    bytes32[4] internal _modelIds;

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
    // ---- books: the hub's credits leaving it, and fees collected, from its events
    uint256 public ghostHubWithdrawnWei;
    mapping(address account => uint256 amountWei) public hubWithdrawnBy;
    uint256 public ghostFeesCollectedWei;
    // ---- books: per request and round, from events
    mapping(uint256 requestId => uint256 count) public settledEvents;
    mapping(uint256 requestId => uint256 count) public refundedEvents;
    mapping(uint256 requestId => uint256 count) public failedEvents;
    mapping(uint256 requestId => uint256 amountWei) public refundedWei;
    mapping(uint256 requestId => bytes32 outputHash) public settledOutputHash;
    /// @dev 1: the challenger won; 2: it lost; 3: the dispute expired.
    mapping(uint256 requestId => uint8 outcome) public disputeOutcome;
    mapping(uint256 requestId => uint256 amountWei) public disputeSlashedWei;
    mapping(address rounds => mapping(uint256 roundId => uint256 count)) public quorumEvents;
    mapping(address rounds => mapping(uint256 roundId => uint256 count)) public closedEvents;
    mapping(address rounds => mapping(uint256 roundId => bytes32 outputHash))
        public decidedOutputHash;
    /// @dev A round decided another output than the right one: a quorum of its members colluded,
    /// which the protocol does not claim to survive (docs/security.md, "Colluding workers").
    mapping(address rounds => mapping(uint256 roundId => bool)) public wrongVerdict;
    mapping(address rounds => mapping(uint256 roundId => mapping(address worker => bool)))
        public memberSlashed;
    /// @dev Requests whose result a challenge overturned.
    mapping(uint256 requestId => bool) public overturned;
    mapping(bytes32 action => uint256 count) public calls;
    // ---- books: the honest worker's own stake movements, and what colluders took from it
    uint256 public honestStakedWei;
    uint256 public honestUnbondedWei;
    uint256 public honestWithdrawnWei;
    uint256 public honestSlashedByColludersWei;
    /// @dev Seats the honest worker could not reveal in time: the handler's own promise, checked.
    uint256 public honestMissedReveals;
    // ---- books: hostile calls the contracts must refuse
    mapping(bytes32 action => uint256 count) public hostileAttempts;
    mapping(bytes32 action => uint256 count) public hostileSuccesses;
    bytes32[] internal _hostileActions;
    /// @dev 0: not registered; 1: registered, ATTESTED only; 2: a ZK verifier is bound.
    uint8 public lateModelStage;
    uint256 public lateAnswers;
    uint256 public pausedUntil;

    constructor(Setup memory setup) {
        hub = setup.hub;
        models = setup.models;
        workers = setup.workers;
        coordinator = setup.coordinator;
        resolver = setup.resolver;
        consumer = setup.consumer;
        admin = setup.admin;
        requester = setup.requester;
        modelOwner = setup.modelOwner;
        environmentId = setup.environmentId;
        _modelIds = [setup.quorumModelId, setup.juryModelId, setup.zkModelId, bytes32(0)];
        for (uint256 i; i < 6; ++i) {
            _keys[i] = setup.workerKeys[i];
            _workers[i] = vm.addr(setup.workerKeys[i]);
            // The fixture staked each worker.
            ghostDepositedWei += workers.getWorker(_workers[i]).stakeWei;
            ghostStakedWei += workers.getWorker(_workers[i]).stakeWei;
        }
        honestStakedWei = workers.getWorker(_workers[HONEST]).stakeWei;
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
        _accounts.push(HONEST_CHALLENGER);
        _accounts.push(SIDEKICK);
        _accounts.push(HOSTILE_REQUESTER);
        // Sends finalize, refund, expireChallenge and close itself: may earn callback fees.
        _accounts.push(address(this));
        _hostileActions = [
            bytes32("lateProof"),
            "vetoQuorum",
            "vetoZk",
            "falseShape",
            "falseUndecodable",
            "hugeCallback",
            "swapVerifier",
            "finalizeWhilePaused"
        ];
    }

    // ================================================================ requests

    function request(uint256 kindSeed, uint256 valueSeed, uint256 choice) external {
        if (hub.paused()) return;
        _newRequest(kindSeed % 5, valueSeed, choice, (choice >> 12) % 8 == 0);
    }

    /// @dev `pick`: 0 QUORUM, 1 the jury model, 2 the ZK model, 3 the late model (the jury model
    /// until it exists), all ATTESTED; 4 the ZK model in ProofMode.ZK. A bad input only for ATTESTED.
    function _newRequest(
        uint256 pick,
        uint256 valueSeed,
        uint256 choice,
        bool badInput
    ) private returns (uint256 index) {
        calls["request"]++;
        if (pick == 3 && lateModelStage == 0) pick = 1;
        bytes32 modelId = _modelIds[pick == 4 ? 2 : pick];
        ProofMode mode =
            pick == 0
                ? ProofMode.QUORUM
                : pick == 4
                    ? ProofMode.ZK
                    : ProofMode.ATTESTED;
        badInput = badInput && mode == ProofMode.ATTESTED;
        bool withCallback = choice % 4 != 0;
        uint32 gasLimit = withCallback ? 200_000 : 0;
        uint256 value = bound(
            valueSeed,
            hub.quote(modelId, gasLimit),
            hub.quote(modelId, gasLimit) + 0.1 ether
        );
        uint64 deadline = uint64(block.timestamp + (pick == 0 ? 2 hours : 1 hours));
        if (withCallback) {
            consumer.setBehaviour(
                hub.nextRequestId(),
                ScriptedConsumer.Behaviour((choice >> 4) % 3)
            );
        }
        bytes memory input = badInput ? _misshapen(_input(choice)) : _input(choice);
        address from = _actor(choice >> 8);
        vm.deal(from, from.balance + value);
        vm.recordLogs();
        vm.prank(from);
        hub.requestInference{value: value}(
            modelId,
            input,
            mode,
            address(0),
            withCallback ? address(consumer) : address(0),
            gasLimit,
            deadline
        );
        ghostDepositedWei += value;
        index = _track(_requestFromLogs(), input, badInput);
    }

    function _track(
        Request memory r,
        bytes memory input,
        bool badInput
    ) private returns (uint256 index) {
        index = _tracked.length;
        _indexOf[r.id] = index;
        Tracked storage t = _tracked.push();
        t.request = r;
        t.kind =
            r.proofMode == ProofMode.QUORUM
                ? Kind.Quorum
                : r.proofMode == ProofMode.ZK
                    ? Kind.ZkMode
                    : r.zkVerifier == address(0)
                        ? Kind.Jury
                        : Kind.Zk;
        t.input = input;
        t.badInput = badInput;
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

    function rightOutputHash(uint256 requestId) public pure returns (bytes32) {
        return keccak256(_output(requestId, 0));
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
            // A reveal that decides the round settles the request: not while the hub is paused.
            if (hub.paused() && _wouldDecide(id, _committed[address(coordinator)][id][worker])) {
                return;
            }
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

    function _wouldDecide(uint256 id, bytes memory output) private view returns (bool) {
        IQuorumRounds.Round memory round = coordinator.getRound(id);
        return
            round.status == IQuorumRounds.RoundStatus.Open &&
            coordinator.votesFor(id, keccak256(output)) + 1 == round.quorum;
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
            if (!_roundOpen(round)) continue;
            bool everyoneRevealed =
                round.revealed == round.committed && block.timestamp >= round.commitEndsAt;
            if (!everyoneRevealed && block.timestamp <= round.revealEndsAt) {
                if (!_mayWarp(extraSeconds)) return;
                _warpTo(uint256(round.revealEndsAt) + 1 + bound(extraSeconds, 0, 1 hours));
                // The honest worker's last reveal may have closed it on the way.
                if (!_roundOpen(rounds.getRound(t.request.id))) return;
            }
            calls["closeRound"]++;
            vm.recordLogs();
            rounds.close(t.request.id);
            _collect();
            return;
        }
    }

    function _roundOpen(IQuorumRounds.Round memory round) private pure returns (bool) {
        return
            round.status == IQuorumRounds.RoundStatus.Open ||
            round.status == IQuorumRounds.RoundStatus.Decided;
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

    /// @dev Picks the worker's output (right three times in four, always for the honest worker)
    /// and returns its commitment.
    function _rememberCommitment(
        address rounds,
        uint256 id,
        address worker,
        uint256 honesty
    ) private returns (bytes32) {
        bool wrong = honesty % 4 == 0 && worker != _workers[HONEST];
        bytes memory output = _output(id, wrong ? 1 + ((honesty >> 2) % 2) : 0);
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
            if (!_answerable(t)) continue;
            (bool ok, uint256 w) = _eligibleWorker(workerSeed);
            if (!ok) return;
            _submitAs(t, w, right || w == HONEST, workerSeed >> 8);
            return;
        }
    }

    /// @dev An ATTESTED request with a valid input that a worker may still answer now.
    function _answerable(Tracked storage t) private view returns (bool) {
        return
            (t.kind == Kind.Jury || t.kind == Kind.Zk) &&
            !t.badInput &&
            block.timestamp <= t.request.deadline &&
            hub.requestStatus(t.request.id) == RequestStatus.Pending;
    }

    function _submitAs(Tracked storage t, uint256 w, bool right, uint256 senderSeed) private {
        calls["submit"]++;
        bytes memory output = _output(t.request.id, right ? 0 : 7);
        vm.recordLogs();
        vm.prank(_actor(senderSeed));
        hub.submitResult(t.request, output, environmentId, _signResult(w, t.request, output));
        _collect();
        _recordSubmission(t, _workers[w], output);
    }

    function _recordSubmission(Tracked storage t, address worker, bytes memory output) private {
        t.submittedOutput = output;
        t.submission = Submission(
            worker,
            keccak256(output),
            environmentId,
            uint64(block.timestamp) + t.request.challengeWindowSeconds
        );
        if (t.request.modelId == LATE_MODEL_ID) lateAnswers++;
    }

    /// @dev A ZK-mode request proved with its right output (the mock verifier names the prover).
    function proveZk(uint256 requestSeed, uint256 proverSeed) external {
        if (hub.paused()) return;
        uint256 n = _tracked.length;
        for (uint256 k; k < n; ++k) {
            Tracked storage t = _tracked[((requestSeed % n) + k) % n];
            if (t.kind != Kind.ZkMode || block.timestamp > t.request.deadline) continue;
            if (hub.requestStatus(t.request.id) != RequestStatus.Pending) continue;
            calls["proveZk"]++;
            bytes memory right = _output(t.request.id, 0);
            vm.recordLogs();
            hub.submitResult(
                t.request,
                right,
                bytes32(0),
                abi.encode(t.request.id, keccak256(right), _actor(proverSeed))
            );
            _collect();
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

    /// @dev An eligible worker other than the honest one.
    function _eligibleOther(uint256 seed) private view returns (bool, uint256) {
        for (uint256 k; k < 5; ++k) {
            uint256 i = ((seed % 5) + k) % 5;
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

    function _signFailure(
        uint256 w,
        Request storage r,
        FailureReason reason
    ) private view returns (bytes memory) {
        bytes32 digest = hub.failureDigest(r.id, r.modelId, r.inputHash, reason, environmentId);
        (uint8 v, bytes32 rr, bytes32 s) = vm.sign(_keys[w], digest);
        return abi.encodePacked(rr, s, v);
    }

    /// @dev Finalizes after the challenge window; while the hub is paused, tries anyway (nobody can
    /// challenge then, so nothing may become final) and expects `EnforcedPause`.
    function finalize(uint256 requestSeed, uint256 extraSeconds) external {
        (bool found, uint256 index) = _pickAttested(requestSeed, RequestStatus.Submitted);
        if (!found) return;
        Tracked storage t = _tracked[index];
        uint256 windowEnd = hub.challengeWindowEnd(t.request, t.submission);
        if (block.timestamp < windowEnd) {
            if (extraSeconds % 2 == 0) return;
            _warpTo(windowEnd + bound(extraSeconds, 0, 1 hours));
            // The honest challenger watched the window close, and may have challenged; a pause
            // lifted on the way reopened the window for a full one.
            if (hub.requestStatus(t.request.id) != RequestStatus.Submitted) return;
            if (block.timestamp < hub.challengeWindowEnd(t.request, t.submission)) return;
        }
        vm.recordLogs();
        if (hub.paused()) {
            (bool ok, bytes memory ret) = address(hub).call(
                abi.encodeCall(hub.finalize, (t.request, t.submission, t.submittedOutput))
            );
            _refused("finalizeWhilePaused", ok, ret, IInferenceHub.EnforcedPause.selector);
        } else {
            calls["finalize"]++;
            hub.finalize(t.request, t.submission, t.submittedOutput);
        }
        _collect();
    }

    function challenge(uint256 requestSeed, uint256 challengerSeed, bool claimRight) external {
        if (hub.paused()) return;
        uint256 n = _tracked.length;
        for (uint256 k; k < n; ++k) {
            Tracked storage t = _tracked[((requestSeed % n) + k) % n];
            if (!_challengeable(t)) continue;
            bytes32 claimed = keccak256(_output(t.request.id, claimRight ? 0 : 3));
            if (claimed == t.submission.outputHash) continue;
            address challenger = _challenger(challengerSeed, t.submission.worker);
            // The honest worker claims only the right output.
            if (challenger == _workers[HONEST] && !claimRight) challenger = _actor(challengerSeed);
            _challengeAs(t, challenger, claimed);
            return;
        }
    }

    /// @dev A submission still in its challenge window while the hub takes challenges.
    function _challengeable(Tracked storage t) private view returns (bool) {
        if (t.kind != Kind.Jury && t.kind != Kind.Zk) return false;
        RequestStatus status = hub.requestStatus(t.request.id);
        bool open =
            status == RequestStatus.Submitted ||
                (t.failureReported && status == RequestStatus.Failed && !t.challenged);
        if (!open) return false;
        return block.timestamp < hub.challengeWindowEnd(t.request, t.submission);
    }

    function _challengeAs(Tracked storage t, address challenger, bytes32 claimed) private {
        calls["challenge"]++;
        uint256 bond = hub.disputeConfig().challengeBondWei;
        vm.deal(challenger, challenger.balance + bond);
        vm.prank(challenger);
        hub.challenge{value: bond}(t.request, t.submission, claimed);
        ghostDepositedWei += bond;
        t.challengeRecord = Challenge(challenger, uint96(bond), claimed, uint64(block.timestamp));
        t.challenged = true;
        t.byHonestChallenger = challenger == HONEST_CHALLENGER;
        t.bySidekick = challenger == SIDEKICK;
    }

    /// @dev A wrong answer: not the right output of a valid input (a false failure report too).
    function _wrong(Tracked storage t) private view returns (bool) {
        return t.submission.outputHash != rightOutputHash(t.request.id);
    }

    function resolveWithProof(uint256 requestSeed, uint256 senderSeed) external {
        (bool found, uint256 index) = _pickChallenged(requestSeed, Kind.Zk);
        if (!found) return;
        Tracked storage t = _tracked[index];
        // A timed-out dispute can only expire.
        if (block.timestamp >= _expiresAt(t)) return;
        calls["resolveWithProof"]++;
        bytes memory right = _output(t.request.id, 0);
        bytes memory proof = abi.encode(t.request.id, keccak256(right), _actor(senderSeed));
        vm.recordLogs();
        vm.prank(_actor(senderSeed));
        resolver.resolveWithProof(t.request, t.submission, t.challengeRecord, right, proof);
        _collect();
    }

    function _expiresAt(Tracked storage t) private view returns (uint256) {
        return uint256(t.challengeRecord.challengedAt) + hub.disputeConfig().disputeTimeoutSeconds;
    }

    function escalate(uint256 requestSeed, uint256 escalatorSeed) external {
        uint256 n = _tracked.length;
        for (uint256 k; k < n; ++k) {
            if (_escalate(((requestSeed % n) + k) % n, escalatorSeed)) return;
        }
    }

    function _escalate(uint256 index, uint256 escalatorSeed) private returns (bool) {
        Tracked storage t = _tracked[index];
        if (t.kind != Kind.Jury || t.escalated) return false;
        if (hub.requestStatus(t.request.id) != RequestStatus.Challenged) return false;
        uint256 window =
            resolver.config().commitWindowSeconds + resolver.config().revealWindowSeconds;
        if (block.timestamp + window >= _expiresAt(t)) return false;
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
        return true;
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
            _revealJury(t, worker);
            return;
        }
    }

    function _revealJury(Tracked storage t, address worker) private {
        uint256 id = t.request.id;
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
    }

    function expireChallenge(uint256 requestSeed, uint256 extraSeconds) external {
        (bool found, uint256 index) = _pickChallengedAny(requestSeed);
        if (!found) return;
        Tracked storage t = _tracked[index];
        uint256 expiresAt = _expiresAt(t);
        if (block.timestamp < expiresAt) {
            if (!_mayWarp(extraSeconds)) return;
            _warpTo(expiresAt + bound(extraSeconds, 0, 1 hours));
            // The honest worker's reveals on the way may have decided it.
            if (hub.requestStatus(t.request.id) != RequestStatus.Challenged) return;
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
                _warpTo(uint256(t.request.deadline) + 1 + bound(extraSeconds, 0, 1 hours));
                // The honest worker's reveals on the way may have settled it.
                if (hub.requestStatus(t.request.id) != RequestStatus.Pending) return;
            }
            calls["refund"]++;
            vm.recordLogs();
            hub.refund(t.request);
            _collect();
            return;
        }
    }

    // ================================================================ failure reports

    /// @dev A worker reports the misshapen input of a request truthfully: final at once.
    function reportTrueFailure(uint256 requestSeed, uint256 workerSeed) external {
        if (hub.paused()) return;
        uint256 n = _tracked.length;
        for (uint256 k; k < n; ++k) {
            Tracked storage t = _tracked[((requestSeed % n) + k) % n];
            if (!t.badInput || block.timestamp > t.request.deadline) continue;
            if (hub.requestStatus(t.request.id) != RequestStatus.Pending) continue;
            (bool ok, uint256 w) = _eligibleWorker(workerSeed);
            if (!ok) return;
            calls["reportTrueFailure"]++;
            FailureReason reason = FailureReason.InputShapeMismatch;
            _reportFailure(t, w, reason);
            return;
        }
    }

    /// @dev A worker (never the honest one) calls a valid input out of range: the chain cannot
    /// check it, so the report is recorded like a result and is open to challenge.
    function reportOutOfRange(uint256 requestSeed, uint256 workerSeed) external {
        if (hub.paused()) return;
        uint256 n = _tracked.length;
        for (uint256 k; k < n; ++k) {
            Tracked storage t = _tracked[((requestSeed % n) + k) % n];
            if (!_answerable(t)) continue;
            (bool ok, uint256 w) = _eligibleOther(workerSeed);
            if (!ok) return;
            calls["reportOutOfRange"]++;
            FailureReason reason = FailureReason.InputOutOfRange;
            _reportFailure(t, w, reason);
            _recordSubmission(t, _workers[w], hub.failureOutput(reason));
            t.failureReported = true;
            return;
        }
    }

    /// @dev Worker `w` reports `reason` for `t`, which the hub must accept; the events are collected.
    function _reportFailure(Tracked storage t, uint256 w, FailureReason reason) private {
        vm.recordLogs();
        hub.reportFailure(
            t.request,
            t.input,
            reason,
            environmentId,
            _signFailure(w, t.request, reason)
        );
        _collect();
    }

    /// @dev Worker `w` tries to report `reason` for `t`, which the hub may refuse; the caller
    /// checks the outcome and collects the events.
    function _tryReportFailure(
        Tracked storage t,
        uint256 w,
        FailureReason reason
    ) private returns (bool success, bytes memory ret) {
        vm.recordLogs();
        (success, ret) = address(hub).call(
            abi.encodeCall(
                hub.reportFailure,
                (t.request, t.input, reason, environmentId, _signFailure(w, t.request, reason))
            )
        );
    }

    // ================================================================ hostile parties

    /// @dev The vetoing worker reports a failure on a QUORUM or ZK-mode request, which a single
    /// worker's word must never end: `FailureReportNotAllowed`.
    function vetoFailure(uint256 requestSeed, uint256 workerSeed, uint256 reasonSeed) external {
        if (hub.paused()) return;
        uint256 n = _tracked.length;
        for (uint256 k; k < n; ++k) {
            Tracked storage t = _tracked[((requestSeed % n) + k) % n];
            if (t.kind != Kind.Quorum && t.kind != Kind.ZkMode) continue;
            if (hub.requestStatus(t.request.id) != RequestStatus.Pending) continue;
            if (block.timestamp > t.request.deadline) continue;
            (bool ok, uint256 w) = _eligibleOther(workerSeed);
            if (!ok) return;
            FailureReason reason = FailureReason(1 + (reasonSeed % 3));
            (bool success, bytes memory ret) = _tryReportFailure(t, w, reason);
            _refused(
                t.kind == Kind.Quorum ? bytes32("vetoQuorum") : bytes32("vetoZk"),
                success,
                ret,
                IInferenceHub.FailureReportNotAllowed.selector
            );
            _collect();
            return;
        }
    }

    /// @dev The vetoing worker calls a valid input misshapen or undecodable, failures the chain
    /// checks for itself: `FailureNotShown`.
    function falseCheckableFailure(uint256 requestSeed, uint256 workerSeed, bool shape) external {
        if (hub.paused()) return;
        uint256 n = _tracked.length;
        for (uint256 k; k < n; ++k) {
            Tracked storage t = _tracked[((requestSeed % n) + k) % n];
            if (!_answerable(t)) continue;
            (bool ok, uint256 w) = _eligibleOther(workerSeed);
            if (!ok) return;
            FailureReason reason =
                shape ? FailureReason.InputShapeMismatch : FailureReason.InputUndecodable;
            (bool success, bytes memory ret) = _tryReportFailure(t, w, reason);
            _refused(
                shape ? bytes32("falseShape") : bytes32("falseUndecodable"),
                success,
                ret,
                IInferenceHub.FailureNotShown.selector
            );
            _collect();
            return;
        }
    }

    /// @dev A requester asks for more callback gas than `MAX_CALLBACK_GAS_LIMIT`, paying for all
    /// of it: `CallbackGasLimitTooHigh`. Were it taken, no refund or settlement could carry the
    /// callback, so it is tracked like any request for `invariant_noRequestIsStuck`.
    function hugeCallback(uint256 kindSeed, uint256 limitSeed, uint256 choice) external {
        if (hub.paused()) return;
        bytes32 modelId = _modelIds[kindSeed % 3];
        ProofMode mode = kindSeed % 3 == 0 ? ProofMode.QUORUM : ProofMode.ATTESTED;
        uint32 limit = uint32(
            bound(limitSeed, uint256(hub.MAX_CALLBACK_GAS_LIMIT()) + 1, type(uint32).max)
        );
        uint256 value = hub.quote(modelId, limit);
        bytes memory input = _input(choice);
        vm.deal(HOSTILE_REQUESTER, HOSTILE_REQUESTER.balance + value);
        vm.recordLogs();
        vm.prank(HOSTILE_REQUESTER);
        (bool ok, bytes memory ret) = address(hub).call{value: value}(
            abi.encodeCall(
                hub.requestInference,
                (
                    modelId,
                    input,
                    mode,
                    address(0),
                    address(consumer),
                    limit,
                    uint64(block.timestamp + 1 hours)
                )
            )
        );
        _refused("hugeCallback", ok, ret, IInferenceHub.CallbackGasLimitTooHigh.selector);
        if (ok) {
            ghostDepositedWei += value;
            _track(_requestFromLogs(), input, false);
        }
    }

    /// @dev The admin tries to swap the ZK or QUORUM verifier under pending requests:
    /// `ProofVerifierAlreadySet`.
    function swapVerifier(bool quorum) external {
        ProofMode mode = quorum ? ProofMode.QUORUM : ProofMode.ZK;
        IProofVerifier replacement = new MockProofVerifier();
        vm.prank(admin);
        (bool ok, bytes memory ret) = address(hub).call(
            abi.encodeCall(hub.setProofVerifier, (mode, replacement))
        );
        _refused("swapVerifier", ok, ret, IInferenceHub.ProofVerifierAlreadySet.selector);
    }

    /// @dev The hostile model owner's plan, one step per call: register an ATTESTED-only model
    /// (the handler then sends it requests), wait until it has been answered, then bind a ZK
    /// verifier whose hashes match, so that later requests are made with it.
    function lateModelOwner() external {
        if (lateModelStage == 0) {
            calls["lateModelRegistered"]++;
            uint32[] memory inShape = new uint32[](2);
            (inShape[0], inShape[1]) = (1, 16);
            uint32[] memory outShape = new uint32[](2);
            (outShape[0], outShape[1]) = (1, 1);
            vm.prank(modelOwner);
            models.registerModel(
                LATE_MODEL_ID,
                IModelRegistry.ModelSpec({
                    uri: "file://models/late.onnx",
                    inputShape: inShape,
                    outputShape: outShape,
                    decimals: 6,
                    feeWei: 0.001 ether,
                    proofModes: uint8(1 << uint8(ProofMode.ATTESTED)),
                    previousVersion: bytes32(0)
                })
            );
            _modelIds[3] = LATE_MODEL_ID;
            lateModelStage = 1;
        } else if (lateModelStage == 1 && lateAnswers != 0) {
            calls["lateModelBound"]++;
            MockZkModelVerifier verifier = new MockZkModelVerifier();
            IModelRegistry.ZkCommitment memory zk = IModelRegistry.ZkCommitment(
                verifier.circuitHash(),
                verifier.verifyingKeyHash(),
                address(verifier)
            );
            vm.prank(modelOwner);
            models.setZkCommitment(LATE_MODEL_ID, zk);
            lateModelStage = 2;
        }
    }

    /// @dev Once a ZK verifier is bound to the late model, its owner decides a dispute of a
    /// request made without one (the late model's first, else any jury dispute) by "proving" a
    /// wrong output: the submitted one if it is wrong (the challenger loses), another one if the
    /// submission is right (the worker is slashed). `NoZkVerifier`, always.
    function lateProof(uint256 requestSeed) external {
        if (lateModelStage != 2) return;
        uint256 n = _tracked.length;
        uint256 pick = type(uint256).max;
        for (uint256 k; k < n; ++k) {
            uint256 i = ((requestSeed % n) + k) % n;
            Tracked storage t = _tracked[i];
            if (t.kind != Kind.Jury) continue;
            if (hub.requestStatus(t.request.id) != RequestStatus.Challenged) continue;
            // A verdict after the timeout is refused for another reason.
            if (block.timestamp >= _expiresAt(t)) continue;
            pick = i;
            if (t.request.modelId == LATE_MODEL_ID) break;
        }
        if (pick == type(uint256).max) return;
        Tracked storage d = _tracked[pick];
        bytes memory forged = _wrong(d) ? d.submittedOutput : _output(d.request.id, 5);
        bytes memory proof = abi.encode(d.request.id, keccak256(forged), modelOwner);
        vm.recordLogs();
        vm.prank(modelOwner);
        (bool ok, bytes memory ret) = address(resolver).call(
            abi.encodeCall(
                resolver.resolveWithProof,
                (d.request, d.submission, d.challengeRecord, forged, proof)
            )
        );
        _refused("lateProof", ok, ret, _noZkVerifierSelector());
        _collect();
    }

    function _noZkVerifierSelector() private pure returns (bytes4) {
        return bytes4(keccak256("NoZkVerifier(bytes32)"));
    }

    /// @dev The dishonest worker's second address challenges its wrong result at once, claiming
    /// the right output, before an honest challenger can.
    function selfChallenge(uint256 requestSeed) external {
        if (hub.paused()) return;
        uint256 n = _tracked.length;
        for (uint256 k; k < n; ++k) {
            Tracked storage t = _tracked[((requestSeed % n) + k) % n];
            if (!_challengeable(t) || t.submission.worker != _workers[DISHONEST]) continue;
            if (!_wrong(t)) continue;
            _challengeAs(t, SIDEKICK, rightOutputHash(t.request.id));
            return;
        }
    }

    /// @dev Counts a hostile call; a refusal must carry `expected`, or the call did not test what
    /// it meant to.
    function _refused(bytes32 action, bool ok, bytes memory ret, bytes4 expected) private {
        hostileAttempts[action]++;
        if (ok) {
            hostileSuccesses[action]++;
            return;
        }
        if (ret.length < 4 || bytes4(ret) != expected) {
            fail(string.concat("hostile call refused for another reason: ", _name(action)));
        }
    }

    function _name(bytes32 action) private pure returns (string memory) {
        uint256 len;
        while (len < 32 && action[len] != 0) ++len;
        bytes memory out = new bytes(len);
        for (uint256 i; i < len; ++i) out[i] = action[i];
        return string(out);
    }

    // ================================================================ the guardian

    /// @dev A pause of up to two hours: the guardian lifts it when time passes its end (in
    /// `_warpTo`), or earlier through `unpause`; an endless pause would only starve the run.
    function pause(uint256 secondsSeed) external {
        if (hub.paused()) return;
        calls["pause"]++;
        pausedUntil = block.timestamp + bound(secondsSeed, 1 minutes, 2 hours);
        vm.prank(admin);
        hub.pause();
    }

    function unpause() external {
        if (!hub.paused()) return;
        calls["unpause"]++;
        vm.prank(admin);
        hub.unpause();
    }

    // ================================================================ compound actions
    // Long paths (a dispute reaching a jury, a full round) are rare as chains of single random
    // actions; these take several steps at once so that sequences reach them often, while the
    // single actions keep every interleaving possible.

    function quorumRound(uint256 valueSeed, uint256 choice, uint256 honesty) external {
        if (hub.paused()) return;
        uint256 last = _newRequest(0, valueSeed, choice, false);
        for (uint256 i; i < 3; ++i)
            this.commitQuorum(last, honesty >> (8 * i), honesty >> (8 * i + 4));
    }

    function escalatedDispute(
        uint256 valueSeed,
        uint256 choice,
        bool right,
        uint256 honesty
    ) external {
        if (hub.paused()) return;
        uint256 last = _newRequest(choice % 2 == 0 ? 1 : 3, valueSeed, choice, false);
        this.submit(last, choice >> 16, right);
        this.challenge(last, choice >> 24, !right);
        this.escalate(last, choice >> 32);
        for (uint256 i; i < 3; ++i)
            this.commitJury(last, honesty >> (8 * i), honesty >> (8 * i + 4));
    }

    /// @dev The dishonest worker answers a fresh request wrong and its second address challenges
    /// at once; for a jury dispute, a jury is called.
    function selfChallengedDispute(uint256 valueSeed, uint256 choice, uint256 honesty) external {
        if (hub.paused()) return;
        uint256 last = _newRequest(1 + (choice % 3), valueSeed, choice, false);
        Tracked storage t = _tracked[last];
        if (!workers.isEligible(_workers[DISHONEST])) return;
        _submitAs(t, DISHONEST, false, choice >> 8);
        this.selfChallenge(last);
        if (t.kind == Kind.Jury && _escalate(last, choice >> 16)) {
            for (uint256 i; i < 3; ++i)
                this.commitJury(last, honesty >> (8 * i), honesty >> (8 * i + 4));
        } else if (t.kind == Kind.Zk && (choice >> 24) % 2 == 0) {
            this.resolveWithProof(last, choice >> 32);
        }
    }

    /// @dev The hostile model owner's whole play at once: a request to its ATTESTED-only model is
    /// answered (right or wrong) and challenged (by the honest challenger if wrong, by a griefer
    /// claiming a wrong output if right), the owner binds a ZK verifier, then "proves" a wrong
    /// output in that dispute.
    function lateBindingDispute(uint256 valueSeed, uint256 choice, bool right) external {
        if (hub.paused()) return;
        if (lateModelStage == 0) this.lateModelOwner();
        if (lateModelStage == 2) {
            // Bound already: a request made now carries the verifier, so attack an older one.
            this.lateProof(choice);
            return;
        }
        uint256 last = _newRequest(3, valueSeed, choice, false);
        this.submit(last, choice >> 16, right);
        Tracked storage t = _tracked[last];
        // A wrong answer is the honest challenger's to dispute; a right one a griefer's.
        if (_challengeable(t) && _wrong(t)) {
            calls["honestChallenge"]++;
            _challengeAs(t, HONEST_CHALLENGER, rightOutputHash(t.request.id));
        } else {
            this.challenge(last, choice >> 24, false);
        }
        this.lateModelOwner();
        this.lateProof(last);
    }

    /// @dev The guardian's play: a fresh result (right or wrong) is answered, the hub paused, the
    /// challenge window left to pass inside the pause, and a finalize sent while still paused.
    function pausedWindow(uint256 valueSeed, uint256 choice, bool right) external {
        if (hub.paused()) return;
        uint256 last = _newRequest(1 + (choice % 3), valueSeed, choice, false);
        Tracked storage t = _tracked[last];
        (bool ok, uint256 w) = _eligibleWorker(choice >> 8);
        if (!ok) return;
        _submitAs(t, w, right || w == HONEST, choice >> 16);
        calls["pause"]++;
        pausedUntil = uint256(t.submission.finalizableAt) + 1 hours;
        vm.prank(admin);
        hub.pause();
        this.finalize(last, 1);
    }

    /// @dev The vetoing worker's play on a fresh QUORUM or ZK-mode request, and a false
    /// on-chain-checkable failure on a fresh ATTESTED one.
    function vetoFreshRequests(uint256 valueSeed, uint256 choice) external {
        if (hub.paused()) return;
        uint256 last = _newRequest(choice % 2 == 0 ? 0 : 4, valueSeed, choice, false);
        this.vetoFailure(last, choice >> 8, choice >> 16);
        last = _newRequest(1 + ((choice >> 24) % 3), valueSeed >> 8, choice >> 32, false);
        this.falseCheckableFailure(last, choice >> 40, (choice >> 48) % 2 == 0);
    }

    // ================================================================ money out, stake

    function withdraw(uint256 accountSeed, uint256 where, uint256 toSeed) external {
        address account = _accounts[accountSeed % _accounts.length];
        if (account == address(coordinator) || account == address(resolver)) return;
        address payable to = payable(_actor(toSeed));
        uint256 pick = where % 3;
        vm.recordLogs();
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
        _collect();
    }

    function collectProtocolFees() external {
        if (hub.protocolFeesWei() == 0) return;
        calls["collectProtocolFees"]++;
        vm.recordLogs();
        hub.collectProtocolFees();
        _collect();
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
        if (account == _workers[HONEST]) honestStakedWei += amount;
    }

    /// @dev Usually only stake above the minimum, so workers stay eligible; sometimes any amount.
    function startUnbonding(uint256 workerSeed, uint256 amountSeed) external {
        address account = _workers[workerSeed % 6];
        uint256 stake = workers.getWorker(account).stakeWei;
        uint256 minimum = workers.MIN_STAKE_WEI();
        uint256 most = amountSeed % 4 == 0 || stake <= minimum ? stake : stake - minimum;
        if (most == 0) return;
        calls["startUnbonding"]++;
        uint256 amount = bound(amountSeed >> 2, 1, most);
        vm.prank(account);
        workers.startUnbonding(amount);
        if (account == _workers[HONEST]) honestUnbondedWei += amount;
    }

    function withdrawStake(uint256 workerSeed, uint256 warpSeed) external {
        address account = _workers[workerSeed % 6];
        IWorkerRegistry.Worker memory info = workers.getWorker(account);
        if (info.unbondingWei == 0) return;
        if (block.timestamp < info.withdrawableAt) {
            if (!_mayWarp(warpSeed)) return;
            _warpTo(info.withdrawableAt);
            // Rounds closed on the way may have slashed some of it.
            info = workers.getWorker(account);
            if (info.unbondingWei == 0 || block.timestamp < info.withdrawableAt) return;
        }
        calls["withdrawStake"]++;
        vm.prank(account);
        workers.withdraw();
        ghostPaidOutWei += info.unbondingWei;
        ghostUnstakedWei += info.unbondingWei;
        if (account == _workers[HONEST]) honestWithdrawnWei += info.unbondingWei;
    }

    /// @dev Mostly minutes (rounds and windows are minutes to hours long), sometimes hours.
    function warp(uint256 secondsSeed) external {
        calls["warp"]++;
        uint256 most = secondsSeed % 4 == 0 ? 6 hours : 15 minutes;
        _warpTo(block.timestamp + bound(secondsSeed >> 2, 1, most));
    }

    // ================================================================ time, and who is online

    /// @dev Every move of time goes through here, so that the parties who are online act before
    /// their deadlines pass: the honest challenger challenges each wrong result whose window
    /// would close, and the honest worker reveals each seat whose reveal phase would end (in the
    /// order those phases end, stepping to each one's reveal phase if need be).
    function _warpTo(uint256 timestamp) private {
        _honestChallenges(timestamp);
        while (true) {
            (bool found, uint256 index, bool jury) = _nextHonestReveal(timestamp);
            if (!found) break;
            Tracked storage t = _tracked[index];
            QuorumRounds rounds =
                jury ? QuorumRounds(payable(resolver)) : QuorumRounds(payable(coordinator));
            IQuorumRounds.Round memory round = rounds.getRound(t.request.id);
            if (block.timestamp < round.commitEndsAt) vm.warp(round.commitEndsAt);
            address honest = _workers[HONEST];
            if (jury) {
                _revealJury(t, honest);
            } else {
                // A pause holds the reveal that would settle the request, and a seat not revealed
                // by the end of the phase is slashed as silent: the guardian here always lifts a
                // pause before that happens (see test/solidity/Invariant.Findings.t.sol).
                if (hub.paused()) {
                    calls["unpauseForReveal"]++;
                    vm.prank(admin);
                    hub.unpause();
                }
                vm.recordLogs();
                vm.prank(honest);
                coordinator.reveal(
                    t.request,
                    _committed[address(coordinator)][t.request.id][honest],
                    _salt(t.request.id, honest)
                );
                _collect();
            }
            calls["honestReveal"]++;
            // Time moved: a window may now close before `timestamp` that was open at the start.
            _honestChallenges(timestamp);
        }
        if (hub.paused() && timestamp >= pausedUntil) {
            if (pausedUntil > block.timestamp) vm.warp(pausedUntil);
            vm.prank(admin);
            hub.unpause();
            // Windows open during the pause run a full window from now: the challenger is back.
            _honestChallenges(timestamp);
        }
        if (timestamp > block.timestamp) vm.warp(timestamp);
    }

    /// @dev The honest worker's unrevealed seat whose reveal phase ends first before `timestamp`.
    function _nextHonestReveal(
        uint256 timestamp
    ) private returns (bool found, uint256 index, bool jury) {
        address honest = _workers[HONEST];
        uint256 earliest = type(uint256).max;
        for (uint256 i; i < _tracked.length; ++i) {
            Tracked storage t = _tracked[i];
            if (t.kind != Kind.Quorum && !(t.kind == Kind.Jury && t.escalated)) continue;
            QuorumRounds rounds =
                t.kind == Kind.Jury
                    ? QuorumRounds(payable(resolver))
                    : QuorumRounds(payable(coordinator));
            bytes32 seat = rounds.seatOf(t.request.id, honest);
            if (seat == bytes32(0) || uint256(seat) & 0xff != 1) continue;
            IQuorumRounds.Round memory round = rounds.getRound(t.request.id);
            if (!_roundOpen(round)) continue;
            if (block.timestamp > round.revealEndsAt) {
                // Too late already: the handler broke its own promise.
                honestMissedReveals++;
                continue;
            }
            if (round.revealEndsAt >= timestamp || round.revealEndsAt >= earliest) continue;
            (found, index, jury, earliest) = (true, i, t.kind == Kind.Jury, round.revealEndsAt);
        }
    }

    /// @dev The honest challenger challenges, claiming the right output, every wrong result whose
    /// window would be over at `timestamp` (it cannot while the hub is paused; a pause extends
    /// every open window by a full one after it ends).
    function _honestChallenges(uint256 timestamp) private {
        if (hub.paused()) return;
        for (uint256 i; i < _tracked.length; ++i) {
            Tracked storage t = _tracked[i];
            if (!_challengeable(t) || !_wrong(t)) continue;
            if (hub.challengeWindowEnd(t.request, t.submission) > timestamp) continue;
            calls["honestChallenge"]++;
            _challengeAs(t, HONEST_CHALLENGER, rightOutputHash(t.request.id));
        }
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

    /// @dev The structs the handler would re-supply to finalize or expire the request.
    function trackedRecords(
        uint256 index
    ) external view returns (Request memory, Submission memory, Challenge memory) {
        Tracked storage t = _tracked[index];
        return (t.request, t.submission, t.challengeRecord);
    }

    function trackedFlags(
        uint256 index
    )
        external
        view
        returns (bool challenged, bool badInput, bool byHonestChallenger, bool bySidekick)
    {
        Tracked storage t = _tracked[index];
        return (t.challenged, t.badInput, t.byHonestChallenger, t.bySidekick);
    }

    function failureReported(uint256 index) external view returns (bool) {
        return _tracked[index].failureReported;
    }

    function accounts() external view returns (address[] memory) {
        return _accounts;
    }

    function workerAddresses() external view returns (address[6] memory) {
        return _workers;
    }

    function hostileActions() external view returns (bytes32[] memory) {
        return _hostileActions;
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
            // A failure report's escrow went back to the requester when it was made.
            if (!t.failureReported) total += escrowWei(t.request);
            if (status == RequestStatus.Challenged) total += t.challengeRecord.bondWei;
        }
    }

    /// @dev What a request leaves in escrow once the protocol fee is earned.
    function escrowWei(Request memory r) public pure returns (uint256) {
        return uint256(r.modelFeeWei) + r.workerRewardWei + r.callbackFeeWei;
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
            // Every event counted here names its request, round or account first.
            if (log.topics.length < 2) continue;
            bytes32 topic = log.topics[0];
            if (log.emitter == address(hub)) {
                _collectHub(log, topic, uint256(log.topics[1]));
            } else if (
                log.emitter == address(workers) && topic == IWorkerRegistry.WorkerSlashed.selector
            ) {
                uint256 amountWei = abi.decode(log.data, (uint256));
                ghostSlashedTo[address(uint160(uint256(log.topics[2])))] += amountWei;
            } else if (log.emitter == address(coordinator) || log.emitter == address(resolver)) {
                _collectRounds(log, topic, uint256(log.topics[1]));
            }
        }
    }

    function _collectHub(Vm.Log memory log, bytes32 topic, uint256 id) private {
        if (topic == IInferenceHub.RequestSettled.selector) {
            settledEvents[id]++;
            (bytes32 outputHash, ) = abi.decode(log.data, (bytes32, uint8));
            settledOutputHash[id] = outputHash;
        } else if (topic == IInferenceHub.RequestRefunded.selector) {
            refundedEvents[id]++;
            (uint256 amountWei, ) = abi.decode(log.data, (uint256, uint8));
            refundedWei[id] += amountWei;
        } else if (topic == IInferenceHub.RequestFailed.selector) {
            failedEvents[id]++;
        } else if (topic == IInferenceHub.ChallengeResolved.selector) {
            (bool challengerWon, uint256 slashedWei) = abi.decode(log.data, (bool, uint256));
            ghostSlashPaidBy[address(hub)] += slashedWei;
            if (challengerWon) overturned[id] = true;
            disputeOutcome[id] = challengerWon ? 1 : 2;
            disputeSlashedWei[id] = slashedWei;
            Tracked storage t = _tracked[_indexOf[id]];
            // A colluding jury's verdict against the honest worker's right result.
            if (challengerWon && t.submission.worker == _workers[HONEST]) {
                if (wrongVerdict[address(resolver)][id]) honestSlashedByColludersWei += slashedWei;
            }
        } else if (topic == IInferenceHub.ChallengeExpired.selector) {
            disputeOutcome[id] = 3;
        } else if (topic == IInferenceHub.Withdrawn.selector) {
            uint256 amountWei = abi.decode(log.data, (uint256));
            ghostHubWithdrawnWei += amountWei;
            hubWithdrawnBy[address(uint160(id))] += amountWei;
        } else if (topic == IInferenceHub.ProtocolFeesCollected.selector) {
            ghostFeesCollectedWei += abi.decode(log.data, (uint256));
        }
    }

    function _collectRounds(Vm.Log memory log, bytes32 topic, uint256 roundId) private {
        address rounds = log.emitter;
        if (topic == IQuorumRounds.QuorumReached.selector) {
            quorumEvents[rounds][roundId]++;
            bytes32 outputHash = abi.decode(log.data, (bytes32));
            decidedOutputHash[rounds][roundId] = outputHash;
            if (outputHash != rightOutputHash(roundId)) wrongVerdict[rounds][roundId] = true;
        } else if (topic == IQuorumRounds.RoundClosed.selector) {
            closedEvents[rounds][roundId]++;
            (, , uint256 paidWei, uint256 slashedWei) = abi.decode(
                log.data,
                (bool, uint8, uint256, uint256)
            );
            ghostRoundPaid[rounds] += paidWei;
            ghostSlashPaidBy[rounds] += slashedWei;
        } else if (topic == IQuorumRounds.MemberPaid.selector) {
            ghostMemberPaid[rounds] += abi.decode(log.data, (uint256));
        } else if (topic == IQuorumRounds.MemberSlashed.selector) {
            address member = address(uint160(uint256(log.topics[2])));
            memberSlashed[rounds][roundId][member] = true;
            if (member == _workers[HONEST] && wrongVerdict[rounds][roundId]) {
                honestSlashedByColludersWei += abi.decode(log.data, (uint256));
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
        if (!_roundOpen(round)) return (false, address(0));
        if (block.timestamp > round.revealEndsAt) return (false, address(0));
        for (uint256 k; k < 6; ++k) {
            address worker = _workers[((seed % 6) + k) % 6];
            bytes32 seat = qr.seatOf(id, worker);
            if (seat == bytes32(0) || uint256(seat) & 0xff != 1) continue;
            // Only rounds whose reveal phase ends before this one's starts are touched on the way.
            if (block.timestamp < round.commitEndsAt) _warpTo(round.commitEndsAt);
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
            if (
                (t.kind == Kind.Jury || t.kind == Kind.Zk) &&
                hub.requestStatus(t.request.id) == status
            ) {
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

    /// @dev The same bytes with a [2, 8] header: as long as the model's input, of another shape.
    function _misshapen(bytes memory input) private pure returns (bytes memory) {
        input[6] = 0x02;
        input[10] = 0x08;
        return input;
    }
}
