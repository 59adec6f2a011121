// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

import {PairTwap} from "../contracts/PairTwap.sol";
import {DemoToken} from "../contracts/demo/DemoToken.sol";
import {VaultTestBase} from "./utils/VaultTestBase.sol";

/// @notice The average price of the real Uniswap v2 pair: what a manipulated spot price does to it, measured.
contract PairTwapTest is VaultTestBase {
    address internal attacker = makeAddr("attacker");

    function test_constructor_readsThePairAndRefusesBadConfig() public {
        assertEq(address(twap.pair()), address(pair));
        assertEq(twap.base(), address(risk));
        assertEq(twap.quote(), address(stable));
        assertEq(twap.interval(), TWAP_WINDOW / 4);
        address stranger = address(new DemoToken("x", "x"));
        vm.expectRevert(PairTwap.PairTwapInvalidConfig.selector);
        new PairTwap(pair, stranger, TWAP_WINDOW, TWAP_MAX_SPAN);
        vm.expectRevert(PairTwap.PairTwapInvalidConfig.selector);
        new PairTwap(pair, address(risk), 3, TWAP_MAX_SPAN);
        vm.expectRevert(PairTwap.PairTwapInvalidConfig.selector);
        new PairTwap(pair, address(risk), TWAP_WINDOW, 2 * TWAP_WINDOW - 1);
    }

    /// @dev Undisturbed, the average is the pair's price (the liquidity's ratio, to rounding).
    function test_read_isThePairsPriceWhenUndisturbed() public view {
        (uint256 priceWad, uint256 span) = twap.read();
        assertEq(span, TWAP_WINDOW);
        assertApproxEqRel(priceWad, PRICE_WAD, 1e-12 * 1e18);
        assertEq(twap.spotPrice(), PRICE_WAD);
        assertEq(twap.price(), priceWad);
    }

    /// @dev No average before one window of history; stale once the newest old-enough observation is older than
    /// `maxSpan`; fresh one window after an update.
    function test_price_readinessAndStaleness() public {
        PairTwap young = new PairTwap(pair, address(risk), TWAP_WINDOW, TWAP_MAX_SPAN);
        (uint256 p, uint256 span) = young.read();
        assertEq(p, 0);
        assertEq(span, 0);
        assertFalse(young.isFresh());
        vm.expectRevert(PairTwap.PairTwapNotReady.selector);
        young.price();

        vm.warp(block.timestamp + TWAP_MAX_SPAN + 1);
        // The update just recorded is younger than the window: it cannot make the average fresh at once.
        assertTrue(twap.update());
        vm.expectRevert(
            abi.encodeWithSelector(PairTwap.PairTwapStale.selector, TWAP_MAX_SPAN + 1 + TWAP_WINDOW, TWAP_MAX_SPAN)
        );
        twap.price();
        vm.warp(block.timestamp + TWAP_WINDOW);
        assertTrue(twap.isFresh());
        (, span) = twap.read();
        assertEq(span, TWAP_WINDOW);
    }

    /// @dev Observations are recorded at most once per interval, into a ring: the average always spans at least
    /// one window however often anyone updates, and at most one interval more once a window of updates exists.
    function test_update_respectsTheIntervalAndKeepsAWindow() public {
        assertFalse(twap.update() && twap.update(), "two observations in one block");
        for (uint256 i = 0; i < 3 * twap.OBSERVATIONS(); ++i) {
            vm.warp(block.timestamp + twap.interval());
            assertTrue(twap.update());
            (, uint256 span) = twap.read();
            assertGe(span, TWAP_WINDOW);
            if (i >= 4) assertLe(span, TWAP_WINDOW + twap.interval());
        }
    }

    /// @dev The goal, measured on the real pair: the spot price doubled (or halved) and put back inside one block
    /// moves neither the average nor the vault's `totalAssets`, in that block or any later one.
    function test_manipulation_withinOneBlockMovesNothing() public {
        _deposit(attacker, 1e18); // the vault holds something to value
        (uint256 before,) = twap.read();
        uint256 assetsBefore = vault.totalAssets();
        for (uint256 k = 0; k < 2; ++k) {
            (DemoToken bought, uint256 amount) = _moveSpot(attacker, k == 0 ? 2e18 : 0.5e18);
            assertApproxEqRel(twap.spotPrice(), k == 0 ? 2 * PRICE_WAD : PRICE_WAD / 2, 0.01e18);
            (uint256 during,) = twap.read();
            assertEq(during, before, "the average moved in the block of the manipulation");
            assertEq(vault.totalAssets(), assetsBefore);
            twap.update(); // even an observation recorded mid-manipulation carries no weight of it
            _swap(attacker, bought, amount);
        }
        vm.warp(block.timestamp + 12);
        (uint256 later,) = twap.read();
        // Twelve more seconds of the (restored, within the fees left in the pool) price.
        assertApproxEqRel(later, before, 1e-3 * 1e18);
    }

    /// @dev A price held across blocks moves the average by at most `held / span` of the move: doubled for one
    /// 12-second block, the 30-minute average moves by at most 12/1800 = 0.67%.
    function test_manipulation_heldForOneBlockIsBoundedByItsShareOfTheWindow() public {
        (uint256 before, uint256 span) = twap.read();
        (DemoToken bought, uint256 amount) = _moveSpot(attacker, 2e18);
        uint256 spot = twap.spotPrice();
        vm.warp(block.timestamp + 12);
        _swap(attacker, bought, amount);
        (uint256 later, uint256 laterSpan) = twap.read();
        uint256 bound = before + Math.mulDiv(spot - before, 12, laterSpan);
        assertEq(laterSpan, span + 12);
        assertLe(later, bound + 1);
        emit log_named_decimal_uint(
            "average moved, % (doubled for 12 s of a 30 min window)", (later - before) * 100e18 / before, 18
        );
        emit log_named_decimal_uint("bound, %", (bound - before) * 100e18 / before, 18);
    }
}
