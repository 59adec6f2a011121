use clap::Args;
use std::path::PathBuf;
use veriregime_core::model::ModelCard;
use veriregime_lab::backtest::publishing::PublishingReport;
use veriregime_lab::backtest::Replay;

/// One submission's gas, per transaction, at k = 2 (the demo's committee of 3): measured by
/// `forge test` (test_gas_fullSubmissionK2; README, "Gas").
const SUBMISSION_GAS_K2: u64 = 511_635;

/// Replay the node's publishing rule (on a changed signal, or when the feed's heartbeat would run
/// out) on real minutes with the model's signals: transmissions and gas per day at each
/// heartbeat, against transmitting every decision minute.
///
/// Example:
///   veriregime publishing --data ../shared/data/binance-vision --split test --heartbeats 15,30,60,120,240
#[derive(Debug, Args)]
pub struct PublishingArgs {
    /// Model folder (network.onnx + card.json).
    #[arg(long, default_value = "models/student")]
    pub model: PathBuf,
    #[command(flatten)]
    pub range: super::ModelRangeArgs,
    /// Heartbeats to replay, whole minutes, comma-separated.
    #[arg(long, value_delimiter = ',', default_values_t = [15u64, 30, 60, 120, 240])]
    pub heartbeats: Vec<u64>,
    /// Gas of one transmission (default: one submission per transaction at k = 2, as measured).
    #[arg(long, default_value_t = SUBMISSION_GAS_K2)]
    pub gas_per_transmission: u64,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    pub json: bool,
}

impl PublishingArgs {
    pub fn run(self) -> anyhow::Result<()> {
        let (card, onnx) = ModelCard::load(&self.model)?;
        let (from, to) = self.range.range(&card)?;
        let replay = Replay::load(&self.range.data, &self.range.symbol, &card, &onnx, from, to)?;
        let report = PublishingReport::run(&card.name, &self.range.symbol, &replay, to, &self.heartbeats, self.gas_per_transmission)?;
        if self.json {
            println!("{}", serde_json::to_string(&report)?);
        } else {
            print!("{}", report.text());
        }
        Ok(())
    }
}
