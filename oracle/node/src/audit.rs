//! `audit`: a published round checked against public data, with no key: its window recomputed
//! from the archive's candles, the input binding the circuit implies recomputed and compared with
//! the one the oracle stored, and the model rerun.

use alloy::primitives::U256;
use alloy::providers::{Provider, ProviderBuilder};
use anyhow::Context;
use std::path::PathBuf;
use veriregime_chain::{describe_revert, Deployment, ISignalOracle};
use veriregime_core::data::{fmt_minute, Archive};
use veriregime_core::features::CLASS_NAMES;
use veriregime_zk::prover::{project_root, Ezkl};
use veriregime_zk::signaler::{expected_binding, Signaler};

/// Which round to audit, against which data.
#[derive(Debug, Clone)]
pub struct AuditJob {
    pub rpc: String,
    /// Deployments file naming the oracle and its feed.
    pub deployments: PathBuf,
    pub round: u64,
    /// Archive root holding the candles up to the round's decision minute.
    pub data: PathBuf,
    pub symbol: String,
    pub model: PathBuf,
    pub circuit: PathBuf,
}

impl AuditJob {
    /// The audit's findings (`inputs_match` says whether the chain's input binding is the public
    /// candles' window); an error when the round, the model or the candles cannot be had.
    pub async fn run(&self) -> anyhow::Result<serde_json::Value> {
        let url = self.rpc.parse().with_context(|| format!("RPC URL {:?} is not a URL", self.rpc))?;
        let provider = ProviderBuilder::new().connect_http(url);
        provider.get_chain_id().await.with_context(|| format!("no EVM node answers at {}", self.rpc))?;
        let dep = Deployment::load(&self.deployments)?;
        let oracle = ISignalOracle::new(dep.oracle, &provider);
        let round = oracle
            .getRound(dep.feed_id, U256::from(self.round))
            .call()
            .await
            .map_err(|e| anyhow::anyhow!("getRound({}): {}", self.round, describe_revert(&e)))?;
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
        Ok(serde_json::json!({
            "round": self.round, "decision_minute": fmt_minute(minute_ms), "submitter": round.submitter,
                "binding": signaler.manifest.input_visibility, "input_binding_onchain": round.inputBinding, "input_binding_recomputed": recomputed, "inputs_match": matches,
                "signal_onchain": CLASS_NAMES[onchain_signal as usize], "signal_recomputed": CLASS_NAMES[inf.signal as usize],
                "logits_onchain": round.logits.iter().map(|l| l.to_string()).collect::<Vec<_>>(), "logits_recomputed": inf.logits,
            }))
    }
}
