// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

import {IDemoVault} from "./interfaces/IDemoVault.sol";
import {ISignalOracle} from "./interfaces/ISignalOracle.sol";
import {ISwapVenue} from "./interfaces/ISwapVenue.sol";

/// @title DemoVault
/// @notice Minimal vault for the end-to-end demo: holds a stable and a risk token and moves all of its
/// value to one side when the oracle says BUY or SELL.
/// @dev Deliberately small: funds arrive by plain transfer and there are no shares or withdrawals yet
/// (a later issue makes it an ERC-4626 vault). The venue is trusted (a fixed-price test double on anvil),
/// so no slippage bound is enforced here.
contract DemoVault is IDemoVault {
    using SafeERC20 for IERC20;

    /// @inheritdoc IDemoVault
    ISignalOracle public immutable oracle;

    /// @inheritdoc IDemoVault
    ISwapVenue public immutable venue;

    /// @inheritdoc IDemoVault
    IERC20 public immutable stable;

    /// @inheritdoc IDemoVault
    IERC20 public immutable risk;

    /// @inheritdoc IDemoVault
    uint256 public immutable maxAge;

    /// @inheritdoc IDemoVault
    uint256 public lastHandledRoundId;

    /// @param oracle_ The signal oracle to follow.
    /// @param venue_ The venue to swap on.
    /// @param stable_ The risk-off token.
    /// @param risk_ The risk-on token.
    /// @param maxAge_ Oldest acceptable signal, in seconds after its decision minute.
    constructor(ISignalOracle oracle_, ISwapVenue venue_, IERC20 stable_, IERC20 risk_, uint256 maxAge_) {
        if (
            address(oracle_) == address(0) || address(venue_) == address(0) || address(stable_) == address(0)
                || address(risk_) == address(0) || stable_ == risk_ || maxAge_ == 0
        ) revert DemoVaultInvalidConfig();
        oracle = oracle_;
        venue = venue_;
        stable = stable_;
        risk = risk_;
        maxAge = maxAge_;
    }

    /// @inheritdoc IDemoVault
    function rebalance() external returns (Action action) {
        (ISignalOracle.Signal signal, uint64 decisionMinute, uint256 roundId) = oracle.latestSignal();
        if (roundId == 0) revert DemoVaultNoSignal();
        if (roundId <= lastHandledRoundId) revert DemoVaultRoundAlreadyHandled(roundId);
        // Minute-granular freshness: a validator's few seconds of timestamp drift do not matter.
        // forge-lint: disable-next-line(block-timestamp)
        uint256 age = block.timestamp > decisionMinute ? block.timestamp - decisionMinute : 0;
        if (age > maxAge) revert DemoVaultStaleSignal(roundId, decisionMinute, age, maxAge);

        lastHandledRoundId = roundId;
        uint256 amountIn;
        uint256 amountOut;
        if (signal == ISignalOracle.Signal.Buy) {
            (amountIn, amountOut) = _swapAll(stable);
            if (amountIn != 0) action = Action.BuyRisk;
        } else if (signal == ISignalOracle.Signal.Sell) {
            (amountIn, amountOut) = _swapAll(risk);
            if (amountIn != 0) action = Action.SellRisk;
        }
        emit Rebalanced(roundId, decisionMinute, signal, action, amountIn, amountOut);
    }

    /// @dev Sells the vault's whole balance of `tokenIn` on the venue; nothing if the balance is zero.
    function _swapAll(IERC20 tokenIn) private returns (uint256 amountIn, uint256 amountOut) {
        amountIn = tokenIn.balanceOf(address(this));
        if (amountIn == 0) return (0, 0);
        tokenIn.forceApprove(address(venue), amountIn);
        amountOut = venue.swap(tokenIn, amountIn);
    }
}
