use clap::Args;
use std::path::PathBuf;
use veriregime_core::data::Archive;
use veriregime_core::features::Dataset;
use veriregime_core::model::ModelCard;
use veriregime_core::range;

/// Evaluate a model folder on any archive root: whole days, or exactly one of the splits its card
/// records. A range that overlaps the model's training or validation data is scored with a warning.
///
/// Examples:
///   veriregime eval --model models/student --data ../shared/data/binance-vision --split test --json
///   veriregime eval --model models/student --data ../shared/data/binance-vision --symbol ETHUSDT --from 2024-03-01 --to 2024-03-31
#[derive(Debug, Args)]
pub struct EvalArgs {
    /// Model folder (network.onnx + card.json).
    #[arg(long, default_value = "models/student")]
    pub model: PathBuf,
    #[command(flatten)]
    pub range: super::ModelRangeArgs,
    /// Print one JSON line (n, accuracy, macro_f1, per_class, confusion).
    #[arg(long)]
    pub json: bool,
}

impl EvalArgs {
    pub fn run(self) -> anyhow::Result<()> {
        let (card, onnx) = ModelCard::load(&self.model)?;
        let (from, to) = self.range.range(&card)?;
        let series = range::load_with_margins(&Archive::new(&self.range.data, &self.range.symbol), from, to)?;
        let ds = Dataset::from_series(&series);
        let samples = ds.samples(from, to, true);
        anyhow::ensure!(!samples.is_empty(), "no labelled decision minute in {}..{}", veriregime_core::data::fmt_minute(from), veriregime_core::data::fmt_minute(to - 60_000));
        let m = veriregime_core::model::evaluate(&card, &onnx, &ds, &samples)?;
        if self.json {
            println!("{}", serde_json::to_string(&m)?);
        } else {
            println!("{} windows: accuracy {:.4}, macro-F1 {:.4}", m.n, m.accuracy, m.macro_f1);
            println!("confusion (rows true SELL/HOLD/BUY, columns predicted): {:?}", m.confusion);
        }
        Ok(())
    }
}
