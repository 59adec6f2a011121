// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {ERC4626} from "@openzeppelin/contracts/token/ERC20/extensions/ERC4626.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {IUniswapV2Factory} from "@uniswap/v2-core/contracts/interfaces/IUniswapV2Factory.sol";
import {IUniswapV2Router02} from "@uniswap/v2-periphery/contracts/interfaces/IUniswapV2Router02.sol";

import {PairTwap} from "./PairTwap.sol";
import {IDemoVault} from "./interfaces/IDemoVault.sol";
import {ISignalOracle} from "./interfaces/ISignalOracle.sol";

/// @title DemoVault
/// @notice ERC-4626 vault over a stable token (its `asset()`) that moves all of its value into a risk token on
/// a fresh, confirmed BUY signal and back on a confirmed SELL, trading on a real Uniswap v2 pair. Anyone may call
/// {rebalance}.
///
/// **Rule.** A BUY or SELL round is *confirmed* when it and the `persist - 1` rounds before it are of the pinned
/// model, carry the same signal at consecutive decision minutes, and each leads the other two logits by at least
/// `minLogitLeadWad / 1e18` logit units ({actionFor}). `persist = 1, minLogitLeadWad = 0` is the plain rule (every
/// BUY buys, every SELL sells). The rule is the consumer policy of `oracle/core/src/policy.rs` without its hold
/// timers; `veriregime backtest` replays it, and `test/DemoVaultPolicy.t.sol` drives both with the same rounds.
///
/// **Price.** The vault values its risk holdings and sets each swap's minimum output at the pair's
/// time-weighted average price ({PairTwap}: at least `window` seconds of the pair's own accumulator), never at
/// its spot price: a price moved inside one block changes neither `totalAssets()` nor the accepted output. A
/// swap whose quote or measured output falls short of the average-price value by more than `maxSlippageBps`
/// (the pair's 0.3% fee included) reverts, leaving the round actionable. The vault trusts no amount the router
/// reports: it measures its own balances.
///
/// **Exits.** {redeemInKind} always pays a shareholder their pro-rata part of both tokens: no price, signal or
/// governance is involved, so nobody waits for a SELL. Deposits and withdrawals in stable (the ERC-4626 paths)
/// need the shares priced: while the vault holds risk they are open only when the average is fresh and the
/// pair's spot price lies within `maxSlippageBps` of it (so a late depositor never buys in, and a leaver never
/// cashes out, at a price the market has left); withdrawals are paid from idle stable only. `maxDeposit`,
/// `maxMint`, `maxWithdraw` and `maxRedeem` say exactly that (0 when closed); `maxRedeemInKind` is the
/// owner's whole balance, always. A vault whose pinned model no longer serves its feed takes no deposits.
///
/// **Governance.** The owner (a `TimelockController`, two-step via `Ownable2Step`) can only re-pin the model
/// ({setPinnedModel}); an upgrade of the feed and the re-pin execute in one delayed batch, so the vault is never
/// stranded, and shareholders who disagree see the batch for the whole delay and can leave in kind.
///
/// Residual: the average lags a moving market. A depositor who enters at the average and leaves in kind gains
/// the spot/average gap on the risk part of the vault, bounded by `maxSlippageBps` (deposits close beyond it).
/// A virtual share offset (OpenZeppelin's `_decimalsOffset`) defeats the first-depositor inflation attack.
contract DemoVault is ERC4626, Ownable2Step, IDemoVault {
    using SafeERC20 for IERC20;

    uint256 private constant BPS = 10_000;

    /// @dev A signal becomes valid when its decision candle closes: `decisionMinute + CANDLE_SECONDS`.
    uint256 private constant CANDLE_SECONDS = 60;

    /// @dev Bounds of the rule's parameters: a run longer than an hour of rounds, a lead of more than 1e18 logit
    /// units or a model with more than 64 fractional bits of output is a configuration error.
    uint256 private constant MAX_PERSIST = 60;
    uint256 private constant MAX_LEAD_WAD = 1e36;
    uint8 private constant MAX_OUTPUT_SCALE = 64;

    /// @inheritdoc IDemoVault
    ISignalOracle public immutable oracle;

    /// @inheritdoc IDemoVault
    bytes32 public immutable feedId;

    /// @inheritdoc IDemoVault
    IUniswapV2Router02 public immutable router;

    /// @inheritdoc IDemoVault
    PairTwap public immutable twap;

    /// @inheritdoc IDemoVault
    IERC20 public immutable risk;

    /// @inheritdoc IDemoVault
    uint256 public immutable maxAge;

    /// @inheritdoc IDemoVault
    uint256 public immutable maxSlippageBps;

    /// @inheritdoc IDemoVault
    uint256 public immutable minLogitLeadWad;

    /// @inheritdoc IDemoVault
    uint256 public immutable persist;

    /// @dev One logit unit of the pinned model: `2^outputScale` (its logits are fixed point at that scale).
    uint256 private _logitUnit;

    /// @inheritdoc IDemoVault
    bytes32 public pinnedModelId;

    /// @inheritdoc IDemoVault
    uint256 public lastHandledRoundId;

    /// @notice Deployment parameters (a struct keeps the constructor readable). `minLogitLeadWad` and `persist`
    /// are the trading rule's ({actionFor}); `maxAge` and `maxSlippageBps` bound when and at what price it acts
    /// ({rebalance}); the average's span is the price source's.
    struct Config {
        ISignalOracle oracle;
        bytes32 feedId;
        bytes32 pinnedModelId;
        IUniswapV2Router02 router;
        PairTwap twap;
        uint256 maxAge;
        uint256 maxSlippageBps;
        uint256 minLogitLeadWad;
        uint256 persist;
    }

    /// @param cfg The oracle feed and model, market and risk limits; the price source's `quote` is the vault's
    /// asset, its `base` the risk token, and its pair the one the router trades them on.
    /// @param owner_ Governance: the account that may re-pin the model (a timelock).
    /// @param name_ Share token name.
    /// @param symbol_ Share token symbol.
    constructor(Config memory cfg, address owner_, string memory name_, string memory symbol_)
        ERC20(name_, symbol_)
        ERC4626(IERC20Metadata(cfg.twap.quote()))
        Ownable(owner_)
    {
        address stable = cfg.twap.quote();
        address riskToken = cfg.twap.base();
        address pair = IUniswapV2Factory(cfg.router.factory()).getPair(stable, riskToken);
        if (
            address(cfg.oracle) == address(0) || pair == address(0) || pair != address(cfg.twap.pair())
                || cfg.maxAge == 0 || cfg.maxSlippageBps >= BPS || cfg.pinnedModelId == bytes32(0) || cfg.persist == 0
                || cfg.persist > MAX_PERSIST || cfg.minLogitLeadWad > MAX_LEAD_WAD
        ) {
            revert DemoVaultInvalidConfig();
        }
        cfg.oracle.getFeed(cfg.feedId); // reverts for an unknown feed
        _logitUnit = _unitOf(cfg.oracle, cfg.pinnedModelId); // reverts for an unknown model
        oracle = cfg.oracle;
        feedId = cfg.feedId;
        pinnedModelId = cfg.pinnedModelId;
        router = cfg.router;
        twap = cfg.twap;
        risk = IERC20(riskToken);
        maxAge = cfg.maxAge;
        maxSlippageBps = cfg.maxSlippageBps;
        minLogitLeadWad = cfg.minLogitLeadWad;
        persist = cfg.persist;
    }

    // ------------------------------------------------------------------------------------ ERC-4626

    /// @notice Stable held plus risk held at the pair's average price (the latest average, fresh or not; risk
    /// counts 0 before the first average exists).
    function totalAssets() public view override returns (uint256) {
        (uint256 priceWad,) = twap.read();
        return _idle() + Math.mulDiv(risk.balanceOf(address(this)), priceWad, 1e18);
    }

    /// @notice Unlimited while shares can be priced and the pinned model serves the feed; 0 otherwise.
    function maxDeposit(address) public view override returns (uint256) {
        return _priced() && !_stranded() ? type(uint256).max : 0;
    }

    /// @notice As {maxDeposit}.
    function maxMint(address) public view override returns (uint256) {
        return _priced() && !_stranded() ? type(uint256).max : 0;
    }

    /// @notice The owner's assets, capped by the idle stable (the vault never sells risk to pay a withdrawal);
    /// 0 while shares cannot be priced. {redeemInKind} is always open.
    function maxWithdraw(address owner) public view override returns (uint256) {
        if (!_priced()) return 0;
        return Math.min(super.maxWithdraw(owner), _idle());
    }

    /// @notice The owner's shares, capped by what the idle stable can pay; 0 while shares cannot be priced.
    function maxRedeem(address owner) public view override returns (uint256) {
        if (!_priced()) return 0;
        uint256 owned = super.maxRedeem(owner);
        uint256 idle = _idle();
        if (_convertToAssets(owned, Math.Rounding.Floor) <= idle) return owned;
        return _convertToShares(idle, Math.Rounding.Floor);
    }

    // ------------------------------------------------------------------------------------ exit in kind

    /// @inheritdoc IDemoVault
    /// @dev Pro rata with the same virtual offset as the ERC-4626 conversions: each token's balance times
    /// `shares / (totalSupply + 10^decimalsOffset)`, rounded down. Shares are burned before anything is paid.
    function redeemInKind(uint256 shares, address receiver, address owner)
        external
        returns (uint256 assets, uint256 riskAmount)
    {
        uint256 held = balanceOf(owner);
        if (shares > held) revert DemoVaultExceededInKindRedeem(owner, shares, held);
        (assets, riskAmount) = previewRedeemInKind(shares);
        if (msg.sender != owner) _spendAllowance(owner, msg.sender, shares);
        _burn(owner, shares);
        IERC20(asset()).safeTransfer(receiver, assets);
        risk.safeTransfer(receiver, riskAmount);
        emit RedeemedInKind(msg.sender, receiver, owner, shares, assets, riskAmount);
    }

    /// @inheritdoc IDemoVault
    function previewRedeemInKind(uint256 shares) public view returns (uint256 assets, uint256 riskAmount) {
        uint256 supply = totalSupply() + 10 ** _decimalsOffset();
        assets = Math.mulDiv(_idle(), shares, supply);
        riskAmount = Math.mulDiv(risk.balanceOf(address(this)), shares, supply);
    }

    /// @inheritdoc IDemoVault
    function maxRedeemInKind(address owner) external view returns (uint256) {
        return balanceOf(owner);
    }

    // ------------------------------------------------------------------------------------ strategy

    /// @inheritdoc IDemoVault
    /// @dev THE TRADING RULE, the one place it is written (`oracle/core/src/policy.rs` is its off-chain
    /// implementation, kept equal by `test/DemoVaultPolicy.t.sol` and `policy_vectors.json`): round `roundId` is a
    /// confirmed BUY (SELL) when it and the `persist - 1` rounds before it are BUY (SELL) rounds of the pinned model
    /// at consecutive decision minutes, each leading the other two logits by at least `minLogitLeadWad / 1e18`.
    /// A confirmed BUY moves all stable into risk, a confirmed SELL all risk into stable, anything else nothing.
    /// {rebalance} applies it to each new round at most `maxAge` seconds past its validity (`decisionMinute + 60`);
    /// a swap must return at least its value at the pair's average price less `maxSlippageBps`, else nothing moves
    /// and the round stays actionable; an amount worth less than one unit of the other token is kept.
    /// Stateless: it reads the run from the oracle's rounds, so a keeper who misses a round breaks nothing.
    function actionFor(uint256 roundId) public view returns (Action) {
        ISignalOracle.Round memory r = oracle.getRound(feedId, roundId);
        ISignalOracle.Signal signal = r.signal;
        if (signal == ISignalOracle.Signal.Hold) return Action.None;
        bytes32 pinned = pinnedModelId;
        uint256 n = persist;
        for (uint256 k = 1;; ++k) {
            if (r.modelId != pinned || r.signal != signal || !_leads(r.logits, signal)) return Action.None;
            if (k == n) break;
            if (roundId == k) return Action.None; // fewer rounds than a run needs
            uint256 later = r.decisionMinute;
            r = oracle.getRound(feedId, roundId - k);
            if (uint256(r.decisionMinute) + CANDLE_SECONDS != later) return Action.None;
        }
        return signal == ISignalOracle.Signal.Buy ? Action.BuyRisk : Action.SellRisk;
    }

    /// @inheritdoc IDemoVault
    function rebalance() external returns (Action action) {
        // Reverts with SignalOracleNoRound before the feed's first round and SignalOracleNotCurrent once the latest
        // round is no longer current (the oracle's one notion of current).
        (ISignalOracle.Signal signal, uint64 decisionMinute, uint256 roundId, bytes32 modelId,) =
            oracle.currentSignal(feedId);
        bytes32 pinned = pinnedModelId;
        if (modelId != pinned) revert DemoVaultModelNotPinned(roundId, modelId, pinned);
        if (roundId <= lastHandledRoundId) revert DemoVaultRoundAlreadyHandled(roundId);
        // The oracle accepts a round only after its candle closed, so the age is never negative. Minute-granular:
        // a validator's few seconds of timestamp drift do not matter.
        // forge-lint: disable-next-line(block-timestamp)
        uint256 age = block.timestamp - (uint256(decisionMinute) + CANDLE_SECONDS);
        if (age > maxAge) revert DemoVaultStaleSignal(roundId, decisionMinute, age, maxAge);

        lastHandledRoundId = roundId;
        twap.update();
        action = actionFor(roundId);
        uint256 amountIn;
        uint256 amountOut;
        uint256 fairOut;
        if (action == Action.BuyRisk) (amountIn, amountOut, fairOut) = _swapAll(IERC20(asset()), risk);
        else if (action == Action.SellRisk) (amountIn, amountOut, fairOut) = _swapAll(risk, IERC20(asset()));
        if (amountIn == 0) action = Action.None;
        emit Rebalanced(roundId, decisionMinute, signal, action, amountIn, amountOut, fairOut);
    }

    /// @inheritdoc IDemoVault
    function setPinnedModel(bytes32 modelId) external onlyOwner {
        _logitUnit = _unitOf(oracle, modelId); // reverts for an unknown model
        emit PinnedModelSet(pinnedModelId, modelId);
        pinnedModelId = modelId;
    }

    // ----------------------------------------------------------------------------------- internals

    function _decimalsOffset() internal pure override returns (uint8) {
        return 6;
    }

    /// @dev Every deposit records a price observation when one is due (it cannot change this call's price).
    function _deposit(address caller, address receiver, uint256 assets, uint256 shares) internal override {
        twap.update();
        super._deposit(caller, receiver, assets, shares);
    }

    /// @dev Every withdrawal in stable records a price observation when one is due.
    function _withdraw(address caller, address receiver, address owner, uint256 assets, uint256 shares)
        internal
        override
    {
        twap.update();
        super._withdraw(caller, receiver, owner, assets, shares);
    }

    /// @dev One logit unit of `modelId` in its fixed point (`2^outputScale`); reverts for an unknown model.
    function _unitOf(ISignalOracle oracle_, bytes32 modelId) private view returns (uint256) {
        uint8 scale = oracle_.getModel(modelId).outputScale;
        if (scale > MAX_OUTPUT_SCALE) revert DemoVaultInvalidConfig();
        return uint256(1) << scale;
    }

    /// @dev Whether `logits[signal]` exceeds the larger of the other two by at least `minLogitLeadWad / 1e18` logit
    /// units, compared exactly: `lead >= ceil(minLogitLeadWad * unit / 1e18)` for an integer lead.
    function _leads(int256[3] memory logits, ISignalOracle.Signal signal) private view returns (bool) {
        uint256 s = uint8(signal);
        int256 other = type(int256).min;
        for (uint256 i = 0; i < 3; ++i) {
            if (i != s && logits[i] > other) other = logits[i];
        }
        int256 lead = logits[s] - other; // logits are bounded far below 2^255 by the oracle's decoding
        if (lead < 0) return false;
        // forge-lint: disable-next-line(unsafe-typecast)
        return uint256(lead) >= Math.mulDiv(minLogitLeadWad, _logitUnit, 1e18, Math.Rounding.Ceil);
    }

    function _idle() private view returns (uint256) {
        return IERC20(asset()).balanceOf(address(this));
    }

    /// @dev Whether shares can be priced for stable deposits and withdrawals: the vault holds no risk, or the
    /// average is fresh and the spot price within `maxSlippageBps` of it.
    function _priced() private view returns (bool) {
        if (risk.balanceOf(address(this)) == 0) return true;
        (uint256 average, uint256 span) = twap.read();
        if (span == 0 || span > twap.maxSpan()) return false;
        uint256 spot = twap.spotPrice();
        uint256 gap = spot > average ? spot - average : average - spot;
        return gap * BPS <= average * maxSlippageBps;
    }

    /// @dev Whether the feed has moved to another model than the pinned one (the vault cannot follow it).
    function _stranded() private view returns (bool) {
        return oracle.getFeed(feedId).modelId != pinnedModelId;
    }

    /// @dev Sells the whole balance of `tokenIn` for `tokenOut` on the pair, requiring at least its value at the
    /// fresh average price less the slippage bound; amounts are the vault's measured balance changes.
    function _swapAll(IERC20 tokenIn, IERC20 tokenOut)
        private
        returns (uint256 amountIn, uint256 amountOut, uint256 fairOut)
    {
        uint256 inBefore = tokenIn.balanceOf(address(this));
        if (inBefore == 0) return (0, 0, 0);
        uint256 priceWad = twap.price(); // reverts unless the average is fresh
        fairOut = tokenIn == risk ? Math.mulDiv(inBefore, priceWad, 1e18) : Math.mulDiv(inBefore, 1e18, priceWad);
        // Dust worth less than one unit of the other token would be given away: keep it.
        if (fairOut == 0) return (0, 0, 0);
        uint256 minOut = Math.mulDiv(fairOut, BPS - maxSlippageBps, BPS, Math.Rounding.Ceil);
        address[] memory path = new address[](2);
        path[0] = address(tokenIn);
        path[1] = address(tokenOut);
        uint256 quoted = router.getAmountsOut(inBefore, path)[1];
        if (quoted < minOut) revert DemoVaultSlippageExceeded(fairOut, quoted, minOut);
        uint256 outBefore = tokenOut.balanceOf(address(this));
        tokenIn.forceApprove(address(router), inBefore);
        // forge-lint: disable-next-line(block-timestamp)
        router.swapExactTokensForTokens(inBefore, minOut, path, address(this), block.timestamp);
        tokenIn.forceApprove(address(router), 0);
        amountIn = inBefore - tokenIn.balanceOf(address(this));
        amountOut = tokenOut.balanceOf(address(this)) - outBefore;
        if (amountOut < minOut) revert DemoVaultSlippageExceeded(fairOut, amountOut, minOut);
    }
}
