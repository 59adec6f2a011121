// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {ISignalOracle} from "./ISignalOracle.sol";
import {ISwapVenue} from "./ISwapVenue.sol";

/// @title IDemoVault
/// @notice An ERC-4626 vault over a stable token that follows one oracle feed: all-in risk on BUY, all-in
/// stable on SELL, nothing on HOLD, at most once per round, only on a fresh signal, within a slippage bound.
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
    /// @param midAmountOut What `amountIn` is worth at the venue's mid price; `amountOut` is at least
    /// `midAmountOut * (1 - maxSlippageBps / 10000)`.
    event Rebalanced(
        uint256 indexed roundId,
        uint64 decisionMinute,
        ISignalOracle.Signal signal,
        Action action,
        uint256 amountIn,
        uint256 amountOut,
        uint256 midAmountOut
    );

    /// @notice The feed has not published any signal.
    error DemoVaultNoSignal();

    /// @notice The latest round was proven with `modelId`, not the vault's pinned model.
    error DemoVaultModelNotPinned(uint256 roundId, bytes32 modelId, bytes32 pinnedModelId);

    /// @notice The latest signal is `age` seconds old (from its decision minute), more than `maxAge`.
    error DemoVaultStaleSignal(uint256 roundId, uint64 decisionMinute, uint256 age, uint256 maxAge);

    /// @notice The vault already acted on round `roundId`.
    error DemoVaultRoundAlreadyHandled(uint256 roundId);

    /// @notice The venue would pay `quoted`, less than `minAmountOut` (the mid-price value less the slippage bound).
    error DemoVaultSlippageExceeded(uint256 midAmountOut, uint256 quoted, uint256 minAmountOut);

    /// @notice The constructor arguments are inconsistent (zero address, venue of another pair, zero max
    /// age, slippage bound of 100% or more, unknown feed).
    error DemoVaultInvalidConfig();

    /// @notice The oracle whose signal the vault follows.
    function oracle() external view returns (ISignalOracle);

    /// @notice The oracle feed followed.
    function feedId() external view returns (bytes32);

    /// @notice The model version the vault accepts signals of; zero follows the feed's current model. A pinned
    /// vault refuses rounds of any other model (after an upgrade of the feed it waits to be re-pinned).
    function pinnedModelId() external view returns (bytes32);

    /// @notice The venue the vault swaps on (and values its risk holdings at).
    function venue() external view returns (ISwapVenue);

    /// @notice The risk-on token (the stable is the ERC-4626 `asset()`).
    function risk() external view returns (IERC20);

    /// @notice Oldest acceptable signal, in seconds between its decision minute and `block.timestamp`.
    function maxAge() external view returns (uint256);

    /// @notice Largest accepted shortfall of a swap against the mid price, in basis points.
    function maxSlippageBps() external view returns (uint256);

    /// @notice The last round the vault acted on (0 before the first rebalance).
    function lastHandledRoundId() external view returns (uint256);

    /// @notice Applies the feed's latest signal, if it is fresh and not yet acted on. Callable by anyone.
    /// @return action What was done.
    function rebalance() external returns (Action action);
}
