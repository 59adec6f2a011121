use clap::Args;
use veriregime_core::features::{Dataset, LOOKBACK};
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
        veriregime_core::features::write_csv(&ds, &samples, &self.out)?;
        eprintln!("{} rows ({} gaps in the data read) -> {}", samples.len(), series.gaps.len(), self.out.display());
        Ok(())
    }
}
