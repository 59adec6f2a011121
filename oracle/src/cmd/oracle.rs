use crate::chain::{Client, Deployment};
use crate::data::{fmt_minute, Archive};
use crate::features::{CLASS_NAMES, LOOKBACK};
use crate::prover::{project_root, Ezkl};
use crate::round::{secs, submit, Signaler, Target};
use anyhow::Context;
use clap::{Args, Subcommand};
use std::path::PathBuf;
use std::time::Instant;

#[derive(Debug, Subcommand)]
pub enum OracleCmd {
    /// One round: the latest window of an archive -> tract -> EZKL proof -> check -> submit -> receipt.
    ///
    /// The signing key comes from VERIREGIME_PRIVATE_KEY (hex); it is never printed.
    /// Example: veriregime oracle round --data ../shared/data/binance-vision --rpc http://127.0.0.1:8545 --deployments deployments/anvil.json
    Round(RoundArgs),
}

impl OracleCmd {
    pub fn run(self) -> anyhow::Result<()> {
        let rt = tokio::runtime::Runtime::new()?;
        match self {
            OracleCmd::Round(a) => rt.block_on(a.run()),
        }
    }
}

#[derive(Debug, Args)]
pub struct RoundArgs {
    /// Archive root in Binance Vision's layout; its last minute is the decision minute.
    #[arg(long)]
    pub data: PathBuf,
    #[arg(long, default_value = "BTCUSDT")]
    pub symbol: String,
    #[arg(long, env = "VERIREGIME_RPC_URL")]
    pub rpc: String,
    /// Deployments file naming the oracle and its feed (written by `veriregime deploy` or the demo).
    #[arg(long)]
    pub deployments: PathBuf,
    #[arg(long, default_value = "models/student")]
    pub model: PathBuf,
    #[arg(long, default_value = "circuits/student")]
    pub circuit: PathBuf,
    /// Print one JSON line instead of text.
    #[arg(long)]
    pub json: bool,
}

impl RoundArgs {
    pub async fn run(self) -> anyhow::Result<()> {
        let key = std::env::var("VERIREGIME_PRIVATE_KEY").context("set VERIREGIME_PRIVATE_KEY to the operator's hex private key")?;
        let t = Instant::now();
        let archive = Archive::new(&self.data, &self.symbol);
        let (_, last) = archive.available_days()?.with_context(|| format!("no {} archives under {}", self.symbol, self.data.display()))?;
        let end = crate::data::parse_day(&last.to_string())? + 86_400_000;
        let series = archive.load(end - 2 * 86_400_000, end)?;
        let seg = series.segments().pop().context("no candles")?;
        anyhow::ensure!(seg.len() >= LOOKBACK, "the latest contiguous run has {} candles; a window needs {LOOKBACK}", seg.len());
        let candles = &series.candles[seg];
        let load_s = secs(t);

        let signaler = Signaler::load(&self.model, &self.circuit, Ezkl::new(&project_root()))?;
        let dep = Deployment::load(&self.deployments)?;
        anyhow::ensure!(dep.symbol == self.symbol.to_uppercase(), "{} deploys the {} feed, not {}", self.deployments.display(), dep.symbol, self.symbol);
        let t = Instant::now();
        let inf = signaler.infer(candles)?;
        let infer_s = secs(t);
        let work = tempfile::tempdir()?;
        let t = Instant::now();
        let pb = crate::round::spinner(format!("proving {} UTC with EZKL", fmt_minute(inf.decision_minute)));
        let proven = signaler.prove(&inf, work.path()).await;
        pb.finish_and_clear();
        let proven = proven?;
        let prove_s = secs(t);
        let client = Client::connect(&self.rpc, &key).await?;
        let t = Instant::now();
        let sub = submit(&client, Target::of(&dep, signaler.model_id), inf.decision_minute, &proven).await?;
        let submit_s = secs(t);
        let out = serde_json::json!({
            "decision_minute": fmt_minute(inf.decision_minute), "signal": CLASS_NAMES[inf.signal as usize],
            "logits": inf.logits, "proof_outputs": proven.outputs, "tx": sub.tx, "gas": sub.gas, "round_id": sub.round_id,
            "stages_s": {"load": load_s, "infer": infer_s, "prove": prove_s, "submit": submit_s},
        });
        if self.json {
            println!("{out}");
        } else {
            println!(
                "{} UTC -> {} (round {}, tx {}, gas {})\nstages: load {load_s:.2} s, infer {infer_s:.3} s, prove {prove_s:.1} s, submit+receipt {submit_s:.2} s",
                fmt_minute(inf.decision_minute),
                CLASS_NAMES[inf.signal as usize],
                sub.round_id,
                sub.tx,
                sub.gas
            );
        }
        Ok(())
    }
}
