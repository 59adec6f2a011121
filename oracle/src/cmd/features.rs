use crate::data::Archive;
use crate::features::{Dataset, LOOKBACK};
use anyhow::Context;
use clap::Args;
use std::io::Write;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct FeaturesArgs {
    #[command(flatten)]
    pub range: super::RangeArgs,
    /// Output CSV file (written to a temporary name, then renamed).
    #[arg(long)]
    pub out: PathBuf,
}

impl FeaturesArgs {
    pub fn run(self) -> anyhow::Result<()> {
        let ((from, to), series) = self.range.load()?;
        let ds = Dataset::from_series(&series);
        let samples = ds.samples(from, to, false);
        anyhow::ensure!(!samples.is_empty(), "no decision minute in {}..{} (each needs {LOOKBACK} contiguous candles)", self.range.from, self.range.to);
        let tmp = self.out.with_extension("csv.tmp");
        let mut w = std::io::BufWriter::new(std::fs::File::create(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?);
        let names = crate::features::INPUT_NAMES.join(",");
        writeln!(w, "open_time,close,ema5,ema10,ema20,rsi14,macd,vol_ma5,vol_ma10,{names},fwd_return_pct,label")?;
        for s in &samples {
            let f = &ds.frames[s.segment];
            let i = s.index;
            write!(w, "{},{},{},{},{},{},{},{},{}", f.open_time[i], f.close[i], f.ema5[i], f.ema10[i], f.ema20[i], f.rsi14[i], f.macd[i], f.vol_ma5[i], f.vol_ma10[i])?;
            for x in &f.inputs[i] {
                write!(w, ",{x}")?;
            }
            match (s.fwd_return_pct, s.label) {
                (Some(r), Some(l)) => writeln!(w, ",{r},{l}")?,
                _ => writeln!(w, ",,")?,
            }
        }
        w.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        std::fs::rename(&tmp, &self.out)?;
        eprintln!("{} rows ({} gaps in the data read) -> {}", samples.len(), series.gaps.len(), self.out.display());
        Ok(())
    }
}

/// Loads `[from, to)` plus one day before (warm-up) and one day after (forward labels) where the
/// archive has them.
pub(crate) fn load_with_margins(archive: &Archive, from: i64, to: i64) -> anyhow::Result<crate::data::Series> {
    let day = 86_400_000;
    let (first, last) = archive.available_days()?.with_context(|| format!("no {} archive files under {}", archive.symbol, archive.root.display()))?;
    let lo = crate::data::parse_day(&first.to_string())?;
    let hi = crate::data::parse_day(&last.to_string())? + day;
    let (a, b) = ((from - day).max(lo), (to + day).min(hi));
    let show = |ms: i64| chrono::DateTime::from_timestamp_millis(ms).map(|d| d.format("%Y-%m-%d").to_string()).unwrap_or_default();
    anyhow::ensure!(
        a < b,
        "the archive under {} covers {first}..{last}, which does not meet the range asked ({}..{})",
        archive.root.display(),
        show(from),
        show(to - day)
    );
    Ok(archive.load(a, b)?)
}
