//! `oracle round`: one proven round from an archive's latest window, without the daemon.

use alloy::primitives::B256;
use anyhow::Context;
use serde::Serialize;
use std::path::PathBuf;
use std::time::Instant;
use veriregime_chain::{submit, Client, Deployment, Target};
use veriregime_core::data::{fmt_minute, Archive};
use veriregime_core::features::{CLASS_NAMES, LOOKBACK};
use veriregime_core::progress::{secs, spinner};
use veriregime_zk::prover::{project_root, Ezkl};
use veriregime_zk::Signaler;

/// What one round reads and where it goes.
#[derive(Debug, Clone)]
pub struct RoundJob {
    /// Archive root in Binance Vision's layout; its last minute is the decision minute.
    pub data: PathBuf,
    pub symbol: String,
    pub rpc: String,
    /// Deployments file naming the oracle and its feed.
    pub deployments: PathBuf,
    pub model: PathBuf,
    pub circuit: PathBuf,
}

/// Seconds per stage of one round.
#[derive(Debug, Clone, Serialize)]
pub struct StageTimes {
    pub load: f64,
    pub infer: f64,
    pub prove: f64,
    pub submit: f64,
}

/// A submitted round (the JSON `oracle round --json` prints).
#[derive(Debug, Clone, Serialize)]
pub struct RoundReport {
    pub decision_minute: String,
    pub signal: &'static str,
    pub logits: [f32; 3],
    pub proof_outputs: [f64; 3],
    pub tx: B256,
    pub gas: u64,
    pub round_id: u64,
    pub stages_s: StageTimes,
}

/// One proven round from an archive's latest window, submitted with the operator's `key`:
/// the report `oracle round` prints.
pub async fn round_from_archive(job: &RoundJob, key: &str) -> anyhow::Result<RoundReport> {
    let t = Instant::now();
    let archive = Archive::new(&job.data, &job.symbol);
    let (_, last) = archive.available_days()?.with_context(|| format!("no {} archives under {}", job.symbol, job.data.display()))?;
    let end = veriregime_core::data::parse_day(&last.to_string())? + 86_400_000;
    let series = archive.load(end - 2 * 86_400_000, end)?;
    let seg = series.segments().pop().context("no candles")?;
    anyhow::ensure!(seg.len() >= LOOKBACK, "the latest contiguous run has {} candles; a window needs {LOOKBACK}", seg.len());
    let candles = &series.candles[seg];
    let load_s = secs(t);

    let signaler = Signaler::load(&job.model, &job.circuit, Ezkl::new(&project_root()))?;
    let dep = Deployment::load(&job.deployments)?;
    anyhow::ensure!(dep.symbol == job.symbol.to_uppercase(), "{} deploys the {} feed, not {}", job.deployments.display(), dep.symbol, job.symbol);
    let t = Instant::now();
    let inf = signaler.infer(candles)?;
    let infer_s = secs(t);
    let work = tempfile::tempdir()?;
    let t = Instant::now();
    let pb = spinner(format!("proving {} UTC with EZKL", fmt_minute(inf.decision_minute)));
    let proven = signaler.prove(&inf, work.path()).await;
    pb.finish_and_clear();
    let proven = proven?;
    let prove_s = secs(t);
    let client = Client::connect(&job.rpc, key).await?;
    let t = Instant::now();
    let signer: alloy::signers::local::PrivateKeySigner = key.trim().parse().context("the private key is not a valid hex secp256k1 key")?;
    let minute_s = (inf.decision_minute / 1000) as u64;
    let signatures = crate::committee::own_signatures(&client.provider, dep.oracle, dep.feed_id, signaler.model_id, minute_s, proven.binding, &signer)
        .await
        .context("`oracle round` signs alone; a committee with more members needs the daemons (`oracle run`)")?;
    let sub = submit(&client, Target::of(&dep, signaler.model_id), inf.decision_minute, &proven, &signatures).await?;
    let submit_s = secs(t);
    Ok(RoundReport {
        decision_minute: fmt_minute(inf.decision_minute),
        signal: CLASS_NAMES[inf.signal as usize],
        logits: inf.logits,
        proof_outputs: proven.outputs,
        tx: sub.tx,
        gas: sub.gas,
        round_id: sub.round_id,
        stages_s: StageTimes { load: load_s, infer: infer_s, prove: prove_s, submit: submit_s },
    })
}
