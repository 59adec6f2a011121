use veriregime_chain::{deploy_stack, Client, StackConfig};
use veriregime_zk::prover::{project_root, Ezkl};
use veriregime_zk::signaler::Signaler;
use alloy::primitives::Address;
use anyhow::Context;
use clap::Args;
use std::path::PathBuf;

/// Deploy the verifier, governance (a timelock the governor proposes through), the oracle with the
/// timelock as its admin (model registered, feed created, the signer the committee of one and its
/// transmitter), the Chainlink adapter and the demo market (test tokens on a Uniswap v2 pair, its
/// average price) with its ERC-4626 vault, from Foundry's and Uniswap's build output; write their
/// addresses to a deployments file that `oracle round`, `audit` and the demo read. The signer keeps
/// no admin or owner role.
///
/// The signing key comes from VERIREGIME_PRIVATE_KEY (hex); it is never printed. The demo market
/// uses mintable TEST tokens: deploy it to local and test chains only.
/// Example: veriregime deploy --rpc http://127.0.0.1:8545 --governor 0x70997970C51812dc3A010C7d01b50e0d17dc79C8 --out deployments/anvil.json
#[derive(Debug, Args)]
pub struct DeployArgs {
    #[arg(long, env = "VERIREGIME_RPC_URL")]
    pub rpc: String,
    #[arg(long, default_value = "BTCUSDT")]
    pub symbol: String,
    #[arg(long, default_value = "models/student")]
    pub model: PathBuf,
    #[arg(long, default_value = "circuits/student")]
    pub circuit: PathBuf,
    /// For a circuit other than the shipped one: the Foundry build root of its
    /// Halo2Verifier.sol (`veriregime bench` writes one to <circuit>/forge).
    #[arg(long)]
    pub verifier_build: Option<PathBuf>,
    /// Opening price of the demo pair, in dUSD per dBTC.
    #[arg(long, default_value_t = 70_000)]
    pub price: u64,
    /// The governor: proposes (and may cancel) every change of models, feeds, committees and the
    /// vault's pin through the timelock. Another account than the signer's.
    #[arg(long)]
    pub governor: Address,
    /// A guardian that may also cancel scheduled changes.
    #[arg(long)]
    pub guardian: Option<Address>,
    /// The timelock's delay, seconds.
    #[arg(long, default_value_t = 86_400)]
    pub timelock_delay: u64,
    /// Latest accepted submission, seconds after the decision candle closed.
    #[arg(long, default_value_t = 300)]
    pub max_delay: u32,
    /// The feed's heartbeat, seconds (whole minutes): 60 transmits every decision minute, as the
    /// vault's run rule (`persist` rounds in a row) needs; more transmits a round only when the
    /// signal changes or the heartbeat is due (`veriregime publishing` replays the cost).
    #[arg(long, default_value_t = 60)]
    pub heartbeat: u32,
    /// The vault's trading rule: a policy file (`models/policy.json`, adopted for the shipped
    /// student), `vault` (every BUY buys, every SELL sells) or `margin=M,persist=P`.
    #[arg(long, default_value = "models/policy.json")]
    pub policy: String,
    #[arg(long, default_value = "deployments/anvil.json")]
    pub out: PathBuf,
}

impl DeployArgs {
    pub fn run(self) -> anyhow::Result<()> {
        tokio::runtime::Runtime::new()?.block_on(async {
            let key = std::env::var("VERIREGIME_PRIVATE_KEY").context("set VERIREGIME_PRIVATE_KEY to the deployer's hex private key")?;
            let signaler = Signaler::load(&self.model, &self.circuit, Ezkl::new(&project_root()))?;
            let client = Client::connect(&self.rpc, &key).await?;
            let mut cfg = StackConfig::local(&self.symbol, signaler.model_id, signaler.manifest.binding, signaler.manifest.output_scale as u8, self.price);
            cfg.max_delay = self.max_delay;
            cfg.heartbeat = self.heartbeat;
            cfg.vault_policy = veriregime_core::policy::resolve_for(&self.policy, &signaler.card.onnx_sha256)?;
            anyhow::ensure!(self.governor != client.from, "--governor must be another account than the deployer's (it would be admin and transmitter at once)");
            cfg.governor = Some(self.governor);
            cfg.guardian = self.guardian;
            cfg.timelock_delay = self.timelock_delay;
            cfg.verifier_build = self.verifier_build.clone();
            let dep = deploy_stack(&client, &project_root(), &cfg).await?;
            dep.save(&self.out)?;
            eprintln!("deployed on chain {}: oracle {} (feed {}), vault {}; addresses in {}", dep.chain_id, dep.oracle, dep.symbol, dep.vault, self.out.display());
            println!("{}", serde_json::to_string(&dep)?);
            Ok(())
        })
    }
}
