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
    /// The daemon: a proven round per decision minute of every configured feed, for months.
    ///
    /// Config: a TOML file (see `veriregime::daemon::config`), overridden by
    /// VERIREGIME_<SECTION>__<KEY> variables. Key: VERIREGIME_PRIVATE_KEY or `chain.keystore`.
    /// Stops cleanly on SIGTERM/SIGINT. Example: veriregime oracle run --config oracle.toml
    Run(RunArgs),
    /// Recent rounds from the daemon's database: stage, signal, transaction, stage timings, and
    /// the reason of every skipped round. Example: veriregime oracle status --config oracle.toml
    Status(StatusArgs),
}

impl OracleCmd {
    pub fn run(self) -> anyhow::Result<()> {
        let rt = tokio::runtime::Runtime::new()?;
        match self {
            OracleCmd::Round(a) => rt.block_on(a.run()),
            OracleCmd::Run(a) => rt.block_on(a.run()),
            OracleCmd::Status(a) => a.run(),
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

#[derive(Debug, Args)]
pub struct RunArgs {
    #[arg(long, env = "VERIREGIME_CONFIG")]
    pub config: PathBuf,
}

impl RunArgs {
    pub async fn run(self) -> anyhow::Result<()> {
        use crate::daemon::{config::Config, shutdown_signal, Daemon};
        let cfg = Config::load(&self.config)?;
        let mut shutdown = shutdown_signal()?;
        let mut daemon = Daemon::new(cfg).await?;
        daemon.recover(&mut shutdown).await?;
        daemon.run(shutdown).await
    }
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    #[arg(long, env = "VERIREGIME_CONFIG")]
    pub config: PathBuf,
    /// How many recent rounds to list.
    #[arg(long, default_value_t = 20)]
    pub last: usize,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

impl StatusArgs {
    pub fn run(self) -> anyhow::Result<()> {
        use crate::daemon::{config::Config, store::Store};
        let cfg = Config::load(&self.config)?;
        let store = Store::open_read_only(&cfg.daemon.db)?;
        let recent = store.recent(self.last)?;
        let counts = store.counts()?;
        let mut all = Vec::new();
        for f in &cfg.feeds {
            all.extend(store.all(&f.symbol.to_uppercase())?);
        }
        let confirmed: Vec<_> = all.iter().filter(|r| r.stage == crate::daemon::store::Stage::Confirmed).collect();
        let mut latency = serde_json::Map::new();
        for stage in ["after_close", "fetch", "infer", "prove", "submit", "confirm", "total"] {
            let mut v: Vec<f64> = confirmed.iter().filter_map(|r| r.timings().get(stage).copied()).collect();
            if v.is_empty() {
                continue;
            }
            v.sort_by(f64::total_cmp);
            let q = |p: f64| v[((v.len() - 1) as f64 * p).round() as usize];
            latency.insert(stage.into(), serde_json::json!({"n": v.len(), "p50": q(0.5), "p95": q(0.95), "max": v[v.len() - 1]}));
        }
        if self.json {
            let rounds: Vec<_> = recent
                .iter()
                .map(|r| {
                    let mut v = serde_json::to_value(r).unwrap_or_default();
                    v["minute_utc"] = fmt_minute(r.minute).into();
                    v["timings"] = serde_json::to_value(r.timings()).unwrap_or_default();
                    v["txs"] = serde_json::to_value(r.tx_hashes()).unwrap_or_default();
                    v
                })
                .collect();
            println!("{}", serde_json::json!({"counts": counts, "latency_s": latency, "rounds": rounds}));
            return Ok(());
        }
        println!("{:<17} {:<8} {:<9} {:<5} {:>6} {:>7} {:>7}  {}", "minute (UTC)", "feed", "stage", "sig", "round", "prove s", "total s", "tx / reason");
        for r in &recent {
            let t = r.timings();
            let sig = r.signal.map(|s| CLASS_NAMES[s as usize]).unwrap_or("-");
            let what = match (&r.reason, r.tx_hashes().last()) {
                (Some(reason), _) => reason.clone(),
                (None, Some(h)) => h.clone(),
                _ => String::new(),
            };
            let f = |k: &str| t.get(k).map(|v| format!("{v:.2}")).unwrap_or_else(|| "-".into());
            let round = r.round_id.map(|x| x.to_string()).unwrap_or_else(|| "-".into());
            println!("{:<17} {:<8} {:<9} {:<5} {:>6} {:>7} {:>7}  {}", fmt_minute(r.minute), r.feed, r.stage.as_str(), sig, round, f("prove"), f("total"), what);
        }
        println!("\nrounds: {}", counts.iter().map(|(k, v)| format!("{k} {v}")).collect::<Vec<_>>().join(", "));
        for (stage, v) in &latency {
            println!("{stage:>8}: p50 {:.2} s, p95 {:.2} s, max {:.2} s over {} confirmed rounds", v["p50"].as_f64().unwrap_or(0.0), v["p95"].as_f64().unwrap_or(0.0), v["max"].as_f64().unwrap_or(0.0), v["n"]);
        }
        Ok(())
    }
}
