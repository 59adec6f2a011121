// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {SignalAggregator} from "../contracts/SignalAggregator.sol";
import {AggregatorV3Interface} from "../contracts/interfaces/AggregatorV3Interface.sol";
import {ISignalOracle} from "../contracts/interfaces/ISignalOracle.sol";
import {OracleTestBase} from "./utils/OracleTestBase.sol";
import {ProofFixture} from "./utils/ProofFixture.sol";

/// @notice A consumer written for Chainlink reads the feed through the adapter, unchanged: the adapter answers
/// where Chainlink's OCR2 aggregator answers (zeros for missing rounds, never a revert), and its `updatedAt` is
/// the signal's validity time, so the usual heartbeat check measures the signal's real age.
contract SignalAggregatorTest is OracleTestBase {
    SignalAggregator internal adapter;
    AggregatorV3Interface internal feed;
    ProofFixture[3] internal proofs;
    uint64 internal minute;

    function setUp() public override {
        super.setUp();
        adapter = new SignalAggregator(oracle, FEED, "VeriRegime BTCUSDT 1m signal");
        feed = adapter;
        for (uint8 s = 0; s < 3; ++s) {
            proofs[s] = _fixtureOf(ISignalOracle.Signal(s));
        }
        minute = fx.decisionMinute - 60;
    }

    /// @dev Publishes `signal` for the next minute, `delay` seconds after its candle closed.
    function _publish(ISignalOracle.Signal signal, uint256 delay) internal returns (uint256) {
        minute += 60;
        vm.warp(minute + 60 + delay);
        ProofFixture storage p = proofs[uint8(signal)];
        return _submitAs(submitter, FEED, fx.modelId, minute, p.proof, p.instances);
    }

    function test_metadata() public view {
        assertEq(feed.decimals(), 0);
        assertEq(feed.version(), 2);
        assertEq(feed.description(), "VeriRegime BTCUSDT 1m signal");
    }

    function test_latestRoundData_mapsSignalsToMinusOneZeroPlusOne() public {
        int256[3] memory expected = [int256(-1), 0, 1];
        for (uint8 s = 0; s < 3; ++s) {
            uint256 id = _publish(ISignalOracle.Signal(s), 5);
            (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound) =
                feed.latestRoundData();
            assertEq(roundId, id);
            assertEq(answer, expected[s]);
            assertEq(startedAt, minute, "startedAt is the decision minute");
            assertEq(updatedAt, minute + 60, "updatedAt is when the signal became valid");
            assertEq(answeredInRound, id);
        }
        (, int256 first,,,) = feed.getRoundData(1);
        assertEq(first, -1);
    }

    /// @dev The finding: `updatedAt` was the submission time, which hid the submission delay (up to the feed's
    /// `maxDelay`) from a consumer's heartbeat check. A round submitted at the end of its window is now exactly
    /// as old to that check as it is.
    function test_updatedAt_isTheValidityTimeNotTheSubmission() public {
        _publish(ISignalOracle.Signal.Buy, MAX_DELAY);
        (,,, uint256 updatedAt,) = feed.latestRoundData();
        assertEq(block.timestamp - updatedAt, MAX_DELAY, "the heartbeat check sees the submission delay");
        assertEq(oracle.getRound(FEED, 1).submittedAt, block.timestamp, "the submission time stays in the oracle");
    }

    /// @dev The Chainlink-style freshness check, `block.timestamp - updatedAt < maxAnswerAge()`, is the oracle's
    /// own notion of current: both flip at the same second, at the default heartbeat and at a longer one.
    function test_maxAnswerAge_isTheOraclesNotionOfCurrent() public {
        assertFalse(adapter.isCurrent(), "no round yet");
        assertEq(adapter.maxAnswerAge(), 60 + MAX_DELAY);
        _publish(ISignalOracle.Signal.Buy, 5);
        (,,, uint256 updatedAt,) = feed.latestRoundData();
        for (uint256 h = 0; h < 2; ++h) {
            uint256 maxAge = adapter.maxAnswerAge();
            vm.warp(updatedAt + maxAge - 1);
            assertTrue(adapter.isCurrent());
            (,,,, uint256 validUntil) = oracle.currentSignal(FEED);
            assertEq(validUntil, updatedAt + maxAge);
            vm.warp(updatedAt + maxAge);
            assertFalse(adapter.isCurrent());
            vm.prank(admin);
            oracle.setFeedHeartbeat(FEED, 1 hours);
            assertEq(adapter.maxAnswerAge(), 1 hours + MAX_DELAY);
        }
    }

    /// @dev The finding: the adapter reverted where Chainlink's aggregator returns zeros. Now, as OCR2: all zeros
    /// before the first round; a missing id reads as itself with zero answer and times; above 2^32 - 1, all zeros.
    function test_missingRounds_readZeroAsChainlink() public {
        _assertRound(feed.latestRoundData, 0, 0, 0, 0, 0);
        (uint80 id, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredIn) = feed.getRoundData(0);
        _assertZeros(id, answer, startedAt, updatedAt, answeredIn, 0);
        (id, answer, startedAt, updatedAt, answeredIn) = feed.getRoundData(7);
        _assertZeros(id, answer, startedAt, updatedAt, answeredIn, 7);
        assertEq(adapter.latestModelId(), bytes32(0));

        _publish(ISignalOracle.Signal.Hold, 0);
        (id, answer, startedAt, updatedAt, answeredIn) = feed.getRoundData(2);
        _assertZeros(id, answer, startedAt, updatedAt, answeredIn, 2);
        (id, answer, startedAt, updatedAt, answeredIn) = feed.getRoundData(uint80(type(uint32).max) + 1);
        _assertZeros(id, answer, startedAt, updatedAt, answeredIn, 0);
        assertEq(adapter.modelIdOf(2), bytes32(0));
        assertEq(adapter.modelIdOf(0), bytes32(0));
    }

    function _assertZeros(
        uint80 id,
        int256 answer,
        uint256 startedAt,
        uint256 updatedAt,
        uint80 answeredIn,
        uint80 asked
    ) internal pure {
        assertEq(id, asked);
        assertEq(answer, 0);
        assertEq(startedAt, 0);
        assertEq(updatedAt, 0, "updatedAt == 0 is Chainlink's 'no data'");
        assertEq(answeredIn, asked);
    }

    function _assertRound(
        function() external view returns (uint80, int256, uint256, uint256, uint80) read,
        uint80 id,
        int256 answer,
        uint256 startedAt,
        uint256 updatedAt,
        uint80 answeredIn
    ) internal view {
        (uint80 i, int256 a, uint256 s, uint256 u, uint80 r) = read();
        assertEq(i, id);
        assertEq(a, answer);
        assertEq(s, startedAt);
        assertEq(u, updatedAt);
        assertEq(r, answeredIn);
    }

    function test_constructor_revertsForUnknownFeed() public {
        bytes32 unknown = keccak256("unknown");
        vm.expectRevert(abi.encodeWithSelector(ISignalOracle.SignalOracleUnknownFeed.selector, unknown));
        new SignalAggregator(oracle, unknown, "x");
    }

    /// @dev The adapter follows the feed across a model upgrade (the consumer keeps its address) and names each
    /// round's model, so that a consumer that pins one can tell.
    function test_followsTheFeedAcrossAModelUpgradeAndNamesTheModel() public {
        _publish(ISignalOracle.Signal.Buy, 0);
        assertEq(adapter.latestModelId(), fx.modelId);
        bytes32 v2 = keccak256("student v2");
        vm.startPrank(admin);
        oracle.registerModel(v2, _model(fx));
        oracle.setFeedModel(FEED, v2);
        vm.stopPrank();
        minute += 60;
        vm.warp(minute + 60);
        _submitAs(submitter, FEED, v2, minute, proofs[0].proof, proofs[0].instances);
        (uint80 roundId, int256 answer,,,) = feed.latestRoundData();
        assertEq(roundId, 2);
        assertEq(answer, -1);
        assertEq(adapter.latestModelId(), v2);
        assertEq(adapter.modelIdOf(1), fx.modelId);
        assertEq(adapter.modelIdOf(2), v2);
    }
}
