//! Inference with tract: an ONNX model file (batch dimension made symbolic at load), and the
//! sha256 that names a model.

use super::metrics::argmax3;
use prost::Message;
use std::path::Path;
use std::sync::Arc;
use tract_onnx::pb;
use tract_onnx::prelude::*;

/// Number of output classes (SELL, HOLD, BUY).
pub const N_CLASSES: usize = 3;
/// The name of the model's input tensor.
pub const INPUT_NAME: &str = "input";
/// The name of the model's output tensor.
pub const OUTPUT_NAME: &str = "output";

/// sha256 (lowercase hex) of some bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// sha256 (lowercase hex) of a file.
pub fn sha256_file(path: impl AsRef<Path>) -> anyhow::Result<String> {
    Ok(sha256_hex(&std::fs::read(path)?))
}

type Plan = Arc<TypedRunnableModel>;

/// An ONNX student loaded with tract, runnable on any batch size (the batch dimension of the
/// file, 1 for EZKL, is replaced by a symbol at load time).
pub struct OnnxModel {
    plan: Plan,
    input_len: usize,
    /// `sha256` of the file.
    pub sha256: String,
}

impl std::fmt::Debug for OnnxModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OnnxModel").field("input_len", &self.input_len).field("sha256", &self.sha256).finish()
    }
}

impl OnnxModel {
    pub fn load(path: impl AsRef<Path>) -> anyhow::Result<OnnxModel> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|e| anyhow::anyhow!("reading {}: {e}", path.display()))?;
        Self::from_bytes(&bytes)
    }

    pub fn from_bytes(bytes: &[u8]) -> anyhow::Result<OnnxModel> {
        let proto = pb::ModelProto::decode(bytes)?;
        let graph = proto.graph.as_ref().ok_or_else(|| anyhow::anyhow!("ONNX model has no graph"))?;
        let input = graph.input.iter().find(|i| i.name == INPUT_NAME).unwrap_or(&graph.input[0]);
        let input_len = match input.r#type.as_ref().and_then(|t| t.value.as_ref()) {
            Some(pb::type_proto::Value::TensorType(t)) => match t.shape.as_ref().and_then(|s| s.dim.last()) {
                Some(pb::tensor_shape_proto::Dimension {
                    value: Some(pb::tensor_shape_proto::dimension::Value::DimValue(d)),
                    ..
                }) => *d as usize,
                _ => anyhow::bail!("input has no fixed feature dimension"),
            },
            _ => anyhow::bail!("input is not a tensor"),
        };
        let mut model = tract_onnx::onnx().model_for_proto_model(&proto)?;
        let batch = model.symbols.sym("N");
        model.set_input_fact(0, f32::fact(&[batch.to_dim(), input_len.to_dim()]).into())?;
        model.set_output_fact(0, InferenceFact::default())?;
        let plan = model.into_optimized()?.into_runnable()?;
        Ok(OnnxModel { plan, input_len, sha256: sha256_hex(bytes) })
    }

    pub fn input_len(&self) -> usize {
        self.input_len
    }

    /// Logits of `n` windows given flat (`n * input_len` values), run in batches of 4096.
    pub fn logits(&self, x: &[f32]) -> anyhow::Result<Vec<[f32; 3]>> {
        self.logits_with_progress(x, &mut |_| {})
    }

    /// [`OnnxModel::logits`], calling `progress` with the number of windows done after each batch.
    pub fn logits_with_progress(&self, x: &[f32], progress: &mut dyn FnMut(usize)) -> anyhow::Result<Vec<[f32; 3]>> {
        let d = self.input_len;
        anyhow::ensure!(!x.is_empty() && x.len() % d == 0, "input length {} is not a positive multiple of {d}", x.len());
        let mut out = Vec::with_capacity(x.len() / d);
        for chunk in x.chunks(4096 * d) {
            let b = chunk.len() / d;
            let t = Tensor::from_shape(&[b, d], chunk)?;
            let res = self.plan.run(tvec!(t.into()))?;
            let arr = res[0].to_plain_array_view::<f32>()?;
            anyhow::ensure!(arr.shape() == [b, N_CLASSES], "unexpected output shape {:?}", arr.shape());
            for r in 0..b {
                out.push([arr[[r, 0]], arr[[r, 1]], arr[[r, 2]]]);
            }
            progress(out.len());
        }
        Ok(out)
    }

    /// Predicted classes (argmax) of `n` flat windows.
    pub fn predict(&self, x: &[f32]) -> anyhow::Result<Vec<u8>> {
        Ok(self.logits(x)?.iter().map(argmax3).collect())
    }
}

