// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {IUniswapV2Factory} from "@uniswap/v2-core/contracts/interfaces/IUniswapV2Factory.sol";
import {IUniswapV2Pair} from "@uniswap/v2-core/contracts/interfaces/IUniswapV2Pair.sol";
import {IUniswapV2Router02} from "@uniswap/v2-periphery/contracts/interfaces/IUniswapV2Router02.sol";

import {DemoVault} from "../../contracts/DemoVault.sol";
import {PairTwap} from "../../contracts/PairTwap.sol";
import {DemoToken} from "../../contracts/demo/DemoToken.sol";
import {ISignalOracle} from "../../contracts/interfaces/ISignalOracle.sol";
import {OracleTestBase} from "./OracleTestBase.sol";
import {ProofFixture} from "./ProofFixture.sol";
import {UniswapV2Artifacts} from "./UniswapV2Artifacts.sol";

/// @notice The oracle of {OracleTestBase} plus a real market: two test tokens, Uniswap v2's own factory, router
/// and pair (deployed from its npm build artifacts) holding 100 M dUSD against dBTC at 50,000, the pair's
/// average price ({PairTwap}), a `TimelockController` (governor proposes, guardian can cancel, anyone executes)
/// owning an ERC-4626 vault pinned to the fixtures' model. The market opens `TWAP_WINDOW` before the tests'
/// clock starts, so an average exists from the start. Signals are published with real proofs (one fixture per
/// class); a proof does not bind its decision minute, so the same proof serves any later minute once the
/// committee signs it for that minute (here the test committee signs whatever it is asked to).
abstract contract VaultTestBase is OracleTestBase {
    uint256 internal constant PRICE_WAD = 50_000e18; // stable per risk unit
    uint256 internal constant POOL_STABLE = 100_000_000e18; // 1,000 times the tests' usual deposit
    uint256 internal constant MAX_SLIPPAGE_BPS = 100; // the pair's 30 bps fee plus room for price impact
    uint256 internal constant MAX_AGE = 15 minutes;
    uint256 internal constant TWAP_WINDOW = 30 minutes;
    uint256 internal constant TWAP_MAX_SPAN = 4 hours;
    uint256 internal constant TIMELOCK_DELAY = 2 days;

    address internal governor = makeAddr("governor");
    address internal guardian = makeAddr("guardian");
    address internal liquidityProvider = makeAddr("lp");

    DemoToken internal stable;
    DemoToken internal risk;
    IUniswapV2Factory internal factory;
    IUniswapV2Router02 internal router;
    IUniswapV2Pair internal pair;
    PairTwap internal twap;
    TimelockController internal timelock;
    DemoVault internal vault;
    ProofFixture[3] internal proofs;
    uint64 internal minute;

    function setUp() public virtual override {
        super.setUp();
        stable = new DemoToken("Demo USD", "dUSD");
        risk = new DemoToken("Demo BTC", "dBTC");
        // No fee recipient setter: the protocol fee stays off, as on a fresh mainnet factory.
        factory = IUniswapV2Factory(UniswapV2Artifacts.deploy(vm, UniswapV2Artifacts.FACTORY, abi.encode(address(0))));
        address weth = UniswapV2Artifacts.deploy(vm, UniswapV2Artifacts.WETH, "");
        router = IUniswapV2Router02(UniswapV2Artifacts.deploy(vm, UniswapV2Artifacts.ROUTER, abi.encode(factory, weth)));
        pair = IUniswapV2Pair(factory.createPair(address(stable), address(risk)));
        _addLiquidity(POOL_STABLE, POOL_STABLE * 1e18 / PRICE_WAD);
        twap = new PairTwap(pair, address(risk), TWAP_WINDOW, TWAP_MAX_SPAN);
        timelock = _newTimelock();
        vault = new DemoVault(_config(fx.modelId), address(timelock), "VeriRegime demo vault", "vrVAULT");
        for (uint8 s = 0; s < 3; ++s) {
            proofs[s] = _fixtureOf(ISignalOracle.Signal(s));
            require(proofs[s].signal == s, "fixture proves another signal");
            require(proofs[s].modelId == fx.modelId, "fixtures of different models");
        }
        // The market has traded for one window when the tests start; the clock is one minute after `minute`.
        vm.warp(block.timestamp + TWAP_WINDOW);
        minute = fx.decisionMinute + uint64(TWAP_WINDOW);
    }

    /// @dev Governance as deployed: the governor proposes (and may cancel), the guardian may cancel, anyone
    /// executes once the delay is over; no admin.
    function _newTimelock() internal returns (TimelockController t) {
        address[] memory proposers = new address[](1);
        proposers[0] = governor;
        address[] memory executors = new address[](1);
        executors[0] = address(0);
        t = new TimelockController(TIMELOCK_DELAY, proposers, executors, address(this));
        t.grantRole(t.CANCELLER_ROLE(), guardian);
        t.renounceRole(t.DEFAULT_ADMIN_ROLE(), address(this));
    }

    function _config(bytes32 pinned) internal view returns (DemoVault.Config memory) {
        return DemoVault.Config({
            oracle: oracle,
            feedId: FEED,
            pinnedModelId: pinned,
            router: router,
            twap: twap,
            maxAge: MAX_AGE,
            maxSlippageBps: MAX_SLIPPAGE_BPS,
            // The plain rule (every BUY buys, every SELL sells); test/DemoVaultPolicy.t.sol covers the others.
            minLogitLeadWad: 0,
            persist: 1
        });
    }

    /// @dev The liquidity provider adds `stableAmount` and `riskAmount` to the pair through the router.
    function _addLiquidity(uint256 stableAmount, uint256 riskAmount) internal {
        stable.mint(liquidityProvider, stableAmount);
        risk.mint(liquidityProvider, riskAmount);
        vm.startPrank(liquidityProvider);
        stable.approve(address(router), stableAmount);
        risk.approve(address(router), riskAmount);
        router.addLiquidity(
            address(stable), address(risk), stableAmount, riskAmount, 0, 0, liquidityProvider, block.timestamp
        );
        vm.stopPrank();
    }

    /// @dev `who` sells `amountIn` of `tokenIn` (minted to it) for the other token on the pair; nothing for 0.
    function _swap(address who, DemoToken tokenIn, uint256 amountIn) internal returns (uint256 amountOut) {
        if (amountIn == 0) return 0;
        DemoToken tokenOut = tokenIn == stable ? risk : stable;
        tokenIn.mint(who, amountIn);
        address[] memory path = new address[](2);
        path[0] = address(tokenIn);
        path[1] = address(tokenOut);
        vm.startPrank(who);
        tokenIn.approve(address(router), amountIn);
        amountOut = router.swapExactTokensForTokens(amountIn, 0, path, who, block.timestamp)[1];
        vm.stopPrank();
    }

    /// @dev `who` moves the pair's spot price of risk by `factorWad` (2e18 doubles it) with one swap; returns the
    /// token it sold and what it got, so that it can swap back.
    function _moveSpot(address who, uint256 factorWad) internal returns (DemoToken bought, uint256 amount) {
        (uint256 reserveStable, uint256 reserveRisk) = _reserves();
        uint256 root = Math.sqrt(factorWad * 1e18); // sqrt(factor), 18 decimals
        // On x * y = k the price is x / y: multiplying it by f takes x to x * sqrt(f) or y to y / sqrt(f); the
        // 0.3% fee is on the input.
        if (factorWad > 1e18) {
            uint256 stableIn = Math.mulDiv(reserveStable, root - 1e18, 1e18) * 1000 / 997;
            return (risk, _swap(who, stable, stableIn));
        }
        uint256 riskIn = Math.mulDiv(reserveRisk, 1e18, root) - reserveRisk;
        return (stable, _swap(who, risk, riskIn * 1000 / 997));
    }

    function _reserves() internal view returns (uint256 reserveStable, uint256 reserveRisk) {
        (uint112 r0, uint112 r1,) = pair.getReserves();
        (reserveStable, reserveRisk) = pair.token0() == address(stable) ? (r0, r1) : (r1, r0);
    }

    /// @dev Publishes `signal` (a real proof of it) for the next minute, one minute after its candle closed.
    function _publish(ISignalOracle.Signal signal) internal returns (uint256 roundId) {
        return _publishAs(fx.modelId, signal);
    }

    /// @dev Same, claiming model `modelId` (the feed's current model, or the submission is refused). The minute is
    /// the next one after the previous round's, or the latest closed one when the clock has moved further.
    function _publishAs(bytes32 modelId, ISignalOracle.Signal signal) internal returns (uint256 roundId) {
        uint64 next = minute + 60;
        uint64 latestClosed = uint64(block.timestamp / 60 * 60) - 60;
        if (next < latestClosed) next = latestClosed;
        minute = next;
        if (block.timestamp < minute + 60) vm.warp(minute + 60);
        ProofFixture storage p = proofs[uint8(signal)];
        return _submitAs(submitter, FEED, modelId, minute, p.proof, p.instances);
    }

    /// @dev Registers a second version of the model (same circuit, new id) and moves the feed to it, as the
    /// oracle's admin (an account here; a timelock when deployed: see the governance tests).
    function _upgradeFeed() internal returns (bytes32 v2) {
        v2 = keccak256("student v2");
        vm.startPrank(admin);
        oracle.registerModel(v2, _model(fx));
        oracle.setFeedModel(FEED, v2);
        vm.stopPrank();
    }

    /// @dev The governor schedules `payloads` on `targets` as one batch; after the delay anyone executes it.
    function _govern(address[] memory targets, bytes[] memory payloads, bytes32 salt) internal {
        uint256[] memory values = new uint256[](targets.length);
        vm.prank(governor);
        timelock.scheduleBatch(targets, values, payloads, bytes32(0), salt, TIMELOCK_DELAY);
        vm.warp(block.timestamp + TIMELOCK_DELAY);
        timelock.executeBatch(targets, values, payloads, bytes32(0), salt);
    }

    /// @dev After a long jump of the clock: records an observation and lets one window pass, so the average is
    /// fresh again.
    function _refreshPrice() internal {
        twap.update();
        vm.warp(block.timestamp + TWAP_WINDOW);
    }

    function _deposit(address who, uint256 assets) internal returns (uint256 shares) {
        return _depositInto(vault, who, assets);
    }

    function _depositInto(DemoVault v, address who, uint256 assets) internal returns (uint256 shares) {
        stable.mint(who, assets);
        vm.startPrank(who);
        stable.approve(address(v), assets);
        shares = v.deposit(assets, who);
        vm.stopPrank();
    }

    /// @dev The value of `who`'s whole position at the average price if it left in kind now.
    function _inKindValue(address who) internal view returns (uint256) {
        (uint256 assets, uint256 riskAmount) = vault.previewRedeemInKind(vault.balanceOf(who));
        (uint256 priceWad,) = twap.read();
        return assets + Math.mulDiv(riskAmount, priceWad, 1e18);
    }

    /// @dev Holdings of `who` in both tokens.
    function _holdings(address who) internal view returns (uint256, uint256) {
        return (IERC20(address(stable)).balanceOf(who), IERC20(address(risk)).balanceOf(who));
    }
}
