// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {Test} from "./utils/Test.sol";
import {ModelRegistry} from "../../contracts/ModelRegistry.sol";
import {IModelRegistry} from "@verity/solidity/interfaces/IModelRegistry.sol";
import {ProofMode} from "@verity/solidity/types/Inference.sol";
import {IZkModelVerifier} from "../../contracts/zk/IZkModelVerifier.sol";

/// @dev Stands in for a ZK verifier: `setZkCommitment` checks only what it reports about itself.
contract StubVerifier {
    IZkModelVerifier.Binding public binding = IZkModelVerifier.Binding.Commitment;
    bytes32 public circuitHash = keccak256("circuit");
    bytes32 public verifyingKeyHash = keccak256("vk");

    function report(bytes32 circuit, bytes32 key, IZkModelVerifier.Binding binding_) external {
        (circuitHash, verifyingKeyHash, binding) = (circuit, key, binding_);
    }
}

/// @dev A contract with code but none of a verifier's functions.
contract NotAVerifier {}

contract ModelRegistryTest is Test {
    // Literal ids, not `sha256(...)` constants: a constant sha256 is evaluated at each use by a
    // call to the precompile, which would consume a pending `vm.prank`.
    bytes32 internal constant ID = bytes32(uint256(0x1d));
    bytes32 internal constant ID_V2 = bytes32(uint256(0x2d));
    bytes32 internal constant UNKNOWN = bytes32(uint256(0xdead));
    uint8 internal constant ATTESTED = uint8(1 << uint8(ProofMode.ATTESTED));
    uint8 internal constant ZK = uint8(1 << uint8(ProofMode.ZK));
    uint8 internal constant ATTESTED_AND_ZK = ATTESTED | ZK;

    address internal owner = address(0x0DE1);
    address internal stranger = address(0x5742);

    ModelRegistry internal models;

    function setUp() public {
        models = new ModelRegistry();
    }

    // ---------------------------------------------------------------- registerModel

    function test_registerModel_storesAllFields() public {
        IModelRegistry.ModelSpec memory spec = _spec();
        spec.inputShape = _shape3(2, 3, 4);
        spec.outputShape = _shape2(1, 5);
        spec.decimals = 8;
        spec.feeWei = 0.002 ether;
        spec.proofModes = ATTESTED_AND_ZK;

        vm.prank(owner);
        models.registerModel(ID, spec);

        IModelRegistry.Model memory model = models.getModel(ID);
        assertEq(model.owner, owner, "owner");
        assertEq(model.feeWei, 0.002 ether, "fee");
        assertTrue(model.status == IModelRegistry.ModelStatus.Active, "status");
        // ZK is declared but takes effect only with the model's ZK commitment.
        assertEq(model.proofModes, ATTESTED, "proof modes");
        assertEq(model.decimals, 8, "decimals");
        assertEq(model.inputBytes, 3 + 4 * (3 + 24), "input bytes");
        assertEq(model.outputBytes, 3 + 4 * (2 + 5), "output bytes");
        assertEq(model.previousVersion, bytes32(0), "previous version");
        assertEq(model.uri, spec.uri, "uri");
        assertEq(abi.encode(model.inputShape), abi.encode(spec.inputShape), "input shape");
        assertEq(abi.encode(model.outputShape), abi.encode(spec.outputShape), "output shape");
        assertEq(model.zk.verifier, address(0), "no zk commitment");

        IModelRegistry.RequestTerms memory terms = models.getRequestTerms(ID);
        assertEq(terms.owner, owner, "terms owner");
        assertEq(terms.feeWei, 0.002 ether, "terms fee");
        assertTrue(terms.status == IModelRegistry.ModelStatus.Active, "terms status");
        assertEq(terms.proofModes, ATTESTED, "terms proof modes");
        assertEq(terms.inputBytes, model.inputBytes, "terms input bytes");
    }

    function test_registerModel_emitsModelRegistered() public {
        IModelRegistry.ModelSpec memory spec = _spec();
        vm.expectEmit();
        emit IModelRegistry.ModelRegistered(
            ID,
            owner,
            bytes32(0),
            spec.uri,
            spec.inputShape,
            spec.outputShape,
            spec.decimals,
            spec.feeWei,
            spec.proofModes
        );
        vm.prank(owner);
        models.registerModel(ID, spec);
    }

    function test_registerModel_inputBytesIsHeaderPlusDimsPlusElements() public {
        _register(ID, owner, _spec());
        // [1, 16]: 3 header bytes, 4 per dimension, 4 per element
        assertEq(models.getModel(ID).inputBytes, 3 + 4 * (2 + 16), "input bytes");
        assertEq(models.getModel(ID).outputBytes, 3 + 4 * (2 + 1), "output bytes");
    }

    function test_registerModel_withPreviousVersionOwnedByCaller() public {
        _register(ID, owner, _spec());
        IModelRegistry.ModelSpec memory spec = _spec();
        spec.previousVersion = ID;
        _register(ID_V2, owner, spec);
        assertEq(models.getModel(ID_V2).previousVersion, ID, "previous version");
    }

    function test_registerModel_RevertWhen_ModelIdZero() public {
        IModelRegistry.ModelSpec memory spec = _spec();
        vm.expectRevert(IModelRegistry.ModelIdZero.selector);
        models.registerModel(bytes32(0), spec);
    }

    function test_registerModel_RevertWhen_ModelAlreadyRegistered() public {
        _register(ID, owner, _spec());
        IModelRegistry.ModelSpec memory spec = _spec();
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.ModelAlreadyRegistered.selector, ID));
        models.registerModel(ID, spec);
    }

    function test_registerModel_RevertWhen_EmptyUri() public {
        IModelRegistry.ModelSpec memory spec = _spec();
        spec.uri = "";
        vm.expectRevert(IModelRegistry.EmptyUri.selector);
        models.registerModel(ID, spec);
    }

    function test_registerModel_RevertWhen_InvalidShape_emptyInputShape() public {
        IModelRegistry.ModelSpec memory spec = _spec();
        spec.inputShape = new uint32[](0);
        vm.expectRevert(IModelRegistry.InvalidShape.selector);
        models.registerModel(ID, spec);
    }

    function test_registerModel_RevertWhen_InvalidShape_emptyOutputShape() public {
        IModelRegistry.ModelSpec memory spec = _spec();
        spec.outputShape = new uint32[](0);
        vm.expectRevert(IModelRegistry.InvalidShape.selector);
        models.registerModel(ID, spec);
    }

    function test_registerModel_RevertWhen_InvalidShape_zeroDimension() public {
        IModelRegistry.ModelSpec memory spec = _spec();
        spec.inputShape = _shape2(16, 0);
        vm.expectRevert(IModelRegistry.InvalidShape.selector);
        models.registerModel(ID, spec);
    }

    function test_registerModel_RevertWhen_InvalidShape_zeroOutputDimension() public {
        IModelRegistry.ModelSpec memory spec = _spec();
        spec.outputShape = _shape2(0, 1);
        vm.expectRevert(IModelRegistry.InvalidShape.selector);
        models.registerModel(ID, spec);
    }

    function test_registerModel_RevertWhen_InvalidShape_rankAboveEight() public {
        IModelRegistry.ModelSpec memory spec = _spec();
        spec.inputShape = new uint32[](9);
        for (uint256 i; i < 9; ++i) spec.inputShape[i] = 1;
        vm.expectRevert(IModelRegistry.InvalidShape.selector);
        models.registerModel(ID, spec);
    }

    function test_registerModel_RevertWhen_InvalidShape_tooManyElements() public {
        IModelRegistry.ModelSpec memory spec = _spec();
        // 4097 * 4096 > 2^24 elements
        spec.outputShape = _shape2(4097, 4096);
        vm.expectRevert(IModelRegistry.InvalidShape.selector);
        models.registerModel(ID, spec);
    }

    function test_registerModel_RevertWhen_InputTooLarge() public {
        IModelRegistry.ModelSpec memory spec = _spec();
        // 3 + 4 * (2 + 16_384) = 65_547 bytes, above MAX_INPUT_BYTES
        spec.inputShape = _shape2(1, 16_384);
        vm.expectRevert(
            abi.encodeWithSelector(
                IModelRegistry.InputTooLarge.selector,
                uint256(65_547),
                models.MAX_INPUT_BYTES()
            )
        );
        models.registerModel(ID, spec);
    }

    function test_registerModel_InputOfExactlyMaxInputBytes() public {
        IModelRegistry.ModelSpec memory spec = _spec();
        // 3 + 4 * (1 + 16_382) = 65_535 bytes: the longest input, and its length fits 16 bits.
        uint32[] memory shape = new uint32[](1);
        shape[0] = 16_382;
        spec.inputShape = shape;
        _register(ID, owner, spec);
        assertEq(models.getModel(ID).inputBytes, models.MAX_INPUT_BYTES(), "input bytes");
        assertLe(models.MAX_INPUT_BYTES(), type(uint16).max, "fits Model.inputBytes");
    }

    function test_registerModel_largeOutputAllowed() public {
        IModelRegistry.ModelSpec memory spec = _spec();
        spec.outputShape = _shape2(4096, 4096);
        _register(ID, owner, spec);
        assertEq(models.getModel(ID).outputBytes, 3 + 4 * (2 + (1 << 24)), "output bytes");
    }

    function test_registerModel_RevertWhen_InvalidDecimals() public {
        IModelRegistry.ModelSpec memory spec = _spec();
        spec.decimals = 19;
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.InvalidDecimals.selector, 19));
        models.registerModel(ID, spec);
    }

    function test_registerModel_RevertWhen_InvalidProofModes_zero() public {
        IModelRegistry.ModelSpec memory spec = _spec();
        spec.proofModes = 0;
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.InvalidProofModes.selector, 0));
        models.registerModel(ID, spec);
    }

    function test_registerModel_RevertWhen_InvalidProofModes_unknownBit() public {
        IModelRegistry.ModelSpec memory spec = _spec();
        spec.proofModes = uint8(1 << 3) | 1;
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.InvalidProofModes.selector, 9));
        models.registerModel(ID, spec);
    }

    function test_registerModel_RevertWhen_NotModelOwner_previousVersion() public {
        _register(ID, owner, _spec());
        IModelRegistry.ModelSpec memory spec = _spec();
        spec.previousVersion = ID;
        vm.prank(stranger);
        vm.expectRevert(
            abi.encodeWithSelector(IModelRegistry.NotModelOwner.selector, ID, stranger)
        );
        models.registerModel(ID_V2, spec);
    }

    function test_registerModel_RevertWhen_ModelNotFound_previousVersion() public {
        IModelRegistry.ModelSpec memory spec = _spec();
        spec.previousVersion = UNKNOWN;
        vm.prank(owner);
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.ModelNotFound.selector, UNKNOWN));
        models.registerModel(ID_V2, spec);
    }

    // ---------------------------------------------------------------- setFee

    function test_setFee_updatesFeeAndEmits() public {
        _register(ID, owner, _spec());
        vm.expectEmit();
        emit IModelRegistry.ModelFeeUpdated(ID, 5 gwei);
        vm.prank(owner);
        models.setFee(ID, 5 gwei);
        assertEq(models.getRequestTerms(ID).feeWei, 5 gwei, "fee");
    }

    function test_setFee_RevertWhen_NotModelOwner() public {
        _register(ID, owner, _spec());
        vm.prank(stranger);
        vm.expectRevert(
            abi.encodeWithSelector(IModelRegistry.NotModelOwner.selector, ID, stranger)
        );
        models.setFee(ID, 1);
    }

    function test_setFee_RevertWhen_ModelNotFound() public {
        vm.prank(owner);
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.ModelNotFound.selector, UNKNOWN));
        models.setFee(UNKNOWN, 1);
    }

    // ---------------------------------------------------------------- deprecate

    function test_deprecate_setsStatusAndEmits() public {
        _register(ID, owner, _spec());
        vm.expectEmit();
        emit IModelRegistry.ModelDeprecated(ID);
        vm.prank(owner);
        models.deprecate(ID);
        assertTrue(
            models.getModel(ID).status == IModelRegistry.ModelStatus.Deprecated,
            "deprecated"
        );
        assertTrue(
            models.getRequestTerms(ID).status == IModelRegistry.ModelStatus.Deprecated,
            "terms deprecated"
        );
    }

    function test_deprecate_RevertWhen_ModelNotActive_twice() public {
        _register(ID, owner, _spec());
        vm.prank(owner);
        models.deprecate(ID);
        vm.prank(owner);
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.ModelNotActive.selector, ID));
        models.deprecate(ID);
    }

    function test_deprecate_RevertWhen_NotModelOwner() public {
        _register(ID, owner, _spec());
        vm.prank(stranger);
        vm.expectRevert(
            abi.encodeWithSelector(IModelRegistry.NotModelOwner.selector, ID, stranger)
        );
        models.deprecate(ID);
    }

    // ---------------------------------------------------------------- transferModelOwnership

    function test_transferModelOwnership_movesControl() public {
        _register(ID, owner, _spec());
        vm.expectEmit();
        emit IModelRegistry.ModelOwnershipTransferred(ID, owner, stranger);
        vm.prank(owner);
        models.transferModelOwnership(ID, stranger);
        assertEq(models.getModel(ID).owner, stranger, "new owner");

        vm.prank(stranger);
        models.setFee(ID, 7);
        assertEq(models.getModel(ID).feeWei, 7, "new owner sets the fee");

        vm.prank(owner);
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.NotModelOwner.selector, ID, owner));
        models.setFee(ID, 8);
    }

    function test_transferModelOwnership_RevertWhen_InvalidOwner() public {
        _register(ID, owner, _spec());
        vm.prank(owner);
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.InvalidOwner.selector, address(0)));
        models.transferModelOwnership(ID, address(0));
    }

    function test_transferModelOwnership_RevertWhen_NotModelOwner() public {
        _register(ID, owner, _spec());
        vm.prank(stranger);
        vm.expectRevert(
            abi.encodeWithSelector(IModelRegistry.NotModelOwner.selector, ID, stranger)
        );
        models.transferModelOwnership(ID, stranger);
    }

    // ---------------------------------------------------------------- setZkCommitment

    function test_setZkCommitment_storesAndEmits() public {
        _register(ID, owner, _spec());
        IModelRegistry.ZkCommitment memory zk = _zk(address(new StubVerifier()));
        vm.expectEmit();
        emit IModelRegistry.ModelZkCommitmentSet(
            ID,
            zk.circuitHash,
            zk.verifyingKeyHash,
            zk.verifier
        );
        vm.prank(owner);
        models.setZkCommitment(ID, zk);
        IModelRegistry.ZkCommitment memory stored = models.getModel(ID).zk;
        assertEq(stored.circuitHash, zk.circuitHash, "circuit");
        assertEq(stored.verifyingKeyHash, zk.verifyingKeyHash, "vk");
        assertEq(stored.verifier, zk.verifier, "verifier");
    }

    function test_setZkCommitment_RevertWhen_VerifierHasNoCode() public {
        _register(ID, owner, _spec());
        IModelRegistry.ZkCommitment memory zk = _zk(address(0x1234));
        vm.prank(owner);
        vm.expectRevert(
            abi.encodeWithSelector(IModelRegistry.VerifierHasNoCode.selector, address(0x1234))
        );
        models.setZkCommitment(ID, zk);
    }

    function test_setZkCommitment_RevertWhen_NotModelOwner() public {
        _register(ID, owner, _spec());
        IModelRegistry.ZkCommitment memory zk = _zk(address(new StubVerifier()));
        vm.prank(stranger);
        vm.expectRevert(
            abi.encodeWithSelector(IModelRegistry.NotModelOwner.selector, ID, stranger)
        );
        models.setZkCommitment(ID, zk);
    }

    function test_setZkCommitment_enablesZkMode() public {
        IModelRegistry.ModelSpec memory spec = _spec();
        spec.proofModes = ATTESTED_AND_ZK;
        _register(ID, owner, spec);
        assertEq(models.getRequestTerms(ID).proofModes, ATTESTED, "no ZK before commitment");
        assertEq(models.zkVerifierOf(ID), address(0), "no verifier");
        address verifier = address(new StubVerifier());
        vm.prank(owner);
        models.setZkCommitment(ID, _zk(verifier));
        assertEq(models.getRequestTerms(ID).proofModes, ATTESTED_AND_ZK, "ZK enabled");
        assertEq(models.getModel(ID).proofModes, ATTESTED_AND_ZK, "model proof modes");
        assertEq(models.zkVerifierOf(ID), verifier, "verifier");
    }

    function test_setZkCommitment_enablesZkEvenIfNotDeclared() public {
        _register(ID, owner, _spec());
        IModelRegistry.ZkCommitment memory zk = _zk(address(new StubVerifier()));
        vm.prank(owner);
        models.setZkCommitment(ID, zk);
        assertEq(models.getRequestTerms(ID).proofModes, ATTESTED_AND_ZK, "ZK enabled");
    }

    function test_registerModel_zkOnlyModelHasNoModeUntilCommitment() public {
        IModelRegistry.ModelSpec memory spec = _spec();
        spec.proofModes = ZK;
        _register(ID, owner, spec);
        assertEq(models.getRequestTerms(ID).proofModes, 0, "nothing yet");
        IModelRegistry.ZkCommitment memory zk = _zk(address(new StubVerifier()));
        vm.prank(owner);
        models.setZkCommitment(ID, zk);
        assertEq(models.getRequestTerms(ID).proofModes, ZK, "ZK only");
    }

    function test_setZkCommitment_RevertWhen_AlreadySet() public {
        _register(ID, owner, _spec());
        vm.startPrank(owner);
        models.setZkCommitment(ID, _zk(address(new StubVerifier())));
        IModelRegistry.ZkCommitment memory swapped = _zk(address(new StubVerifier()));
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.ZkCommitmentAlreadySet.selector, ID));
        models.setZkCommitment(ID, swapped);
        vm.stopPrank();
    }

    function test_setZkCommitment_RevertWhen_HashesZero() public {
        _register(ID, owner, _spec());
        IModelRegistry.ZkCommitment memory zk = _zk(address(new StubVerifier()));
        zk.circuitHash = bytes32(0);
        vm.prank(owner);
        vm.expectRevert(IModelRegistry.InvalidZkCommitment.selector);
        models.setZkCommitment(ID, zk);
        zk = _zk(zk.verifier);
        zk.verifyingKeyHash = bytes32(0);
        vm.prank(owner);
        vm.expectRevert(IModelRegistry.InvalidZkCommitment.selector);
        models.setZkCommitment(ID, zk);
    }

    function test_setZkCommitment_RevertWhen_VerifierMismatch_OtherKey() public {
        _register(ID, owner, _spec());
        StubVerifier verifier = new StubVerifier();
        verifier.report(
            keccak256("circuit"),
            keccak256("another key"),
            IZkModelVerifier.Binding.Commitment
        );
        vm.prank(owner);
        vm.expectRevert(
            abi.encodeWithSelector(IModelRegistry.VerifierMismatch.selector, address(verifier))
        );
        models.setZkCommitment(ID, _zk(address(verifier)));
    }

    function test_setZkCommitment_RevertWhen_VerifierMismatch_OtherCircuit() public {
        _register(ID, owner, _spec());
        StubVerifier verifier = new StubVerifier();
        verifier.report(
            keccak256("another circuit"),
            keccak256("vk"),
            IZkModelVerifier.Binding.Commitment
        );
        vm.prank(owner);
        vm.expectRevert(
            abi.encodeWithSelector(IModelRegistry.VerifierMismatch.selector, address(verifier))
        );
        models.setZkCommitment(ID, _zk(address(verifier)));
    }

    /// @dev A public-binding proof names no request or worker, so a front-runner could take it.
    function test_setZkCommitment_RevertWhen_VerifierMismatch_PublicBinding() public {
        _register(ID, owner, _spec());
        StubVerifier verifier = new StubVerifier();
        verifier.report(keccak256("circuit"), keccak256("vk"), IZkModelVerifier.Binding.Public);
        vm.prank(owner);
        vm.expectRevert(
            abi.encodeWithSelector(IModelRegistry.VerifierMismatch.selector, address(verifier))
        );
        models.setZkCommitment(ID, _zk(address(verifier)));
    }

    function test_setZkCommitment_RevertWhen_VerifierMismatch_NotAVerifier() public {
        _register(ID, owner, _spec());
        address verifier = address(new NotAVerifier());
        vm.prank(owner);
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.VerifierMismatch.selector, verifier));
        models.setZkCommitment(ID, _zk(verifier));
    }

    function test_getRequestTerms_namesTheBoundVerifier() public {
        _register(ID, owner, _spec());
        assertEq(models.getRequestTerms(ID).zkVerifier, address(0), "none before binding");
        address verifier = address(new StubVerifier());
        vm.prank(owner);
        models.setZkCommitment(ID, _zk(verifier));
        assertEq(models.getRequestTerms(ID).zkVerifier, verifier, "bound verifier");
    }

    function test_setZkCommitment_RevertWhen_ModelNotFound() public {
        IModelRegistry.ZkCommitment memory zk = _zk(address(new StubVerifier()));
        vm.prank(owner);
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.ModelNotFound.selector, UNKNOWN));
        models.setZkCommitment(UNKNOWN, zk);
    }

    // ---------------------------------------------------------------- views

    function test_getRequestTerms_RevertWhen_ModelNotFound() public {
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.ModelNotFound.selector, UNKNOWN));
        models.getRequestTerms(UNKNOWN);
    }

    function test_getModel_unknownIsEmpty() public view {
        IModelRegistry.Model memory model = models.getModel(UNKNOWN);
        assertTrue(model.status == IModelRegistry.ModelStatus.None, "none");
        assertEq(model.owner, address(0), "no owner");
    }

    // ---------------------------------------------------------------- fuzz

    function testFuzz_registerModel_inputBytesMatchesShape(
        uint8 rankSeed,
        uint32[8] memory dims
    ) public {
        uint256 rank = bound(rankSeed, 1, 8);
        uint32[] memory shape = new uint32[](rank);
        uint256 elements = 1;
        for (uint256 i; i < rank; ++i) {
            // Small dimensions reach both valid shapes and the element and size caps.
            shape[i] = uint32(bound(dims[i], 1, 24));
            elements *= shape[i];
        }
        IModelRegistry.ModelSpec memory spec = _spec();
        spec.inputShape = shape;
        uint256 expected = 3 + 4 * (rank + elements);
        // Read before the prank, which the next call (this one too) would consume.
        uint256 maxInputBytes = models.MAX_INPUT_BYTES();

        vm.prank(owner);
        if (elements > (1 << 24)) {
            vm.expectRevert(IModelRegistry.InvalidShape.selector);
        } else if (expected > maxInputBytes) {
            vm.expectRevert(
                abi.encodeWithSelector(
                    IModelRegistry.InputTooLarge.selector,
                    expected,
                    maxInputBytes
                )
            );
        }
        models.registerModel(ID, spec);
        if (elements <= (1 << 24) && expected <= maxInputBytes) {
            assertEq(models.getModel(ID).inputBytes, expected, "input bytes");
            assertEq(models.getRequestTerms(ID).inputBytes, expected, "terms input bytes");
        }
    }

    function testFuzz_registerModel_proofModesAcceptedIffKnownBits(uint8 proofModes) public {
        IModelRegistry.ModelSpec memory spec = _spec();
        spec.proofModes = proofModes;
        bool valid = proofModes != 0 && proofModes < 8;
        if (!valid) {
            vm.expectRevert(
                abi.encodeWithSelector(IModelRegistry.InvalidProofModes.selector, proofModes)
            );
        }
        models.registerModel(ID, spec);
        if (valid)
            assertEq(models.getModel(ID).proofModes, proofModes & ~ZK, "ZK needs commitment");
    }

    // ---------------------------------------------------------------- helpers

    function _register(bytes32 id, address as_, IModelRegistry.ModelSpec memory spec) private {
        vm.prank(as_);
        models.registerModel(id, spec);
    }

    function _spec() private pure returns (IModelRegistry.ModelSpec memory) {
        return
            IModelRegistry.ModelSpec({
                uri: "ipfs://bafy-model",
                inputShape: _shape2(1, 16),
                outputShape: _shape2(1, 1),
                decimals: 6,
                feeWei: 0.001 ether,
                proofModes: uint8(1 << uint8(ProofMode.ATTESTED)),
                previousVersion: bytes32(0)
            });
    }

    function _zk(address verifier) private pure returns (IModelRegistry.ZkCommitment memory) {
        return
            IModelRegistry.ZkCommitment({
                circuitHash: keccak256("circuit"),
                verifyingKeyHash: keccak256("vk"),
                verifier: verifier
            });
    }

    function _shape2(uint32 a, uint32 b) private pure returns (uint32[] memory shape) {
        shape = new uint32[](2);
        (shape[0], shape[1]) = (a, b);
    }

    function _shape3(uint32 a, uint32 b, uint32 c) private pure returns (uint32[] memory shape) {
        shape = new uint32[](3);
        (shape[0], shape[1], shape[2]) = (a, b, c);
    }
}
