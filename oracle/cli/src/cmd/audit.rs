use clap::Args;
use veriregime_node::audit::AuditJob;
use std::path::PathBuf;

/// Audit a published round from public data: recompute its window from the archive's candles,
/// recompute the input binding the circuit implies (the KZG commitment to the quantized window, or
/// the window itself when inputs are public) and compare it with the one the oracle stored; rerun
/// the model. Needs no key. Exits non-zero when the inputs do not match.
///
/// Example: veriregime audit --deployments target/demo/deployments.json --round 1 --data ../shared/data/binance-vision
#[derive(Debug, Args)]
pub struct AuditArgs {
    #[arg(long, env = "VERIREGIME_RPC_URL")]
    pub rpc: String,
    /// Deployments file naming the oracle and its feed.
    #[arg(long)]
    pub deployments: PathBuf,
    #[arg(long)]
    pub round: u64,
    /// Archive root holding the candles up to the round's decision minute.
    #[arg(long)]
    pub data: PathBuf,
    #[arg(long, default_value = "BTCUSDT")]
    pub symbol: String,
    #[arg(long, default_value = "models/student")]
    pub model: PathBuf,
    #[arg(long, default_value = "circuits/student")]
    pub circuit: PathBuf,
}

impl AuditArgs {
    pub fn run(self) -> anyhow::Result<()> {
        let job = AuditJob {
            rpc: self.rpc,
            deployments: self.deployments,
            round: self.round,
            data: self.data,
            symbol: self.symbol,
            model: self.model,
            circuit: self.circuit,
        };
        let report = tokio::runtime::Runtime::new()?.block_on(job.run())?;
        println!("{report}");
        anyhow::ensure!(report["inputs_match"] == true, "round {}: the inputs on chain are NOT the window of the public candles", job.round);
        anyhow::ensure!(
            report["signatures_match"] == true,
            "round {}: the committee members the chain accepted ({}) did not all sign the public candles' window ({})",
            job.round,
            report["signers"],
            report["signers_of_recomputed_binding"]
        );
        Ok(())
    }
}
