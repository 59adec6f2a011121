// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title DemoToken
/// @notice TEST DOUBLE for local chains (anvil) and tests: an 18-decimal ERC20 that ANYONE can mint.
/// Never deploy it where it could be mistaken for a real asset.
contract DemoToken is ERC20 {
    constructor(string memory name_, string memory symbol_) ERC20(name_, symbol_) {}

    /// @notice Mints `amount` to `to`, for anyone.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }
}
