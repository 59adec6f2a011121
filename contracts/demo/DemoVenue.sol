// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

import {ISwapVenue} from "../interfaces/ISwapVenue.sol";

/// @title DemoVenue
/// @notice TEST DOUBLE standing in for a DEX on anvil (there is none): swaps a stable and a risk token at a
/// mid price its owner sets, minus a fee that stands in for price impact, paying out of the inventory it
/// holds (fund it by transferring or minting tokens to it). No price discovery: never deploy it for real.
contract DemoVenue is ISwapVenue, Ownable {
    using SafeERC20 for IERC20;

    /// @notice Largest fee: 10%.
    uint256 public constant MAX_FEE_BPS = 1000;

    /// @inheritdoc ISwapVenue
    IERC20 public immutable stable;

    /// @inheritdoc ISwapVenue
    IERC20 public immutable risk;

    /// @inheritdoc ISwapVenue
    uint256 public priceWad;

    /// @notice Fee on the output, in basis points.
    uint256 public feeBps;

    /// @notice The mid price changed.
    event PriceSet(uint256 priceWad);

    /// @notice The fee changed.
    event FeeSet(uint256 feeBps);

    /// @notice `token` is neither {stable} nor {risk}.
    error DemoVenueUnsupportedToken(IERC20 token);

    /// @notice The tokens must differ, the price must be non-zero and the fee at most {MAX_FEE_BPS}.
    error DemoVenueInvalidConfig();

    /// @notice The venue holds `available` of `token`, less than the `required` payout.
    error DemoVenueInsufficientLiquidity(IERC20 token, uint256 required, uint256 available);

    /// @notice The swap would pay `amountOut`, less than the caller's `minAmountOut`.
    error DemoVenueInsufficientOutput(uint256 amountOut, uint256 minAmountOut);

    constructor(address owner_, IERC20 stable_, IERC20 risk_, uint256 priceWad_, uint256 feeBps_) Ownable(owner_) {
        if (stable_ == risk_) revert DemoVenueInvalidConfig();
        stable = stable_;
        risk = risk_;
        _setPrice(priceWad_);
        _setFee(feeBps_);
    }

    /// @notice Sets the mid price. Owner only.
    function setPrice(uint256 priceWad_) external onlyOwner {
        _setPrice(priceWad_);
    }

    /// @notice Sets the fee. Owner only.
    function setFee(uint256 feeBps_) external onlyOwner {
        _setFee(feeBps_);
    }

    /// @inheritdoc ISwapVenue
    function swap(IERC20 tokenIn, uint256 amountIn, uint256 minAmountOut) external returns (uint256 amountOut) {
        amountOut = quote(tokenIn, amountIn);
        if (amountOut < minAmountOut) revert DemoVenueInsufficientOutput(amountOut, minAmountOut);
        IERC20 tokenOut = tokenIn == stable ? risk : stable;
        uint256 available = tokenOut.balanceOf(address(this));
        if (amountOut > available) revert DemoVenueInsufficientLiquidity(tokenOut, amountOut, available);
        tokenIn.safeTransferFrom(msg.sender, address(this), amountIn);
        tokenOut.safeTransfer(msg.sender, amountOut);
        emit Swapped(msg.sender, tokenIn, amountIn, amountOut);
    }

    function _setPrice(uint256 priceWad_) private {
        if (priceWad_ == 0) revert DemoVenueInvalidConfig();
        priceWad = priceWad_;
        emit PriceSet(priceWad_);
    }

    function _setFee(uint256 feeBps_) private {
        if (feeBps_ > MAX_FEE_BPS) revert DemoVenueInvalidConfig();
        feeBps = feeBps_;
        emit FeeSet(feeBps_);
    }

    /// @inheritdoc ISwapVenue
    function quote(IERC20 tokenIn, uint256 amountIn) public view returns (uint256) {
        uint256 mid;
        if (tokenIn == stable) mid = Math.mulDiv(amountIn, 1e18, priceWad);
        else if (tokenIn == risk) mid = Math.mulDiv(amountIn, priceWad, 1e18);
        else revert DemoVenueUnsupportedToken(tokenIn);
        return Math.mulDiv(mid, 10_000 - feeBps, 10_000);
    }
}
