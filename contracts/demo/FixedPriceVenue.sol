// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

import {ISwapVenue} from "../interfaces/ISwapVenue.sol";

/// @title FixedPriceVenue
/// @notice TEST DOUBLE standing in for a DEX on anvil: swaps a stable and a risk token at a fixed price,
/// paying out of the inventory it holds (fund it by transferring or minting tokens to it). No fees, no
/// slippage, no price discovery.
contract FixedPriceVenue is ISwapVenue {
    using SafeERC20 for IERC20;

    /// @notice The quote token.
    IERC20 public immutable stable;

    /// @notice The base token.
    IERC20 public immutable risk;

    /// @notice Price of one whole risk token in stable token units, 18-decimal fixed point.
    uint256 public immutable priceWad;

    /// @notice `token` is neither {stable} nor {risk}.
    error FixedPriceVenueUnsupportedToken(IERC20 token);

    /// @notice The price must be non-zero and the two tokens must differ.
    error FixedPriceVenueInvalidConfig(IERC20 stable, IERC20 risk, uint256 priceWad);

    /// @notice The venue holds `available` of `token`, less than the `required` payout.
    error FixedPriceVenueInsufficientLiquidity(IERC20 token, uint256 required, uint256 available);

    constructor(IERC20 stable_, IERC20 risk_, uint256 priceWad_) {
        if (priceWad_ == 0 || stable_ == risk_) revert FixedPriceVenueInvalidConfig(stable_, risk_, priceWad_);
        stable = stable_;
        risk = risk_;
        priceWad = priceWad_;
    }

    /// @inheritdoc ISwapVenue
    function swap(IERC20 tokenIn, uint256 amountIn) external returns (uint256 amountOut) {
        amountOut = quote(tokenIn, amountIn);
        IERC20 tokenOut = tokenIn == stable ? risk : stable;
        uint256 available = tokenOut.balanceOf(address(this));
        if (amountOut > available) revert FixedPriceVenueInsufficientLiquidity(tokenOut, amountOut, available);
        tokenIn.safeTransferFrom(msg.sender, address(this), amountIn);
        tokenOut.safeTransfer(msg.sender, amountOut);
        emit Swapped(msg.sender, tokenIn, amountIn, amountOut);
    }

    /// @inheritdoc ISwapVenue
    function quote(IERC20 tokenIn, uint256 amountIn) public view returns (uint256) {
        if (tokenIn == stable) return Math.mulDiv(amountIn, 1e18, priceWad);
        if (tokenIn == risk) return Math.mulDiv(amountIn, priceWad, 1e18);
        revert FixedPriceVenueUnsupportedToken(tokenIn);
    }
}
