use clap::Args;
use std::path::PathBuf;
use veriregime_node::demo::DemoOptions;

/// Start anvil, deploy the verifier, oracle and demo vault, run proven rounds, and show the vault
/// acting on them. Rounds replay past decision minutes: each block is stamped one minute after
/// its candle closed, as a live node would submit it.
///
/// Example: veriregime demo --data ../shared/data/binance-vision --rounds 3
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Archive root with real candles; without it the embedded synthetic fixture is used.
    #[arg(long)]
    pub data: Option<PathBuf>,
    #[arg(long, default_value = "BTCUSDT")]
    pub symbol: String,
    #[arg(long, default_value_t = 3)]
    pub rounds: usize,
    /// Minutes between decision minutes.
    #[arg(long, default_value_t = 60)]
    pub every: usize,
    #[arg(long, default_value = "models/student")]
    pub model: PathBuf,
    #[arg(long, default_value = "circuits/student")]
    pub circuit: PathBuf,
    /// The vault's trading rule: a policy file (`models/policy.json`, the one adopted for the
    /// shipped student), `vault` (every BUY buys, every SELL sells) or `margin=M,persist=P`.
    #[arg(long, default_value = "models/policy.json")]
    pub policy: String,
    /// Where the deployment's addresses are written.
    #[arg(long, default_value = "target/demo/deployments.json")]
    pub deployments: PathBuf,
    /// End with one JSON line: {"rounds": [{"signal", "tx", "gas", "gas_breakdown", "prove_s", "verified"}, ...], ...}.
    #[arg(long)]
    pub json: bool,
}

impl DemoArgs {
    pub fn run(self) -> anyhow::Result<()> {
        let (card, _) = veriregime_core::model::ModelCard::load(&self.model)?;
        let policy = veriregime_core::policy::resolve_for(&self.policy, &card.onnx_sha256)?;
        let opts = DemoOptions {
            data: self.data,
            symbol: self.symbol,
            rounds: self.rounds,
            every: self.every,
            model: self.model,
            circuit: self.circuit,
            deployments: self.deployments,
            policy,
        };
        let report = tokio::runtime::Runtime::new()?.block_on(opts.run())?;
        if self.json {
            println!("{}", serde_json::to_string(&report)?);
        }
        Ok(())
    }
}
