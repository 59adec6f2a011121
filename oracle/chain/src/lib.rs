//! `veriregime-chain`: the EVM side, with alloy: contract bindings, deployment from Foundry's
//! build output, submission of proven signals ([`submit`]), and where a submission's gas goes
//! ([`gas`]). Depends on `veriregime-core` and `veriregime-zk`.

pub mod committee;
pub mod gas;
pub mod governance;
pub mod keys;
pub mod report;
pub mod rpc;
pub mod submit;

pub use committee::{Committee, Quorum, SignedReport};
pub use report::Report;
pub use submit::{submit, Submitted, Target};

use alloy::network::{EthereumWallet, TransactionBuilder};
use alloy::primitives::{Address, Bytes, B256, U256};
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use alloy::rpc::types::TransactionRequest;
use alloy::signers::local::PrivateKeySigner;
use alloy::sol;
use anyhow::{anyhow, Context};
use std::path::{Path, PathBuf};
pub use veriregime_zk::binding::{input_binding, parse_word, Binding};

sol! {
    /// The signal oracle (contracts/SignalOracle.sol), the functions and errors the client uses.
    #[sol(rpc)]
    #[derive(Debug)]
    interface ISignalOracle {
        enum Signal { Sell, Hold, Buy }
        struct Model {
            address verifier;
            uint16 nInputs;
            uint16 commitmentOffset;
            uint16 commitmentLength;
            uint8 outputScale;
            Signal[3] outputClass;
        }
        struct Feed { bytes32 modelId; uint32 maxDelay; uint64 latestRoundId; uint32 heartbeat; }
        struct Round {
            Signal signal;
            uint64 decisionMinute;
            uint64 submittedAt;
            address submitter;
            bytes32 modelId;
            int256[3] logits;
            bytes32 inputBinding;
        }
        event SignalSubmitted(bytes32 indexed feedId, uint256 indexed roundId, bytes32 indexed modelId, uint64 decisionMinute, Signal signal, int256[3] logits, bytes32 inputBinding, address submitter, uint32 committeeVersion, uint256 signers);
        event CommitteeSet(bytes32 indexed feedId, uint32 indexed version, address[] members, uint8 threshold);
        error AccessControlUnauthorizedAccount(address account, bytes32 neededRole);
        error SignalOracleInvalidVerifier(address verifier);
        error SignalOracleInvalidOutputClasses();
        error SignalOracleModelExists(bytes32 modelId);
        error SignalOracleUnknownModel(bytes32 modelId);
        error SignalOracleFeedExists(bytes32 feedId);
        error SignalOracleUnknownFeed(bytes32 feedId);
        error SignalOracleInvalidMaxDelay();
        error SignalOracleWrongModel(bytes32 expected, bytes32 given);
        error SignalOracleInstanceCountMismatch(uint256 expected, uint256 actual);
        error SignalOracleProofTooShort(uint256 minimum, uint256 actual);
        error SignalOracleUnalignedMinute(uint64 decisionMinute);
        error SignalOracleMinuteInFuture(uint64 decisionMinute, uint256 blockTimestamp);
        error SignalOracleStaleMinute(uint64 decisionMinute, uint256 delay, uint32 maxDelay);
        error SignalOracleRoundNotAfterLatest(uint64 decisionMinute, uint64 latestDecisionMinute);
        error SignalOracleProofRejected(address verifier);
        error SignalOracleUnknownRound(bytes32 feedId, uint256 roundId);
        error SignalOracleNoRound(bytes32 feedId);
        error SignalOracleNotCurrent(bytes32 feedId, uint256 roundId, uint256 validUntil);
        error SignalOracleInvalidHeartbeat(uint32 heartbeat);
        error SignalOracleVerifierCodeChanged(address verifier, bytes32 registered, bytes32 current);
        error AccessControlEnforcedDefaultAdminRules();
        error AccessControlEnforcedDefaultAdminDelay(uint48 schedule);
        error SignalOracleInvalidCommitteeSize(uint256 size, uint256 maxSize);
        error SignalOracleInvalidThreshold(uint256 threshold, uint256 size);
        error SignalOracleInvalidCommitteeMember(uint256 index, address member);
        error SignalOracleNoCommittee(bytes32 feedId);
        error SignalOracleInvalidSignaturesLength(uint256 length);
        error SignalOracleTooFewSignatures(uint256 threshold, uint256 count);
        error SignalOracleInvalidSignature(uint256 index);
        error SignalOracleSignerNotMember(uint256 index, address signer);
        error SignalOracleDuplicateSigner(uint256 index, address signer);
        error SignalOracleWrongCommittee(bytes32 feedId, uint32 version);
        error FieldDecodeNotInField(uint256 value);
        error FieldDecodeOutOfRange(uint256 value);
        function SUBMITTER_ROLE() external view returns (bytes32);
        function defaultAdmin() external view returns (address);
        function verifierCodeHash(bytes32 modelId) external view returns (bytes32);
        function grantRole(bytes32 role, address account) external;
        function revokeRole(bytes32 role, address account) external;
        function hasRole(bytes32 role, address account) external view returns (bool);
        event RoleGranted(bytes32 indexed role, address indexed account, address indexed sender);
        event RoleRevoked(bytes32 indexed role, address indexed account, address indexed sender);
        function registerModel(bytes32 modelId, Model calldata model) external;
        function createFeed(bytes32 feedId, string calldata description, bytes32 modelId, uint32 maxDelay) external;
        function setFeedModel(bytes32 feedId, bytes32 modelId) external;
        function setFeedHeartbeat(bytes32 feedId, uint32 heartbeat) external;
        event FeedHeartbeatSet(bytes32 indexed feedId, uint32 heartbeat);
        function submit(bytes32 feedId, bytes32 modelId, uint64 decisionMinute, bytes calldata proof, uint256[] calldata instances, address[] calldata committee, bytes calldata signatures) external returns (uint256 roundId);
        function setCommittee(bytes32 feedId, address[] calldata members, uint8 threshold) external;
        function getCommittee(bytes32 feedId) external view returns (address[] memory members, uint8 threshold, uint32 version);
        function getRoundSigners(bytes32 feedId, uint256 roundId) external view returns (uint32 committeeVersion, uint256 signers, address[] memory signerAddresses);
        function reportDigest(bytes32 feedId, bytes32 modelId, uint64 decisionMinute, bytes32 inputBinding, uint32 committeeVersion) external view returns (bytes32);
        function getModel(bytes32 modelId) external view returns (Model memory);
        function getFeed(bytes32 feedId) external view returns (Feed memory);
        function latestRoundId(bytes32 feedId) external view returns (uint256);
        function latestSignal(bytes32 feedId) external view returns (Signal signal, uint64 decisionMinute, uint256 roundId, bytes32 modelId);
        function currentSignal(bytes32 feedId) external view returns (Signal signal, uint64 decisionMinute, uint256 roundId, bytes32 modelId, uint256 validUntil);
        function getRound(bytes32 feedId, uint256 roundId) external view returns (Round memory);
    }
}

sol! {
    /// The EZKL-generated Halo2 verifier (contracts/generated/Halo2Verifier.sol); it reverts on a bad proof.
    #[sol(rpc)]
    #[derive(Debug)]
    interface IHalo2Verifier {
        function verifyProof(bytes calldata proof, uint256[] calldata instances) external returns (bool);
    }
}

sol! {
    /// The demo vault (contracts/DemoVault.sol, ERC-4626), the functions and errors the client uses.
    #[sol(rpc)]
    #[derive(Debug)]
    interface IDemoVault {
        enum Action { None, BuyRisk, SellRisk }
        struct Config { address oracle; bytes32 feedId; bytes32 pinnedModelId; address router; address twap; uint256 maxAge; uint256 maxSlippageBps; uint256 minLogitLeadWad; uint256 persist; }
        event Rebalanced(uint256 indexed roundId, uint64 decisionMinute, uint8 signal, Action action, uint256 amountIn, uint256 amountOut, uint256 fairAmountOut);
        error DemoVaultModelNotPinned(uint256 roundId, bytes32 modelId, bytes32 pinnedModelId);
        error DemoVaultStaleSignal(uint256 roundId, uint64 decisionMinute, uint256 age, uint256 maxAge);
        error DemoVaultRoundAlreadyHandled(uint256 roundId);
        error DemoVaultSlippageExceeded(uint256 fairAmountOut, uint256 amountOut, uint256 minAmountOut);
        error DemoVaultExceededInKindRedeem(address owner, uint256 shares, uint256 max);
        error DemoVaultInvalidConfig();
        error PairTwapNotReady();
        error PairTwapStale(uint256 span, uint256 maxSpan);
        error SignalOracleNoRound(bytes32 feedId);
        error SignalOracleNotCurrent(bytes32 feedId, uint256 roundId, uint256 validUntil);
        function rebalance() external returns (Action action);
        function lastHandledRoundId() external view returns (uint256);
        function minLogitLeadWad() external view returns (uint256);
        function persist() external view returns (uint256);
        function actionFor(uint256 roundId) external view returns (Action);
        function totalAssets() external view returns (uint256);
        function deposit(uint256 assets, address receiver) external returns (uint256 shares);
        function balanceOf(address account) external view returns (uint256);
        function redeemInKind(uint256 shares, address receiver, address owner) external returns (uint256 assets, uint256 riskAmount);
        function maxRedeem(address owner) external view returns (uint256);
        function pinnedModelId() external view returns (bytes32);
    }

    /// The vault's price source (contracts/PairTwap.sol): the pair's time-weighted average.
    #[sol(rpc)]
    interface IPairTwap {
        function update() external returns (bool recorded);
        function read() external view returns (uint256 priceWad, uint256 span);
        function spotPrice() external view returns (uint256);
    }

    /// Uniswap v2's factory and router (deployed from their npm build artifacts).
    #[sol(rpc)]
    interface IUniswapV2Factory {
        function createPair(address tokenA, address tokenB) external returns (address pair);
        function getPair(address tokenA, address tokenB) external view returns (address pair);
    }

    #[sol(rpc)]
    interface IUniswapV2Router02 {
        function addLiquidity(address tokenA, address tokenB, uint256 amountADesired, uint256 amountBDesired, uint256 amountAMin, uint256 amountBMin, address to, uint256 deadline) external returns (uint256 amountA, uint256 amountB, uint256 liquidity);
    }

    /// OpenZeppelin's TimelockController: governance of the oracle and the vault.
    #[sol(rpc)]
    #[derive(Debug)]
    interface ITimelockController {
        error TimelockInsufficientDelay(uint256 delay, uint256 minDelay);
        error TimelockUnexpectedOperationState(bytes32 operationId, bytes32 expectedStates);
        error TimelockUnauthorizedCaller(address caller);
        error AccessControlUnauthorizedAccount(address account, bytes32 neededRole);
        function PROPOSER_ROLE() external view returns (bytes32);
        function CANCELLER_ROLE() external view returns (bytes32);
        function DEFAULT_ADMIN_ROLE() external view returns (bytes32);
        function getMinDelay() external view returns (uint256);
        function hasRole(bytes32 role, address account) external view returns (bool);
        function grantRole(bytes32 role, address account) external;
        function revokeRole(bytes32 role, address account) external;
        function renounceRole(bytes32 role, address callerConfirmation) external;
        function updateDelay(uint256 newDelay) external;
        event CallScheduled(bytes32 indexed id, uint256 indexed index, address target, uint256 value, bytes data, bytes32 predecessor, uint256 delay);
        event CallExecuted(bytes32 indexed id, uint256 indexed index, address target, uint256 value, bytes data);
        event CallSalt(bytes32 indexed id, bytes32 salt);
        event Cancelled(bytes32 indexed id);
        function getTimestamp(bytes32 id) external view returns (uint256);
        function hashOperation(address target, uint256 value, bytes calldata data, bytes32 predecessor, bytes32 salt) external pure returns (bytes32);
        function hashOperationBatch(address[] calldata targets, uint256[] calldata values, bytes[] calldata payloads, bytes32 predecessor, bytes32 salt) external pure returns (bytes32);
        function schedule(address target, uint256 value, bytes calldata data, bytes32 predecessor, bytes32 salt, uint256 delay) external;
        function execute(address target, uint256 value, bytes calldata payload, bytes32 predecessor, bytes32 salt) external payable;
        function scheduleBatch(address[] calldata targets, uint256[] calldata values, bytes[] calldata payloads, bytes32 predecessor, bytes32 salt, uint256 delay) external;
        function executeBatch(address[] calldata targets, uint256[] calldata values, bytes[] calldata payloads, bytes32 predecessor, bytes32 salt) external payable;
    }

    #[sol(rpc)]
    interface IDemoToken {
        function mint(address to, uint256 amount) external;
        function approve(address spender, uint256 amount) external returns (bool);
        function balanceOf(address account) external view returns (uint256);
    }
}

/// Id of the oracle feed of `symbol`'s 1-minute candles: keccak256("<SYMBOL>-1m").
pub fn feed_id(symbol: &str) -> B256 {
    alloy::primitives::keccak256(format!("{}-1m", symbol.to_uppercase()))
}

/// A connected, signing client.
#[derive(Clone)]
pub struct Client {
    pub provider: DynProvider,
    pub from: Address,
}

impl Client {
    /// Connects to `rpc` and signs with `key` (hex private key).
    pub async fn connect(rpc: &str, key: &str) -> anyhow::Result<Self> {
        let signer: PrivateKeySigner = key.trim().parse().context("the private key is not a valid hex secp256k1 key")?;
        Self::connect_signer(rpc, signer).await
    }

    /// Connects to `rpc` and signs with `signer` (e.g. opened from a keystore, [`keys`]).
    pub async fn connect_signer(rpc: &str, signer: PrivateKeySigner) -> anyhow::Result<Self> {
        let from = signer.address();
        let shown = veriregime_core::redact::redact_url(rpc);
        let url = rpc.parse().map_err(|e| anyhow!("the RPC URL {shown} is not a URL: {e}"))?;
        let provider = ProviderBuilder::new().wallet(EthereumWallet::from(signer)).connect_http(url).erased();
        provider.get_chain_id().await.map_err(|e| anyhow!("no EVM node answers at {shown}: {}", veriregime_core::redact::error_chain(&e)))?;
        Ok(Client { provider, from })
    }

    /// Deploys creation code with ABI-encoded constructor arguments; returns the address.
    pub async fn deploy(&self, name: &str, code: &Bytes, args: &[u8]) -> anyhow::Result<Address> {
        let mut data = code.to_vec();
        data.extend_from_slice(args);
        let tx = TransactionRequest::default().with_from(self.from).with_deploy_code(data);
        // The estimate runs on the latest block, the deployment in a later one: a constructor that
        // reads the time can cost more there (PairTwap's first observation turns a zero slot into a
        // price once a second has passed: OutOfGas by ~20 k on a chain with a block time).
        let estimate = self.provider.estimate_gas(tx.clone()).await.with_context(|| format!("estimating the deployment of {name}"))?;
        let tx = tx.with_gas_limit(estimate * DEPLOY_GAS_HEADROOM_PERCENT / 100);
        let receipt = self
            .provider
            .send_transaction(tx)
            .await
            .with_context(|| format!("deploying {name}"))?
            .get_receipt()
            .await
            .with_context(|| format!("waiting for the deployment of {name}"))?;
        anyhow::ensure!(receipt.status(), "deployment of {name} reverted (tx {})", receipt.transaction_hash);
        receipt.contract_address.ok_or_else(|| anyhow!("deployment of {name} returned no address"))
    }
}

/// Gas limit of a deployment, in percent of its estimate (as `forge script`'s default multiplier).
pub const DEPLOY_GAS_HEADROOM_PERCENT: u64 = 130;

/// Creation bytecode of Uniswap v2's `Contract` from the npm package `@uniswap/<package>` (its own
/// build artifact, `build/Contract.json`, whose `bytecode` is hex without `0x`): the bytecode
/// Uniswap deployed, never recompiled here.
pub fn uniswap_code(root: &Path, package: &str, contract: &str) -> anyhow::Result<Bytes> {
    let path = root.join("scripts/node_modules/@uniswap").join(package).join("build").join(format!("{contract}.json"));
    let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {} (run `make bootstrap`)", path.display()))?;
    let v: serde_json::Value = serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))?;
    let hex = v["bytecode"].as_str().ok_or_else(|| anyhow!("{} has no bytecode", path.display()))?;
    let code: Bytes = hex.parse().with_context(|| format!("{}: bytecode is not hex", path.display()))?;
    anyhow::ensure!(!code.is_empty(), "{}: empty bytecode", path.display());
    Ok(code)
}

/// Creation bytecode of `Contract` from Foundry's output `out/File.sol/Contract.json`.
pub fn creation_code(root: &Path, file: &str, contract: &str) -> anyhow::Result<Bytes> {
    let path = root.join("out").join(file).join(format!("{contract}.json"));
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {} (run `forge build`, or `make bootstrap`)", path.display()))?;
    let v: serde_json::Value = serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))?;
    let hex = v["bytecode"]["object"].as_str().ok_or_else(|| anyhow!("{} has no bytecode.object", path.display()))?;
    let code: Bytes = hex.parse().with_context(|| format!("{}: bytecode is not hex", path.display()))?;
    anyhow::ensure!(!code.is_empty(), "{}: empty bytecode (abstract contract?)", path.display());
    Ok(code)
}

/// Decodes an oracle revert into its custom error's name and values, when it is one.
pub fn describe_revert(err: &alloy::contract::Error) -> String {
    if let Some(e) = err.as_decoded_interface_error::<ISignalOracle::ISignalOracleErrors>() {
        return format!("{e:?}");
    }
    if let Some(e) = err.as_decoded_interface_error::<IDemoVault::IDemoVaultErrors>() {
        return format!("{e:?}");
    }
    if let Some(e) = err.as_decoded_interface_error::<ITimelockController::ITimelockControllerErrors>() {
        return format!("{e:?}");
    }
    err.to_string()
}

/// Addresses of a deployed stack: the generated verifier, the oracle with its feed and Chainlink
/// adapter, governance (a timelock and its governor), and the demo market (test-double tokens on a
/// Uniswap v2 pair, the pair's average price) with its vault. Written by `veriregime deploy` and
/// the demo; read by `oracle round`, `audit` and the daemon.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Deployment {
    pub chain_id: u64,
    pub verifier: Address,
    pub oracle: Address,
    pub feed_id: B256,
    pub symbol: String,
    pub aggregator: Address,
    pub model_id: B256,
    /// The TimelockController that is the oracle's admin and the vault's owner.
    pub timelock: Address,
    /// The account that proposes governance changes through the timelock (and may cancel them).
    pub governor: Address,
    pub stable: Address,
    pub risk: Address,
    pub factory: Address,
    pub router: Address,
    pub pair: Address,
    pub twap: Address,
    pub vault: Address,
}

impl Deployment {
    /// Writes the deployments file (temporary name, then rename).
    pub fn save(&self, path: &Path) -> anyhow::Result<()> {
        veriregime_core::write_atomic(path, (serde_json::to_string_pretty(self)? + "\n").as_bytes())
    }

    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path).with_context(|| format!("cannot read deployments file {}", path.display()))?;
        serde_json::from_str(&text).with_context(|| format!("{} is not a deployments file", path.display()))
    }
}

/// Settings of a fresh deployment.
#[derive(Debug, Clone)]
pub struct StackConfig {
    pub symbol: String,
    pub model_id: B256,
    pub binding: Binding,
    pub output_scale: u8,
    /// Latest accepted submission, seconds after the decision candle closed.
    pub max_delay: u32,
    /// The feed's heartbeat, seconds ([`veriregime_core::publish`]): 60 transmits every decision
    /// minute (what the demo vault's run rule needs); more transmits changes and a round a
    /// heartbeat after the last.
    pub heartbeat: u32,
    /// Oldest signal (seconds after its decision minute) the vault still acts on.
    pub vault_max_age: u64,
    /// The vault's trading rule ([`veriregime_core::policy`]): its margin and persistence go into
    /// the vault's constructor; the vault has no hold timers (`min_hold` and `max_hold` must be 0).
    pub vault_policy: veriregime_core::policy::PolicySpec,
    /// The pair's opening price of the risk token in stable units, 18 decimals.
    pub price_wad: U256,
    /// Stable tokens the deployer puts into the pair (with risk tokens worth as much), 18 decimals.
    pub pool_stable: U256,
    /// The vault's slippage bound against the pair's average price (the pair's 30 bps fee
    /// included), basis points.
    pub vault_max_slippage_bps: u64,
    /// Stable tokens deposited into the vault by the deployer, 18 decimals.
    pub vault_stable: U256,
    /// Shortest and longest span of the pair's average price the vault uses, seconds.
    pub twap_window: u64,
    pub twap_max_span: u64,
    /// The governor: proposes (and may cancel) changes of models, feeds, committees and the
    /// vault's pin through the timelock. `None`: the deployer (local chains and tests only).
    pub governor: Option<Address>,
    /// A guardian that may cancel scheduled changes, besides the governor.
    pub guardian: Option<Address>,
    /// The timelock's delay, seconds.
    pub timelock_delay: u64,
    /// Foundry build root (`out/Halo2Verifier.sol/Halo2Verifier.json` under it) of the circuit's
    /// verifier, for a circuit other than the shipped one (e.g. the benchmark's `<circuit>/forge`);
    /// `None`: the project's build, whose verifier is the shipped circuit's.
    pub verifier_build: Option<PathBuf>,
    /// The feed's committee: the operators whose signatures the oracle counts, each allowed to
    /// transmit. Empty: the deployer alone.
    pub committee: Vec<Address>,
    /// Signatures a round needs (k of the committee's n).
    pub threshold: u8,
}

impl StackConfig {
    /// The defaults of a local deployment (demo, tests): 5-minute submission window and vault
    /// freshness, a pair holding 100 M dUSD (1,000 times the vault's 100,000, so that the vault's
    /// swaps move it ~0.1%) under a 100 bps slippage bound, a 30-minute average fresh for 4 hours,
    /// a one-day timelock governed by the deployer.
    pub fn local(symbol: &str, model_id: B256, binding: Binding, output_scale: u8, price: u64) -> Self {
        let wad = U256::from(10u64).pow(U256::from(18u64));
        StackConfig {
            symbol: symbol.to_string(),
            model_id,
            binding,
            output_scale,
            max_delay: 300,
            heartbeat: veriregime_core::publish::EVERY_MINUTE_S as u32,
            vault_max_age: 300,
            vault_policy: veriregime_core::policy::PolicySpec::VAULT,
            price_wad: U256::from(price.max(1)) * wad,
            pool_stable: U256::from(100_000_000u64) * wad,
            vault_max_slippage_bps: 100,
            vault_stable: U256::from(100_000u64) * wad,
            twap_window: 1800,
            twap_max_span: 4 * 3600,
            governor: None,
            guardian: None,
            timelock_delay: 86_400,
            verifier_build: None,
            committee: Vec::new(),
            threshold: 1,
        }
    }
}

/// The vault's constructor arguments of a policy: the margin in 18 decimals of a logit unit and
/// the run length. The vault implements margin and persistence only; a policy with hold timers is
/// refused, not deployed as something else.
pub fn vault_rule(p: &veriregime_core::policy::PolicySpec) -> anyhow::Result<(U256, u32)> {
    p.validate()?;
    anyhow::ensure!(
        p.vault_implements(),
        "policy {p}: the demo vault's rule has no hold timers (min_hold and max_hold must be 0)"
    );
    anyhow::ensure!(p.persist <= 60 && p.margin <= 1e18, "policy {p}: the vault accepts persist <= 60 and margin <= 1e18");
    let wad = (p.margin * 1e18).round();
    Ok((U256::from(wad as u128), p.persist))
}

/// Deploys the verifier, governance (OpenZeppelin's TimelockController), the oracle with the
/// timelock as its admin (model registered, feed created, the committee set and allowed to
/// transmit), the Chainlink adapter, and the demo market: test-double tokens on a Uniswap v2 pair
/// (factory, WETH9 and router from Uniswap's npm build artifacts), the pair's average price and the
/// ERC-4626 vault, pinned to the model and owned by the timelock. Contracts come from Foundry's
/// build output under `root/out`.
///
/// The deployer sets the oracle up through the timelock while its delay is still 0 (it holds the
/// timelock's roles only for that), then sets the delay, hands proposing and cancelling to the
/// governor (and the guardian) and renounces every role: afterwards the deployer is neither admin
/// nor owner of anything, and is a transmitter only when it is in the committee (the committee of
/// one used when none is given). With `governor: None` the deployer stays the timelock's proposer.
pub async fn deploy_stack(client: &Client, root: &Path, cfg: &StackConfig) -> anyhow::Result<Deployment> {
    use alloy::sol_types::{SolCall, SolValue};
    let send = |what: &'static str| move |e: alloy::contract::Error| anyhow!("{what}: {}", describe_revert(&e));
    let verifier_root = cfg.verifier_build.as_deref().unwrap_or(root);
    let verifier = client.deploy("Halo2Verifier", &creation_code(verifier_root, "Halo2Verifier.sol", "Halo2Verifier")?, &[]).await?;

    // Governance, at delay 0 while the deployer sets the oracle up through it.
    let timelock = client
        .deploy(
            "TimelockController",
            &creation_code(root, "TimelockController.sol", "TimelockController")?,
            &(U256::ZERO, vec![client.from], vec![Address::ZERO], client.from).abi_encode_params(),
        )
        .await?;
    let tl = ITimelockController::new(timelock, &client.provider);
    let through_timelock = |calls: Vec<(Address, Vec<u8>)>, salt: &'static str| {
        let tl = tl.clone();
        async move {
            let targets: Vec<Address> = calls.iter().map(|c| c.0).collect();
            let values = vec![U256::ZERO; calls.len()];
            let payloads: Vec<Bytes> = calls.into_iter().map(|c| Bytes::from(c.1)).collect();
            let salt = alloy::primitives::keccak256(salt);
            tl.scheduleBatch(targets.clone(), values.clone(), payloads.clone(), B256::ZERO, salt, U256::ZERO)
                .send()
                .await
                .map_err(send("timelock scheduleBatch"))?
                .get_receipt()
                .await?;
            tl.executeBatch(targets, values, payloads, B256::ZERO, salt).send().await.map_err(send("timelock executeBatch"))?.get_receipt().await?;
            anyhow::Ok(())
        }
    };

    let oracle = client.deploy("SignalOracle", &creation_code(root, "SignalOracle.sol", "SignalOracle")?, &(timelock,).abi_encode_params()).await?;
    let o = ISignalOracle::new(oracle, &client.provider);
    let model = ISignalOracle::Model {
        verifier,
        nInputs: cfg.binding.n_inputs,
        commitmentOffset: cfg.binding.commitment_offset,
        commitmentLength: cfg.binding.commitment_length,
        outputScale: cfg.output_scale,
        outputClass: [ISignalOracle::Signal::Sell, ISignalOracle::Signal::Hold, ISignalOracle::Signal::Buy],
    };
    let feed = feed_id(&cfg.symbol);
    let description = format!("{} 1m, 60-minute horizon", cfg.symbol.to_uppercase());
    let role = o.SUBMITTER_ROLE().call().await?;
    // The committee signs each round's report; its members transmit. Without one given, the
    // deployer alone (1 of 1).
    let committee = if cfg.committee.is_empty() { vec![client.from] } else { cfg.committee.clone() };
    let mut setup = vec![
        (oracle, ISignalOracle::registerModelCall { modelId: cfg.model_id, model }.abi_encode()),
        (oracle, ISignalOracle::createFeedCall { feedId: feed, description: description.clone(), modelId: cfg.model_id, maxDelay: cfg.max_delay }.abi_encode()),
        (oracle, ISignalOracle::setCommitteeCall { feedId: feed, members: committee.clone(), threshold: cfg.threshold }.abi_encode()),
    ];
    veriregime_core::publish::PublishRule::new(cfg.heartbeat as u64)?;
    if cfg.heartbeat as u64 != veriregime_core::publish::EVERY_MINUTE_S {
        setup.push((oracle, ISignalOracle::setFeedHeartbeatCall { feedId: feed, heartbeat: cfg.heartbeat }.abi_encode()));
    }
    let transmitters: std::collections::BTreeSet<Address> = committee.iter().copied().collect();
    for member in transmitters {
        setup.push((oracle, ISignalOracle::grantRoleCall { role, account: member }.abi_encode()));
    }
    through_timelock(setup, "veriregime: oracle set-up").await?;
    let aggregator = client
        .deploy(
            "SignalAggregator",
            &creation_code(root, "SignalAggregator.sol", "SignalAggregator")?,
            &(oracle, feed, format!("VeriRegime {description} signal (-1 SELL, 0 HOLD, +1 BUY)")).abi_encode_params(),
        )
        .await?;

    // The market: two test tokens on a real Uniswap v2 pair.
    let token = creation_code(root, "DemoToken.sol", "DemoToken")?;
    let stable = client.deploy("DemoToken (stable)", &token, &("Demo USD".to_string(), "dUSD".to_string()).abi_encode_params()).await?;
    let risk = client.deploy("DemoToken (risk)", &token, &("Demo BTC".to_string(), "dBTC".to_string()).abi_encode_params()).await?;
    // No fee-recipient setter: the protocol fee stays off.
    let factory = client.deploy("UniswapV2Factory", &uniswap_code(root, "v2-core", "UniswapV2Factory")?, &(Address::ZERO,).abi_encode_params()).await?;
    let weth = client.deploy("WETH9", &uniswap_code(root, "v2-periphery", "WETH9")?, &[]).await?;
    let router = client.deploy("UniswapV2Router02", &uniswap_code(root, "v2-periphery", "UniswapV2Router02")?, &(factory, weth).abi_encode_params()).await?;
    let f = IUniswapV2Factory::new(factory, &client.provider);
    f.createPair(stable, risk).send().await.map_err(send("createPair"))?.get_receipt().await?;
    let pair = f.getPair(stable, risk).call().await?;
    let wad = U256::from(10u64).pow(U256::from(18u64));
    let pool_risk = cfg.pool_stable * wad / cfg.price_wad;
    for (t, amount) in [(stable, cfg.pool_stable + cfg.vault_stable), (risk, pool_risk)] {
        let token = IDemoToken::new(t, &client.provider);
        token.mint(client.from, amount).send().await?.get_receipt().await?;
        token.approve(router, amount).send().await?.get_receipt().await?;
    }
    IUniswapV2Router02::new(router, &client.provider)
        .addLiquidity(stable, risk, cfg.pool_stable, pool_risk, U256::ZERO, U256::ZERO, client.from, U256::from(u64::MAX))
        .send()
        .await
        .map_err(send("addLiquidity"))?
        .get_receipt()
        .await?;
    let twap = client
        .deploy(
            "PairTwap",
            &creation_code(root, "PairTwap.sol", "PairTwap")?,
            &(pair, risk, U256::from(cfg.twap_window), U256::from(cfg.twap_max_span)).abi_encode_params(),
        )
        .await?;
    let (min_lead_wad, persist) = vault_rule(&cfg.vault_policy)?;
    let vault_cfg = IDemoVault::Config {
        oracle,
        feedId: feed,
        pinnedModelId: cfg.model_id,
        router,
        twap,
        maxAge: U256::from(cfg.vault_max_age),
        maxSlippageBps: U256::from(cfg.vault_max_slippage_bps),
        minLogitLeadWad: min_lead_wad,
        persist: U256::from(persist),
    };
    let vault = client
        .deploy(
            "DemoVault",
            &creation_code(root, "DemoVault.sol", "DemoVault")?,
            &(vault_cfg, timelock, "VeriRegime demo vault".to_string(), "vrVAULT".to_string()).abi_encode_params(),
        )
        .await?;
    IDemoToken::new(stable, &client.provider).approve(vault, cfg.vault_stable).send().await?.get_receipt().await?;
    IDemoVault::new(vault, &client.provider)
        .deposit(cfg.vault_stable, client.from)
        .send()
        .await
        .map_err(send("vault deposit"))?
        .get_receipt()
        .await?;

    // Governance handed over: the delay set (through the timelock itself), proposing and
    // cancelling to the governor and the guardian, every role of the deployer renounced.
    let governor = cfg.governor.unwrap_or(client.from);
    through_timelock(vec![(timelock, ITimelockController::updateDelayCall { newDelay: U256::from(cfg.timelock_delay) }.abi_encode())], "veriregime: delay").await?;
    let (proposer, canceller, admin) = (tl.PROPOSER_ROLE().call().await?, tl.CANCELLER_ROLE().call().await?, tl.DEFAULT_ADMIN_ROLE().call().await?);
    let mut cancellers = vec![governor];
    cancellers.extend(cfg.guardian);
    tl.grantRole(proposer, governor).send().await.map_err(send("timelock grantRole"))?.get_receipt().await?;
    for c in cancellers {
        tl.grantRole(canceller, c).send().await.map_err(send("timelock grantRole"))?.get_receipt().await?;
    }
    if governor != client.from {
        tl.revokeRole(proposer, client.from).send().await.map_err(send("timelock revokeRole"))?.get_receipt().await?;
        tl.revokeRole(canceller, client.from).send().await.map_err(send("timelock revokeRole"))?.get_receipt().await?;
    }
    tl.renounceRole(admin, client.from).send().await.map_err(send("timelock renounceRole"))?.get_receipt().await?;

    let chain_id = client.provider.get_chain_id().await?;
    Ok(Deployment {
        chain_id,
        verifier,
        oracle,
        feed_id: feed,
        symbol: cfg.symbol.to_uppercase(),
        aggregator,
        model_id: cfg.model_id,
        timelock,
        governor,
        stable,
        risk,
        factory,
        router,
        pair,
        twap,
        vault,
    })
}
