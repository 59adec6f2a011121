// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {ISignalOracle} from "./ISignalOracle.sol";
import {ISwapVenue} from "./ISwapVenue.sol";

/// @title IDemoVault
/// @notice A two-token vault that follows the oracle: all-in risk on BUY, all-in stable on SELL, nothing
/// on HOLD, at most once per round.
interface IDemoVault {
    /// @notice What a rebalance did.
    /// @param None Nothing moved: the signal was HOLD, or the vault already held only the target token.
    /// @param BuyRisk All stable was swapped for risk (signal BUY).
    /// @param SellRisk All risk was swapped for stable (signal SELL).
    enum Action {
        None,
        BuyRisk,
        SellRisk
    }

    /// @notice Emitted by every successful {rebalance}: the round and signal (why) and the swap (what).
    /// @param amountIn Amount of the token sold (stable for BuyRisk, risk for SellRisk; 0 for None).
    /// @param amountOut Amount of the other token received (0 for None).
    event Rebalanced(
        uint256 indexed roundId,
        uint64 decisionMinute,
        ISignalOracle.Signal signal,
        Action action,
        uint256 amountIn,
        uint256 amountOut
    );

    /// @notice The oracle has not published any signal.
    error DemoVaultNoSignal();

    /// @notice The latest signal is `age` seconds old (from its decision minute), more than `maxAge`.
    error DemoVaultStaleSignal(uint256 roundId, uint64 decisionMinute, uint256 age, uint256 maxAge);

    /// @notice The vault already acted on round `roundId`.
    error DemoVaultRoundAlreadyHandled(uint256 roundId);

    /// @notice The constructor arguments are inconsistent (zero address, same token twice, zero max age).
    error DemoVaultInvalidConfig();

    /// @notice The oracle whose signal the vault follows.
    function oracle() external view returns (ISignalOracle);

    /// @notice The venue the vault swaps on.
    function venue() external view returns (ISwapVenue);

    /// @notice The risk-off token.
    function stable() external view returns (IERC20);

    /// @notice The risk-on token.
    function risk() external view returns (IERC20);

    /// @notice Oldest acceptable signal, in seconds between its decision minute and `block.timestamp`.
    function maxAge() external view returns (uint256);

    /// @notice The last round the vault acted on (0 before the first rebalance).
    function lastHandledRoundId() external view returns (uint256);

    /// @notice Applies the oracle's latest signal, if it is fresh and not yet acted on. Callable by anyone.
    /// @return action What was done.
    function rebalance() external returns (Action action);
}
