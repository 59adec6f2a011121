// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AggregatorV3Interface} from "./interfaces/AggregatorV3Interface.sol";
import {ISignalOracle} from "./interfaces/ISignalOracle.sol";

/// @title SignalAggregator
/// @notice One feed of the {ISignalOracle} behind Chainlink's AggregatorV3Interface, so that consumers written
/// for Chainlink read signals unchanged.
/// @dev Mapping: `answer` is -1 (SELL), 0 (HOLD) or +1 (BUY) with `decimals() == 0`; `roundId` and
/// `answeredInRound` are the oracle's round id in the feed.
///
/// **Times.** `startedAt` is the decision minute (open time of the input window's last candle); `updatedAt` is
/// when the signal became valid, `decisionMinute + 60`: the close of that candle, the oracle's one freshness
/// reference ({ISignalOracle}). This differs on purpose from Chainlink's OCR2 aggregator, whose `updatedAt` is
/// the block time of the transmission: for a signal, the submission time would hide up to the feed's `maxDelay`
/// of its age from a consumer's heartbeat check (`block.timestamp - updatedAt <= heartbeat`); with the validity
/// time that check measures the age of the data. The submission time is in {ISignalOracle-getRound}.
/// The latest round is current while `block.timestamp - updatedAt < maxAnswerAge()` (the feed's heartbeat plus
/// its submission window: the oracle's one notion of current, {ISignalOracle-currentSignal}). A consumer checks
/// exactly that, with this bound rather than a constant of its own (governance can change it, after its delay).
///
/// **Missing rounds, as Chainlink's OCR2 aggregator** (what its data feeds run): nothing reverts. Before the
/// first round `latestRoundData` returns all zeros; `getRoundData` of a round that does not exist (0, or after
/// the latest) returns that `roundId` with a zero answer, zero times and `answeredInRound == roundId`, and all
/// zeros for an id above 2^32 - 1. A consumer recognises "no data" by `updatedAt == 0`, as Chainlink documents;
/// one that does not reads answer 0, HOLD, which does nothing. `answeredInRound` always equals `roundId` (every
/// round answers itself, as in OCR2).
///
/// **Model.** {latestModelId} and {modelIdOf} expose the model each round was proven with, for consumers that
/// pin one (Chainlink's interface has no such field).
contract SignalAggregator is AggregatorV3Interface {
    /// @notice The oracle read.
    ISignalOracle public immutable oracle;

    /// @notice The oracle feed served.
    bytes32 public immutable feedId;

    /// @dev Seconds of a candle: a signal is valid from its decision minute plus one candle.
    uint256 private constant CANDLE_SECONDS = 60;

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

    /// @notice Version of this adapter's mapping: 2 (`updatedAt` is the validity time; missing rounds read zero).
    function version() external pure returns (uint256) {
        return 2;
    }

    /// @notice Round `roundId` of the feed; zeros (with this `roundId`) when it does not exist.
    function getRoundData(uint80 roundId)
        external
        view
        returns (uint80, int256 answer, uint256 startedAt, uint256 updatedAt, uint80)
    {
        if (roundId > type(uint32).max) return (0, 0, 0, 0, 0);
        if (!_exists(roundId)) return (roundId, 0, 0, 0, roundId);
        (answer, startedAt, updatedAt) = _read(roundId);
        return (roundId, answer, startedAt, updatedAt, roundId);
    }

    /// @notice The longest age `block.timestamp - updatedAt` of a current round, seconds: the feed's heartbeat
    /// plus its submission window (`maxDelay`).
    function maxAnswerAge() external view returns (uint256) {
        ISignalOracle.Feed memory f = oracle.getFeed(feedId);
        return uint256(f.heartbeat) + f.maxDelay;
    }

    /// @notice Whether the latest round is current now (false before the first round).
    function isCurrent() external view returns (bool) {
        try oracle.currentSignal(feedId) returns (ISignalOracle.Signal, uint64, uint256, bytes32, uint256) {
            return true;
        } catch {
            return false;
        }
    }

    /// @notice The feed's latest round; all zeros before the first.
    function latestRoundData()
        external
        view
        returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound)
    {
        // Round ids count submissions, at most one a minute: they stay far below 2^80.
        // forge-lint: disable-next-line(unsafe-typecast)
        roundId = uint80(oracle.latestRoundId(feedId));
        if (roundId == 0) return (0, 0, 0, 0, 0);
        (answer, startedAt, updatedAt) = _read(roundId);
        answeredInRound = roundId;
    }

    /// @notice The model the latest round was proven with; zero before the first round.
    function latestModelId() external view returns (bytes32) {
        uint256 roundId = oracle.latestRoundId(feedId);
        return roundId == 0 ? bytes32(0) : oracle.getRound(feedId, roundId).modelId;
    }

    /// @notice The model round `roundId` was proven with; zero when the round does not exist.
    function modelIdOf(uint80 roundId) external view returns (bytes32) {
        return _exists(roundId) ? oracle.getRound(feedId, roundId).modelId : bytes32(0);
    }

    /// @notice The answer of a signal: SELL -1, HOLD 0, BUY +1.
    function answerOf(ISignalOracle.Signal signal) public pure returns (int256) {
        return int256(uint256(signal)) - 1;
    }

    function _exists(uint256 roundId) private view returns (bool) {
        return roundId != 0 && roundId <= oracle.latestRoundId(feedId);
    }

    function _read(uint256 roundId) private view returns (int256 answer, uint256 startedAt, uint256 updatedAt) {
        ISignalOracle.Round memory r = oracle.getRound(feedId, roundId);
        return (answerOf(r.signal), r.decisionMinute, uint256(r.decisionMinute) + CANDLE_SECONDS);
    }
}
