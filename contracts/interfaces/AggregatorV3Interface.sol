// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title AggregatorV3Interface
/// @notice The read interface of Chainlink data feeds, as consumers call it (same selectors and return
/// values as Chainlink's published interface).
interface AggregatorV3Interface {
    /// @notice Decimals of `answer`.
    function decimals() external view returns (uint8);

    /// @notice What the feed reports.
    function description() external view returns (string memory);

    /// @notice Version of the feed's implementation.
    function version() external view returns (uint256);

    /// @notice Round `roundId`: its answer, when it started, when it was updated, and the round that answered.
    function getRoundData(uint80 roundId)
        external
        view
        returns (uint80 roundId_, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound);

    /// @notice The latest round, as {getRoundData}.
    function latestRoundData()
        external
        view
        returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound);
}
