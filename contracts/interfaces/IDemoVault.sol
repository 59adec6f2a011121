// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IUniswapV2Router02} from "@uniswap/v2-periphery/contracts/interfaces/IUniswapV2Router02.sol";

import {PairTwap} from "../PairTwap.sol";
import {ISignalOracle} from "./ISignalOracle.sol";

/// @title IDemoVault
/// @notice An ERC-4626 vault over a stable token that follows one oracle feed on a Uniswap v2 pair: all-in risk
/// on a confirmed BUY, all-in stable on a confirmed SELL (a run of `persist` rounds at consecutive minutes, each
/// leading by a logit margin), nothing otherwise, at most once per round, only on a fresh signal of its pinned
/// model, each swap bounded by the pair's time-weighted average price. Shareholders can always leave in kind.
interface IDemoVault {
    /// @notice What a rebalance did.
    /// @param None Nothing moved: no confirmed BUY or SELL, or the vault held nothing (or dust) of the token to sell.
    /// @param BuyRisk All stable was swapped for risk (a confirmed BUY).
    /// @param SellRisk All risk was swapped for stable (a confirmed SELL).
    enum Action {
        None,
        BuyRisk,
        SellRisk
    }

    /// @notice Emitted by every successful {rebalance}: the round and signal (why) and the swap (what).
    /// @param amountIn Amount of the token sold, as measured by the vault's balance (0 for None).
    /// @param amountOut Amount of the other token received, as measured by the vault's balance (0 for None).
    /// @param fairAmountOut What `amountIn` is worth at the pair's average price; `amountOut` is at least
    /// `fairAmountOut * (1 - maxSlippageBps / 10000)`.
    event Rebalanced(
        uint256 indexed roundId,
        uint64 decisionMinute,
        ISignalOracle.Signal signal,
        Action action,
        uint256 amountIn,
        uint256 amountOut,
        uint256 fairAmountOut
    );

    /// @notice `owner`'s `shares` were redeemed in kind by `sender`: `assets` of stable and `riskAmount` of risk
    /// went to `receiver`.
    event RedeemedInKind(
        address indexed sender,
        address indexed receiver,
        address indexed owner,
        uint256 shares,
        uint256 assets,
        uint256 riskAmount
    );

    /// @notice Governance re-pinned the vault from model `previous` to `modelId`.
    event PinnedModelSet(bytes32 indexed previous, bytes32 indexed modelId);

    /// @notice The latest round was proven with `modelId`, not the vault's pinned model.
    error DemoVaultModelNotPinned(uint256 roundId, bytes32 modelId, bytes32 pinnedModelId);

    /// @notice The latest signal is `age` seconds old (since it became valid, `decisionMinute + 60`), more than
    /// `maxAge`.
    error DemoVaultStaleSignal(uint256 roundId, uint64 decisionMinute, uint256 age, uint256 maxAge);

    /// @notice The vault already acted on round `roundId`.
    error DemoVaultRoundAlreadyHandled(uint256 roundId);

    /// @notice The pair would pay `amountOut` (quoted before the swap, or measured after it), less than
    /// `minAmountOut`: the average-price value `fairAmountOut` less the slippage bound.
    error DemoVaultSlippageExceeded(uint256 fairAmountOut, uint256 amountOut, uint256 minAmountOut);

    /// @notice `shares` exceed the `max` shares `owner` holds.
    error DemoVaultExceededInKindRedeem(address owner, uint256 shares, uint256 max);

    /// @notice The constructor arguments are inconsistent (zero oracle or owner, a price source of another pair
    /// than the router's for the two tokens, zero max age, a slippage bound of 100% or more, no pinned model, a
    /// `persist` of 0 or above 60, a logit lead above 1e18 units, a pinned model with an output scale above 64).
    error DemoVaultInvalidConfig();

    /// @notice The oracle whose signal the vault follows.
    function oracle() external view returns (ISignalOracle);

    /// @notice The oracle feed followed.
    function feedId() external view returns (bytes32);

    /// @notice The model version the vault accepts signals of: rounds of any other model are refused. Moved by
    /// governance only ({setPinnedModel}, the owner: a timelock), so an upgrade of the feed and the vault's re-pin
    /// can execute in one delayed batch; while the pin and the feed's model differ the vault takes no deposits.
    function pinnedModelId() external view returns (bytes32);

    /// @notice The Uniswap v2 router the vault swaps through.
    function router() external view returns (IUniswapV2Router02);

    /// @notice The average price of the pair the router trades: what the vault values risk at.
    function twap() external view returns (PairTwap);

    /// @notice The risk-on token (the stable is the ERC-4626 `asset()`).
    function risk() external view returns (IERC20);

    /// @notice Oldest acceptable signal: seconds between its validity (`decisionMinute + 60`) and `block.timestamp`.
    function maxAge() external view returns (uint256);

    /// @notice Largest accepted shortfall of a swap against the average price, in basis points (the pair's 0.3%
    /// fee included); also the largest gap between the pair's spot and average prices at which shares are priced
    /// for deposits and withdrawals in stable.
    function maxSlippageBps() external view returns (uint256);

    /// @notice The rule's margin: a BUY or SELL round counts only when its logit exceeds the larger of the other two
    /// by at least `minLogitLeadWad / 1e18` logit units (0: every BUY and SELL counts).
    function minLogitLeadWad() external view returns (uint256);

    /// @notice The rule's persistence: rounds of the same counted signal at consecutive decision minutes needed to
    /// act (1: every counted round acts).
    function persist() external view returns (uint256);

    /// @notice The last round the vault acted on (0 before the first rebalance).
    function lastHandledRoundId() external view returns (uint256);

    /// @notice What the trading rule does with round `roundId` of the feed: a confirmed BUY buys risk with all
    /// stable, a confirmed SELL sells all risk, anything else does nothing (see {minLogitLeadWad}, {persist}).
    /// Reverts with `SignalOracleUnknownRound` for a round that does not exist.
    function actionFor(uint256 roundId) external view returns (Action);

    /// @notice Applies the feed's latest signal, if it is fresh, of the pinned model and not yet acted on.
    /// Callable by anyone.
    /// @return action What was done.
    function rebalance() external returns (Action action);

    /// @notice Re-pins the vault to `modelId` (registered in the oracle). Owner (governance) only.
    function setPinnedModel(bytes32 modelId) external;

    /// @notice Redeems `shares` of `owner` for their pro-rata part of both tokens the vault holds, paid to
    /// `receiver`. Needs no price and no signal: it works in every state of the vault.
    /// @return assets Stable paid.
    /// @return riskAmount Risk paid.
    function redeemInKind(uint256 shares, address receiver, address owner)
        external
        returns (uint256 assets, uint256 riskAmount);

    /// @notice What {redeemInKind} of `shares` would pay now.
    function previewRedeemInKind(uint256 shares) external view returns (uint256 assets, uint256 riskAmount);

    /// @notice Shares `owner` can redeem in kind now: all of them, always.
    function maxRedeemInKind(address owner) external view returns (uint256);
}
