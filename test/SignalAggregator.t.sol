// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {SignalAggregator} from "../contracts/SignalAggregator.sol";
import {AggregatorV3Interface} from "../contracts/interfaces/AggregatorV3Interface.sol";
import {ISignalOracle} from "../contracts/interfaces/ISignalOracle.sol";
import {VaultTestBase} from "./utils/VaultTestBase.sol";

/// @notice A Chainlink consumer reads the feed through the adapter, unchanged.
contract SignalAggregatorTest is VaultTestBase {
    AggregatorV3Interface internal feed;

    function setUp() public override {
        super.setUp();
        feed = new SignalAggregator(oracle, FEED, "VeriRegime BTCUSDT 1m signal");
    }

    function test_metadata() public view {
        assertEq(feed.decimals(), 0);
        assertEq(feed.version(), 1);
        assertEq(feed.description(), "VeriRegime BTCUSDT 1m signal");
    }

    function test_latestRoundData_mapsSignalsToMinusOneZeroPlusOne() public {
        int256[3] memory expected = [int256(-1), 0, 1];
        for (uint8 s = 0; s < 3; ++s) {
            uint256 id = _publish(ISignalOracle.Signal(s));
            (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound) =
                feed.latestRoundData();
            assertEq(roundId, id);
            assertEq(answer, expected[s]);
            assertEq(startedAt, minute, "startedAt is the decision minute");
            assertEq(updatedAt, block.timestamp, "updatedAt is the submission time");
            assertEq(answeredInRound, id);
        }
        (, int256 first,,,) = feed.getRoundData(1);
        assertEq(first, -1);
    }

    function test_readsRevertWithoutRound() public {
        vm.expectRevert(abi.encodeWithSelector(ISignalOracle.SignalOracleUnknownRound.selector, FEED, 0));
        feed.latestRoundData();
        _publish(ISignalOracle.Signal.Hold);
        vm.expectRevert(abi.encodeWithSelector(ISignalOracle.SignalOracleUnknownRound.selector, FEED, 2));
        feed.getRoundData(2);
    }

    function test_constructor_revertsForUnknownFeed() public {
        bytes32 unknown = keccak256("unknown");
        vm.expectRevert(abi.encodeWithSelector(ISignalOracle.SignalOracleUnknownFeed.selector, unknown));
        new SignalAggregator(oracle, unknown, "x");
    }

    /// @dev The adapter follows the feed across a model upgrade: the consumer keeps its address.
    function test_followsTheFeedAcrossAModelUpgrade() public {
        _publish(ISignalOracle.Signal.Buy);
        _publishAs(_upgradeFeed(), ISignalOracle.Signal.Sell);
        (uint80 roundId, int256 answer,,,) = feed.latestRoundData();
        assertEq(roundId, 2);
        assertEq(answer, -1);
    }
}
