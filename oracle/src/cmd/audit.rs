use crate::chain::{Deployment, ISignalOracle};
use crate::data::{fmt_minute, Archive};
use crate::features::CLASS_NAMES;
use crate::prover::{project_root, Ezkl};
use crate::round::{expected_binding, Signaler};
use alloy::primitives::U256;
use alloy::providers::{Provider, ProviderBuilder};
use anyhow::Context;
use clap::Args;
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
        tokio::runtime::Runtime::new()?.block_on(self.run_async())
    }

    async fn run_async(self) -> anyhow::Result<()> {
        let url = self.rpc.parse().with_context(|| format!("RPC URL {:?} is not a URL", self.rpc))?;
        let provider = ProviderBuilder::new().connect_http(url);
        provider.get_chain_id().await.with_context(|| format!("no EVM node answers at {}", self.rpc))?;
        let dep = Deployment::load(&self.deployments)?;
        let oracle = ISignalOracle::new(dep.oracle, &provider);
        let round = oracle
            .getRound(dep.feed_id, U256::from(self.round))
            .call()
            .await
            .map_err(|e| anyhow::anyhow!("getRound({}): {}", self.round, crate::chain::describe_revert(&e)))?;
        let signaler = Signaler::load(&self.model, &self.circuit, Ezkl::new(&project_root()))?;
        anyhow::ensure!(
            round.modelId == signaler.model_id,
            "round {} was proven with model {}, {} is {}",
            self.round,
            round.modelId,
            self.model.display(),
            signaler.model_id
        );

        let minute_ms = round.decisionMinute as i64 * 1000;
        let series = Archive::new(&self.data, &self.symbol).load(minute_ms - 86_400_000, minute_ms + 60_000)?;
        anyhow::ensure!(
            series.candles.last().map(|c| c.open_time) == Some(minute_ms),
            "the archive has no candle for the decision minute {} UTC",
            fmt_minute(minute_ms)
        );
        let inf = signaler.infer(&series.candles)?;
        let work = tempfile::tempdir()?;
        let recomputed = expected_binding(&signaler, &inf.input, work.path()).await?;
        let matches = recomputed == round.inputBinding;
        let onchain_signal = round.signal as u8;
        println!(
            "{}",
            serde_json::json!({
                "round": self.round, "decision_minute": fmt_minute(minute_ms), "submitter": round.submitter,
                "binding": signaler.manifest.input_visibility, "input_binding_onchain": round.inputBinding, "input_binding_recomputed": recomputed, "inputs_match": matches,
                "signal_onchain": CLASS_NAMES[onchain_signal as usize], "signal_recomputed": CLASS_NAMES[inf.signal as usize],
                "logits_onchain": round.logits.iter().map(|l| l.to_string()).collect::<Vec<_>>(), "logits_recomputed": inf.logits,
            })
        );
        anyhow::ensure!(matches, "round {}: the inputs on chain are NOT the window of the public candles", self.round);
        Ok(())
    }
}
