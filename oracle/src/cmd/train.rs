use crate::data::Archive;
use crate::features::{Dataset, Sample, FEATURE_SPEC, HORIZON};
use crate::model::{self, ClassWeights, ModelCard, StudentConfig, TrainConfig};
use anyhow::Context;
use clap::{Args, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum TrainCmd {
    /// Train the student MLP on labels (no teacher yet) and write models/student.
    ///
    /// Example: veriregime train student --data ../shared/data/binance-vision --from 2022-12-31 --to 2024-03-31 --out models/student
    Student(StudentArgs),
}

impl TrainCmd {
    pub fn run(self) -> anyhow::Result<()> {
        match self {
            TrainCmd::Student(a) => a.run(),
        }
    }
}

#[derive(Debug, Args)]
pub struct StudentArgs {
    /// Archive root in Binance Vision's layout.
    #[arg(long)]
    pub data: PathBuf,
    #[arg(long, default_value = "BTCUSDT")]
    pub symbol: String,
    /// First decision day (YYYY-MM-DD).
    #[arg(long, default_value = "2022-12-31")]
    pub from: String,
    /// Last decision day (YYYY-MM-DD).
    #[arg(long, default_value = "2024-03-31")]
    pub to: String,
    /// Output model folder (network.onnx, card.json, PNGs).
    #[arg(long, default_value = "models/student")]
    pub out: PathBuf,
    #[arg(long, default_value_t = 10)]
    pub epochs: usize,
    /// Use every k-th training window (overlapping windows are highly correlated).
    #[arg(long, default_value_t = 1)]
    pub stride: usize,
    /// Hidden layer sizes.
    #[arg(long, default_value = "128,64,32", value_delimiter = ',')]
    pub hidden: Vec<usize>,
    #[arg(long, default_value_t = 1e-3)]
    pub lr: f64,
    /// Weight the loss by inverse class frequency.
    #[arg(long)]
    pub balanced: bool,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

/// Chronological 70/15/15 split by decision minute with a purge of HORIZON minutes before each
/// boundary, so no training label looks into validation and no validation label into test.
pub(crate) fn split(samples: &[Sample], from: i64, to: i64) -> (Vec<Sample>, Vec<Sample>, Vec<Sample>) {
    let span = (to - from) as f64;
    let minute = 60_000;
    let b1 = from + ((span * 0.70) as i64 / minute) * minute;
    let b2 = from + ((span * 0.85) as i64 / minute) * minute;
    let purge = HORIZON as i64 * minute;
    let pick = |lo: i64, hi: i64| samples.iter().filter(|s| s.open_time >= lo && s.open_time < hi).copied().collect::<Vec<_>>();
    (pick(from, b1 - purge), pick(b1, b2 - purge), pick(b2, to))
}

impl StudentArgs {
    pub fn run(self) -> anyhow::Result<()> {
        let t0 = std::time::Instant::now();
        let (from, to) = super::day_range(&self.from, &self.to)?;
        let series = super::features::load_with_margins(&Archive::new(&self.data, &self.symbol), from, to)?;
        let ds = Dataset::from_series(&series);
        let samples = ds.samples(from, to, true);
        let (train, val, test) = split(&samples, from, to);
        anyhow::ensure!(!train.is_empty() && !val.is_empty() && !test.is_empty(), "too little data for a 70/15/15 split");
        let norm = ds.fit_normalizer(&train);
        let train_s: Vec<Sample> = train.iter().step_by(self.stride.max(1)).copied().collect();
        let labels = |s: &[Sample]| s.iter().map(|s| s.label.expect("labelled")).collect::<Vec<u8>>();
        let (xtr, ytr) = (ds.windows(&train_s, &norm), labels(&train_s));
        let (xva, yva) = (ds.windows(&val, &norm), labels(&val));
        let (xte, yte) = (ds.windows(&test, &norm), labels(&test));
        tracing::info!(train = train_s.len(), val = val.len(), test = test.len(), "windows ready in {:.1} s", t0.elapsed().as_secs_f64());

        let cfg = TrainConfig {
            student: StudentConfig { hidden: self.hidden.clone(), ..Default::default() },
            epochs: self.epochs,
            lr: self.lr,
            class_weights: if self.balanced { ClassWeights::Balanced } else { ClassWeights::None },
            seed: self.seed,
            ..Default::default()
        };
        let (student, hist) = model::train(&xtr, &ytr, &xva, &yva, cfg.clone())?;
        let (_, m_val) = model::evaluate(&student, &xva, &yva)?;
        let (_, m_test) = model::evaluate(&student, &xte, &yte)?;

        let mut card = ModelCard::new("student", FEATURE_SPEC, norm, &student);
        card.set_training(&cfg, &hist, &student)?;
        card.data = model::DataInfo {
            symbol: self.symbol.clone(),
            interval: "1m".into(),
            from: self.from.clone(),
            to: self.to.clone(),
            split: format!(
                "chronological 70/15/15 by decision minute, {HORIZON}-minute purge before each boundary; training windows stride {}",
                self.stride
            ),
            n_train: train_s.len(),
            n_val: val.len(),
            n_test: test.len(),
            train_class_counts: model::class_counts(&ytr),
        };
        card.metrics.insert("val".into(), m_val.clone());
        card.metrics.insert("test".into(), m_test.clone());
        let parity_n = 2000.min(test.len());
        let parity = model::save_model_dir(&self.out, &student, &mut card, &xte[..parity_n * crate::features::INPUT_LEN])?;
        anyhow::ensure!(parity < 1e-4, "tract and candle logits differ by {parity} (> 1e-4)");
        model::plot_history(&hist, "student: training curves", self.out.join("training.png")).context("plotting")?;
        model::plot_confusion(&m_test, "student: test confusion", self.out.join("confusion_test.png")).context("plotting")?;
        let majority = model::Metrics::compute(&yte, &vec![majority_class(&ytr); yte.len()]);
        println!(
            "{}",
            serde_json::json!({
                "out": self.out, "wall_s": t0.elapsed().as_secs_f64(), "best_epoch": hist.best_epoch,
                "ms_per_batch": hist.ms_per_batch, "parity_max_abs": parity,
                "val": {"accuracy": m_val.accuracy, "macro_f1": m_val.macro_f1},
                "test": {"accuracy": m_test.accuracy, "macro_f1": m_test.macro_f1},
                "test_majority_baseline": {"accuracy": majority.accuracy, "macro_f1": majority.macro_f1},
            })
        );
        Ok(())
    }
}

fn majority_class(y: &[u8]) -> u8 {
    let c = model::class_counts(y);
    (0..3u8).max_by_key(|&k| c[k as usize]).unwrap_or(1)
}
