//! The model card (`card.json`) and loading a model folder (`network.onnx` + `card.json`).

use super::metrics::Metrics;
use super::onnx::OnnxModel;
use super::spec::{Architecture, QuantInfo, TrainConfig, TrainHistory};
use crate::features::{self, Normalizer};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

pub const CARD_FORMAT: &str = "veriregime-model-card-1";
pub const ONNX_FILE: &str = "network.onnx";
pub const CARD_FILE: &str = "card.json";

/// Label thresholds on the forward return, percent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Thresholds {
    pub buy_above_pct: f64,
    pub sell_below_pct: f64,
}

impl Thresholds {
    /// The seed's: BUY above +0.2 %, SELL below -0.2 %.
    pub const SEED: Thresholds = Thresholds { buy_above_pct: features::BUY_THRESHOLD_PCT, sell_below_pct: features::SELL_THRESHOLD_PCT };

    /// Symmetric thresholds: BUY above `+pct`, SELL below `-pct`.
    pub fn symmetric(pct: f64) -> anyhow::Result<Thresholds> {
        anyhow::ensure!(pct.is_finite() && pct >= 0.0, "label threshold {pct} % is not a number >= 0");
        Ok(Thresholds { buy_above_pct: pct, sell_below_pct: -pct })
    }

    /// The class of a forward return in percent under these thresholds.
    pub fn label(&self, fwd_return_pct: f64) -> u8 {
        features::label_at(fwd_return_pct, self.buy_above_pct, self.sell_below_pct)
    }
}

/// Which data the model was fitted and evaluated on.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct DataInfo {
    pub symbol: String,
    pub interval: String,
    /// First day (`YYYY-MM-DD`) of the data.
    pub from: String,
    /// Last day (inclusive).
    pub to: String,
    /// Free text, e.g. "chronological 70/15/15 by decision minute, 60-minute purge gaps".
    pub split: String,
    pub n_train: usize,
    pub n_val: usize,
    pub n_test: usize,
    /// Class counts (SELL, HOLD, BUY) of the training split.
    pub train_class_counts: [u64; 3],
}

/// Training settings and outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingInfo {
    pub config: TrainConfig,
    pub best_epoch: usize,
    pub epochs_run: usize,
    pub class_weights: [f32; 3],
    pub ms_per_batch: f64,
    /// Learned activation coefficients `(a, b)` per hidden layer (students).
    #[serde(default)]
    pub activation_coefs: Vec<(f32, f32)>,
    /// Wall time of the training itself (fitting, scoring and writing the folder), seconds; the
    /// data preparation and the teacher's soft targets before it are not counted.
    #[serde(default)]
    pub wall_s: f64,
}

/// Everything needed to use and audit a model; stored as `card.json` beside `network.onnx`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelCard {
    pub format: String,
    pub name: String,
    /// RFC 3339 UTC time of writing.
    pub created: String,
    /// Feature specification version (`features::FEATURE_SPEC`); checked on load.
    pub feature_spec: String,
    pub input_names: Vec<String>,
    /// "time-major: index = minute * 7 + feature, minute 0 = oldest".
    pub input_layout: String,
    pub window: usize,
    pub horizon: usize,
    pub normalization: Normalizer,
    pub thresholds: Thresholds,
    /// Class names in output order.
    pub classes: Vec<String>,
    pub data: DataInfo,
    pub architecture: Architecture,
    pub param_count: usize,
    pub training: Option<TrainingInfo>,
    /// Metrics by split name ("val", "test", ...).
    pub metrics: BTreeMap<String, Metrics>,
    /// Max |tract - candle| over the parity windows' logits.
    pub parity_max_abs_diff: Option<f64>,
    pub parity_windows: usize,
    pub onnx_file: String,
    pub onnx_sha256: String,
    /// Set when the weights were quantised from another model ([`super::quant`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantization: Option<QuantInfo>,
}

impl ModelCard {
    /// A card with the feature constants of [`crate::features`] filled in; data, training, metrics,
    /// parity and hash are left for the caller (the lab's `save_model_dir`).
    pub fn with_architecture(name: &str, feature_spec: &str, normalization: Normalizer, architecture: Architecture, param_count: usize) -> ModelCard {
        ModelCard {
            format: CARD_FORMAT.into(),
            name: name.into(),
            created: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            feature_spec: feature_spec.into(),
            input_names: features::INPUT_NAMES.iter().map(|s| s.to_string()).collect(),
            input_layout: format!(
                "time-major: index = minute * {} + feature, minute 0 = oldest",
                features::N_FEATURES
            ),
            window: features::WINDOW,
            horizon: features::HORIZON,
            normalization,
            thresholds: Thresholds::SEED,
            classes: features::CLASS_NAMES.iter().map(|s| s.to_string()).collect(),
            data: DataInfo::default(),
            architecture,
            param_count,
            training: None,
            metrics: BTreeMap::new(),
            parity_max_abs_diff: None,
            parity_windows: 0,
            onnx_file: ONNX_FILE.into(),
            onnx_sha256: String::new(),
            quantization: None,
        }
    }

    /// The training recipe the card records; an error when it records none (a quantised or
    /// imported model).
    pub fn recipe(&self) -> anyhow::Result<&TrainingInfo> {
        self.training.as_ref().ok_or_else(|| anyhow::anyhow!("the card of {} records no training recipe", self.name))
    }

    /// An error unless the model is a student MLP (what circuits, distillation recipes and the
    /// study's candidates take).
    pub fn ensure_mlp(&self) -> anyhow::Result<()> {
        anyhow::ensure!(matches!(self.architecture, Architecture::Mlp(_)), "{} is not a student MLP ({})", self.name, self.architecture.describe());
        Ok(())
    }

    /// Fills `training` for any model; `activation_coefs` empty for the teacher.
    pub fn set_training_of(&mut self, cfg: &TrainConfig, hist: &TrainHistory, activation_coefs: Vec<(f32, f32)>, wall_s: f64) {
        self.training = Some(TrainingInfo {
            config: cfg.clone(),
            best_epoch: hist.best_epoch,
            epochs_run: hist.epochs.len(),
            class_weights: hist.class_weights,
            ms_per_batch: hist.ms_per_batch,
            activation_coefs,
            wall_s,
        });
    }

    /// Writes `dir/card.json` (pretty JSON), creating `dir`.
    pub fn save(&self, dir: impl AsRef<Path>) -> anyhow::Result<()> {
        let dir = dir.as_ref();
        std::fs::create_dir_all(dir)?;
        std::fs::write(dir.join(CARD_FILE), serde_json::to_string_pretty(self)? + "\n")?;
        Ok(())
    }

    /// Reads `dir/card.json` (no checks).
    pub fn read(dir: impl AsRef<Path>) -> anyhow::Result<ModelCard> {
        let p = dir.as_ref().join(CARD_FILE);
        let s = std::fs::read_to_string(&p).map_err(|e| anyhow::anyhow!("reading {}: {e}", p.display()))?;
        Ok(serde_json::from_str(&s).map_err(|e| anyhow::anyhow!("parsing {}: {e}", p.display()))?)
    }

    /// Loads a model folder: the card and the tract model of its ONNX file. Fails if the ONNX
    /// sha256 differs from the card's, or the card's feature spec is not
    /// [`features::FEATURE_SPEC`], or the card format is unknown.
    pub fn load(dir: impl AsRef<Path>) -> anyhow::Result<(ModelCard, OnnxModel)> {
        let dir = dir.as_ref();
        let card = Self::read(dir)?;
        anyhow::ensure!(card.format == CARD_FORMAT, "unknown model card format {:?}", card.format);
        anyhow::ensure!(
            card.feature_spec == features::FEATURE_SPEC,
            "model {} was built for feature spec {:?}, this binary computes {:?}",
            dir.display(),
            card.feature_spec,
            features::FEATURE_SPEC
        );
        let model = OnnxModel::load(dir.join(&card.onnx_file))?;
        anyhow::ensure!(
            model.sha256 == card.onnx_sha256,
            "{} has sha256 {}, the card says {}",
            card.onnx_file,
            model.sha256,
            card.onnx_sha256
        );
        anyhow::ensure!(model.input_len() == card.window * features::N_FEATURES, "ONNX input length mismatch");
        Ok((card, model))
    }
}
