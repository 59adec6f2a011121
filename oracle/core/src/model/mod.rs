//! What using a trained model needs: its card (`card.json`: data, normaliser, architecture,
//! recipe, metrics, hashes), tract inference of its `network.onnx`, the decision rule and the
//! classification metrics. Training lives in the lab (`veriregime-lab`).
//!
//! # Public API
//! | item | what |
//! |------|------|
//! | [`ModelCard`] (`read(dir)`, `load(dir) -> (ModelCard, OnnxModel)`, `save(dir)`) | `card.json` beside `network.onnx`; `load` checks the ONNX hash and the feature spec |
//! | [`OnnxModel::load`]`(path)`, [`OnnxModel::logits`]`(&[f32]) -> Vec<[f32; 3]>`, `predict` | tract inference, any batch size (batch dim made symbolic at load) |
//! | [`decide`]`([T; 3]) -> u8` | the decision rule (argmax; HOLD wins a tie it is part of, then the lower class), as the contract |
//! | [`Metrics::compute`]`(y_true, y_pred)` | n, accuracy, macro-F1, per-class P/R/F1/support, confusion `[true][pred]` |
//! | [`evaluate`]`(card, model, dataset, samples) -> Metrics` | a model folder scored on labelled windows |
//! | [`spec`] | the plain data a card records: [`Architecture`], [`StudentConfig`], [`TeacherConfig`], [`TrainConfig`], [`TrainHistory`], [`QuantInfo`] |
//!
//! # Inputs and outputs
//! A window is 420 f32 (60 minutes x 7 features, time-major: `minute * 7 + feature`, minute 0 the
//! oldest), already normalised by [`crate::features::Normalizer`]. Several windows are passed
//! flat (`n * 420`). Outputs are logits of SELL (0), HOLD (1), BUY (2).

pub mod card;
pub mod metrics;
pub mod onnx;
pub mod spec;

pub use card::{DataInfo, ModelCard, Thresholds, TrainingInfo, CARD_FILE, CARD_FORMAT, ONNX_FILE};
pub use metrics::{argmax3, decide, ClassMetrics, Metrics, PerClass};
pub use onnx::{sha256_file, sha256_hex, OnnxModel, N_CLASSES};
pub use spec::{
    Activation, Architecture, ClassWeights, Distill, EpochStats, QuantInfo, Regularizer, Schedule, Scheme, StudentConfig, TeacherConfig, TrainConfig,
    TrainHistory, SEED_TEACHER_PARAMS,
};

use crate::features::{Dataset, Sample, INPUT_LEN};

/// Scores a model on labelled windows of `ds` (unlabelled samples are an error), in batches,
/// against labels at the thresholds of its card (the seed's unless it was trained on others).
pub fn evaluate(card: &ModelCard, model: &OnnxModel, ds: &Dataset, samples: &[Sample]) -> anyhow::Result<Metrics> {
    let mut y_true = Vec::with_capacity(samples.len());
    let mut y_pred = Vec::with_capacity(samples.len());
    for chunk in samples.chunks(4096) {
        let x = ds.windows(chunk, &card.normalization);
        debug_assert_eq!(x.len(), chunk.len() * INPUT_LEN);
        y_pred.extend(model.predict(&x)?);
        for s in chunk {
            let r = s.fwd_return_pct.ok_or_else(|| anyhow::anyhow!("decision minute {} has no label", crate::data::fmt_minute(s.open_time)))?;
            y_true.push(card.thresholds.label(r));
        }
    }
    Ok(Metrics::compute(&y_true, &y_pred))
}
