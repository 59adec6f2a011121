// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @title ISwapVenue
/// @notice The minimal exchange the demo vault trades on: sell `amountIn` of one token for the other.
interface ISwapVenue {
    /// @notice Emitted on every swap.
    event Swapped(address indexed trader, IERC20 indexed tokenIn, uint256 amountIn, uint256 amountOut);

    /// @notice Pulls `amountIn` of `tokenIn` from the caller (allowance needed) and pays out the other token.
    /// @return amountOut The amount of the other token sent to the caller.
    function swap(IERC20 tokenIn, uint256 amountIn) external returns (uint256 amountOut);

    /// @notice The amount of the other token that {swap} would pay for `amountIn` of `tokenIn`.
    function quote(IERC20 tokenIn, uint256 amountIn) external view returns (uint256 amountOut);
}
