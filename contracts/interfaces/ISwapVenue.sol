// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @title ISwapVenue
/// @notice The minimal exchange the demo vault trades on: a pair of a stable and a risk token with a mid
/// price, selling an exact amount of one for the other.
interface ISwapVenue {
    /// @notice Emitted on every swap.
    event Swapped(address indexed trader, IERC20 indexed tokenIn, uint256 amountIn, uint256 amountOut);

    /// @notice The quote token.
    function stable() external view returns (IERC20);

    /// @notice The base token.
    function risk() external view returns (IERC20);

    /// @notice Mid price: stable base units per risk base unit, 18-decimal fixed point.
    function priceWad() external view returns (uint256);

    /// @notice Pulls `amountIn` of `tokenIn` from the caller (allowance needed) and pays out the other token;
    /// reverts if that would be less than `minAmountOut`.
    /// @return amountOut The amount of the other token sent to the caller.
    function swap(IERC20 tokenIn, uint256 amountIn, uint256 minAmountOut) external returns (uint256 amountOut);

    /// @notice The amount of the other token that {swap} would pay now for `amountIn` of `tokenIn`.
    function quote(IERC20 tokenIn, uint256 amountIn) external view returns (uint256 amountOut);
}
