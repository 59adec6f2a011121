use clap::Args;
use std::path::PathBuf;
use veriregime_core::model::ModelCard;
use veriregime_lab::backtest::{plot::plot_report, Costs, Replay, Report};

/// Replay a consumer policy minute by minute on real candles, with the model's signals, fees and
/// slippage, against buy-and-hold and always-flat.
///
/// Examples:
///   veriregime backtest --model models/student --data ../shared/data/binance-vision --symbol BTCUSDT --from 2024-01-24 --to 2024-03-31 --json
///   veriregime backtest --data ../shared/data/binance-vision --symbol ETHUSDT --split test --policy models/policy.json --png eth.png
#[derive(Debug, Args)]
pub struct BacktestArgs {
    /// Model folder (network.onnx + card.json).
    #[arg(long, default_value = "models/student")]
    pub model: PathBuf,
    #[command(flatten)]
    pub range: super::ModelRangeArgs,
    /// `vault` (the demo vault's rule: BUY buys, SELL sells, HOLD keeps), parameters
    /// (`margin=M,persist=P,min_hold=MIN,max_hold=MIN`), or a policy file (models/policy.json).
    #[arg(long, default_value = "vault")]
    pub policy: String,
    #[command(flatten)]
    pub costs: CostArgs,
    /// Also write the equity curves (policy, buy-and-hold, always-flat) to this PNG.
    #[arg(long)]
    pub png: Option<PathBuf>,
    /// Print one JSON object (policy, buy_and_hold and always_flat each with return and trades, and more).
    #[arg(long)]
    pub json: bool,
}

/// What a fill costs, as `backtest` and `train policy` take it.
#[derive(Debug, Clone, Args)]
pub struct CostArgs {
    /// Fee per fill, basis points of the notional.
    #[arg(long, default_value_t = 10.0)]
    pub fee_bps: f64,
    /// Price moved against each fill, basis points.
    #[arg(long, default_value_t = 0.0)]
    pub slippage_bps: f64,
    /// Minutes from the decision minute's close to the fill.
    #[arg(long, default_value_t = 1)]
    pub delay_minutes: u32,
}

impl CostArgs {
    pub fn costs(&self) -> Costs {
        Costs { fee_bps: self.fee_bps, slippage_bps: self.slippage_bps, delay_minutes: self.delay_minutes }
    }
}

impl BacktestArgs {
    pub fn run(self) -> anyhow::Result<()> {
        let costs = self.costs.costs();
        costs.validate()?;
        let (spec, chosen_for) = veriregime_core::policy::resolve(&self.policy)?;
        let (card, onnx) = ModelCard::load(&self.model)?;
        if let Some(sha) = chosen_for.filter(|s| *s != card.onnx_sha256) {
            tracing::warn!("policy {} was chosen for the model with ONNX sha256 {sha}, not {} ({})", self.policy, card.onnx_sha256, self.model.display());
        }
        let (from, to) = self.range.range(&card)?;
        let replay = Replay::load(&self.range.data, &self.range.symbol, &card, &onnx, from, to)?;
        let report = Report::run(&card, &self.range.symbol, &replay, &self.policy, spec, &costs)?;
        if let Some(png) = &self.png {
            plot_report(&report, None, png)?;
            eprintln!("equity curves -> {}", png.display());
        }
        if self.json {
            println!("{}", serde_json::to_string(&report)?);
        } else {
            println!("{}", report.text());
        }
        Ok(())
    }
}
