use veriregime_core::data::{fmt_minute, synth_candles, write_daily_archive, Archive, SynthConfig};
use anyhow::Context;
use clap::{Args, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum DataCmd {
    /// Read and check every archive file of a symbol: days, rows, gaps, missing days.
    ///
    /// Example: veriregime data verify --data ../shared/data/binance-vision --symbol BTCUSDT
    Verify(VerifyArgs),
    /// Write the project's synthetic candles (NOT market data) in the archive layout.
    Synth(SynthArgs),
    /// Download Binance's public kline archive (daily and monthly files with their .CHECKSUM) into
    /// the layout `data verify` and training read; every file is sha256-checked before it takes its
    /// name, and an interrupted run resumes where it stopped.
    ///
    /// Example: veriregime data fetch --symbol BTCUSDT --from 2022-12-31 --to 2024-03-31 --out data/binance-vision
    Fetch(FetchArgs),
    /// Serve an archive as a loopback fake of Binance's REST API at real time, to try the node
    /// without the exchange: `/api/v3/time`, `/klines`, `/ticker/price` in Binance's formats, the
    /// candles moved in time so that the first day is history and the rest arrives minute by
    /// minute (prices as in the archive). Point `exchange.base_url` at the printed URL. Runs
    /// until Ctrl-C or SIGTERM.
    ///
    /// Example: veriregime data serve --data ../shared/data/binance-vision --symbol BTCUSDT --from 2024-03-01 --listen 127.0.0.1:8600
    Serve(ServeArgs),
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Archive root in Binance Vision's layout.
    #[arg(long)]
    pub data: PathBuf,
    #[arg(long, default_value = "BTCUSDT")]
    pub symbol: String,
    /// First day replayed (YYYY-MM-DD): its candles are the history served at start.
    #[arg(long)]
    pub from: String,
    /// Days replayed, the first one included.
    #[arg(long, default_value_t = 7)]
    pub days: u32,
    #[arg(long, default_value = "127.0.0.1:8600")]
    pub listen: std::net::SocketAddr,
    /// Serve every other candle's prices multiplied by this (an exchange whose candles are not
    /// the market's: a committee member that disagrees). 1: as they are.
    #[arg(long, default_value_t = 1.0)]
    pub scale_prices: f64,
    /// Add this many ms to every `/api/v3/time` answer (a lying clock).
    #[arg(long, default_value_t = 0, allow_hyphen_values = true)]
    pub clock_offset_ms: i64,
}

impl ServeArgs {
    pub fn run(self) -> anyhow::Result<()> {
        use veriregime_node::exchange::fake::{FakeConfig, FakeExchange};
        let rt = tokio::runtime::Runtime::new()?;
        rt.block_on(async {
            let from = veriregime_core::data::parse_day(&self.from)?;
            let mut cfg = FakeConfig::replay(&Archive::new(&self.data, &self.symbol.to_uppercase()), from, self.days, chrono::Utc::now().timestamp_millis())?;
            cfg.listen = self.listen;
            let served = cfg.candles.len();
            let fake = FakeExchange::start(cfg).await?;
            fake.scale_prices(self.scale_prices);
            fake.set_clock_offset(self.clock_offset_ms);
            println!("serving {} from {} ({served} candles, real time) at {}", self.symbol.to_uppercase(), self.from, fake.url);
            println!("set exchange.base_url = \"{}\" (or VERIREGIME_EXCHANGE__BASE_URL)", fake.url);
            let mut stop = veriregime_node::daemon::shutdown_signal()?;
            let _ = stop.changed().await;
            println!("stopped");
            anyhow::Ok(())
        })
    }
}

#[derive(Debug, Args)]
pub struct FetchArgs {
    #[arg(long, default_value = "BTCUSDT")]
    pub symbol: String,
    /// First day (YYYY-MM-DD).
    #[arg(long)]
    pub from: String,
    /// Last day (YYYY-MM-DD).
    #[arg(long)]
    pub to: String,
    /// Archive root to write (ROOT/spot/{daily,monthly}/klines/SYMBOL/1m/...).
    #[arg(long)]
    pub out: PathBuf,
    /// Archive host.
    #[arg(long, env = "VERIREGIME_ARCHIVE_URL", default_value = veriregime_core::data::fetch::BINANCE_ARCHIVE)]
    pub base_url: String,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

impl FetchArgs {
    pub fn run(self) -> anyhow::Result<()> {
        use veriregime_core::data::fetch::{plan, Fetcher};
        let day = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").with_context(|| format!("{s:?} is not a YYYY-MM-DD day"));
        let (from, to) = (day(&self.from)?, day(&self.to)?);
        anyhow::ensure!(from <= to, "--to {} is before --from {}", self.to, self.from);
        let items = plan(&self.out, &self.symbol.to_uppercase(), from, to, chrono::Utc::now().date_naive());
        let pb = indicatif::ProgressBar::new(items.len() as u64);
        pb.set_style(indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} files {msg} {elapsed}").expect("valid template"));
        let report = tokio::runtime::Runtime::new()?.block_on(async { Fetcher::new(&self.base_url)?.fetch_all(&items, &pb).await });
        pb.finish_and_clear();
        let report = report?;
        if self.json {
            println!("{}", serde_json::to_string(&report)?);
        } else {
            println!(
                "{} files for {} {}..{} in {}: {} downloaded ({} resumed, {} bytes), {} already verified, {} retries",
                report.files, self.symbol, self.from, self.to, self.out.display(), report.downloaded, report.resumed, report.bytes, report.skipped_verified, report.retries
            );
        }
        Ok(())
    }
}

impl DataCmd {
    pub fn run(self) -> anyhow::Result<()> {
        match self {
            DataCmd::Verify(a) => a.run(),
            DataCmd::Synth(a) => a.run(),
            DataCmd::Fetch(a) => a.run(),
            DataCmd::Serve(a) => a.run(),
        }
    }
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Archive root in Binance Vision's layout (ROOT/spot/daily/klines/SYMBOL/1m/...).
    #[arg(long)]
    pub data: PathBuf,
    #[arg(long, default_value = "BTCUSDT")]
    pub symbol: String,
    /// First day (YYYY-MM-DD); default: the first file's day.
    #[arg(long)]
    pub from: Option<String>,
    /// Last day (YYYY-MM-DD); default: the last file's day.
    #[arg(long)]
    pub to: Option<String>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

impl VerifyArgs {
    pub fn run(self) -> anyhow::Result<()> {
        let archive = Archive::new(&self.data, &self.symbol);
        let (first, last) = archive
            .available_days()?
            .with_context(|| format!("no {} archive files under {}", self.symbol, self.data.display()))?;
        let from = self.from.unwrap_or_else(|| first.to_string());
        let to = self.to.unwrap_or_else(|| last.to_string());
        let (a, b) = veriregime_core::range::day_range(&from, &to)?;
        let s = archive.load(a, b)?;
        let days = (b - a) / 86_400_000;
        if self.json {
            let out = serde_json::json!({
                "symbol": self.symbol, "from": from, "to": to, "days": days,
                "files": s.files.len(), "rows": s.candles.len(),
                "missing_days": s.missing_days, "gaps": s.gaps,
            });
            println!("{out}");
        } else {
            println!("{} {from}..{to}: {days} days, {} files, {} rows", self.symbol, s.files.len(), s.candles.len());
            println!("missing days: {}", if s.missing_days.is_empty() { "none".into() } else { s.missing_days.join(", ") });
            println!("gaps: {}", s.gaps.len());
            for g in &s.gaps {
                println!("  {} .. {} UTC ({} minutes missing)", fmt_minute(g.from), fmt_minute(g.to), g.missing_minutes);
            }
        }
        Ok(())
    }
}

#[derive(Debug, Args)]
pub struct SynthArgs {
    /// Root folder to write (archive layout).
    #[arg(long)]
    pub out: PathBuf,
    #[arg(long, default_value = "BTCUSDT")]
    pub symbol: String,
    #[arg(long, default_value_t = 2 * 1440)]
    pub minutes: usize,
    #[arg(long, default_value_t = SynthConfig::default().seed)]
    pub seed: u64,
}

impl SynthArgs {
    pub fn run(self) -> anyhow::Result<()> {
        let cfg = SynthConfig { minutes: self.minutes, seed: self.seed, ..Default::default() };
        let files = write_daily_archive(&self.out, &self.symbol, &synth_candles(&cfg))?;
        println!("wrote {} synthetic (not market) daily files under {}", files.len(), self.out.display());
        Ok(())
    }
}
