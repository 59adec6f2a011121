//! What training needs from a model, so one training loop serves the teacher CNN and the
//! student MLPs.

pub use veriregime_core::model::spec::Architecture;
use candle_core::{Tensor, Var};


use rand::rngs::StdRng;

/// Named tensors of a model's full state (trainable parameters and buffers), for keeping the
/// best epoch and for checkpoints.
pub type NetState = Vec<(String, Tensor)>;

pub trait Net {
    /// Values per window (420).
    fn input_len(&self) -> usize;
    /// Trainable parameters.
    fn param_count(&self) -> usize;
    /// Logits `[B, 3]` in training mode (dropout with rate `dropout` drawn from `rng`, batch-norm
    /// batch statistics, running-statistics update).
    fn forward_train(&self, xs: &Tensor, dropout: f32, rng: &mut StdRng) -> candle_core::Result<Tensor>;
    /// Logits `[B, 3]` in evaluation mode.
    fn forward_eval(&self, xs: &Tensor) -> candle_core::Result<Tensor>;
    /// `(name, var, weight_decay?)` of every trainable parameter, in a fixed order.
    fn trainable(&self) -> Vec<(String, Var, bool)>;
    /// A copy of the full state.
    fn state(&self) -> anyhow::Result<NetState>;
    /// Restores a [`Net::state`].
    fn set_state(&self, s: &NetState) -> anyhow::Result<()>;
    /// The weight matrices / kernels the sparsity regulariser acts on.
    fn weight_tensors(&self) -> Vec<Tensor>;
    /// The architecture, as recorded in the model card.
    fn architecture(&self) -> Architecture;
    /// The model as ONNX (batch 1, input `[1, 420]`, output `[1, 3]`).
    fn onnx(&self) -> anyhow::Result<tract_onnx::pb::ModelProto>;
    /// Learned activation coefficients `(a, b)` per hidden layer, for the model card (none by
    /// default).
    fn activation_coefs(&self) -> anyhow::Result<Vec<(f32, f32)>> {
        Ok(vec![])
    }

    /// Logits of `n` flat windows, evaluation mode, in chunks of 4096.
    fn logits(&self, x: &[f32]) -> anyhow::Result<Vec<[f32; 3]>> {
        let d = self.input_len();
        anyhow::ensure!(x.len() % d == 0, "input length {} is not a multiple of {d}", x.len());
        let mut out = Vec::with_capacity(x.len() / d);
        for chunk in x.chunks(4096 * d) {
            let t = Tensor::from_slice(chunk, (chunk.len() / d, d), &candle_core::Device::Cpu)?;
            for row in self.forward_eval(&t)?.detach().to_vec2::<f32>()? {
                out.push([row[0], row[1], row[2]]);
            }
        }
        Ok(out)
    }
}
