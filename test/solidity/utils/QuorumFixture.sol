// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {HubFixture} from "./HubFixture.sol";
import {DisputeResolver} from "../../../contracts/disputes/DisputeResolver.sol";
import {QuorumCoordinator} from "../../../contracts/quorum/QuorumCoordinator.sol";
import {MockProofVerifier} from "../../../contracts/mocks/MockProofVerifier.sol";
import {RecordingConsumer} from "../../../contracts/mocks/RecordingConsumer.sol";
import {IDisputeResolver} from "@verity/solidity/interfaces/IDisputeResolver.sol";
import {IModelRegistry} from "@verity/solidity/interfaces/IModelRegistry.sol";
import {IQuorumCoordinator} from "@verity/solidity/interfaces/IQuorumCoordinator.sol";
import {Challenge, ProofMode, Request, Submission} from "@verity/solidity/types/Inference.sol";

/// @dev The hub fixture plus the quorum coordinator (the hub's QUORUM verifier) and the dispute
/// resolver (its DISPUTE_RESOLVER_ROLE), both allowed to slash, six staked workers, a model that
/// allows QUORUM and one with a (mock) ZK verifier.
abstract contract QuorumFixture is HubFixture {
    uint8 internal constant DEFAULT_QUORUM = 2;
    uint32 internal constant COMMIT_WINDOW = 10 minutes;
    uint32 internal constant REVEAL_WINDOW = 10 minutes;
    uint96 internal constant QUORUM_SLASH = 0.5 ether;
    uint8 internal constant JURY_SIZE = 2;
    uint32 internal constant JURY_COMMIT_WINDOW = 1 hours;
    uint32 internal constant JURY_REVEAL_WINDOW = 1 hours;
    uint96 internal constant JUROR_FEE = 0.01 ether;
    uint96 internal constant JUROR_SLASH = 0.5 ether;
    /// @dev Enough for the recording consumer's first writes.
    uint32 internal constant CALLBACK_GAS = 300_000;

    /// @dev Arbitrary ids, written out as literals for the reason `MODEL_ID` is (see HubFixture).
    bytes32 internal constant QUORUM_MODEL_ID =
        0x5b1f6c0b04f3e0b8e5a6a33b0f9f3cc1fd9a1e1e4f3a0f6c46d1ae3a9b5b2c11;
    bytes32 internal constant ZK_MODEL_ID =
        0x2a8f7e34b0e0dc0c4a2b57b7bce2f8b6e1f1f0d0a3a4e5c6b7d8e9f0a1b2c3d4;

    uint256[6] internal KEYS = [uint256(0xA1), 0xB2, 0xC3, 0xD4, 0xE5, 0xF6];
    address[6] internal w;

    QuorumCoordinator internal coordinator;
    DisputeResolver internal resolver;
    MockProofVerifier internal zkVerifier;
    RecordingConsumer internal consumer;

    /// @dev The coordinator and the resolver do not exist yet: `setUp` wires all three slashers.
    function _wireSlashers() internal virtual override {}

    function setUp() public virtual override {
        super.setUp();
        for (uint256 i; i < KEYS.length; ++i) {
            w[i] = vm.addr(KEYS[i]);
            // The hub fixture registered the first two.
            if (i >= 2) _registerWorker(w[i]);
        }
        coordinator = new QuorumCoordinator(
            admin,
            hub,
            models,
            workers,
            IQuorumCoordinator.QuorumConfig({
                defaultQuorum: DEFAULT_QUORUM,
                commitWindowSeconds: COMMIT_WINDOW,
                revealWindowSeconds: REVEAL_WINDOW,
                slashAmountWei: QUORUM_SLASH
            })
        );
        resolver = new DisputeResolver(
            admin,
            hub,
            models,
            workers,
            IDisputeResolver.JuryConfig({
                jurySize: JURY_SIZE,
                commitWindowSeconds: JURY_COMMIT_WINDOW,
                revealWindowSeconds: JURY_REVEAL_WINDOW,
                jurorFeeWei: JUROR_FEE,
                jurorSlashWei: JUROR_SLASH
            })
        );
        zkVerifier = new MockProofVerifier();
        consumer = new RecordingConsumer(hub);

        address[] memory slashers = new address[](3);
        (slashers[0], slashers[1], slashers[2]) = (
            address(hub),
            address(coordinator),
            address(resolver)
        );
        workers.setSlashers(slashers);
        vm.startPrank(admin);
        hub.grantRole(hub.DISPUTE_RESOLVER_ROLE(), address(resolver));
        hub.setProofVerifier(ProofMode.QUORUM, coordinator);
        hub.setProofVerifier(ProofMode.ZK, zkVerifier);
        vm.stopPrank();

        IModelRegistry.ModelSpec memory spec = _spec(_shape(1, 16), _shape(1, 1));
        spec.proofModes = uint8((1 << uint8(ProofMode.ATTESTED)) | (1 << uint8(ProofMode.QUORUM)));
        vm.startPrank(modelOwner);
        models.registerModel(QUORUM_MODEL_ID, spec);
        spec.proofModes = uint8(1 << uint8(ProofMode.ATTESTED));
        models.registerModel(ZK_MODEL_ID, spec);
        _commitZk(ZK_MODEL_ID);
        vm.stopPrank();
    }

    // ------------------------------------------------------------ QUORUM requests

    /// @dev A QUORUM request from `requester` with a callback to the recording consumer.
    function _quorumRequest() internal returns (Request memory) {
        return _quorumRequest(uint64(block.timestamp + 1 hours));
    }

    function _quorumRequest(uint64 deadline) internal returns (Request memory) {
        uint256 payment = hub.quote(QUORUM_MODEL_ID, CALLBACK_GAS);
        vm.recordLogs();
        // After the quote: a call in the argument list would consume the prank.
        vm.prank(requester);
        hub.requestInference{value: payment}(
            QUORUM_MODEL_ID,
            _input(),
            ProofMode.QUORUM,
            address(0),
            address(consumer),
            CALLBACK_GAS,
            deadline
        );
        return _lastRequest();
    }

    function _salt(uint256 i) internal pure returns (bytes32) {
        return keccak256(abi.encode("salt", i));
    }

    /// @dev Worker `i` commits to `output` for round `roundId` of `target` (coordinator or resolver).
    function _commitment(
        address target,
        uint256 roundId,
        uint256 i,
        bytes memory output
    ) internal view returns (bytes32) {
        return
            QuorumCoordinator(payable(target)).commitmentOf(
                roundId,
                w[i],
                keccak256(output),
                _salt(i)
            );
    }

    function _commitQuorum(Request memory r, uint256 i, bytes memory output) internal {
        bytes32 c = _commitment(address(coordinator), r.id, i, output);
        vm.prank(w[i]);
        coordinator.commit(r, c);
    }

    function _revealQuorum(Request memory r, uint256 i, bytes memory output) internal {
        vm.prank(w[i]);
        coordinator.reveal(r, output, _salt(i));
    }

    // ------------------------------------------------------------ disputes

    /// @dev An ATTESTED request for `modelId`, answered with `output` by worker 0 and challenged
    /// by worker 1 claiming `claimed`.
    function _disputed(
        bytes32 modelId,
        bytes memory output,
        bytes memory claimed
    ) internal returns (Request memory r, Submission memory s, Challenge memory c) {
        r = _requestOnly(modelId);
        s = _submit(KEYS[0], r, output);
        c = _challenge(w[1], r, s, keccak256(claimed));
    }

    /// @dev An ATTESTED request for `modelId` by the requester, calling the consumer back; no
    /// result yet.
    function _requestOnly(bytes32 modelId) internal returns (Request memory r) {
        uint256 payment = hub.quote(modelId, CALLBACK_GAS);
        vm.recordLogs();
        vm.prank(requester);
        hub.requestInference{value: payment}(
            modelId,
            _input(),
            ProofMode.ATTESTED,
            address(0),
            address(consumer),
            CALLBACK_GAS,
            uint64(block.timestamp + 1 hours)
        );
        r = _lastRequest();
    }

    function _escalate(Request memory r, Submission memory s, Challenge memory c) internal {
        address escalator = address(0xE5CA);
        vm.deal(escalator, JUROR_FEE);
        vm.prank(escalator);
        resolver.escalate{value: JUROR_FEE}(r, s, c);
    }

    function _commitJury(uint256 requestId, uint256 i, bytes memory output) internal {
        bytes32 commitment = _commitment(address(resolver), requestId, i, output);
        vm.prank(w[i]);
        resolver.commit(requestId, commitment);
    }

    function _revealJury(
        Request memory r,
        Submission memory s,
        Challenge memory c,
        uint256 i,
        bytes memory output
    ) internal {
        vm.prank(w[i]);
        resolver.reveal(r, s, c, output, _salt(i));
    }

    /// @dev A proof the mock ZK verifier accepts for `output` of `r`, naming `prover`.
    function _zkProof(
        Request memory r,
        bytes memory output,
        address prover
    ) internal pure returns (bytes memory) {
        return abi.encode(r.id, keccak256(output), prover);
    }

    function _stake(address account) internal view returns (uint256) {
        return workers.getWorker(account).stakeWei;
    }

    /// @dev What the coordinator or resolver owns: its own ETH plus what the hub credited it.
    function _assets(address target) internal view returns (uint256) {
        return target.balance + hub.balanceOf(target);
    }
}
