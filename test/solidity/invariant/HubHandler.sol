// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {Test, Vm} from "../utils/Test.sol";
import {InferenceHub} from "../../../contracts/InferenceHub.sol";
import {ModelRegistry} from "../../../contracts/ModelRegistry.sol";
import {WorkerRegistry} from "../../../contracts/WorkerRegistry.sol";
import {IInferenceConsumer} from "@verity/solidity/interfaces/IInferenceConsumer.sol";
import {IInferenceHub} from "@verity/solidity/interfaces/IInferenceHub.sol";
import {
    Challenge,
    FailureReason,
    ProofMode,
    Request,
    RequestStatus,
    Submission
} from "@verity/solidity/types/Inference.sol";

/// @dev A callback target that counts the callbacks it completed, or reverts, or burns all its gas,
/// as the handler chooses for each request.
contract ScriptedConsumer is IInferenceConsumer {
    enum Behaviour {
        Succeed,
        Revert,
        BurnGas
    }

    address public immutable HUB;

    mapping(uint256 requestId => Behaviour) public behaviourOf;
    mapping(uint256 requestId => uint256 calls) public resultCalls;
    mapping(uint256 requestId => uint256 calls) public failureCalls;

    error NotHub(address caller);
    error Refused(uint256 requestId);

    constructor(address hub) {
        HUB = hub;
    }

    /// @dev Test-only: whoever sets up a request chooses how its callbacks behave.
    function setBehaviour(uint256 requestId, Behaviour behaviour) external {
        behaviourOf[requestId] = behaviour;
    }

    function onInferenceResult(uint256 requestId, bytes32, bytes calldata) external {
        _act(requestId);
        ++resultCalls[requestId];
    }

    function onInferenceFailed(uint256 requestId, FailureReason) external {
        _act(requestId);
        ++failureCalls[requestId];
    }

    function _act(uint256 requestId) private view {
        if (msg.sender != HUB) revert NotHub(msg.sender);
        Behaviour behaviour = behaviourOf[requestId];
        if (behaviour == Behaviour.Revert) revert Refused(requestId);
        if (behaviour == Behaviour.BurnGas) {
            while (true) {}
        }
    }
}

/// @dev Drives the hub through random but valid sequences of requests, results, failures,
/// challenges, refunds, withdrawals and stake changes. Every action checks its own preconditions
/// and does nothing when they cannot be met, so a revert from the hub is a finding (the invariant
/// test runs with fail-on-revert). The handler's ghost state is what it believes each request's
/// status is; the events it sees are counted separately, per request.
contract HubHandler is Test {
    struct Tracked {
        Request request;
        Submission submission;
        Challenge challengeRecord;
        bytes output;
        /// Misshapen inputs ([2, 8] for the model's [1, 16]) are the ones a failure is reported for.
        bytes input;
        RequestStatus status;
    }

    /// @dev Everything the deployment fixture hands over, in one struct to keep the stack small.
    struct Setup {
        InferenceHub hub;
        ModelRegistry models;
        WorkerRegistry workers;
        address admin;
        address modelOwner;
        address treasury;
        address requester;
        bytes32 modelId;
        bytes32 environmentId;
        uint256[2] workerKeys;
        ScriptedConsumer consumer;
    }

    InferenceHub public immutable hub;
    ModelRegistry public immutable models;
    WorkerRegistry public immutable workers;
    ScriptedConsumer public immutable consumer;
    address public immutable admin;
    address public immutable modelOwner;
    address public immutable treasury;
    bytes32 public immutable modelId;
    bytes32 public immutable environmentId;

    uint256[2] internal _workerKeys;
    address[2] internal _workerAddrs;
    /// @dev Accounts that send transactions: requesters, challengers, settlers.
    address[] internal _actors;
    /// @dev Every account the hub can ever credit in these sequences, each once.
    address[] internal _accounts;

    Tracked[] internal _tracked;

    // ---- ghost counters, from the hub's events
    mapping(uint256 requestId => uint256 count) public settledEvents;
    mapping(uint256 requestId => uint256 count) public refundedEvents;
    mapping(uint256 requestId => uint256 count) public failedEvents;

    // ---- ghost counters, from the handler's own bookkeeping
    uint256 public ghostSettled;
    uint256 public ghostRefunded;
    uint256 public ghostFailed;
    uint256 public ghostProtocolFeesEarnedWei;
    uint256 public ghostProtocolFeesCollectedWei;
    mapping(bytes32 action => uint256 count) public calls;

    constructor(Setup memory setup) {
        hub = setup.hub;
        models = setup.models;
        workers = setup.workers;
        admin = setup.admin;
        modelOwner = setup.modelOwner;
        treasury = setup.treasury;
        modelId = setup.modelId;
        environmentId = setup.environmentId;
        consumer = setup.consumer;
        for (uint256 i; i < 2; ++i) {
            _workerKeys[i] = setup.workerKeys[i];
            _workerAddrs[i] = vm.addr(setup.workerKeys[i]);
        }

        _actors.push(setup.requester);
        _actors.push(address(0xA001));
        _actors.push(address(0xA002));
        _actors.push(address(0xA003));
        _actors.push(_workerAddrs[0]);
        _actors.push(_workerAddrs[1]);

        for (uint256 i; i < _actors.length; ++i) _accounts.push(_actors[i]);
        _accounts.push(setup.modelOwner);
        _accounts.push(setup.treasury);
        _accounts.push(address(this)); // resolves challenges, so may earn callback fees
        _accounts.push(address(consumer));
    }

    /// @dev Withdrawals to the handler itself.
    receive() external payable {}

    // ================================================================ hub actions

    function requestInference(
        uint256 actorSeed,
        uint256 valueSeed,
        uint256 gasSeed,
        uint256 shapeSeed
    ) external {
        if (hub.paused()) return;
        calls["request"]++;
        uint256 choice = uint256(keccak256(abi.encode(shapeSeed, "choice")));
        (Request memory expected, uint256 value, uint64 protocolFeeWei) = _expectedRequest(
            _actor(actorSeed),
            valueSeed,
            gasSeed,
            choice
        );
        bytes memory input = _input(shapeSeed);
        if (shapeSeed % 4 == 0) {
            input[6] = 0x02;
            input[10] = 0x08;
        }
        expected.inputHash = keccak256(input);

        if (expected.callback != address(0)) {
            consumer.setBehaviour(expected.id, ScriptedConsumer.Behaviour((choice >> 12) % 3));
        }
        vm.deal(expected.requester, expected.requester.balance + value);
        vm.prank(expected.requester);
        uint256 id = hub.requestInference{value: value}(
            modelId,
            input,
            ProofMode.ATTESTED,
            expected.assignee,
            expected.callback,
            expected.callbackGasLimit,
            expected.deadline
        );
        assertEq(id, expected.id, "request id");
        assertEq(
            hub.requestCommitment(id) >> 8,
            keccak256(abi.encode(expected)) >> 8,
            "commitment is not the hash of the request"
        );
        ghostProtocolFeesEarnedWei += protocolFeeWei;

        Tracked storage t = _tracked.push();
        t.request = expected;
        t.input = input;
        t.status = RequestStatus.Pending;
    }

    /// @dev The request the hub must commit to, built independently of its event (all but the
    /// input hash), and a payment of at least the quote.
    function _expectedRequest(
        address from,
        uint256 valueSeed,
        uint256 gasSeed,
        uint256 choice
    ) private view returns (Request memory expected, uint256 value, uint64 protocolFeeWei) {
        IInferenceHub.Config memory cfg = hub.config();
        // A third of requests have no callback; the rest call the consumer, which succeeds,
        // reverts or burns its gas.
        bool withCallback = choice % 3 != 0;
        uint32 gasLimit = withCallback ? uint32(bound(gasSeed, 0, 150_000)) : 0;
        address assignee = (choice >> 8) % 3 == 2 ? address(0) : _workerAddrs[(choice >> 8) % 3];
        value = bound(
            valueSeed,
            hub.quote(modelId, gasLimit),
            hub.quote(modelId, gasLimit) + 1 ether
        );
        protocolFeeWei = cfg.protocolFeeWei;

        expected.id = hub.nextRequestId();
        expected.requester = from;
        expected.callback = withCallback ? address(consumer) : address(0);
        expected.modelOwner = models.getRequestTerms(modelId).owner;
        expected.assignee = assignee;
        expected.modelId = modelId;
        expected.modelFeeWei = models.getRequestTerms(modelId).feeWei;
        expected.callbackFeeWei = uint96(uint256(gasLimit) * cfg.callbackGasPriceWei);
        expected.workerRewardWei = uint96(
            value - expected.modelFeeWei - cfg.protocolFeeWei - expected.callbackFeeWei
        );
        expected.assignedUntil =
            assignee == address(0)
                ? uint64(block.timestamp)
                : uint64(block.timestamp) + cfg.assignmentGraceSeconds;
        expected.deadline = uint64(
            bound(
                choice >> 16,
                block.timestamp + cfg.assignmentGraceSeconds,
                block.timestamp + cfg.maxDeadlineSeconds
            )
        );
        expected.callbackGasLimit = gasLimit;
        expected.challengeWindowSeconds = cfg.challengeWindowSeconds;
        expected.proofMode = ProofMode.ATTESTED;
    }

    function submitResult(
        uint256 requestSeed,
        uint256 workerSeed,
        uint256 outputSeed,
        uint256 senderSeed
    ) external {
        if (hub.paused()) return;
        (bool found, uint256 index) = _pick(requestSeed, RequestStatus.Pending);
        if (!found) return;
        Tracked storage t = _tracked[index];
        Request memory r = t.request;
        if (block.timestamp > r.deadline) return;
        (bool ok, uint256 w) = _answerer(r, workerSeed);
        if (!ok) return;
        calls["submit"]++;

        bytes memory output = _output(outputSeed);
        bytes32 digest = hub.resultDigest(
            r.id,
            r.modelId,
            r.inputHash,
            keccak256(output),
            environmentId
        );
        bytes memory signature = _sign(_workerKeys[w], digest);
        vm.recordLogs();
        vm.prank(_actor(senderSeed));
        hub.submitResult(r, output, environmentId, signature);
        _countEvents();

        t.output = output;
        if (r.challengeWindowSeconds == 0) {
            _markSettled(t);
        } else {
            t.submission = Submission({
                worker: _workerAddrs[w],
                outputHash: keccak256(output),
                environmentId: environmentId,
                finalizableAt: uint64(block.timestamp) + r.challengeWindowSeconds
            });
            t.status = RequestStatus.Submitted;
        }
    }

    function finalize(uint256 requestSeed, uint256 senderSeed, uint256 extraSeconds) external {
        if (hub.paused()) return;
        (bool found, uint256 index) = _pick(requestSeed, RequestStatus.Submitted);
        if (!found) return;
        calls["finalize"]++;
        Tracked storage t = _tracked[index];
        uint64 windowEnd = hub.challengeWindowEnd(t.request, t.submission);
        if (block.timestamp < windowEnd) {
            vm.warp(windowEnd + bound(extraSeconds, 0, 1 hours));
        }
        vm.recordLogs();
        vm.prank(_actor(senderSeed));
        hub.finalize(t.request, t.submission, t.output);
        _countEvents();
        _markSettled(t);
    }

    function refund(uint256 requestSeed, uint256 senderSeed, uint256 extraSeconds) external {
        (bool found, uint256 index) = _pick(requestSeed, RequestStatus.Pending);
        if (!found) return;
        calls["refund"]++;
        Tracked storage t = _tracked[index];
        if (block.timestamp <= t.request.deadline) {
            vm.warp(t.request.deadline + 1 + bound(extraSeconds, 0, 1 hours));
        }
        vm.recordLogs();
        vm.prank(_actor(senderSeed));
        hub.refund(t.request);
        _countEvents();
        t.status = RequestStatus.Refunded;
        ghostRefunded++;
    }

    function reportFailure(
        uint256 requestSeed,
        uint256 workerSeed,
        uint8 reasonSeed,
        uint256 senderSeed
    ) external {
        if (hub.paused()) return;
        (bool found, uint256 index) = _pick(requestSeed, RequestStatus.Pending);
        if (!found) return;
        Tracked storage t = _tracked[index];
        Request memory r = t.request;
        if (block.timestamp > r.deadline) return;
        (bool ok, uint256 w) = _answerer(r, workerSeed);
        if (!ok) return;
        calls["reportFailure"]++;

        // Only failures the chain can see end a request at once: report them for misshapen inputs.
        if (uint8(t.input[6]) != 0x02) return;
        FailureReason reason = FailureReason.InputShapeMismatch;
        reasonSeed; // one reason applies to these inputs
        bytes32 digest = hub.failureDigest(r.id, r.modelId, r.inputHash, reason, environmentId);
        bytes memory signature = _sign(_workerKeys[w], digest);
        vm.recordLogs();
        vm.prank(_actor(senderSeed));
        hub.reportFailure(r, t.input, reason, environmentId, signature);
        _countEvents();
        t.status = RequestStatus.Failed;
        ghostFailed++;
    }

    function challenge(
        uint256 requestSeed,
        uint256 challengerSeed,
        uint256 bondSeed,
        bytes32 claimedOutputHash
    ) external {
        if (hub.paused()) return;
        (bool found, uint256 index) = _pick(requestSeed, RequestStatus.Submitted);
        if (!found) return;
        Tracked storage t = _tracked[index];
        if (block.timestamp >= t.submission.finalizableAt) return;
        calls["challenge"]++;
        if (claimedOutputHash == t.submission.outputHash) claimedOutputHash = ~claimedOutputHash;
        uint256 minimumBond = hub.disputeConfig().challengeBondWei;
        uint256 bond = bound(bondSeed, minimumBond, 3 * minimumBond);
        address challenger = _actor(challengerSeed);

        vm.deal(challenger, challenger.balance + bond);
        vm.prank(challenger);
        hub.challenge{value: bond}(t.request, t.submission, claimedOutputHash);
        t.challengeRecord = Challenge({
            challenger: challenger,
            bondWei: uint96(bond),
            claimedOutputHash: claimedOutputHash,
            challengedAt: uint64(block.timestamp)
        });
        t.status = RequestStatus.Challenged;
    }

    /// @dev The handler holds DISPUTE_RESOLVER_ROLE, so it sends this one itself.
    function resolveChallenge(uint256 requestSeed, bool challengerWon) external {
        (bool found, uint256 index) = _pick(requestSeed, RequestStatus.Challenged);
        if (!found) return;
        Tracked storage t = _tracked[index];
        // A timed-out dispute can only expire.
        uint256 expiresAt =
            uint256(t.challengeRecord.challengedAt) + hub.disputeConfig().disputeTimeoutSeconds;
        if (block.timestamp >= expiresAt) return;
        calls[challengerWon ? bytes32("resolveWon") : bytes32("resolveLost")]++;
        vm.recordLogs();
        hub.resolveChallenge(t.request, t.submission, t.challengeRecord, t.output, challengerWon);
        _countEvents();
        if (challengerWon) {
            t.status = RequestStatus.Refunded;
            ghostRefunded++;
        } else {
            _markSettled(t);
        }
    }

    function expireChallenge(
        uint256 requestSeed,
        uint256 senderSeed,
        uint256 extraSeconds
    ) external {
        (bool found, uint256 index) = _pick(requestSeed, RequestStatus.Challenged);
        if (!found) return;
        calls["expireChallenge"]++;
        Tracked storage t = _tracked[index];
        uint256 expiresAt =
            t.challengeRecord.challengedAt + hub.disputeConfig().disputeTimeoutSeconds;
        if (block.timestamp < expiresAt) vm.warp(expiresAt + bound(extraSeconds, 0, 1 hours));
        vm.recordLogs();
        vm.prank(_actor(senderSeed));
        hub.expireChallenge(t.request, t.submission, t.challengeRecord);
        _countEvents();
        t.status = RequestStatus.Refunded;
        ghostRefunded++;
    }

    function withdraw(uint256 accountSeed, uint256 toSeed) external {
        address account = _accounts[accountSeed % _accounts.length];
        if (hub.balanceOf(account) == 0 || account == address(consumer)) return;
        calls["withdraw"]++;
        address payable to = payable(_actor(toSeed));
        if (account == address(this)) {
            hub.withdraw(to);
        } else {
            vm.prank(account);
            hub.withdraw(to);
        }
    }

    function collectProtocolFees(uint256 senderSeed) external {
        uint256 fees = hub.protocolFeesWei();
        if (fees == 0) return;
        calls["collectProtocolFees"]++;
        vm.prank(_actor(senderSeed));
        hub.collectProtocolFees();
        ghostProtocolFeesCollectedWei += fees;
    }

    /// @dev Finalization, refunds, resolutions and withdrawals must keep working while paused.
    function togglePause() external {
        calls["togglePause"]++;
        bool paused = hub.paused();
        vm.prank(admin);
        if (paused) hub.unpause();
        else hub.pause();
    }

    function warp(uint256 secondsSeed) external {
        calls["warp"]++;
        vm.warp(block.timestamp + bound(secondsSeed, 1, 2 days));
    }

    /// @dev New requests get the new window; requests already made keep theirs.
    function setChallengeWindow(uint256 windowSeed) external {
        calls["setChallengeWindow"]++;
        IInferenceHub.Config memory cfg = hub.config();
        uint256 pick = windowSeed % 3;
        cfg.challengeWindowSeconds =
            pick == 0 ? 0 : uint24(pick == 1 ? 1 hours : bound(windowSeed >> 8, 1, 1 days));
        vm.prank(admin);
        hub.setConfig(cfg);
    }

    /// @dev Requests already made keep the fee they escrowed.
    function setModelFee(uint256 feeSeed) external {
        calls["setModelFee"]++;
        vm.prank(modelOwner);
        models.setFee(modelId, uint64(bound(feeSeed, 0, 0.01 ether)));
    }

    // ================================================================ worker stake actions

    function addStake(uint256 workerSeed, uint256 amountSeed) external {
        calls["addStake"]++;
        address account = _workerAddrs[workerSeed % 2];
        uint256 amount = bound(amountSeed, 1, 2 ether);
        vm.deal(account, account.balance + amount);
        vm.prank(account);
        workers.addStake{value: amount}();
    }

    function startUnbonding(uint256 workerSeed, uint256 amountSeed) external {
        address account = _workerAddrs[workerSeed % 2];
        uint256 stake = workers.getWorker(account).stakeWei;
        if (stake == 0) return;
        calls["startUnbonding"]++;
        vm.prank(account);
        workers.startUnbonding(bound(amountSeed, 1, stake));
    }

    function withdrawStake(uint256 workerSeed) external {
        address account = _workerAddrs[workerSeed % 2];
        WorkerRegistry.Worker memory w = workers.getWorker(account);
        if (w.unbondingWei == 0) return;
        calls["withdrawStake"]++;
        if (block.timestamp < w.withdrawableAt) vm.warp(w.withdrawableAt);
        vm.prank(account);
        workers.withdraw();
    }

    // ================================================================ views for the invariants

    function trackedCount() external view returns (uint256) {
        return _tracked.length;
    }

    function trackedRequestId(uint256 index) external view returns (uint256) {
        return _tracked[index].request.id;
    }

    function trackedStatus(uint256 index) external view returns (RequestStatus) {
        return _tracked[index].status;
    }

    /// @dev What the hub still owes on requests that are not final: escrow less the protocol fee
    /// (already earned at request time), plus any challenge bond.
    function openEscrowWei() external view returns (uint256 total) {
        for (uint256 i; i < _tracked.length; ++i) {
            Tracked storage t = _tracked[i];
            RequestStatus status = t.status;
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

    /// @dev The sum of the hub's credited balances over every account that can hold one.
    function creditedWei() external view returns (uint256 total) {
        for (uint256 i; i < _accounts.length; ++i) total += hub.balanceOf(_accounts[i]);
    }

    function workerAddresses() external view returns (address[2] memory) {
        return _workerAddrs;
    }

    // ================================================================ internals

    function _markSettled(Tracked storage t) private {
        t.status = RequestStatus.Settled;
        ghostSettled++;
    }

    /// @dev The first tracked request in `status`, scanning from a random start.
    function _pick(uint256 seed, RequestStatus status) private view returns (bool, uint256) {
        uint256 n = _tracked.length;
        if (n == 0) return (false, 0);
        uint256 start = seed % n;
        for (uint256 k; k < n; ++k) {
            uint256 i = (start + k) % n;
            if (_tracked[i].status == status) return (true, i);
        }
        return (false, 0);
    }

    /// @dev A worker (index) that may answer `r` now: eligible, and the assignee or past the grace.
    function _answerer(Request memory r, uint256 seed) private view returns (bool, uint256) {
        uint256 first = seed % 2;
        for (uint256 k; k < 2; ++k) {
            uint256 w = (first + k) % 2;
            address account = _workerAddrs[w];
            if (!workers.isEligible(account)) continue;
            if (account != r.assignee && block.timestamp < r.assignedUntil) continue;
            return (true, w);
        }
        return (false, 0);
    }

    /// @dev Counts the settlement events the hub emitted, per request.
    function _countEvents() private {
        Vm.Log[] memory logs = vm.getRecordedLogs();
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].emitter != address(hub)) continue;
            bytes32 topic = logs[i].topics[0];
            uint256 id = uint256(logs[i].topics.length > 1 ? logs[i].topics[1] : bytes32(0));
            if (topic == IInferenceHub.RequestSettled.selector) settledEvents[id]++;
            else if (topic == IInferenceHub.RequestRefunded.selector) refundedEvents[id]++;
            else if (topic == IInferenceHub.RequestFailed.selector) failedEvents[id]++;
        }
    }

    function _actor(uint256 seed) private view returns (address) {
        return _actors[seed % _actors.length];
    }

    function _sign(uint256 key, bytes32 digest) private pure returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, digest);
        return abi.encodePacked(r, s, v);
    }

    /// @dev A [1, 16] int32 tensor with values drawn from `seed`.
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

    /// @dev A [1, 1] int32 tensor.
    function _output(uint256 seed) private pure returns (bytes memory) {
        return
            abi.encodePacked(
                uint8(1),
                uint8(1),
                uint8(2),
                uint32(1),
                uint32(1),
                int32(int256(seed % 2 ** 31))
            );
    }
}
