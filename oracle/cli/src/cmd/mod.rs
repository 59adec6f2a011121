//! The `veriregime` subcommands: one file each, `XArgs` + `fn run(self)`; each parses its
//! arguments, calls the library crates and prints. `train`, `bench` and `backtest` need the `lab`
//! feature.

mod audit;
#[cfg(feature = "lab")]
mod backtest;
#[cfg(feature = "lab")]
mod bench;
mod circuit;
mod data;
mod demo;
mod deploy;
mod eval;
mod features;
mod oracle;
mod oracle_admin;
mod oracle_key;
#[cfg(feature = "lab")]
mod publishing;
#[cfg(feature = "lab")]
mod train;

use clap::{Parser, Subcommand};

/// VeriRegime: verifiable BTC/USDT trading signals, proven with EZKL and served on chain.
#[derive(Debug, Parser)]
#[command(name = "veriregime", version, about)]
pub struct Cli {
    /// Log as JSON lines (stderr) instead of human-readable text.
    #[arg(long, global = true)]
    pub log_json: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Market data: verify archives, write synthetic fixtures.
    #[command(subcommand)]
    Data(data::DataCmd),
    /// Write indicators, model inputs and labels of every decision minute to a CSV file.
    Features(features::FeaturesArgs),
    /// Train models on archive data.
    #[cfg(feature = "lab")]
    #[command(subcommand)]
    Train(train::TrainCmd),
    /// Evaluate a model folder on an archive range (accuracy, macro-F1, per class, confusion).
    Eval(eval::EvalArgs),
    /// Replay a consumer policy on real candles with the model's signals, fees and slippage,
    /// against buy-and-hold and always-flat: return, trades, turnover, exposure, drawdown, Sharpe,
    /// hit rate, gross edge.
    #[cfg(feature = "lab")]
    Backtest(backtest::BacktestArgs),
    /// Replay the node's publishing rule (on change, or at the heartbeat) on real minutes:
    /// transmissions and gas per day at each heartbeat against publishing every minute.
    #[cfg(feature = "lab")]
    Publishing(publishing::PublishingArgs),
    /// EZKL circuits: build one from a model folder, regenerate its proving key.
    #[command(subcommand)]
    Circuit(circuit::CircuitCmd),
    /// Deploy the contracts and write a deployments file.
    Deploy(deploy::DeployArgs),
    /// The demo: anvil, deployment, several proven rounds, the vault acting on them.
    Demo(demo::DemoArgs),
    /// The oracle node: proven rounds submitted on chain.
    #[command(subcommand)]
    Oracle(oracle::OracleCmd),
    /// Audit a published round against public candles (no key needed).
    Audit(audit::AuditArgs),
    /// Benchmark the teacher against the students as EZKL circuits: settings, setup, proving,
    /// verifying, key sizes, prover memory, verifier gas, fidelity, S; writes bench/RESULTS.md,
    /// its JSON twin and a Pareto plot.
    ///
    /// Example: veriregime bench --data ../shared/data/binance-vision
    #[cfg(feature = "lab")]
    Bench(bench::BenchArgs),
}

impl Cli {
    pub fn run(self) -> anyhow::Result<()> {
        match self.command {
            Command::Data(c) => c.run(),
            Command::Features(a) => a.run(),
            #[cfg(feature = "lab")]
            Command::Train(c) => c.run(),
            Command::Eval(a) => a.run(),
            #[cfg(feature = "lab")]
            Command::Backtest(a) => a.run(),
            #[cfg(feature = "lab")]
            Command::Publishing(a) => a.run(),
            Command::Circuit(c) => c.run(),
            Command::Deploy(a) => a.run(),
            Command::Demo(a) => a.run(),
            Command::Oracle(c) => c.run(),
            Command::Audit(a) => a.run(),
            #[cfg(feature = "lab")]
            Command::Bench(a) => a.run(),
        }
    }
}

/// Logs to stderr; `RUST_LOG` filters (default `info`). Colours only on a terminal: a log file
/// or journald gets plain text.
pub fn init_tracing(json: bool) {
    use std::io::IsTerminal;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(|| ScrubbedStderr(Vec::new()));
    if json {
        let _ = builder.json().try_init();
    } else {
        let _ = builder.try_init();
    }
}

/// One log event on its way to stderr: buffered, then written whole with the credentials of any
/// URL in it masked (a library's error may print the RPC URL it failed on).
struct ScrubbedStderr(Vec<u8>);

impl std::io::Write for ScrubbedStderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for ScrubbedStderr {
    fn drop(&mut self) {
        let text = veriregime_core::redact::scrub(&String::from_utf8_lossy(&self.0));
        let _ = std::io::Write::write_all(&mut std::io::stderr().lock(), text.as_bytes());
    }
}

/// An archive root, a symbol and a range of decision days; the day before is read as warm-up and
/// the day after for the last labels, where the archive has them.
#[derive(Debug, Clone, clap::Args)]
pub struct RangeArgs {
    /// Archive root in Binance Vision's layout (ROOT/spot/daily/klines/SYMBOL/1m/...).
    #[arg(long)]
    pub data: std::path::PathBuf,
    #[arg(long, default_value = "BTCUSDT")]
    pub symbol: String,
    /// First decision day (YYYY-MM-DD).
    #[arg(long)]
    pub from: String,
    /// Last decision day (YYYY-MM-DD).
    #[arg(long)]
    pub to: String,
}

impl RangeArgs {
    /// The decision range in epoch ms, and the candles it needs (with margins).
    pub fn load(&self) -> anyhow::Result<((i64, i64), veriregime_core::data::Series)> {
        veriregime_core::range::load_days(&self.data, &self.symbol, &self.from, &self.to)
    }
}

/// A model's data to score: an archive, a symbol, and whole days or one of the model's own
/// splits (as `eval` and `backtest` take them).
#[derive(Debug, Clone, clap::Args)]
pub struct ModelRangeArgs {
    /// Archive root in Binance Vision's layout (ROOT/spot/daily/klines/SYMBOL/1m/...).
    #[arg(long)]
    pub data: std::path::PathBuf,
    #[arg(long, default_value = "BTCUSDT")]
    pub symbol: String,
    /// First decision day (YYYY-MM-DD).
    #[arg(long, required_unless_present = "split", conflicts_with = "split", requires = "to")]
    pub from: Option<String>,
    /// Last decision day (YYYY-MM-DD).
    #[arg(long, requires = "from")]
    pub to: Option<String>,
    /// Instead of --from/--to: the model's own split (train, val or test), to the minute, from the
    /// data range its card records; `--split test` is the card's test split exactly.
    #[arg(long, value_parser = ["train", "val", "test"])]
    pub split: Option<String>,
}

impl ModelRangeArgs {
    /// The decision range asked for (epoch ms), warning when it is not out of sample for `card`.
    pub fn range(&self, card: &veriregime_core::model::ModelCard) -> anyhow::Result<(i64, i64)> {
        use veriregime_core::range;
        let (from, to) = range::asked_range(card, self.split.as_deref(), self.from.as_deref(), self.to.as_deref())?;
        if self.split.as_deref() != Some("test") {
            if let Some(w) = range::in_sample_overlap(card, &self.symbol, from, to)? {
                tracing::warn!("{w}");
            }
        }
        Ok((from, to))
    }
}
