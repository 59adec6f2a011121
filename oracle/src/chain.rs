//! The EVM side, with alloy: contract bindings, deployment from Foundry's build output, and
//! submission of proven signals.

use alloy::network::{EthereumWallet, TransactionBuilder};
use alloy::primitives::{Address, Bytes, B256, U256};
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use alloy::rpc::types::TransactionRequest;
use alloy::signers::local::PrivateKeySigner;
use alloy::sol;
use anyhow::{anyhow, Context};
use std::path::Path;

sol! {
    /// The signal oracle (contracts/SignalOracle.sol), the functions and errors the client uses.
    #[sol(rpc)]
    #[derive(Debug)]
    interface ISignalOracle {
        enum Signal { Sell, Hold, Buy }
        struct Round {
            Signal signal;
            uint64 decisionMinute;
            uint64 submittedAt;
            address submitter;
            int256[3] logits;
            bytes32 inputHash;
        }
        event SignalSubmitted(uint256 indexed roundId, uint64 indexed decisionMinute, Signal signal, int256[3] logits, bytes32 inputHash, address indexed submitter);
        error SignalOracleInvalidVerifier(address verifier);
        error SignalOracleInvalidInputCount(uint256 nInputs);
        error SignalOracleUnauthorizedSubmitter(address account);
        error SignalOracleInstanceCountMismatch(uint256 expected, uint256 actual);
        error SignalOracleUnalignedMinute(uint64 decisionMinute);
        error SignalOracleMinuteInFuture(uint64 decisionMinute, uint256 blockTimestamp);
        error SignalOracleRoundNotAfterLatest(uint64 decisionMinute, uint64 latestDecisionMinute);
        error SignalOracleProofRejected(address verifier);
        error SignalOracleUnknownRound(uint256 roundId);
        error FieldDecodeNotInField(uint256 value);
        error FieldDecodeOutOfRange(uint256 value);
        function setSubmitter(address account, bool allowed) external;
        function submit(uint64 decisionMinute, bytes calldata proof, uint256[] calldata instances) external returns (uint256 roundId);
        function latestRoundId() external view returns (uint256);
        function latestSignal() external view returns (Signal signal, uint64 decisionMinute, uint256 roundId);
        function getRound(uint256 roundId) external view returns (Round memory);
        function nInputs() external view returns (uint256);
        function outputScale() external view returns (uint8);
        function modelId() external view returns (bytes32);
    }
}

sol! {
    /// The demo vault (contracts/DemoVault.sol) and its test-double tokens.
    #[sol(rpc)]
    #[derive(Debug)]
    interface IDemoVault {
        enum Action { None, BuyRisk, SellRisk }
        event Rebalanced(uint256 indexed roundId, uint64 decisionMinute, uint8 signal, Action action, uint256 amountIn, uint256 amountOut);
        error DemoVaultNoSignal();
        error DemoVaultStaleSignal(uint256 roundId, uint64 decisionMinute, uint256 age, uint256 maxAge);
        error DemoVaultRoundAlreadyHandled(uint256 roundId);
        error DemoVaultInvalidConfig();
        function rebalance() external returns (Action action);
        function lastHandledRoundId() external view returns (uint256);
    }

    #[sol(rpc)]
    interface IDemoToken {
        function mint(address to, uint256 amount) external;
        function balanceOf(address account) external view returns (uint256);
    }
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

/// Parses an instance given as decimal or 0x-hex into a field element word.
pub fn parse_word(s: &str) -> anyhow::Result<U256> {
    let s = s.trim();
    let v = if let Some(h) = s.strip_prefix("0x") { U256::from_str_radix(h, 16) } else { U256::from_str_radix(s, 10) };
    v.map_err(|e| anyhow!("instance {s:?} is not a number: {e}"))
}

/// keccak256 of the input instances as 32-byte words, concatenated (what the oracle stores).
pub fn input_hash(inputs: &[U256]) -> B256 {
    let mut buf = Vec::with_capacity(inputs.len() * 32);
    for w in inputs {
        buf.extend_from_slice(&w.to_be_bytes::<32>());
    }
    alloy::primitives::keccak256(buf)
}

/// Decodes an oracle revert into its custom error's name and values, when it is one.
pub fn describe_revert(err: &alloy::contract::Error) -> String {
    if let Some(e) = err.as_decoded_interface_error::<ISignalOracle::ISignalOracleErrors>() {
        return format!("{e:?}");
    }
    err.to_string()
}

/// Addresses of a deployed stack: the generated verifier, the oracle and the demo vault with its
/// test-double tokens and venue.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Deployment {
    pub chain_id: u64,
    pub verifier: Address,
    pub oracle: Address,
    pub stable: Address,
    pub risk: Address,
    pub venue: Address,
    pub vault: Address,
    pub model_id: B256,
}

impl Deployment {
    /// Writes the deployments file (temporary name, then rename).
    pub fn save(&self, path: &Path) -> anyhow::Result<()> {
        if let Some(d) = path.parent() {
            std::fs::create_dir_all(d)?;
        }
        let tmp = path.with_extension("json.tmp");
        std::fs::write(&tmp, serde_json::to_string_pretty(self)? + "\n")?;
        std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))
    }

    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path).with_context(|| format!("cannot read deployments file {}", path.display()))?;
        serde_json::from_str(&text).with_context(|| format!("{} is not a deployments file", path.display()))
    }
}

/// Settings of a fresh deployment.
#[derive(Debug, Clone)]
pub struct StackConfig {
    pub model_id: B256,
    pub n_inputs: u64,
    pub output_scale: u8,
    /// Oldest signal (seconds after its decision minute) the vault still acts on.
    pub vault_max_age: u64,
    /// Risk-asset price in stable units (the venue's fixed price), 18 decimals.
    pub price_wad: U256,
    /// Stable tokens the vault starts with, 18 decimals.
    pub vault_stable: U256,
}

/// Deploys the verifier, the oracle (allowing `client.from` to submit) and the demo vault, from
/// Foundry's build output under `root/out`.
pub async fn deploy_stack(client: &Client, root: &Path, cfg: &StackConfig) -> anyhow::Result<Deployment> {
    use alloy::sol_types::SolValue;
    let verifier = client.deploy("Halo2Verifier", &creation_code(root, "Halo2Verifier.sol", "Halo2Verifier")?, &[]).await?;
    let oracle = client
        .deploy(
            "SignalOracle",
            &creation_code(root, "SignalOracle.sol", "SignalOracle")?,
            &(client.from, verifier, cfg.model_id, U256::from(cfg.n_inputs), U256::from(cfg.output_scale)).abi_encode_params(),
        )
        .await?;
    let token = creation_code(root, "DemoToken.sol", "DemoToken")?;
    let stable = client.deploy("DemoToken (stable)", &token, &("Demo USD".to_string(), "dUSD".to_string()).abi_encode_params()).await?;
    let risk = client.deploy("DemoToken (risk)", &token, &("Demo BTC".to_string(), "dBTC".to_string()).abi_encode_params()).await?;
    let venue = client
        .deploy("FixedPriceVenue", &creation_code(root, "FixedPriceVenue.sol", "FixedPriceVenue")?, &(stable, risk, cfg.price_wad).abi_encode_params())
        .await?;
    let vault = client
        .deploy(
            "DemoVault",
            &creation_code(root, "DemoVault.sol", "DemoVault")?,
            &(oracle, venue, stable, risk, U256::from(cfg.vault_max_age)).abi_encode_params(),
        )
        .await?;
    let o = ISignalOracle::new(oracle, &client.provider);
    o.setSubmitter(client.from, true).send().await?.get_receipt().await?;
    // Liquidity for the venue on both sides, and the vault's starting capital.
    let wad = U256::from(10u64).pow(U256::from(18u64));
    for (t, to, amount) in [
        (stable, venue, cfg.vault_stable * U256::from(10u64)),
        (risk, venue, cfg.vault_stable * U256::from(10u64) * wad / cfg.price_wad),
        (stable, vault, cfg.vault_stable),
    ] {
        IDemoToken::new(t, &client.provider).mint(to, amount).send().await?.get_receipt().await?;
    }
    let chain_id = client.provider.get_chain_id().await?;
    Ok(Deployment { chain_id, verifier, oracle, stable, risk, venue, vault, model_id: cfg.model_id })
}
