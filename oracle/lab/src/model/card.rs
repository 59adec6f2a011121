//! Writing model folders: the card of a trained net and `network.onnx`, parity-checked.

use super::net::Net;
use super::onnx::{parity, sha256_file, write_onnx, OnnxModel};
use super::student::Student;
use super::train::{TrainConfig, TrainHistory};
use veriregime_core::features::Normalizer;
use std::path::Path;

pub use veriregime_core::model::card::*;

/// What the lab adds to [`ModelCard`]: cards of trained nets.
pub trait TrainedCard {
    /// A card for `net` (architecture and parameter count filled in).
    fn new(name: &str, feature_spec: &str, normalization: Normalizer, net: &dyn Net) -> ModelCard;
    /// Fills `training` from a run (also reads the learned activation coefficients).
    fn set_training(&mut self, cfg: &TrainConfig, hist: &TrainHistory, student: &Student) -> anyhow::Result<()>;
}

impl TrainedCard for ModelCard {
    fn new(name: &str, feature_spec: &str, normalization: Normalizer, net: &dyn Net) -> ModelCard {
        ModelCard::with_architecture(name, feature_spec, normalization, net.architecture(), net.param_count())
    }

    fn set_training(&mut self, cfg: &TrainConfig, hist: &TrainHistory, student: &Student) -> anyhow::Result<()> {
        self.set_training_of(cfg, hist, student.activation_coefs()?, 0.0);
        Ok(())
    }
}

/// Writes a model folder: `dir/network.onnx`, then checks tract-vs-candle parity on
/// `parity_x` (flat windows; at least one), fills the card's hash, parity, architecture and
/// parameter count, and writes `dir/card.json`. Returns the parity figure.
pub fn save_model_dir(dir: impl AsRef<Path>, net: &dyn Net, card: &mut ModelCard, parity_x: &[f32]) -> anyhow::Result<f64> {
    let dir = dir.as_ref();
    std::fs::create_dir_all(dir)?;
    let onnx_path = dir.join(ONNX_FILE);
    card.onnx_sha256 = write_onnx(&net.onnx()?, &onnx_path)?;
    card.onnx_file = ONNX_FILE.into();
    debug_assert_eq!(card.onnx_sha256, sha256_file(&onnx_path)?);
    let model = OnnxModel::load(&onnx_path)?;
    let p = parity(net, &model, parity_x)?;
    card.parity_max_abs_diff = Some(p);
    card.parity_windows = parity_x.len() / net.input_len();
    card.architecture = net.architecture();
    card.param_count = net.param_count();
    card.save(dir)?;
    Ok(p)
}
