// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Test} from "forge-std/Test.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

import {SignalOracle} from "../contracts/SignalOracle.sol";
import {IHalo2Verifier} from "../contracts/interfaces/IHalo2Verifier.sol";
import {ISignalOracle} from "../contracts/interfaces/ISignalOracle.sol";
import {FieldDecode} from "../contracts/libraries/FieldDecode.sol";
import {SignalLib} from "../contracts/libraries/SignalLib.sol";
import {OracleTestBase} from "./utils/OracleTestBase.sol";
import {RejectingVerifier} from "./utils/mocks/RejectingVerifier.sol";

contract SignalOracleTest is OracleTestBase {
    // ------------------------------------------------------------------ construction and admin

    function test_constructor_setsModel() public view {
        assertEq(address(oracle.verifier()), address(verifier));
        assertEq(oracle.modelId(), fx.modelId);
        assertEq(oracle.nInputs(), fx.nInputs);
        assertEq(oracle.outputScale(), fx.outputScale);
        assertEq(oracle.owner(), owner);
        assertEq(oracle.latestRoundId(), 0);
    }

    /// @dev A verifier above EIP-170 could only be deployed on anvil with `--code-size-limit`/
    /// `--disable-code-size-limit`, never on a public chain: fail here rather than there.
    function test_verifier_fitsCodeSizeLimit() public view {
        assertLe(address(verifier).code.length, 24_576, "verifier runtime code exceeds EIP-170");
    }

    function test_constructor_emitsModelConfigured() public {
        vm.expectEmit(true, false, false, true);
        emit ISignalOracle.ModelConfigured(fx.modelId, address(verifier), fx.nInputs, fx.outputScale);
        new SignalOracle(owner, verifier, fx.modelId, fx.nInputs, fx.outputScale);
    }

    function test_constructor_revertsWhenVerifierHasNoCode() public {
        address eoa = makeAddr("eoa");
        vm.expectRevert(abi.encodeWithSelector(ISignalOracle.SignalOracleInvalidVerifier.selector, eoa));
        new SignalOracle(owner, IHalo2Verifier(eoa), fx.modelId, fx.nInputs, fx.outputScale);
    }

    function test_constructor_revertsWithoutInputs() public {
        vm.expectRevert(abi.encodeWithSelector(ISignalOracle.SignalOracleInvalidInputCount.selector, 0));
        new SignalOracle(owner, verifier, fx.modelId, 0, fx.outputScale);
    }

    function test_setSubmitter_grantsAndRevokes() public {
        address account = makeAddr("account");
        vm.expectEmit(true, false, false, true);
        emit ISignalOracle.SubmitterSet(account, true);
        vm.prank(owner);
        oracle.setSubmitter(account, true);
        assertTrue(oracle.isSubmitter(account));

        vm.prank(owner);
        oracle.setSubmitter(account, false);
        assertFalse(oracle.isSubmitter(account));
    }

    function test_setSubmitter_revertsForNonOwner() public {
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, submitter));
        vm.prank(submitter);
        oracle.setSubmitter(submitter, false);
    }

    // ------------------------------------------------------------------ valid proof

    function test_submit_acceptsValidProof() public {
        bytes32 inputHash = _inputHash(fx.instances, fx.nInputs);
        vm.expectEmit(true, true, true, true);
        emit ISignalOracle.SignalSubmitted(
            1, fx.decisionMinute, ISignalOracle.Signal(fx.signal), fx.logits, inputHash, submitter
        );
        uint256 roundId = _submitFixture();

        assertEq(roundId, 1);
        assertEq(oracle.latestRoundId(), 1);
        ISignalOracle.Round memory round = oracle.getRound(1);
        assertEq(uint8(round.signal), fx.signal, "signal");
        assertEq(round.logits[0], fx.logits[0], "SELL logit");
        assertEq(round.logits[1], fx.logits[1], "HOLD logit");
        assertEq(round.logits[2], fx.logits[2], "BUY logit");
        assertEq(round.inputHash, inputHash, "inputHash");
        assertEq(round.decisionMinute, fx.decisionMinute);
        assertEq(round.submittedAt, block.timestamp);
        assertEq(round.submitter, submitter);

        (ISignalOracle.Signal signal, uint64 decisionMinute, uint256 latestId) = oracle.latestSignal();
        assertEq(uint8(signal), fx.signal);
        assertEq(decisionMinute, fx.decisionMinute);
        assertEq(latestId, 1);
        assertEq(keccak256(abi.encode(oracle.latestRound())), keccak256(abi.encode(round)));
    }

    function test_submit_signalIsArgmaxOfLogits() public {
        _submitFixture();
        ISignalOracle.Round memory round = oracle.latestRound();
        assertEq(uint8(round.signal), uint8(SignalLib.fromLogits(round.logits)));
    }

    // ------------------------------------------------------------------ rejected proofs and instances

    function testFuzz_submit_revertsWhenProofByteTampered(uint256 index, uint8 mask) public {
        index = bound(index, 0, fx.proof.length - 1);
        mask = uint8(bound(mask, 1, type(uint8).max));
        bytes memory proof = fx.proof;
        proof[index] ^= bytes1(mask);

        vm.expectRevert(abi.encodeWithSelector(ISignalOracle.SignalOracleProofRejected.selector, verifier));
        _submit(fx.decisionMinute, proof, fx.instances);
    }

    function test_submit_revertsWhenProofTruncatedOrExtended() public {
        bytes memory truncated = new bytes(fx.proof.length - 32);
        for (uint256 i = 0; i < truncated.length; ++i) {
            truncated[i] = fx.proof[i];
        }
        vm.expectRevert(abi.encodeWithSelector(ISignalOracle.SignalOracleProofRejected.selector, verifier));
        _submit(fx.decisionMinute, truncated, fx.instances);

        vm.expectRevert(abi.encodeWithSelector(ISignalOracle.SignalOracleProofRejected.selector, verifier));
        _submit(fx.decisionMinute, bytes.concat(fx.proof, bytes32(0)), fx.instances);
    }

    function testFuzz_submit_revertsWhenInputTampered(uint256 index, uint256 delta) public {
        index = bound(index, 0, fx.nInputs - 1);
        delta = bound(delta, 1, FieldDecode.P - 1);
        uint256[] memory instances = _instancesWith(index, addmod(fx.instances[index], delta, FieldDecode.P));

        vm.expectRevert(abi.encodeWithSelector(ISignalOracle.SignalOracleProofRejected.selector, verifier));
        _submit(fx.decisionMinute, fx.proof, instances);
    }

    function test_submit_revertsWhenInputIsNonCanonical() public {
        // Same value modulo P: the verifier must still refuse it, or inputHash would be malleable.
        // No overflow: P < 2^254, so value + P < 2^255.
        uint256[] memory instances = _instancesWith(0, fx.instances[0] + FieldDecode.P);

        vm.expectRevert(abi.encodeWithSelector(ISignalOracle.SignalOracleProofRejected.selector, verifier));
        _submit(fx.decisionMinute, fx.proof, instances);
    }

    function test_submit_revertsWhenAnyOutputTampered() public {
        for (uint256 k = 0; k < 3; ++k) {
            uint256 index = fx.nInputs + k;
            // Raising one logit by a lot may flip the signal: exactly what a forger would try.
            uint256[] memory instances = _instancesWith(index, addmod(fx.instances[index], 1 << 20, FieldDecode.P));
            vm.expectRevert(abi.encodeWithSelector(ISignalOracle.SignalOracleProofRejected.selector, verifier));
            _submit(fx.decisionMinute, fx.proof, instances);
        }
    }

    function test_submit_revertsWhenVerifierReturnsFalse() public {
        RejectingVerifier rejecting = new RejectingVerifier();
        SignalOracle strict = new SignalOracle(owner, rejecting, fx.modelId, fx.nInputs, fx.outputScale);
        vm.prank(owner);
        strict.setSubmitter(submitter, true);

        vm.expectRevert(abi.encodeWithSelector(ISignalOracle.SignalOracleProofRejected.selector, rejecting));
        vm.prank(submitter);
        strict.submit(fx.decisionMinute, fx.proof, fx.instances);
    }

    function test_submit_revertsOnWrongInstanceCount() public {
        uint256 expected = fx.nInputs + 3;
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

    function test_submit_revertsForUnauthorizedSubmitter() public {
        address stranger = makeAddr("stranger");
        vm.expectRevert(abi.encodeWithSelector(ISignalOracle.SignalOracleUnauthorizedSubmitter.selector, stranger));
        vm.prank(stranger);
        oracle.submit(fx.decisionMinute, fx.proof, fx.instances);
    }

    // ------------------------------------------------------------------ round ordering

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

    function test_submit_acceptsLaterRound() public {
        _submitFixture();
        uint64 later = fx.decisionMinute + 60;
        vm.warp(later + 60);
        assertEq(_submit(later, fx.proof, fx.instances), 2);
        assertEq(oracle.latestRound().decisionMinute, later);
        assertEq(oracle.getRound(1).decisionMinute, fx.decisionMinute);
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
        // One second before the decision candle closes.
        vm.warp(fx.decisionMinute + 59);
        vm.expectRevert(
            abi.encodeWithSelector(ISignalOracle.SignalOracleMinuteInFuture.selector, fx.decisionMinute, block.timestamp)
        );
        _submitFixture();
        vm.warp(fx.decisionMinute + 60);
        assertEq(_submitFixture(), 1);
    }

    // ------------------------------------------------------------------ reads

    function test_reads_beforeAnyRound() public {
        (ISignalOracle.Signal signal, uint64 decisionMinute, uint256 roundId) = oracle.latestSignal();
        assertEq(uint8(signal), 0);
        assertEq(decisionMinute, 0);
        assertEq(roundId, 0);

        vm.expectRevert(abi.encodeWithSelector(ISignalOracle.SignalOracleUnknownRound.selector, 0));
        oracle.latestRound();
    }

    function test_getRound_revertsForUnknownRound() public {
        _submitFixture();
        vm.expectRevert(abi.encodeWithSelector(ISignalOracle.SignalOracleUnknownRound.selector, 0));
        oracle.getRound(0);
        vm.expectRevert(abi.encodeWithSelector(ISignalOracle.SignalOracleUnknownRound.selector, 2));
        oracle.getRound(2);
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
    }

    function test_toInt_constants() public pure {
        assertEq(P, 0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001);
        assertEq(FieldDecode.HALF * 2 + 1, P);
    }

    function testFuzz_toInt_nonNegative(uint256 value) public view {
        value = bound(value, 0, MAX);
        assertEq(harness.toInt(value), int256(value));
    }

    function testFuzz_toInt_negative(uint256 magnitude) public view {
        magnitude = bound(magnitude, 1, MAX);
        assertEq(harness.toInt(P - magnitude), -int256(magnitude));
    }

    function testFuzz_toInt_roundTrips(int128 x) public view {
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

    function test_fromLogits_tiesPreferHoldThenLowerClass() public view {
        assertEq(uint8(harness.fromLogits([int256(0), 0, 0])), uint8(ISignalOracle.Signal.Hold));
        assertEq(uint8(harness.fromLogits([int256(5), 5, 1])), uint8(ISignalOracle.Signal.Hold));
        assertEq(uint8(harness.fromLogits([int256(1), 5, 5])), uint8(ISignalOracle.Signal.Hold));
        assertEq(uint8(harness.fromLogits([int256(5), 1, 5])), uint8(ISignalOracle.Signal.Sell));
    }

    /// @dev Reference: the maximum; HOLD if it attains it, else the lowest class that does.
    function testFuzz_fromLogits_matchesReference(int256 sell, int256 hold, int256 buy, uint8 ties) public view {
        // Make ties likely: copy one logit onto another in some runs.
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
