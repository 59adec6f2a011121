// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Test} from "forge-std/Test.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";

import {SignalOracle} from "../contracts/SignalOracle.sol";
import {IHalo2Verifier} from "../contracts/interfaces/IHalo2Verifier.sol";
import {ISignalOracle} from "../contracts/interfaces/ISignalOracle.sol";
import {FieldDecode} from "../contracts/libraries/FieldDecode.sol";
import {SignalLib} from "../contracts/libraries/SignalLib.sol";
import {OracleTestBase} from "./utils/OracleTestBase.sol";
import {ProofFixture} from "./utils/ProofFixture.sol";
import {AcceptingVerifier} from "./utils/mocks/AcceptingVerifier.sol";
import {RejectingVerifier} from "./utils/mocks/RejectingVerifier.sol";

contract SignalOracleAdminTest is OracleTestBase {
    bytes32 internal constant OTHER_MODEL = keccak256("other model");

    function test_setUp_registersModelAndFeed() public view {
        ISignalOracle.Model memory m = oracle.getModel(fx.modelId);
        assertEq(address(m.verifier), address(verifier));
        assertEq(m.nInputs, fx.nInputs);
        assertEq(m.commitmentOffset, fx.commitmentOffset);
        assertEq(m.commitmentLength, fx.commitmentLength);
        assertEq(m.outputScale, fx.outputScale);
        ISignalOracle.Feed memory f = oracle.getFeed(FEED);
        assertEq(f.modelId, fx.modelId);
        assertEq(f.maxDelay, MAX_DELAY);
        assertEq(f.latestRoundId, 0);
        assertTrue(oracle.hasRole(oracle.DEFAULT_ADMIN_ROLE(), admin));
        assertTrue(oracle.hasRole(oracle.SUBMITTER_ROLE(), submitter));
    }

    /// @dev A verifier above EIP-170 could only be deployed on anvil with `--disable-code-size-limit`, never on
    /// a public chain: fail here rather than there.
    function test_verifier_fitsCodeSizeLimit() public view {
        assertLe(address(verifier).code.length, 24_576, "verifier runtime code exceeds EIP-170");
    }

    function test_registerModel_emits() public {
        ISignalOracle.Model memory m = _model(fx);
        vm.expectEmit(true, false, false, true);
        emit ISignalOracle.ModelRegistered(
            OTHER_MODEL,
            address(verifier),
            m.nInputs,
            m.commitmentOffset,
            m.commitmentLength,
            m.outputScale,
            m.outputClass
        );
        vm.prank(admin);
        oracle.registerModel(OTHER_MODEL, m);
    }

    function test_registerModel_revertsForNonAdmin() public {
        ISignalOracle.Model memory m = _model(fx);
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector, submitter, oracle.DEFAULT_ADMIN_ROLE()
            )
        );
        vm.prank(submitter);
        oracle.registerModel(OTHER_MODEL, m);
    }

    function test_registerModel_revertsForExistingOrZeroId() public {
        ISignalOracle.Model memory m = _model(fx);
        vm.startPrank(admin);
        vm.expectRevert(abi.encodeWithSelector(ISignalOracle.SignalOracleModelExists.selector, fx.modelId));
        oracle.registerModel(fx.modelId, m);
        vm.expectRevert(abi.encodeWithSelector(ISignalOracle.SignalOracleModelExists.selector, bytes32(0)));
        oracle.registerModel(bytes32(0), m);
        vm.stopPrank();
    }

    function test_registerModel_revertsWhenVerifierHasNoCode() public {
        ISignalOracle.Model memory m = _model(fx);
        m.verifier = IHalo2Verifier(makeAddr("eoa"));
        vm.expectRevert(abi.encodeWithSelector(ISignalOracle.SignalOracleInvalidVerifier.selector, m.verifier));
        vm.prank(admin);
        oracle.registerModel(OTHER_MODEL, m);
    }

    function test_registerModel_revertsWhenClassesAreNotAPermutation() public {
        ISignalOracle.Model memory m = _model(fx);
        m.outputClass[2] = ISignalOracle.Signal.Sell;
        vm.expectRevert(ISignalOracle.SignalOracleInvalidOutputClasses.selector);
        vm.prank(admin);
        oracle.registerModel(OTHER_MODEL, m);
    }

    function test_createFeed_emitsAndRejectsBadArguments() public {
        bytes32 eth = keccak256("ETHUSDT-1m");
        vm.startPrank(admin);
        vm.expectEmit(true, true, false, true);
        emit ISignalOracle.FeedCreated(eth, "ETHUSDT", fx.modelId, 300);
        oracle.createFeed(eth, "ETHUSDT", fx.modelId, 300);

        vm.expectRevert(abi.encodeWithSelector(ISignalOracle.SignalOracleFeedExists.selector, eth));
        oracle.createFeed(eth, "ETHUSDT", fx.modelId, 300);
        vm.expectRevert(abi.encodeWithSelector(ISignalOracle.SignalOracleFeedExists.selector, bytes32(0)));
        oracle.createFeed(bytes32(0), "zero", fx.modelId, 300);
        vm.expectRevert(abi.encodeWithSelector(ISignalOracle.SignalOracleUnknownModel.selector, OTHER_MODEL));
        oracle.createFeed(keccak256("x"), "x", OTHER_MODEL, 300);
        vm.expectRevert(ISignalOracle.SignalOracleInvalidMaxDelay.selector);
        oracle.createFeed(keccak256("x"), "x", fx.modelId, 0);
        vm.stopPrank();
    }

    function test_feedAdmin_revertsForNonAdminAndUnknownFeed() public {
        bytes32 role = oracle.DEFAULT_ADMIN_ROLE();
        vm.startPrank(submitter);
        vm.expectRevert(
            abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, submitter, role)
        );
        oracle.createFeed(keccak256("x"), "x", fx.modelId, 300);
        vm.expectRevert(
            abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, submitter, role)
        );
        oracle.setFeedModel(FEED, fx.modelId);
        vm.expectRevert(
            abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, submitter, role)
        );
        oracle.setFeedMaxDelay(FEED, 1);
        vm.stopPrank();

        bytes32 unknown = keccak256("unknown");
        vm.startPrank(admin);
        vm.expectRevert(abi.encodeWithSelector(ISignalOracle.SignalOracleUnknownFeed.selector, unknown));
        oracle.setFeedModel(unknown, fx.modelId);
        vm.expectRevert(abi.encodeWithSelector(ISignalOracle.SignalOracleUnknownModel.selector, OTHER_MODEL));
        oracle.setFeedModel(FEED, OTHER_MODEL);
        vm.expectRevert(abi.encodeWithSelector(ISignalOracle.SignalOracleUnknownFeed.selector, unknown));
        oracle.setFeedMaxDelay(unknown, 1);
        vm.expectRevert(ISignalOracle.SignalOracleInvalidMaxDelay.selector);
        oracle.setFeedMaxDelay(FEED, 0);
        vm.expectEmit(true, false, false, true);
        emit ISignalOracle.FeedMaxDelaySet(FEED, 42);
        oracle.setFeedMaxDelay(FEED, 42);
        vm.stopPrank();
        assertEq(oracle.getFeed(FEED).maxDelay, 42);
    }

    function test_reads_revertForUnknownFeedOrModel() public {
        bytes32 unknown = keccak256("unknown");
        vm.expectRevert(abi.encodeWithSelector(ISignalOracle.SignalOracleUnknownFeed.selector, unknown));
        oracle.latestSignal(unknown);
        vm.expectRevert(abi.encodeWithSelector(ISignalOracle.SignalOracleUnknownFeed.selector, unknown));
        oracle.getRound(unknown, 1);
        vm.expectRevert(abi.encodeWithSelector(ISignalOracle.SignalOracleUnknownModel.selector, unknown));
        oracle.getModel(unknown);
    }

    function test_submitterRole_grantAndRevoke() public {
        address operator = makeAddr("operator");
        bytes32 role = oracle.SUBMITTER_ROLE();
        vm.prank(admin);
        oracle.grantRole(role, operator);
        assertEq(_submitAs(operator, FEED, fx.modelId, fx.decisionMinute, fx.proof, fx.instances), 1);

        vm.prank(admin);
        oracle.revokeRole(role, operator);
        vm.warp(fx.decisionMinute + 120);
        vm.expectRevert(
            abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, operator, role)
        );
        _submitAs(operator, FEED, fx.modelId, fx.decisionMinute + 60, fx.proof, fx.instances);

        // A round names its submitter after the role is gone, and re-granting keeps the operator's number.
        assertEq(oracle.getRound(FEED, 1).submitter, operator);
        vm.prank(admin);
        oracle.grantRole(role, operator);
        assertEq(oracle.getRound(FEED, 1).submitter, operator);
    }

    function test_rounds_nameEachOfSeveralSubmitters() public {
        address second = makeAddr("second operator");
        bytes32 role = oracle.SUBMITTER_ROLE();
        vm.prank(admin);
        oracle.grantRole(role, second);
        _submitFixture();
        vm.warp(fx.decisionMinute + 120);
        _submitAs(second, FEED, fx.modelId, fx.decisionMinute + 60, fx.proof, fx.instances);
        assertEq(oracle.getRound(FEED, 1).submitter, submitter);
        assertEq(oracle.getRound(FEED, 2).submitter, second);
    }
}

contract SignalOracleSubmitTest is OracleTestBase {
    function test_submit_storesAndEmitsTheRound() public {
        bytes32 binding = _binding(fx);
        vm.expectEmit(true, true, true, true);
        emit ISignalOracle.SignalSubmitted(
            FEED,
            1,
            fx.modelId,
            fx.decisionMinute,
            ISignalOracle.Signal(fx.signal),
            fx.logits,
            binding,
            submitter,
            1,
            0x7 // members 0, 1 and 2 signed
        );
        uint256 roundId = _submitFixture();

        assertEq(roundId, 1);
        assertEq(oracle.latestRoundId(FEED), 1);
        ISignalOracle.Round memory round = oracle.getRound(FEED, 1);
        assertEq(uint8(round.signal), fx.signal, "signal");
        assertEq(round.logits[0], fx.logits[0], "SELL logit");
        assertEq(round.logits[1], fx.logits[1], "HOLD logit");
        assertEq(round.logits[2], fx.logits[2], "BUY logit");
        assertEq(round.inputBinding, binding, "inputBinding");
        assertEq(round.modelId, fx.modelId);
        assertEq(round.decisionMinute, fx.decisionMinute);
        assertEq(round.submittedAt, block.timestamp);
        assertEq(round.submitter, submitter);

        (ISignalOracle.Signal signal, uint64 decisionMinute, uint256 latestId, bytes32 modelId) =
            oracle.latestSignal(FEED);
        assertEq(uint8(signal), fx.signal);
        assertEq(decisionMinute, fx.decisionMinute);
        assertEq(latestId, 1);
        assertEq(modelId, fx.modelId);
    }

    /// @dev One full submission (signatures, verifier, decoding, storage, event) at `k = 1`, 2 and 3 of the
    /// 4 members, recorded in `snapshots/SignalOracle.json` (`make test` fails when it changes and the snapshot
    /// is not updated). The logs add what a transaction pays on top: 21,000 and its calldata.
    function test_gas_fullSubmission() public {
        _measureSubmission(1, "submit");
    }

    function test_gas_fullSubmissionK2() public {
        _measureSubmission(2, "submitK2");
    }

    function test_gas_fullSubmissionK3() public {
        _measureSubmission(3, "submitK3");
    }

    function _measureSubmission(uint8 k, string memory name) internal {
        _setCommittee(FEED, members, k);
        vm.cool(address(oracle)); // measure as in a transaction of its own: the committee's slots were just written
        ProofFixture memory f = fx; // copy out of storage first: only the call is measured
        bytes memory sigs = _sigs(FEED, f.modelId, f.decisionMinute, f.proof, f.instances);
        address[] memory committee = _committeeOf(FEED);
        vm.prank(submitter);
        oracle.submit(FEED, f.modelId, f.decisionMinute, f.proof, f.instances, committee, sigs);
        uint256 used = vm.snapshotGasLastCall("SignalOracle", name);
        bytes memory data =
            abi.encodeCall(oracle.submit, (FEED, f.modelId, f.decisionMinute, f.proof, f.instances, committee, sigs));
        uint256 calldataGas;
        for (uint256 i = 0; i < data.length; ++i) {
            calldataGas += data[i] == 0 ? 4 : 16;
        }
        emit log_named_uint("signatures", k);
        emit log_named_uint("submit execution gas", used);
        emit log_named_uint("calldata bytes", data.length);
        emit log_named_uint("calldata gas (4/16 per zero/non-zero byte)", calldataGas);
        emit log_named_uint("transaction gas (21000 + calldata + execution)", 21_000 + calldataGas + used);
    }

    /// @dev The verifier alone, for the comparison of input bindings.
    function test_gas_verifierOnly() public {
        ProofFixture memory f = fx;
        verifier.verifyProof(f.proof, f.instances);
        vm.snapshotGasLastCall("SignalOracle", "verifyProof");
    }

    function test_submit_decodesOutputsInTheModelsClassOrder() public {
        // Same circuit read with another class order: outputs (o0, o1, o2) are BUY, SELL, HOLD.
        bytes32 permuted = keccak256("permuted");
        ISignalOracle.Model memory m = _model(fx);
        m.outputClass = [ISignalOracle.Signal.Buy, ISignalOracle.Signal.Sell, ISignalOracle.Signal.Hold];
        vm.startPrank(admin);
        oracle.registerModel(permuted, m);
        oracle.setFeedModel(FEED, permuted);
        vm.stopPrank();

        _submitAs(submitter, FEED, permuted, fx.decisionMinute, fx.proof, fx.instances);
        ISignalOracle.Round memory round = oracle.getRound(FEED, 1);
        assertEq(round.logits[uint8(ISignalOracle.Signal.Buy)], fx.logits[0]);
        assertEq(round.logits[uint8(ISignalOracle.Signal.Sell)], fx.logits[1]);
        assertEq(round.logits[uint8(ISignalOracle.Signal.Hold)], fx.logits[2]);
        assertEq(uint8(round.signal), uint8(SignalLib.fromLogits(round.logits)));
    }

    function test_modelUpgrade_keepsTheFeedAndItsRounds() public {
        _submitFixture();
        bytes32 v2 = keccak256("student v2");
        vm.startPrank(admin);
        oracle.registerModel(v2, _model(fx));
        vm.expectEmit(true, true, true, true);
        emit ISignalOracle.FeedModelSet(FEED, fx.modelId, v2);
        oracle.setFeedModel(FEED, v2);
        vm.stopPrank();

        uint64 next = fx.decisionMinute + 60;
        vm.warp(next + 60);
        // A node still proving with the old model is refused, by name.
        vm.expectRevert(abi.encodeWithSelector(ISignalOracle.SignalOracleWrongModel.selector, v2, fx.modelId));
        _submit(next, fx.proof, fx.instances);

        assertEq(_submitAs(submitter, FEED, v2, next, fx.proof, fx.instances), 2);
        assertEq(oracle.getRound(FEED, 2).modelId, v2);
        assertEq(oracle.getRound(FEED, 1).modelId, fx.modelId);
        (,, uint256 latestId, bytes32 latestModel) = oracle.latestSignal(FEED);
        assertEq(latestId, 2);
        assertEq(latestModel, v2);
    }

    function test_feeds_areIndependent() public {
        bytes32 eth = keccak256("ETHUSDT-1m");
        vm.prank(admin);
        oracle.createFeed(eth, "ETHUSDT", fx.modelId, MAX_DELAY);
        _setCommittee(eth, members, THRESHOLD);
        _submitFixture();
        assertEq(_submitAs(submitter, eth, fx.modelId, fx.decisionMinute, fx.proof, fx.instances), 1);
        assertEq(oracle.latestRoundId(FEED), 1);
        assertEq(oracle.latestRoundId(eth), 1);
    }

    function test_submit_acceptsLaterRound() public {
        _submitFixture();
        uint64 later = fx.decisionMinute + 60;
        vm.warp(later + 60);
        assertEq(_submit(later, fx.proof, fx.instances), 2);
        (, uint64 minute, uint256 id,) = oracle.latestSignal(FEED);
        assertEq(minute, later);
        assertEq(id, 2);
        assertEq(oracle.getRound(FEED, 1).decisionMinute, fx.decisionMinute);
    }

    function test_submit_acceptsTheWholeWindow() public {
        vm.warp(fx.decisionMinute + 60 + MAX_DELAY);
        assertEq(_submitFixture(), 1);
    }

    /// @dev The finding: before the first round `latestSignal` returned `Signal(0)`, which is SELL, to a consumer
    /// that did not check `roundId`. It now has nothing to return and reverts, by name.
    function test_reads_beforeAnyRound() public {
        assertEq(oracle.latestRoundId(FEED), 0);
        vm.expectRevert(abi.encodeWithSelector(ISignalOracle.SignalOracleNoRound.selector, FEED));
        oracle.latestSignal(FEED);
        vm.expectRevert(abi.encodeWithSelector(ISignalOracle.SignalOracleUnknownRound.selector, FEED, 0));
        oracle.getRound(FEED, 0);
    }

    function test_getRound_revertsForUnknownRound() public {
        _submitFixture();
        vm.expectRevert(abi.encodeWithSelector(ISignalOracle.SignalOracleUnknownRound.selector, FEED, 0));
        oracle.getRound(FEED, 0);
        vm.expectRevert(abi.encodeWithSelector(ISignalOracle.SignalOracleUnknownRound.selector, FEED, 2));
        oracle.getRound(FEED, 2);
    }
}

/// @notice Every way a submission is refused.
contract SignalOracleRejectionTest is OracleTestBase {
    function _expectProofRejected() internal {
        vm.expectRevert(abi.encodeWithSelector(ISignalOracle.SignalOracleProofRejected.selector, verifier));
    }

    /// @dev One flipped byte in each region of the proof: the commitments at the start, the evaluations in the
    /// middle, the opening proofs at the end.
    function test_submit_revertsWhenProofTamperedInAnyRegion() public {
        uint256 n = fx.proof.length;
        uint256[7] memory at = [0, 31, n / 4, n / 2, (3 * n) / 4, n - 33, n - 1];
        for (uint256 k = 0; k < at.length; ++k) {
            bytes memory proof = fx.proof;
            proof[at[k]] ^= 0x01;
            _expectProofRejected();
            _submit(fx.decisionMinute, proof, fx.instances);
        }
    }

    function testFuzz_submit_revertsWhenProofByteTampered(uint256 index, uint8 mask) public {
        index = bound(index, 0, fx.proof.length - 1);
        mask = uint8(bound(mask, 1, type(uint8).max));
        bytes memory proof = fx.proof;
        proof[index] ^= bytes1(mask);
        _expectProofRejected();
        _submit(fx.decisionMinute, proof, fx.instances);
    }

    function test_submit_revertsWhenInputCommitmentReplaced() public {
        if (fx.commitmentLength == 0) return; // inputs are public instances: covered below
        // The commitment of another window (the SELL fixture's) spliced into this proof.
        ProofFixture memory other = _fixtureOf(ISignalOracle.Signal.Sell);
        bytes memory proof = fx.proof;
        for (uint256 i = 0; i < fx.commitmentLength; ++i) {
            proof[fx.commitmentOffset + i] = other.proof[other.commitmentOffset + i];
        }
        assertTrue(keccak256(proof) != keccak256(fx.proof), "fixtures share a commitment");
        _expectProofRejected();
        _submit(fx.decisionMinute, proof, fx.instances);
    }

    function test_submit_revertsWhenProofTruncatedOrExtended() public {
        bytes memory truncated = new bytes(fx.proof.length - 32);
        for (uint256 i = 0; i < truncated.length; ++i) {
            truncated[i] = fx.proof[i];
        }
        _expectProofRejected();
        _submit(fx.decisionMinute, truncated, fx.instances);
        _expectProofRejected();
        _submit(fx.decisionMinute, bytes.concat(fx.proof, bytes32(0)), fx.instances);
    }

    function test_submit_revertsWhenProofTooShortForTheCommitment() public {
        if (fx.commitmentLength == 0) return;
        bytes memory short = new bytes(fx.commitmentOffset + fx.commitmentLength - 1);
        vm.expectRevert(
            abi.encodeWithSelector(
                ISignalOracle.SignalOracleProofTooShort.selector,
                fx.commitmentOffset + fx.commitmentLength,
                short.length
            )
        );
        _submit(fx.decisionMinute, short, fx.instances);
    }

    /// @dev Each instance in turn, inputs (if public) and outputs, raised by one: the verifier refuses all.
    function test_submit_revertsWhenAnyInstanceTampered() public {
        for (uint256 i = 0; i < fx.instances.length; ++i) {
            uint256[] memory instances = _instancesWith(i, addmod(fx.instances[i], 1, FieldDecode.P));
            _expectProofRejected();
            _submit(fx.decisionMinute, fx.proof, instances);
        }
    }

    function testFuzz_submit_revertsWhenInstanceTampered(uint256 index, uint256 delta) public {
        index = bound(index, 0, fx.instances.length - 1);
        delta = bound(delta, 1, FieldDecode.P - 1);
        uint256[] memory instances = _instancesWith(index, addmod(fx.instances[index], delta, FieldDecode.P));
        _expectProofRejected();
        _submit(fx.decisionMinute, fx.proof, instances);
    }

    /// @dev The same value plus the modulus: the verifier refuses non-canonical field elements, so that the
    /// stored logits and binding cannot be malleated.
    function test_submit_revertsOnOutOfFieldInstance() public {
        uint256 last = fx.instances.length - 1;
        _expectProofRejected();
        _submit(fx.decisionMinute, fx.proof, _instancesWith(last, fx.instances[last] + FieldDecode.P));
        _expectProofRejected();
        _submit(fx.decisionMinute, fx.proof, _instancesWith(last, type(uint256).max));
    }

    /// @dev Registers the fixture's model with `v` as its verifier, under keccak256(`name`), and moves the feed to it.
    function _moveFeedToVerifier(IHalo2Verifier v, string memory name) internal returns (bytes32 id) {
        id = keccak256(bytes(name));
        ISignalOracle.Model memory m = _model(fx);
        m.verifier = v;
        vm.startPrank(admin);
        oracle.registerModel(id, m);
        oracle.setFeedModel(FEED, id);
        vm.stopPrank();
    }

    /// @dev An EIP-7702 delegated account (code `0xef0100 ‖ delegate`) can be re-aimed at any code by its key:
    /// the registry refuses it, even when it points at the real verifier.
    function test_registerModel_refusesADelegatedAccount() public {
        address delegated = makeAddr("delegated verifier");
        vm.etch(delegated, abi.encodePacked(hex"ef0100", address(verifier)));
        ISignalOracle.Model memory m = _model(fx);
        m.verifier = IHalo2Verifier(delegated);
        vm.expectRevert(abi.encodeWithSelector(ISignalOracle.SignalOracleInvalidVerifier.selector, delegated));
        vm.prank(admin);
        oracle.registerModel(keccak256("delegated"), m);
    }

    /// @dev The registry records the verifier's code hash; once the code at that address changes (here: to a
    /// verifier that accepts everything), rounds are refused, by name, before the verifier is called.
    function test_submit_refusesAVerifierWhoseCodeChanged() public {
        bytes32 registered = address(verifier).codehash;
        assertEq(oracle.verifierCodeHash(fx.modelId), registered);
        vm.etch(address(verifier), address(new AcceptingVerifier()).code);
        bytes32 current = address(verifier).codehash;
        vm.expectRevert(
            abi.encodeWithSelector(
                ISignalOracle.SignalOracleVerifierCodeChanged.selector, address(verifier), registered, current
            )
        );
        _submitFixture();
        vm.expectRevert(abi.encodeWithSelector(ISignalOracle.SignalOracleUnknownModel.selector, bytes32(0)));
        oracle.verifierCodeHash(bytes32(0));
    }

    function test_submit_revertsWhenVerifierReturnsFalse() public {
        RejectingVerifier rejecting = new RejectingVerifier();
        bytes32 id = _moveFeedToVerifier(rejecting, "rejecting");
        vm.expectRevert(abi.encodeWithSelector(ISignalOracle.SignalOracleProofRejected.selector, rejecting));
        _submitAs(submitter, FEED, id, fx.decisionMinute, fx.proof, fx.instances);
    }

    /// @dev Behind a verifier that accepts anything: logits at the decoding bound are stored exactly, one past
    /// it reverts (a round keeps its logits in 32 bits).
    function test_submit_storesLogitsAtTheBoundAndRejectsBeyond() public {
        bytes32 id = _moveFeedToVerifier(new AcceptingVerifier(), "accepting");
        int256 max = int256(FieldDecode.MAX_MAGNITUDE);
        uint256 n = fx.nInputs;
        uint256[] memory instances = fx.instances;
        instances[n] = _encode(-max);
        instances[n + 1] = _encode(0);
        instances[n + 2] = _encode(max);
        _submitAs(submitter, FEED, id, fx.decisionMinute, fx.proof, instances);
        ISignalOracle.Round memory round = oracle.getRound(FEED, 1);
        assertEq(round.logits[0], -max);
        assertEq(round.logits[1], 0);
        assertEq(round.logits[2], max);
        assertEq(uint8(round.signal), uint8(ISignalOracle.Signal.Buy));

        vm.warp(fx.decisionMinute + 120);
        instances[n] = _encode(-max - 1);
        vm.expectRevert(abi.encodeWithSelector(FieldDecode.FieldDecodeOutOfRange.selector, instances[n]));
        _submitAs(submitter, FEED, id, fx.decisionMinute + 60, fx.proof, instances);
    }

    function test_submit_revertsOnWrongInstanceCount() public {
        uint256 expected = fx.instances.length;
        uint256[] memory shorter = new uint256[](expected - 1);
        uint256[] memory longer = new uint256[](expected + 1);
        for (uint256 i = 0; i < expected - 1; ++i) {
            shorter[i] = fx.instances[i];
        }
        for (uint256 i = 0; i < expected; ++i) {
            longer[i] = fx.instances[i];
        }
        vm.expectRevert(
            abi.encodeWithSelector(ISignalOracle.SignalOracleInstanceCountMismatch.selector, expected, expected - 1)
        );
        _submit(fx.decisionMinute, fx.proof, shorter);
        vm.expectRevert(
            abi.encodeWithSelector(ISignalOracle.SignalOracleInstanceCountMismatch.selector, expected, expected + 1)
        );
        _submit(fx.decisionMinute, fx.proof, longer);
    }

    function test_submit_revertsForWrongModel() public {
        bytes32 other = keccak256("other model");
        vm.expectRevert(abi.encodeWithSelector(ISignalOracle.SignalOracleWrongModel.selector, fx.modelId, other));
        _submitAs(submitter, FEED, other, fx.decisionMinute, fx.proof, fx.instances);
    }

    function test_submit_revertsForUnknownFeed() public {
        bytes32 unknown = keccak256("unknown");
        vm.expectRevert(abi.encodeWithSelector(ISignalOracle.SignalOracleUnknownFeed.selector, unknown));
        _submitAs(submitter, unknown, fx.modelId, fx.decisionMinute, fx.proof, fx.instances);
    }

    function test_submit_revertsForUnauthorizedSubmitter() public {
        address stranger = makeAddr("stranger");
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector, stranger, oracle.SUBMITTER_ROLE()
            )
        );
        _submitAs(stranger, FEED, fx.modelId, fx.decisionMinute, fx.proof, fx.instances);
    }

    function test_submit_revertsOnReplayedRound() public {
        _submitFixture();
        vm.expectRevert(
            abi.encodeWithSelector(
                ISignalOracle.SignalOracleRoundNotAfterLatest.selector, fx.decisionMinute, fx.decisionMinute
            )
        );
        _submitFixture();
    }

    function test_submit_revertsOnOutOfOrderRound() public {
        _submitFixture();
        uint64 earlier = fx.decisionMinute - 60;
        vm.expectRevert(
            abi.encodeWithSelector(ISignalOracle.SignalOracleRoundNotAfterLatest.selector, earlier, fx.decisionMinute)
        );
        _submit(earlier, fx.proof, fx.instances);
    }

    function test_submit_revertsOnStaleMinute() public {
        vm.warp(fx.decisionMinute + 60 + MAX_DELAY + 1);
        vm.expectRevert(
            abi.encodeWithSelector(
                ISignalOracle.SignalOracleStaleMinute.selector, fx.decisionMinute, MAX_DELAY + 1, MAX_DELAY
            )
        );
        _submitFixture();
    }

    function test_submit_revertsOnUnalignedMinute() public {
        uint64 unaligned = fx.decisionMinute + 1;
        vm.expectRevert(abi.encodeWithSelector(ISignalOracle.SignalOracleUnalignedMinute.selector, unaligned));
        _submit(unaligned, fx.proof, fx.instances);
    }

    function test_submit_revertsOnFutureMinute() public {
        uint64 future = uint64(block.timestamp + 60 - (block.timestamp % 60));
        vm.expectRevert(
            abi.encodeWithSelector(ISignalOracle.SignalOracleMinuteInFuture.selector, future, block.timestamp)
        );
        _submit(future, fx.proof, fx.instances);
    }

    function test_submit_revertsWhileTheCandleIsOpen() public {
        vm.warp(fx.decisionMinute + 59);
        vm.expectRevert(
            abi.encodeWithSelector(
                ISignalOracle.SignalOracleMinuteInFuture.selector, fx.decisionMinute, block.timestamp
            )
        );
        _submitFixture();
        vm.warp(fx.decisionMinute + 60);
        assertEq(_submitFixture(), 1);
    }
}

/// @dev Exposes the internal libraries so that their reverts can be expected.
contract LibraryHarness {
    function toInt(uint256 value) external pure returns (int256) {
        return FieldDecode.toInt(value);
    }

    function fromLogits(int256[3] memory logits) external pure returns (ISignalOracle.Signal) {
        return SignalLib.fromLogits(logits);
    }
}

contract FieldDecodeTest is Test {
    uint256 internal constant P = FieldDecode.P;
    uint256 internal constant MAX = FieldDecode.MAX_MAGNITUDE;

    LibraryHarness internal harness = new LibraryHarness();

    function test_toInt_edgeCases() public view {
        assertEq(harness.toInt(0), 0);
        assertEq(harness.toInt(1), 1);
        assertEq(harness.toInt(P - 1), -1);
        assertEq(harness.toInt(MAX), int256(MAX));
        assertEq(harness.toInt(P - MAX), -int256(MAX));
        assertEq(MAX, uint256(int256(type(int32).max)));
    }

    function test_toInt_constants() public pure {
        assertEq(P, 0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001);
        assertEq(FieldDecode.HALF * 2 + 1, P);
    }

    function testFuzz_toInt_roundTrips(int32 x) public view {
        if (x == type(int32).min) return; // magnitude 2^31 is out of range by design (symmetric bound)
        uint256 encoded = x >= 0 ? uint256(int256(x)) : P - uint256(-int256(x));
        assertEq(harness.toInt(encoded), int256(x));
    }

    function testFuzz_toInt_revertsWhenOutOfRange(uint256 value) public {
        value = bound(value, MAX + 1, P - MAX - 1);
        vm.expectRevert(abi.encodeWithSelector(FieldDecode.FieldDecodeOutOfRange.selector, value));
        harness.toInt(value);
    }

    function testFuzz_toInt_revertsWhenNotInField(uint256 value) public {
        value = bound(value, P, type(uint256).max);
        vm.expectRevert(abi.encodeWithSelector(FieldDecode.FieldDecodeNotInField.selector, value));
        harness.toInt(value);
    }

    function test_toInt_revertsAroundHalf() public {
        uint256 half = FieldDecode.HALF;
        vm.expectRevert(abi.encodeWithSelector(FieldDecode.FieldDecodeOutOfRange.selector, half));
        harness.toInt(half);
        vm.expectRevert(abi.encodeWithSelector(FieldDecode.FieldDecodeOutOfRange.selector, half + 1));
        harness.toInt(half + 1);
    }
}

contract SignalLibTest is Test {
    LibraryHarness internal harness = new LibraryHarness();

    function test_fromLogits_strictMaximum() public view {
        assertEq(uint8(harness.fromLogits([int256(3), 2, 1])), uint8(ISignalOracle.Signal.Sell));
        assertEq(uint8(harness.fromLogits([int256(1), 3, 2])), uint8(ISignalOracle.Signal.Hold));
        assertEq(uint8(harness.fromLogits([int256(-5), -7, -1])), uint8(ISignalOracle.Signal.Buy));
    }

    function test_fromLogits_tiesPreferHoldThenSell() public view {
        assertEq(uint8(harness.fromLogits([int256(0), 0, 0])), uint8(ISignalOracle.Signal.Hold));
        assertEq(uint8(harness.fromLogits([int256(5), 5, 1])), uint8(ISignalOracle.Signal.Hold));
        assertEq(uint8(harness.fromLogits([int256(1), 5, 5])), uint8(ISignalOracle.Signal.Hold));
        assertEq(uint8(harness.fromLogits([int256(5), 1, 5])), uint8(ISignalOracle.Signal.Sell));
    }

    /// @dev Reference: the maximum; HOLD if it attains it, else the lowest class that does.
    function testFuzz_fromLogits_matchesReference(int256 sell, int256 hold, int256 buy, uint8 ties) public view {
        if (ties % 4 == 1) hold = sell;
        if (ties % 4 == 2) buy = hold;
        if (ties % 4 == 3) buy = sell;
        int256[3] memory logits = [sell, hold, buy];
        int256 max = sell > hold ? sell : hold;
        max = buy > max ? buy : max;
        ISignalOracle.Signal expected;
        if (hold == max) expected = ISignalOracle.Signal.Hold;
        else if (sell == max) expected = ISignalOracle.Signal.Sell;
        else expected = ISignalOracle.Signal.Buy;
        assertEq(uint8(harness.fromLogits(logits)), uint8(expected));
    }

}

/// @notice The feed's heartbeat and the one notion of a current signal ({ISignalOracle-currentSignal}).
contract SignalOracleHeartbeatTest is OracleTestBase {
    function test_heartbeat_defaultsToEveryMinuteAndIsSetByTheAdmin() public {
        assertEq(oracle.getFeed(FEED).heartbeat, 60);
        vm.expectEmit(true, false, false, true);
        emit ISignalOracle.FeedHeartbeatSet(FEED, 1 hours);
        vm.prank(admin);
        oracle.setFeedHeartbeat(FEED, 1 hours);
        assertEq(oracle.getFeed(FEED).heartbeat, 1 hours);

        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector, submitter, oracle.DEFAULT_ADMIN_ROLE()
            )
        );
        vm.prank(submitter);
        oracle.setFeedHeartbeat(FEED, 2 hours);

        bytes32 unknown = keccak256("unknown");
        vm.prank(admin);
        vm.expectRevert(abi.encodeWithSelector(ISignalOracle.SignalOracleUnknownFeed.selector, unknown));
        oracle.setFeedHeartbeat(unknown, 1 hours);
    }

    function test_heartbeat_mustBeWholeMinutesUpToADay() public {
        uint32[5] memory bad = [uint32(0), 59, 90, 1 days + 60, type(uint32).max];
        for (uint256 i = 0; i < bad.length; ++i) {
            vm.prank(admin);
            vm.expectRevert(abi.encodeWithSelector(ISignalOracle.SignalOracleInvalidHeartbeat.selector, bad[i]));
            oracle.setFeedHeartbeat(FEED, bad[i]);
        }
        vm.prank(admin);
        oracle.setFeedHeartbeat(FEED, 1 days);
        assertEq(oracle.getFeed(FEED).heartbeat, oracle.MAX_HEARTBEAT());
    }

    /// @dev Current from the close until the round due a heartbeat later is late (heartbeat + maxDelay), then
    /// refused by name; a later round makes the feed current again; the heartbeat in force is the one read.
    function test_currentSignal_lastsUntilTheNextRoundIsLate() public {
        vm.expectRevert(abi.encodeWithSelector(ISignalOracle.SignalOracleNoRound.selector, FEED));
        oracle.currentSignal(FEED);

        _submitFixture();
        uint256 validUntil = uint256(fx.decisionMinute) + 60 + 60 + MAX_DELAY;
        vm.warp(validUntil - 1);
        (ISignalOracle.Signal signal, uint64 minute, uint256 id, bytes32 modelId, uint256 until) =
            oracle.currentSignal(FEED);
        assertEq(uint8(signal), uint8(SignalLib.fromLogits(fx.logits)));
        assertEq(minute, fx.decisionMinute);
        assertEq(id, 1);
        assertEq(modelId, fx.modelId);
        assertEq(until, validUntil);

        vm.warp(validUntil);
        vm.expectRevert(abi.encodeWithSelector(ISignalOracle.SignalOracleNotCurrent.selector, FEED, 1, validUntil));
        oracle.currentSignal(FEED);
        // The raw read still answers.
        (,, uint256 latest,) = oracle.latestSignal(FEED);
        assertEq(latest, 1);

        // A longer heartbeat, set later, applies to the latest round at once.
        vm.prank(admin);
        oracle.setFeedHeartbeat(FEED, 1 hours);
        (,,,, until) = oracle.currentSignal(FEED);
        assertEq(until, uint256(fx.decisionMinute) + 60 + 1 hours + MAX_DELAY);

        // A later round is current from its own close.
        vm.warp(until + 1 hours);
        uint64 later = uint64((block.timestamp - MAX_DELAY) / 60 * 60);
        assertEq(_submit(later, fx.proof, fx.instances), 2);
        (,, id,, until) = oracle.currentSignal(FEED);
        assertEq(id, 2);
        assertEq(until, uint256(later) + 60 + 1 hours + MAX_DELAY);
    }

    /// @dev The heartbeat sits in the feed slot every submission reads and writes anyway: setting it changes the
    /// cost of a round by nothing (same warm slot), checked against the default.
    function test_heartbeat_costsASubmissionNothing() public {
        _setCommittee(FEED, members, 1);
        vm.cool(address(oracle));
        ProofFixture memory f = fx;
        bytes memory sigs = _sigs(FEED, f.modelId, f.decisionMinute, f.proof, f.instances);
        address[] memory committee = _committeeOf(FEED);
        uint256 snap = vm.snapshotState();
        vm.prank(submitter);
        oracle.submit(FEED, f.modelId, f.decisionMinute, f.proof, f.instances, committee, sigs);
        uint256 everyMinute = vm.lastCallGas().gasTotalUsed;
        vm.revertToState(snap);
        vm.prank(admin);
        oracle.setFeedHeartbeat(FEED, 1 hours);
        vm.cool(address(oracle));
        vm.prank(submitter);
        oracle.submit(FEED, f.modelId, f.decisionMinute, f.proof, f.instances, committee, sigs);
        assertEq(vm.lastCallGas().gasTotalUsed, everyMinute);
    }
}
