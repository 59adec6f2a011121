use anyhow::Context;
use clap::{Args, Subcommand};
use std::path::PathBuf;
use veriregime_core::data::fmt_minute;
use veriregime_core::features::CLASS_NAMES;
use veriregime_node::daemon::config::Config;
use veriregime_node::daemon::status::Status;
use veriregime_node::round::{round_from_archive, RoundJob};

#[derive(Debug, Subcommand)]
pub enum OracleCmd {
    /// One round: the latest window of an archive -> tract -> EZKL proof -> check -> submit -> receipt.
    ///
    /// The signing key comes from VERIREGIME_PRIVATE_KEY (hex); it is never printed.
    /// Example: veriregime oracle round --data ../shared/data/binance-vision --rpc http://127.0.0.1:8545 --deployments deployments/anvil.json
    Round(RoundArgs),
    /// The daemon: a proven round per decision minute of every configured feed, for months.
    ///
    /// Config: a TOML file; oracle/oracle.example.toml lists every setting with its default and
    /// what it does (relative paths are taken from the file's folder), and
    /// VERIREGIME_<SECTION>__<KEY> variables override it. Key: VERIREGIME_PRIVATE_KEY or
    /// `chain.keystore`. Run `veriregime oracle check` first. Stops cleanly on SIGTERM/SIGINT.
    /// Example: veriregime oracle run --config oracle.toml
    Run(RunArgs),
    /// Checks what the daemon needs without starting it: config paths, key, model and circuit,
    /// deployments, chain and oracle, submitter role, balance, each feed's model and committee,
    /// the exchange and its clock. Exit 1 when any check fails, each failure saying the fix.
    /// Example: veriregime oracle check --config oracle.toml
    Check(CheckArgs),
    /// Recent rounds from the daemon's database: stage, signal, transaction, stage timings, and
    /// the reason of every skipped round. Example: veriregime oracle status --config oracle.toml
    Status(StatusArgs),
    /// The operator's key: make an encrypted keystore, show its address.
    #[command(subcommand)]
    Key(super::oracle_key::KeyCmd),
    /// The oracle's administration through its timelock: show roles and committee; schedule
    /// granting or revoking the submitter role or a new committee (signed by the governor), then
    /// execute it after the delay.
    #[command(subcommand)]
    Admin(super::oracle_admin::AdminCmd),
}

impl OracleCmd {
    pub fn run(self) -> anyhow::Result<()> {
        let rt = tokio::runtime::Runtime::new()?;
        match self {
            OracleCmd::Round(a) => rt.block_on(a.run()),
            OracleCmd::Run(a) => rt.block_on(a.run()),
            OracleCmd::Check(a) => rt.block_on(a.run()),
            OracleCmd::Status(a) => a.run(),
            OracleCmd::Key(k) => k.run(),
            OracleCmd::Admin(a) => rt.block_on(a.run()),
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
        let job = RoundJob { data: self.data, symbol: self.symbol, rpc: self.rpc, deployments: self.deployments, model: self.model, circuit: self.circuit };
        let r = round_from_archive(&job, &key).await?;
        if self.json {
            println!("{}", serde_json::to_string(&r)?);
        } else {
            let st = &r.stages_s;
            println!(
                "{} UTC -> {} (round {}, tx {}, gas {})\nstages: load {:.2} s, infer {:.3} s, prove {:.1} s, submit+receipt {:.2} s",
                r.decision_minute, r.signal, r.round_id, r.tx, r.gas, st.load, st.infer, st.prove, st.submit
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
        use veriregime_node::daemon::{shutdown_signal, Daemon};
        let cfg = Config::load(&self.config)?;
        let mut shutdown = shutdown_signal()?;
        let mut daemon = tokio::select! {
            d = Daemon::new(cfg) => d?,
            _ = shutdown.changed() => return Ok(()),
        };
        daemon.recover(&mut shutdown).await?;
        daemon.run(shutdown).await
    }
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[arg(long, env = "VERIREGIME_CONFIG")]
    pub config: PathBuf,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

impl CheckArgs {
    pub async fn run(self) -> anyhow::Result<()> {
        let cfg = Config::load(&self.config)?;
        let checks = veriregime_node::daemon::check::run(&cfg).await;
        if self.json {
            println!("{}", serde_json::to_string(&checks)?);
        } else {
            for c in &checks {
                println!("{:<4}  {:<24} {}", if c.ok { "ok" } else { "FAIL" }, c.what, c.detail);
            }
        }
        let failed = checks.iter().filter(|c| !c.ok).count();
        anyhow::ensure!(failed == 0, "{failed} of {} checks failed (see above)", checks.len());
        Ok(())
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
        let cfg = Config::load(&self.config)?;
        let status = Status::read(&cfg, self.last)?;
        if self.json {
            println!("{}", status.to_json());
            return Ok(());
        }
        let (recent, counts, latency) = (&status.recent, &status.counts, &status.latency);
        println!(
            "{:<17} {:<8} {:<9} {:<5} {:>6} {:>7} {:>7} {:<10} {:<32}  {}",
            "minute (UTC)", "feed", "stage", "sig", "round", "prove s", "total s", "sent by", "signers", "tx / reason"
        );
        // Addresses as their first 4 bytes: enough to tell a committee's members apart.
        let short = |a: &str| a.get(..10).unwrap_or(a).to_string();
        for r in recent {
            let t = r.timings();
            let sig = r.signal.map(|s| CLASS_NAMES[s as usize]).unwrap_or("-");
            let what = match (&r.reason, r.tx_hashes().last()) {
                (Some(reason), _) => reason.clone(),
                (None, Some(h)) => h.clone(),
                _ => String::new(),
            };
            let f = |k: &str| t.get(k).map(|v| format!("{v:.2}")).unwrap_or_else(|| "-".into());
            let round = r.round_id.map(|x| x.to_string()).unwrap_or_else(|| "-".into());
            let sent_by = r.transmitter.as_deref().map(short).unwrap_or_else(|| "-".into());
            let signers = r.signer_list().iter().map(|a| short(a)).collect::<Vec<_>>().join(",");
            let what = if r.disagreement.is_some() { format!("[disagreement: {}] {what}", r.disagreement.as_deref().unwrap_or("")) } else { what };
            println!(
                "{:<17} {:<8} {:<9} {:<5} {:>6} {:>7} {:>7} {:<10} {:<32}  {}",
                fmt_minute(r.minute),
                r.feed,
                r.stage.as_str(),
                sig,
                round,
                f("prove"),
                f("total"),
                sent_by,
                if signers.is_empty() { "-" } else { &signers },
                what
            );
        }
        println!("\nrounds: {}", counts.iter().map(|(k, v)| format!("{k} {v}")).collect::<Vec<_>>().join(", "));
        for (stage, v) in latency {
            println!(
                "{stage:>8}: p50 {:.2} s, p95 {:.2} s, max {:.2} s over {} confirmed rounds",
                v["p50"].as_f64().unwrap_or(0.0),
                v["p95"].as_f64().unwrap_or(0.0),
                v["max"].as_f64().unwrap_or(0.0),
                v["n"]
            );
        }
        Ok(())
    }
}
