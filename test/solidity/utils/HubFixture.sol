// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {Test, Vm} from "./Test.sol";
import {InferenceHub} from "../../../contracts/InferenceHub.sol";
import {ModelRegistry} from "../../../contracts/ModelRegistry.sol";
import {WorkerRegistry} from "../../../contracts/WorkerRegistry.sol";
import {IInferenceHub} from "@verity/solidity/interfaces/IInferenceHub.sol";
import {IModelRegistry} from "@verity/solidity/interfaces/IModelRegistry.sol";
import {MockZkModelVerifier} from "../../../contracts/mocks/MockZkModelVerifier.sol";
import {
    Challenge,
    FailureReason,
    ProofMode,
    Request,
    Submission
} from "@verity/solidity/types/Inference.sol";

/// @dev Deploys the protocol with a registered 16-feature model and two staked workers, and
/// builds the inputs and signatures that tests need.
abstract contract HubFixture is Test {
    uint256 internal constant MIN_STAKE = 1 ether;
    uint64 internal constant UNBONDING_DELAY = 7 days;
    uint48 internal constant ADMIN_TRANSFER_DELAY = 1 days;
    uint64 internal constant MODEL_FEE = 0.001 ether;
    uint64 internal constant PROTOCOL_FEE = 0.0001 ether;
    uint64 internal constant MIN_REWARD = 0.0005 ether;
    uint64 internal constant CALLBACK_GAS_PRICE = 1 gwei;
    uint16 internal constant GRACE = 30;
    uint24 internal constant CHALLENGE_WINDOW = 1 hours;
    uint24 internal constant MAX_DEADLINE = 1 days;
    uint96 internal constant CHALLENGE_BOND = 0.1 ether;
    uint96 internal constant SLASH_AMOUNT = 0.5 ether;
    /// @dev What a winning challenger earns of a slash (`CHALLENGER_SHARE_BPS`); the treasury the rest.
    uint96 internal constant CHALLENGER_SLASH = SLASH_AMOUNT / 2;
    uint32 internal constant DISPUTE_TIMEOUT = 3 days;

    bytes32 internal constant ENV = keccak256(
        "verity-worker/0.1.0 onnxruntime/1.30 node/22 cpu threads=1"
    );
    /// @dev sha256("risk-model.onnx bytes"), written out: a `sha256(...)` constant is evaluated at
    /// each use by a call to the SHA-256 precompile, and that call consumes a pending `vm.prank`
    /// (so `vm.prank(x); hub.requestInference(MODEL_ID, ...)` would not be sent from `x`).
    bytes32 internal constant MODEL_ID =
        0xcc671758608e7a63319de81c3252852a1a1f7849209c77b47c6ec547b6ede538;

    address internal admin = address(0xA11CE);
    address internal treasury = address(0x7EA5);
    address internal modelOwner = address(0x0DE1);
    address internal requester = address(0xBEEF);

    uint256 internal constant WORKER_KEY = 0xA1;
    uint256 internal constant OTHER_WORKER_KEY = 0xB2;
    address internal worker;
    address internal otherWorker;

    ModelRegistry internal models;
    WorkerRegistry internal workers;
    InferenceHub internal hub;

    function setUp() public virtual {
        vm.warp(1_700_000_000);
        worker = vm.addr(WORKER_KEY);
        otherWorker = vm.addr(OTHER_WORKER_KEY);
        models = new ModelRegistry();
        workers = new WorkerRegistry(admin, MIN_STAKE, UNBONDING_DELAY, ADMIN_TRANSFER_DELAY);
        hub = new InferenceHub(
            admin,
            models,
            workers,
            treasury,
            IInferenceHub.Config({
                protocolFeeWei: PROTOCOL_FEE,
                minWorkerRewardWei: MIN_REWARD,
                callbackGasPriceWei: CALLBACK_GAS_PRICE,
                assignmentGraceSeconds: GRACE,
                challengeWindowSeconds: CHALLENGE_WINDOW,
                maxDeadlineSeconds: MAX_DEADLINE
            }),
            IInferenceHub.DisputeConfig({
                challengeBondWei: CHALLENGE_BOND,
                slashAmountWei: SLASH_AMOUNT,
                disputeTimeoutSeconds: DISPUTE_TIMEOUT
            })
        );
        _wireSlashers();
        vm.prank(admin);
        workers.approveEnvironment(ENV, "test environment");

        vm.prank(modelOwner);
        models.registerModel(MODEL_ID, _spec(_shape(1, 16), _shape(1, 1)));

        _registerWorker(worker);
        _registerWorker(otherWorker);
        vm.deal(requester, 100 ether);
    }

    /// @dev Fixes the registry's slashers (once: the registry refuses a second call). Fixtures that
    /// deploy more slashers override this and wire them all when they exist.
    function _wireSlashers() internal virtual {
        address[] memory slashers = new address[](1);
        slashers[0] = address(hub);
        workers.setSlashers(slashers);
    }

    function _registerWorker(address account) internal {
        vm.deal(account, 10 ether);
        vm.prank(account);
        workers.register{value: MIN_STAKE}(ENV);
    }

    function _shape(uint32 a, uint32 b) internal pure returns (uint32[] memory shape) {
        shape = new uint32[](2);
        shape[0] = a;
        shape[1] = b;
    }

    function _spec(
        uint32[] memory inputShape,
        uint32[] memory outputShape
    ) internal pure returns (IModelRegistry.ModelSpec memory) {
        return
            IModelRegistry.ModelSpec({
                uri: "file://models/risk.onnx",
                inputShape: inputShape,
                outputShape: outputShape,
                decimals: 6,
                feeWei: MODEL_FEE,
                proofModes: uint8(1 << uint8(ProofMode.ATTESTED)),
                previousVersion: bytes32(0)
            });
    }

    /// @dev A canonical int32 tensor of shape [1, n] holding `seed`, `seed + 1`, ...
    function _tensor(uint32 n, int32 seed) internal pure returns (bytes memory out) {
        out = abi.encodePacked(uint8(1), uint8(1), uint8(2), uint32(1), uint32(n));
        for (uint32 i; i < n; ++i) {
            out = abi.encodePacked(out, seed + int32(i));
        }
    }

    function _input() internal pure returns (bytes memory) {
        return _tensor(16, 1_000);
    }

    /// @dev As long as the model's input, but of shape [2, 8]: the chain sees the mismatch.
    function _misshapenInput() internal pure returns (bytes memory out) {
        out = _input();
        out[6] = 0x02; // first dimension: 1 -> 2
        out[10] = 0x08; // second dimension: 16 -> 8
    }

    /// @dev As long as the model's input, but of an unknown encoding version.
    function _undecodableInput() internal pure returns (bytes memory out) {
        out = _input();
        out[0] = 0x02;
    }

    function _output(int32 value) internal pure returns (bytes memory) {
        return _tensor(1, value);
    }

    function _minPayment(uint32 callbackGasLimit) internal view returns (uint256) {
        return hub.quote(MODEL_ID, callbackGasLimit);
    }

    /// @dev Makes a request as `from` and returns the struct the hub committed to, read back from
    /// the `InferenceRequested` event as a worker would.
    function _request(
        address from,
        address callback,
        uint32 callbackGasLimit,
        uint256 valueWei
    ) internal returns (Request memory request) {
        return _request(from, callback, callbackGasLimit, valueWei, _input());
    }

    function _request(
        address from,
        address callback,
        uint32 callbackGasLimit,
        uint256 valueWei,
        bytes memory input
    ) internal returns (Request memory request) {
        vm.recordLogs();
        vm.prank(from);
        hub.requestInference{value: valueWei}(
            MODEL_ID,
            input,
            ProofMode.ATTESTED,
            worker,
            callback,
            callbackGasLimit,
            uint64(block.timestamp + 1 hours)
        );
        request = _lastRequest();
    }

    function _request() internal returns (Request memory) {
        return _request(requester, address(0), 0, _minPayment(0));
    }

    function _lastRequest() internal returns (Request memory request) {
        Vm.Log[] memory logs = vm.getRecordedLogs();
        bytes32 topic = IInferenceHub.InferenceRequested.selector;
        for (uint256 i = logs.length; i > 0; --i) {
            if (logs[i - 1].emitter == address(hub) && logs[i - 1].topics[0] == topic) {
                (request, ) = abi.decode(logs[i - 1].data, (Request, bytes));
                return request;
            }
        }
        fail("no InferenceRequested event");
    }

    function _signResult(
        uint256 key,
        Request memory request,
        bytes memory output,
        bytes32 environmentId
    ) internal view returns (bytes memory) {
        bytes32 digest = hub.resultDigest(
            request.id,
            request.modelId,
            request.inputHash,
            keccak256(output),
            environmentId
        );
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, digest);
        return abi.encodePacked(r, s, v);
    }

    function _signFailure(
        uint256 key,
        Request memory request,
        FailureReason reason
    ) internal view returns (bytes memory) {
        bytes32 digest = hub.failureDigest(
            request.id,
            request.modelId,
            request.inputHash,
            reason,
            ENV
        );
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, digest);
        return abi.encodePacked(r, s, v);
    }

    // ------------------------------------------------------------ helpers added for hub unit tests

    /// @dev Signs `digest` with `key` as r || s || v.
    function _sign(uint256 key, bytes32 digest) internal pure returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, digest);
        return abi.encodePacked(r, s, v);
    }

    /// @dev The address `signature` (r || s || v) recovers to for `digest`, as ecrecover sees it.
    function _recover(bytes32 digest, bytes memory signature) internal pure returns (address) {
        bytes32 r;
        bytes32 s;
        uint8 v;
        assembly ("memory-safe") {
            r := mload(add(signature, 0x20))
            s := mload(add(signature, 0x40))
            v := byte(0, mload(add(signature, 0x60)))
        }
        return ecrecover(digest, v, r, s);
    }

    /// @dev Submits `output` for `request` signed by `key` on `ENV` (sent by this contract) and
    /// returns the submission the hub committed to.
    function _submit(
        uint256 key,
        Request memory request,
        bytes memory output
    ) internal returns (Submission memory submission) {
        bytes memory signature = _signResult(key, request, output, ENV);
        hub.submitResult(request, output, ENV, signature);
        submission = Submission({
            worker: vm.addr(key),
            outputHash: keccak256(output),
            environmentId: ENV,
            finalizableAt: uint64(block.timestamp) + request.challengeWindowSeconds
        });
    }

    /// @dev Challenges `submission` as `challenger` with exactly the bond and returns the record.
    function _challenge(
        address challenger,
        Request memory request,
        Submission memory submission,
        bytes32 claimedOutputHash
    ) internal returns (Challenge memory record) {
        vm.deal(challenger, challenger.balance + CHALLENGE_BOND);
        vm.prank(challenger);
        hub.challenge{value: CHALLENGE_BOND}(request, submission, claimedOutputHash);
        record = Challenge({
            challenger: challenger,
            bondWei: CHALLENGE_BOND,
            claimedOutputHash: claimedOutputHash,
            challengedAt: uint64(block.timestamp)
        });
    }

    /// @dev Binds a stand-in ZK verifier to `modelId` with the hashes it reports, as the registry
    /// requires. Call it as the model's owner.
    function _commitZk(bytes32 modelId) internal returns (MockZkModelVerifier verifier) {
        verifier = new MockZkModelVerifier();
        models.setZkCommitment(
            modelId,
            IModelRegistry.ZkCommitment(
                verifier.circuitHash(),
                verifier.verifyingKeyHash(),
                address(verifier)
            )
        );
    }

    /// @dev The fixture's hub config with another challenge window.
    function _configWithWindow(
        uint24 challengeWindowSeconds
    ) internal pure returns (IInferenceHub.Config memory) {
        return
            IInferenceHub.Config({
                protocolFeeWei: PROTOCOL_FEE,
                minWorkerRewardWei: MIN_REWARD,
                callbackGasPriceWei: CALLBACK_GAS_PRICE,
                assignmentGraceSeconds: GRACE,
                challengeWindowSeconds: challengeWindowSeconds,
                maxDeadlineSeconds: MAX_DEADLINE
            });
    }

    /// @dev Makes requests settle at submission (no challenge window).
    function _disableChallengeWindow() internal {
        vm.prank(admin);
        hub.setConfig(_configWithWindow(0));
    }
}
