// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AggregatorV3Interface} from "./interfaces/AggregatorV3Interface.sol";
import {ISignalOracle} from "./interfaces/ISignalOracle.sol";

/// @title SignalAggregator
/// @notice One feed of the {ISignalOracle} behind Chainlink's AggregatorV3Interface, so that consumers written
/// for Chainlink read signals unchanged.
/// @dev Mapping: `answer` is -1 (SELL), 0 (HOLD) or +1 (BUY) with `decimals() == 0`; `roundId` and
/// `answeredInRound` are the oracle's round id in the feed; `startedAt` is the decision minute (open time of
/// the candle the signal is for); `updatedAt` is the block time of the submission. Like Chainlink, reading a
/// round that does not exist reverts (with the oracle's {ISignalOracle.SignalOracleUnknownRound}); consumers
/// must check `updatedAt` for staleness as with any Chainlink feed.
contract SignalAggregator is AggregatorV3Interface {
    /// @notice The oracle read.
    ISignalOracle public immutable oracle;

    /// @notice The oracle feed served.
    bytes32 public immutable feedId;

    string private _description;

    /// @param oracle_ The signal oracle.
    /// @param feedId_ The feed to serve; it must exist.
    /// @param description_ What `description()` returns, e.g. "VeriRegime BTCUSDT 1m signal (-1/0/+1)".
    constructor(ISignalOracle oracle_, bytes32 feedId_, string memory description_) {
        oracle_.getFeed(feedId_); // reverts with SignalOracleUnknownFeed
        oracle = oracle_;
        feedId = feedId_;
        _description = description_;
    }

    /// @notice Signals are whole numbers: -1, 0, +1.
    function decimals() external pure returns (uint8) {
        return 0;
    }

    /// @notice The description given at deployment.
    function description() external view returns (string memory) {
        return _description;
    }

    /// @notice Version of this adapter's mapping.
    function version() external pure returns (uint256) {
        return 1;
    }

    /// @notice Round `roundId` of the feed. Reverts if it does not exist.
    function getRoundData(uint80 roundId)
        external
        view
        returns (uint80, int256 answer, uint256 startedAt, uint256 updatedAt, uint80)
    {
        (answer, startedAt, updatedAt) = _read(roundId);
        return (roundId, answer, startedAt, updatedAt, roundId);
    }

    /// @notice The feed's latest round. Reverts while the feed has no round.
    function latestRoundData()
        external
        view
        returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound)
    {
        // Round ids count submissions: they stay far below 2^80.
        // forge-lint: disable-next-line(unsafe-typecast)
        roundId = uint80(oracle.latestRoundId(feedId));
        (answer, startedAt, updatedAt) = _read(roundId);
        answeredInRound = roundId;
    }

    /// @notice The answer of a signal: SELL -1, HOLD 0, BUY +1.
    function answerOf(ISignalOracle.Signal signal) public pure returns (int256) {
        return int256(uint256(signal)) - 1;
    }

    function _read(uint80 roundId) private view returns (int256 answer, uint256 startedAt, uint256 updatedAt) {
        ISignalOracle.Round memory r = oracle.getRound(feedId, roundId);
        return (answerOf(r.signal), r.decisionMinute, r.submittedAt);
    }
}
