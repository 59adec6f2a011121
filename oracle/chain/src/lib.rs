//! `veriregime-chain`: the EVM side, with alloy: contract bindings, deployment from Foundry's
//! build output, submission of proven signals ([`submit`]), and where a submission's gas goes
//! ([`gas`]). Depends on `veriregime-core` and `veriregime-zk`.

pub mod committee;
pub mod gas;
pub mod report;
pub mod submit;

pub use committee::{Committee, SignedReport};
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
        struct Feed { bytes32 modelId; uint32 maxDelay; uint64 latestRoundId; }
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
        error SignalOracleInvalidCommitteeSize(uint256 size, uint256 maxSize);
        error SignalOracleInvalidThreshold(uint256 threshold, uint256 size);
        error SignalOracleInvalidCommitteeMember(uint256 index, address member);
        error SignalOracleNoCommittee(bytes32 feedId);
        error SignalOracleInvalidSignaturesLength(uint256 length);
        error SignalOracleTooFewSignatures(uint256 threshold, uint256 count);
        error SignalOracleInvalidSignature(uint256 index);
        error SignalOracleSignerNotMember(uint256 index, address signer);
        error SignalOracleDuplicateSigner(uint256 index, address signer);
        error FieldDecodeNotInField(uint256 value);
        error FieldDecodeOutOfRange(uint256 value);
        function SUBMITTER_ROLE() external view returns (bytes32);
        function grantRole(bytes32 role, address account) external;
        function hasRole(bytes32 role, address account) external view returns (bool);
        function registerModel(bytes32 modelId, Model calldata model) external;
        function createFeed(bytes32 feedId, string calldata description, bytes32 modelId, uint32 maxDelay) external;
        function setFeedModel(bytes32 feedId, bytes32 modelId) external;
        function submit(bytes32 feedId, bytes32 modelId, uint64 decisionMinute, bytes calldata proof, uint256[] calldata instances, bytes calldata signatures) external returns (uint256 roundId);
        function setCommittee(bytes32 feedId, address[] calldata members, uint8 threshold) external;
        function getCommittee(bytes32 feedId) external view returns (address[] memory members, uint8 threshold, uint32 version);
        function getRoundSigners(bytes32 feedId, uint256 roundId) external view returns (uint32 committeeVersion, uint256 signers, address[] memory signerAddresses);
        function reportDigest(bytes32 feedId, bytes32 modelId, uint64 decisionMinute, bytes32 inputBinding, uint32 committeeVersion) external view returns (bytes32);
        function getModel(bytes32 modelId) external view returns (Model memory);
        function getFeed(bytes32 feedId) external view returns (Feed memory);
        function latestRoundId(bytes32 feedId) external view returns (uint256);
        function latestSignal(bytes32 feedId) external view returns (Signal signal, uint64 decisionMinute, uint256 roundId, bytes32 modelId);
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
    /// The demo vault (contracts/DemoVault.sol, ERC-4626), its venue and test-double tokens.
    #[sol(rpc)]
    #[derive(Debug)]
    interface IDemoVault {
        enum Action { None, BuyRisk, SellRisk }
        struct Config { address oracle; bytes32 feedId; bytes32 pinnedModelId; address venue; uint256 maxAge; uint256 maxSlippageBps; }
        event Rebalanced(uint256 indexed roundId, uint64 decisionMinute, uint8 signal, Action action, uint256 amountIn, uint256 amountOut, uint256 midAmountOut);
        error DemoVaultNoSignal();
        error DemoVaultModelNotPinned(uint256 roundId, bytes32 modelId, bytes32 pinnedModelId);
        error DemoVaultStaleSignal(uint256 roundId, uint64 decisionMinute, uint256 age, uint256 maxAge);
        error DemoVaultRoundAlreadyHandled(uint256 roundId);
        error DemoVaultSlippageExceeded(uint256 midAmountOut, uint256 quoted, uint256 minAmountOut);
        error DemoVaultInvalidConfig();
        function rebalance() external returns (Action action);
        function lastHandledRoundId() external view returns (uint256);
        function totalAssets() external view returns (uint256);
        function deposit(uint256 assets, address receiver) external returns (uint256 shares);
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
        let from = signer.address();
        let url = rpc.parse().with_context(|| format!("RPC URL {rpc:?} is not a URL"))?;
        let provider = ProviderBuilder::new().wallet(EthereumWallet::from(signer)).connect_http(url).erased();
        provider.get_chain_id().await.with_context(|| format!("no EVM node answers at {rpc}"))?;
        Ok(Client { provider, from })
    }

    /// Deploys creation code with ABI-encoded constructor arguments; returns the address.
    pub async fn deploy(&self, name: &str, code: &Bytes, args: &[u8]) -> anyhow::Result<Address> {
        let mut data = code.to_vec();
        data.extend_from_slice(args);
        let tx = TransactionRequest::default().with_deploy_code(data);
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
    err.to_string()
}

/// Addresses of a deployed stack: the generated verifier, the oracle with its feed and Chainlink
/// adapter, and the demo vault with its test-double tokens and venue. Written by `veriregime deploy`
/// and the demo; read by `oracle round`, `audit` and the daemon.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Deployment {
    pub chain_id: u64,
    pub verifier: Address,
    pub oracle: Address,
    pub feed_id: B256,
    pub symbol: String,
    pub aggregator: Address,
    pub model_id: B256,
    pub stable: Address,
    pub risk: Address,
    pub venue: Address,
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
    /// Oldest signal (seconds after its decision minute) the vault still acts on.
    pub vault_max_age: u64,
    /// Risk-asset mid price in stable units, 18 decimals.
    pub price_wad: U256,
    /// The venue's fee (stand-in for price impact) and the vault's slippage bound, basis points.
    pub venue_fee_bps: u64,
    pub vault_max_slippage_bps: u64,
    /// Stable tokens deposited into the vault by the deployer, 18 decimals.
    pub vault_stable: U256,
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
    /// freshness, a 10 bps venue fee under a 50 bps slippage bound, 100,000 dUSD in the vault.
    pub fn local(symbol: &str, model_id: B256, binding: Binding, output_scale: u8, price: u64) -> Self {
        let wad = U256::from(10u64).pow(U256::from(18u64));
        StackConfig {
            symbol: symbol.to_string(),
            model_id,
            binding,
            output_scale,
            max_delay: 300,
            vault_max_age: 300,
            price_wad: U256::from(price.max(1)) * wad,
            venue_fee_bps: 10,
            vault_max_slippage_bps: 50,
            vault_stable: U256::from(100_000u64) * wad,
            verifier_build: None,
            committee: Vec::new(),
            threshold: 1,
        }
    }
}

/// Deploys the verifier and the oracle (model registered, feed created, `client.from` allowed to
/// submit), the Chainlink adapter, and the demo market with its ERC-4626 vault, from Foundry's
/// build output under `root/out`.
pub async fn deploy_stack(client: &Client, root: &Path, cfg: &StackConfig) -> anyhow::Result<Deployment> {
    use alloy::sol_types::SolValue;
    let send = |what: &'static str| move |e: alloy::contract::Error| anyhow!("{what}: {}", describe_revert(&e));
    let verifier_root = cfg.verifier_build.as_deref().unwrap_or(root);
    let verifier = client.deploy("Halo2Verifier", &creation_code(verifier_root, "Halo2Verifier.sol", "Halo2Verifier")?, &[]).await?;
    let oracle = client.deploy("SignalOracle", &creation_code(root, "SignalOracle.sol", "SignalOracle")?, &(client.from,).abi_encode_params()).await?;
    let o = ISignalOracle::new(oracle, &client.provider);
    let model = ISignalOracle::Model {
        verifier,
        nInputs: cfg.binding.n_inputs,
        commitmentOffset: cfg.binding.commitment_offset,
        commitmentLength: cfg.binding.commitment_length,
        outputScale: cfg.output_scale,
        outputClass: [ISignalOracle::Signal::Sell, ISignalOracle::Signal::Hold, ISignalOracle::Signal::Buy],
    };
    o.registerModel(cfg.model_id, model).send().await.map_err(send("registerModel"))?.get_receipt().await?;
    let feed = feed_id(&cfg.symbol);
    let description = format!("{} 1m, 60-minute horizon", cfg.symbol.to_uppercase());
    o.createFeed(feed, description.clone(), cfg.model_id, cfg.max_delay).send().await.map_err(send("createFeed"))?.get_receipt().await?;
    let role = o.SUBMITTER_ROLE().call().await?;
    // The committee signs each round's report; its members transmit. Without one given, the
    // deployer alone (1 of 1).
    let committee = if cfg.committee.is_empty() { vec![client.from] } else { cfg.committee.clone() };
    o.setCommittee(feed, committee.clone(), cfg.threshold).send().await.map_err(send("setCommittee"))?.get_receipt().await?;
    let transmitters: std::collections::BTreeSet<Address> = committee.iter().copied().chain([client.from]).collect();
    for member in transmitters {
        o.grantRole(role, member).send().await.map_err(send("grantRole"))?.get_receipt().await?;
    }
    let aggregator = client
        .deploy(
            "SignalAggregator",
            &creation_code(root, "SignalAggregator.sol", "SignalAggregator")?,
            &(oracle, feed, format!("VeriRegime {description} signal (-1 SELL, 0 HOLD, +1 BUY)")).abi_encode_params(),
        )
        .await?;

    let token = creation_code(root, "DemoToken.sol", "DemoToken")?;
    let stable = client.deploy("DemoToken (stable)", &token, &("Demo USD".to_string(), "dUSD".to_string()).abi_encode_params()).await?;
    let risk = client.deploy("DemoToken (risk)", &token, &("Demo BTC".to_string(), "dBTC".to_string()).abi_encode_params()).await?;
    let venue = client
        .deploy(
            "DemoVenue",
            &creation_code(root, "DemoVenue.sol", "DemoVenue")?,
            &(client.from, stable, risk, cfg.price_wad, U256::from(cfg.venue_fee_bps)).abi_encode_params(),
        )
        .await?;
    let vault_cfg = IDemoVault::Config {
        oracle,
        feedId: feed,
        pinnedModelId: B256::ZERO,
        venue,
        maxAge: U256::from(cfg.vault_max_age),
        maxSlippageBps: U256::from(cfg.vault_max_slippage_bps),
    };
    let vault = client
        .deploy(
            "DemoVault",
            &creation_code(root, "DemoVault.sol", "DemoVault")?,
            &(vault_cfg, "VeriRegime demo vault".to_string(), "vrVAULT".to_string()).abi_encode_params(),
        )
        .await?;
    // Liquidity for the venue on both sides, and the deployer's deposit into the vault.
    let wad = U256::from(10u64).pow(U256::from(18u64));
    let ten = U256::from(10u64);
    for (t, to, amount) in [
        (stable, venue, cfg.vault_stable * ten),
        (risk, venue, cfg.vault_stable * ten * wad / cfg.price_wad),
        (stable, client.from, cfg.vault_stable),
    ] {
        IDemoToken::new(t, &client.provider).mint(to, amount).send().await?.get_receipt().await?;
    }
    IDemoToken::new(stable, &client.provider).approve(vault, cfg.vault_stable).send().await?.get_receipt().await?;
    IDemoVault::new(vault, &client.provider)
        .deposit(cfg.vault_stable, client.from)
        .send()
        .await
        .map_err(send("vault deposit"))?
        .get_receipt()
        .await?;
    let chain_id = client.provider.get_chain_id().await?;
    Ok(Deployment {
        chain_id,
        verifier,
        oracle,
        feed_id: feed,
        symbol: cfg.symbol.to_uppercase(),
        aggregator,
        model_id: cfg.model_id,
        stable,
        risk,
        venue,
        vault,
    })
}
