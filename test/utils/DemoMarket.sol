// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Test} from "forge-std/Test.sol";

import {DemoVault} from "../../contracts/DemoVault.sol";
import {DemoToken} from "../../contracts/demo/DemoToken.sol";
import {FixedPriceVenue} from "../../contracts/demo/FixedPriceVenue.sol";
import {ISignalOracle} from "../../contracts/interfaces/ISignalOracle.sol";

/// @notice Shared demo market: two test tokens, a funded fixed-price venue and a vault holding both tokens.
abstract contract DemoMarket is Test {
    uint256 internal constant PRICE_WAD = 50_000e18; // stable per whole risk token
    uint256 internal constant MAX_AGE = 15 minutes;
    uint256 internal constant VAULT_STABLE = 100_000e18;
    uint256 internal constant VAULT_RISK = 1e18;

    DemoToken internal stable;
    DemoToken internal risk;
    FixedPriceVenue internal venue;
    DemoVault internal vault;

    function _deployMarket(ISignalOracle oracle_) internal {
        stable = new DemoToken("Demo USD", "dUSD");
        risk = new DemoToken("Demo BTC", "dBTC");
        venue = new FixedPriceVenue(stable, risk, PRICE_WAD);
        stable.mint(address(venue), 10_000_000e18);
        risk.mint(address(venue), 1000e18);
        vault = new DemoVault(oracle_, venue, stable, risk, MAX_AGE);
        stable.mint(address(vault), VAULT_STABLE);
        risk.mint(address(vault), VAULT_RISK);
    }
}
