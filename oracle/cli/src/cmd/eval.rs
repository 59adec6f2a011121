use veriregime_core::features::Dataset;
use veriregime_core::model::ModelCard;
use clap::Args;
use std::path::PathBuf;

/// Evaluate a model folder on any archive root and day range.
///
/// Example: veriregime eval --model models/student --data ../shared/data/binance-vision --from 2024-03-01 --to 2024-03-31 --json
#[derive(Debug, Args)]
pub struct EvalArgs {
    /// Model folder (network.onnx + card.json).
    #[arg(long, default_value = "models/student")]
    pub model: PathBuf,
    #[command(flatten)]
    pub range: super::RangeArgs,
    /// Print one JSON line (n, accuracy, macro_f1, per_class, confusion).
    #[arg(long)]
    pub json: bool,
}

impl EvalArgs {
    pub fn run(self) -> anyhow::Result<()> {
        let (card, onnx) = ModelCard::load(&self.model)?;
        let ((from, to), series) = self.range.load()?;
        let ds = Dataset::from_series(&series);
        let samples = ds.samples(from, to, true);
        anyhow::ensure!(!samples.is_empty(), "no labelled decision minute in {}..{}", self.range.from, self.range.to);
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
