// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {IUniswapV2Pair} from "@uniswap/v2-core/contracts/interfaces/IUniswapV2Pair.sol";

/// @title PairTwap
/// @notice The time-weighted average price of a Uniswap v2 pair's `base` token in its `quote` token, read from
/// the pair's own price accumulator (`price0CumulativeLast` / `price1CumulativeLast`). This is the price the
/// demo vault values its holdings at and bounds its swaps by.
///
/// **Why a TWAP of the pair.** The alternative, an independent feed, would be a mock on anvil (there is no
/// Chainlink there) and an extra party to trust anywhere else; the pair's accumulator is real on every chain
/// the pair is on and needs no one but a caller of {update}. Its weakness is the one the average is for: the
/// spot price of one pair is cheap to move for one transaction.
///
/// **What one block can do.** The pair adds `spot price x seconds` to its accumulator at the first trade of a
/// block, with the price that held before that trade, so a price moved and put back inside one block adds
/// nothing: the average read in the block of the manipulation, or in any later one, does not change. A price
/// held for `h` seconds (across blocks, against arbitrage) moves the average by at most `h / window` of the
/// move, because the average spans at least `window` seconds.
///
/// **Observations.** {update} (anyone; the vault calls it on every deposit, withdrawal and rebalance) records
/// the accumulator at most once every `window / 4` seconds into a ring of {OBSERVATIONS}. The average is taken
/// from the newest observation at least `window` seconds old to now, so its span is at least `window`, and it
/// is fresh while that span is at most `maxSpan` (somebody updated within the last `maxSpan - window`).
/// Recording an observation never changes the average read in the same block (a new observation is younger
/// than `window`).
/// @dev Prices are `quote` base units per `base` base unit, 18-decimal fixed point (`priceWad`). The pair's
/// accumulators are UQ112x112 sums that wrap modulo 2^256 by design: differences are taken unchecked.
contract PairTwap {
    /// @notice Size of the observation ring (it covers at least two windows when updated at every chance).
    uint256 public constant OBSERVATIONS = 8;

    /// @notice The pair read.
    IUniswapV2Pair public immutable pair;

    /// @notice The priced token and the token it is priced in (the pair's two tokens).
    address public immutable base;
    address public immutable quote;

    /// @notice Shortest span of the average, in seconds.
    uint256 public immutable window;

    /// @notice Longest span of a fresh average, in seconds.
    uint256 public immutable maxSpan;

    /// @notice Least time between two recorded observations, in seconds: `window / 4`.
    uint256 public immutable interval;

    bool private immutable _baseIsToken0;

    /// @dev `timestamp` 0 marks a slot not written yet.
    struct Observation {
        uint64 timestamp;
        uint256 cumulative;
    }

    Observation[OBSERVATIONS] private _observations;
    uint256 private _latest;

    /// @notice An observation was recorded: the pair's accumulator for `base` at `timestamp`.
    event Observed(uint256 timestamp, uint256 cumulative);

    /// @notice `base` is not one of the pair's tokens, `window` is under 4 s, or `maxSpan` is under `2 * window`.
    error PairTwapInvalidConfig();

    /// @notice No observation is at least `window` old yet: no average exists.
    error PairTwapNotReady();

    /// @notice The average would span `span` seconds, more than `maxSpan`: call {update} and wait `window`.
    error PairTwapStale(uint256 span, uint256 maxSpan);

    /// @param pair_ A Uniswap v2 pair.
    /// @param base_ The token priced, one of the pair's two.
    /// @param window_ Shortest span of the average, seconds (at least 4).
    /// @param maxSpan_ Longest span of a fresh average, seconds (at least `2 * window_`).
    constructor(IUniswapV2Pair pair_, address base_, uint256 window_, uint256 maxSpan_) {
        address token0 = pair_.token0();
        address token1 = pair_.token1();
        if ((base_ != token0 && base_ != token1) || window_ < 4 || maxSpan_ < 2 * window_) {
            revert PairTwapInvalidConfig();
        }
        pair = pair_;
        base = base_;
        quote = base_ == token0 ? token1 : token0;
        _baseIsToken0 = base_ == token0;
        window = window_;
        maxSpan = maxSpan_;
        interval = window_ / 4;
        _record(0);
    }

    /// @notice Records the accumulator now if the latest observation is at least {interval} old.
    /// @return recorded Whether an observation was recorded.
    function update() external returns (bool recorded) {
        uint256 latest = _latest;
        // forge-lint: disable-next-line(block-timestamp)
        if (block.timestamp - _observations[latest].timestamp < interval) return false;
        _record((latest + 1) % OBSERVATIONS);
        return true;
    }

    /// @notice The average price and its span, fresh or not; `(0, 0)` while no observation is `window` old.
    /// @return priceWad `quote` per `base`, 18 decimals.
    /// @return span Seconds the average covers (at least `window` when an average exists).
    function read() public view returns (uint256 priceWad, uint256 span) {
        uint256 latest = _latest;
        for (uint256 i = 0; i < OBSERVATIONS; ++i) {
            Observation storage o = _observations[(latest + OBSERVATIONS - i) % OBSERVATIONS];
            if (o.timestamp == 0) break;
            span = block.timestamp - o.timestamp;
            if (span >= window) {
                uint256 averageX112;
                // The accumulator wraps modulo 2^256 by design: so does the difference.
                unchecked {
                    averageX112 = (_cumulativeNow() - o.cumulative) / span;
                }
                return (Math.mulDiv(averageX112, 1e18, 1 << 112), span);
            }
        }
        return (0, 0);
    }

    /// @notice The fresh average price: spanning `window` to `maxSpan` seconds up to now. Reverts otherwise.
    /// @return priceWad `quote` per `base`, 18 decimals.
    function price() external view returns (uint256 priceWad) {
        uint256 span;
        (priceWad, span) = read();
        if (span == 0) revert PairTwapNotReady();
        if (span > maxSpan) revert PairTwapStale(span, maxSpan);
    }

    /// @notice Whether {price} would return (an average spanning `window` to `maxSpan` seconds exists).
    function isFresh() public view returns (bool) {
        (, uint256 span) = read();
        return span != 0 && span <= maxSpan;
    }

    /// @notice The pair's spot price now (reserves ratio), `quote` per `base`, 18 decimals; 0 for an empty pair.
    /// Movable by anyone within one transaction: compare it with the average, never value anything at it.
    function spotPrice() external view returns (uint256) {
        (uint112 reserve0, uint112 reserve1,) = pair.getReserves();
        (uint256 reserveBase, uint256 reserveQuote) = _baseIsToken0 ? (reserve0, reserve1) : (reserve1, reserve0);
        if (reserveBase == 0) return 0;
        return Math.mulDiv(reserveQuote, 1e18, reserveBase);
    }

    /// @dev The pair's accumulator for `base` as it would read after a trade now: the stored sum plus the
    /// current reserves' price for the seconds since the pair's last update (nothing when it was updated in
    /// this block, e.g. by a manipulating trade: that trade's price has no weight yet).
    function _cumulativeNow() private view returns (uint256 cumulative) {
        cumulative = _baseIsToken0 ? pair.price0CumulativeLast() : pair.price1CumulativeLast();
        (uint112 reserve0, uint112 reserve1, uint32 updatedAt) = pair.getReserves();
        (uint256 reserveBase, uint256 reserveQuote) = _baseIsToken0 ? (reserve0, reserve1) : (reserve1, reserve0);
        if (reserveBase == 0 || reserveQuote == 0) return cumulative;
        // The pair keeps its timestamp modulo 2^32; so does the elapsed time, as in the pair itself.
        unchecked {
            // forge-lint: disable-next-line(unsafe-typecast)
            uint32 elapsed = uint32(block.timestamp) - updatedAt;
            // The pair's own arithmetic: its UQ112x112 price (truncated), times the seconds.
            // forge-lint: disable-next-line(divide-before-multiply)
            cumulative += ((reserveQuote << 112) / reserveBase) * elapsed;
        }
    }

    function _record(uint256 index) private {
        uint256 cumulative = _cumulativeNow();
        // forge-lint: disable-next-line(unsafe-typecast)
        _observations[index] = Observation({timestamp: uint64(block.timestamp), cumulative: cumulative});
        _latest = index;
        emit Observed(block.timestamp, cumulative);
    }
}
