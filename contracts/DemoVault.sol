// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {ERC4626} from "@openzeppelin/contracts/token/ERC20/extensions/ERC4626.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

import {IDemoVault} from "./interfaces/IDemoVault.sol";
import {ISignalOracle} from "./interfaces/ISignalOracle.sol";
import {ISwapVenue} from "./interfaces/ISwapVenue.sol";

/// @title DemoVault
/// @notice ERC-4626 vault over a stable token (its `asset()`) that moves all of its value into a risk token on
/// a fresh BUY signal and back on SELL. Anyone may call {rebalance}.
/// @dev Accounting: `totalAssets()` is the stable balance plus the risk balance valued at the venue's mid
/// price. Withdrawals are paid from idle stable only (`maxWithdraw`/`maxRedeem` are capped by it, as ERC-4626
/// allows): while the vault is in the risk token, shareholders exit after the next SELL. A virtual share
/// offset (OpenZeppelin's `_decimalsOffset`) defeats the first-depositor inflation attack.
///
/// Trust: the venue is the price source as well as the market. That is acceptable for this demo (the venue is
/// a test double on anvil); a real vault would value the risk token with an independent price feed.
contract DemoVault is ERC4626, IDemoVault {
    using SafeERC20 for IERC20;

    uint256 private constant BPS = 10_000;

    /// @inheritdoc IDemoVault
    ISignalOracle public immutable oracle;

    /// @inheritdoc IDemoVault
    bytes32 public immutable feedId;

    /// @inheritdoc IDemoVault
    bytes32 public immutable pinnedModelId;

    /// @inheritdoc IDemoVault
    ISwapVenue public immutable venue;

    /// @inheritdoc IDemoVault
    IERC20 public immutable risk;

    /// @inheritdoc IDemoVault
    uint256 public immutable maxAge;

    /// @inheritdoc IDemoVault
    uint256 public immutable maxSlippageBps;

    /// @inheritdoc IDemoVault
    uint256 public lastHandledRoundId;

    /// @notice Deployment parameters (a struct keeps the constructor readable).
    struct Config {
        ISignalOracle oracle;
        bytes32 feedId;
        bytes32 pinnedModelId;
        ISwapVenue venue;
        uint256 maxAge;
        uint256 maxSlippageBps;
    }

    /// @param cfg The oracle feed, venue and risk limits; the venue's stable is the vault's asset.
    /// @param name_ Share token name.
    /// @param symbol_ Share token symbol.
    constructor(Config memory cfg, string memory name_, string memory symbol_)
        ERC20(name_, symbol_)
        ERC4626(IERC20Metadata(address(cfg.venue.stable())))
    {
        if (address(cfg.oracle) == address(0) || cfg.maxAge == 0 || cfg.maxSlippageBps >= BPS) {
            revert DemoVaultInvalidConfig();
        }
        cfg.oracle.getFeed(cfg.feedId); // reverts for an unknown feed
        oracle = cfg.oracle;
        feedId = cfg.feedId;
        pinnedModelId = cfg.pinnedModelId;
        venue = cfg.venue;
        risk = cfg.venue.risk();
        maxAge = cfg.maxAge;
        maxSlippageBps = cfg.maxSlippageBps;
    }

    // ------------------------------------------------------------------------------------ ERC-4626

    /// @notice Stable held plus risk held at the venue's mid price.
    function totalAssets() public view override returns (uint256) {
        return _idle() + Math.mulDiv(risk.balanceOf(address(this)), venue.priceWad(), 1e18);
    }

    /// @notice Capped by the idle stable: the vault never sells risk to pay a withdrawal.
    function maxWithdraw(address owner) public view override returns (uint256) {
        return Math.min(super.maxWithdraw(owner), _idle());
    }

    /// @notice Capped by the shares the idle stable can pay.
    function maxRedeem(address owner) public view override returns (uint256) {
        uint256 owned = super.maxRedeem(owner);
        uint256 idle = _idle();
        if (_convertToAssets(owned, Math.Rounding.Floor) <= idle) return owned;
        return _convertToShares(idle, Math.Rounding.Floor);
    }

    // ------------------------------------------------------------------------------------ strategy

    /// @inheritdoc IDemoVault
    function rebalance() external returns (Action action) {
        (ISignalOracle.Signal signal, uint64 decisionMinute, uint256 roundId, bytes32 modelId) =
            oracle.latestSignal(feedId);
        if (roundId == 0) revert DemoVaultNoSignal();
        bytes32 pinned = pinnedModelId;
        if (pinned != bytes32(0) && modelId != pinned) revert DemoVaultModelNotPinned(roundId, modelId, pinned);
        if (roundId <= lastHandledRoundId) revert DemoVaultRoundAlreadyHandled(roundId);
        // Minute-granular freshness: a validator's few seconds of timestamp drift do not matter.
        // forge-lint: disable-next-line(block-timestamp)
        uint256 age = block.timestamp > decisionMinute ? block.timestamp - decisionMinute : 0;
        if (age > maxAge) revert DemoVaultStaleSignal(roundId, decisionMinute, age, maxAge);

        lastHandledRoundId = roundId;
        uint256 amountIn;
        uint256 amountOut;
        uint256 midOut;
        if (signal == ISignalOracle.Signal.Buy) {
            (amountIn, amountOut, midOut) = _swapAll(IERC20(asset()));
            if (amountIn != 0) action = Action.BuyRisk;
        } else if (signal == ISignalOracle.Signal.Sell) {
            (amountIn, amountOut, midOut) = _swapAll(risk);
            if (amountIn != 0) action = Action.SellRisk;
        }
        emit Rebalanced(roundId, decisionMinute, signal, action, amountIn, amountOut, midOut);
    }

    // ----------------------------------------------------------------------------------- internals

    function _decimalsOffset() internal pure override returns (uint8) {
        return 6;
    }

    function _idle() private view returns (uint256) {
        return IERC20(asset()).balanceOf(address(this));
    }

    /// @dev Sells the whole balance of `tokenIn`, requiring at least its mid-price value less the slippage bound.
    function _swapAll(IERC20 tokenIn) private returns (uint256 amountIn, uint256 amountOut, uint256 midOut) {
        amountIn = tokenIn.balanceOf(address(this));
        if (amountIn == 0) return (0, 0, 0);
        uint256 price = venue.priceWad();
        midOut = tokenIn == risk ? Math.mulDiv(amountIn, price, 1e18) : Math.mulDiv(amountIn, 1e18, price);
        // Dust worth less than one unit of the other token would be given away: keep it.
        if (midOut == 0) return (0, 0, 0);
        uint256 minOut = Math.mulDiv(midOut, BPS - maxSlippageBps, BPS, Math.Rounding.Ceil);
        uint256 quoted = venue.quote(tokenIn, amountIn);
        if (quoted < minOut) revert DemoVaultSlippageExceeded(midOut, quoted, minOut);
        tokenIn.forceApprove(address(venue), amountIn);
        amountOut = venue.swap(tokenIn, amountIn, minOut);
        // The venue is not trusted to honour minOut.
        if (amountOut < minOut) revert DemoVaultSlippageExceeded(midOut, amountOut, minOut);
    }
}
