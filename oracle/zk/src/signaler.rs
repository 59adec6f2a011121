//! The model and its circuit together: candles -> canonical window -> tract -> EZKL proof,
//! checked against the float model; and the input binding a window implies, without a proof.

use crate::binding::{input_binding, Binding};
use crate::prover::Ezkl;
use alloy_primitives::{Bytes, B256, U256};
use veriregime_core::data::Candle;
use veriregime_core::features::{window_from_candles, FEATURE_SPEC, INPUT_LEN};
use veriregime_core::model::{ModelCard, OnnxModel};
use anyhow::{bail, Context};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long one proof may take before the prover is killed.
pub const PROVE_TIMEOUT: Duration = Duration::from_secs(600);

pub use veriregime_core::model::decide;

/// The circuit's manifest (written by `circuit build`), the parts the client needs.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct CircuitManifest {
    pub ezkl_version: String,
    pub logrows: u32,
    pub num_rows: Option<u64>,
    pub input_scale: u32,
    pub output_scale: u32,
    pub input_visibility: String,
    /// What the oracle hashes into a round's input binding.
    pub binding: Binding,
    pub sha256: std::collections::BTreeMap<String, String>,
}

impl CircuitManifest {
    pub fn read(dir: &Path) -> anyhow::Result<Self> {
        let p = dir.join("manifest.json");
        let text = std::fs::read_to_string(&p).with_context(|| format!("cannot read {} (run `veriregime circuit build`)", p.display()))?;
        serde_json::from_str(&text).with_context(|| format!("{} is not a circuit manifest", p.display()))
    }
}

/// The model and its circuit, loaded and checked against each other.
pub struct Signaler {
    pub card: ModelCard,
    pub model: OnnxModel,
    pub circuit_dir: PathBuf,
    pub manifest: CircuitManifest,
    pub ezkl: Ezkl,
    /// sha256 of the ONNX file: the oracle's model id.
    pub model_id: B256,
}

/// The float model's answer for one decision minute.
#[derive(Debug, Clone, Serialize)]
pub struct Inference {
    /// Open time (epoch ms) of the decision minute.
    pub decision_minute: i64,
    /// Normalised, flattened window (420 values) fed to the model and the circuit.
    #[serde(skip)]
    pub input: Vec<f32>,
    pub logits: [f32; 3],
    pub signal: u8,
}

/// The proof's outputs give another signal than the float model: nothing is to be submitted.
#[derive(Debug, thiserror::Error)]
#[error("the proof's output {proof_outputs:?} gives signal {proof_signal} but the model gives {model_signal} (logits {logits:?}); not submitting")]
pub struct OutputMismatch {
    pub proof_outputs: [f64; 3],
    pub proof_signal: &'static str,
    pub model_signal: &'static str,
    pub logits: [f32; 3],
}

/// A proof of one inference, checked against the float model.
#[derive(Debug, Clone)]
pub struct Proven {
    pub proof: Bytes,
    pub instances: Vec<U256>,
    /// The input binding the oracle will store: keccak256(input instances ++ input commitment).
    pub binding: B256,
    /// The circuit's outputs, rescaled to floats.
    pub outputs: [f64; 3],
    pub signal: u8,
    pub witness_s: f64,
    pub prove_s: f64,
    pub verify_s: f64,
    /// Peak resident memory of the prover process (witness, keys, proof, verification).
    pub peak_rss_bytes: u64,
}

impl Signaler {
    /// Loads `model_dir` (network.onnx + card.json) and the circuit in `circuit_dir`; fails when the
    /// card's feature spec is not this build's or the circuit was built from another ONNX file.
    pub fn load(model_dir: &Path, circuit_dir: &Path, ezkl: Ezkl) -> anyhow::Result<Self> {
        let (card, model) = ModelCard::load(model_dir)?;
        if card.feature_spec != FEATURE_SPEC {
            bail!("{}: the model was trained on features {:?}, this build computes {:?}", model_dir.display(), card.feature_spec, FEATURE_SPEC);
        }
        let manifest = CircuitManifest::read(circuit_dir)?;
        let onnx_sha = veriregime_core::model::sha256_file(model_dir.join(veriregime_core::model::ONNX_FILE))?;
        let circuit_sha = manifest.sha256.get("network.onnx").cloned().unwrap_or_default();
        if onnx_sha != circuit_sha {
            bail!(
                "the circuit in {} was built from another model (ONNX sha256 {circuit_sha}, {} has {onnx_sha}): run `veriregime circuit build`",
                circuit_dir.display(),
                model_dir.display()
            );
        }
        let model_id: B256 = format!("0x{onnx_sha}").parse().context("sha256 is 32 bytes")?;
        Ok(Signaler { card, model, circuit_dir: circuit_dir.to_path_buf(), manifest, ezkl, model_id })
    }

    /// Runs the float model on the decision minute that is the last of `candles` (the canonical
    /// window: the last 300 candles, which must be valid and contiguous).
    pub fn infer(&self, candles: &[Candle]) -> anyhow::Result<Inference> {
        let last = candles.last().context("no candles")?;
        let raw = window_from_candles(candles)
            .with_context(|| format!("window of decision minute {}", veriregime_core::data::fmt_minute(last.open_time)))?;
        let mut input = vec![0.0f32; INPUT_LEN];
        self.card.normalization.apply(&raw, &mut input);
        let logits = self.model.logits(&input)?[0];
        Ok(Inference { decision_minute: last.open_time, signal: decide(logits), input, logits })
    }

    /// Proves an inference with EZKL in `workdir` and checks that the proof's outputs give the
    /// same signal as the float model; a mismatch is an error and nothing is to be submitted.
    pub async fn prove(&self, inf: &Inference, workdir: &Path) -> anyhow::Result<Proven> {
        self.prove_within(inf, workdir, PROVE_TIMEOUT).await
    }

    /// [`Signaler::prove`] with the prover killed after `timeout`. A proof whose signal is not the
    /// float model's is an [`OutputMismatch`] error.
    pub async fn prove_within(&self, inf: &Inference, workdir: &Path, timeout: Duration) -> anyhow::Result<Proven> {
        std::fs::create_dir_all(workdir).with_context(|| format!("cannot create {}", workdir.display()))?;
        let input = workdir.join("input.json");
        std::fs::write(&input, serde_json::json!({ "input_data": [inf.input] }).to_string())?;
        let args = vec![
            "--dir".into(),
            self.circuit_dir.display().to_string(),
            "--input".into(),
            input.display().to_string(),
            "--out-dir".into(),
            workdir.display().to_string(),
        ];
        let v = self.ezkl.run("prove", &args, timeout).await?;
        let proof: Bytes = v["proof"].as_str().context("prove: no proof")?.parse().context("prove: proof is not hex")?;
        let instances = v["instances"]
            .as_array()
            .context("prove: no instances")?
            .iter()
            .map(|x| crate::binding::parse_word(x.as_str().unwrap_or_default()))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let outs: Vec<f64> = v["outputs"].as_array().context("prove: no outputs")?.iter().filter_map(|x| x.as_f64()).collect();
        anyhow::ensure!(outs.len() == 3, "prove: expected 3 outputs, got {}", outs.len());
        let fixed = fixed_outputs(&v["outputs_fixed"]).context("prove")?;
        let outputs = [outs[0], outs[1], outs[2]];
        // The contract decides on the fixed-point values, so the check does too.
        let signal = decide(fixed);
        let b = self.manifest.binding;
        anyhow::ensure!(
            instances.len() == b.n_inputs as usize + 3,
            "prove: {} instances, the circuit manifest says {} inputs + 3 outputs",
            instances.len(),
            b.n_inputs
        );
        let binding = b.of_proof(&proof, &instances).context("prove")?;
        if signal != inf.signal {
            return Err(OutputMismatch {
                proof_outputs: outputs,
                proof_signal: veriregime_core::features::CLASS_NAMES[signal as usize],
                model_signal: veriregime_core::features::CLASS_NAMES[inf.signal as usize],
                logits: inf.logits,
            }
            .into());
        }
        let t = &v["timings"];
        Ok(Proven {
            proof,
            instances,
            binding,
            outputs,
            signal,
            witness_s: t["witness"].as_f64().unwrap_or(0.0),
            prove_s: t["prove"].as_f64().unwrap_or(0.0),
            verify_s: t["verify"].as_f64().unwrap_or(0.0),
            peak_rss_bytes: v["peak_rss_bytes"].as_u64().unwrap_or(0),
        })
    }
}

/// The driver's fixed-point logits of one window (decimal strings) -> exactly 3 integers.
pub fn fixed_outputs(v: &serde_json::Value) -> anyhow::Result<[i128; 3]> {
    let fixed: Vec<i128> = v
        .as_array()
        .context("no fixed outputs")?
        .iter()
        .map(|x| x.as_str().unwrap_or_default().parse::<i128>())
        .collect::<Result<_, _>>()
        .context("fixed outputs are not integers")?;
    fixed.try_into().map_err(|f: Vec<i128>| anyhow::anyhow!("{} fixed outputs, expected 3", f.len()))
}

/// BN254's scalar field modulus: instances are its elements, negatives are r - x.
pub const FIELD_MODULUS: U256 = alloy_primitives::uint!(21888242871839275222246405745257275088548364400416034343698204186575808495617_U256);

/// The input binding a round of `input` must carry under `signaler`'s circuit, recomputed without
/// any proof: the quantized inputs when they are public instances, the KZG commitment to them
/// (through the EZKL driver) when they are committed.
pub async fn expected_binding(signaler: &Signaler, input: &[f32], workdir: &Path) -> anyhow::Result<B256> {
    let b = signaler.manifest.binding;
    let public = if b.n_inputs == 0 {
        Vec::new()
    } else {
        anyhow::ensure!(b.n_inputs as usize == INPUT_LEN, "the circuit has {} input instances (hashed inputs are not audited yet)", b.n_inputs);
        quantize_inputs(input, signaler.manifest.input_scale)
    };
    let commitment = if b.commitment_length == 0 {
        Vec::new()
    } else {
        std::fs::create_dir_all(workdir)?;
        let path = workdir.join("commit_inputs.json");
        std::fs::write(&path, serde_json::json!({ "input_data": [input] }).to_string())?;
        let args = vec!["--dir".into(), signaler.circuit_dir.display().to_string(), "--inputs".into(), path.display().to_string()];
        let v = signaler.ezkl.run("commit", &args, Duration::from_secs(300)).await?;
        let hex = v["commitments"][0].as_str().context("commit: no commitment")?;
        let c: Bytes = hex.parse().context("commit: commitment is not hex")?;
        anyhow::ensure!(c.len() == b.commitment_length as usize, "commit: {} bytes, the manifest says {}", c.len(), b.commitment_length);
        c.to_vec()
    };
    Ok(input_binding(&public, &commitment))
}

/// The public input instances EZKL makes of a normalised window: each value times 2^scale,
/// rounded to the nearest integer, as a field element.
pub fn quantize_inputs(x: &[f32], scale: u32) -> Vec<U256> {
    let m = f64::powi(2.0, scale as i32);
    x.iter()
        .map(|&v| {
            let q = (v as f64 * m).round() as i128;
            if q >= 0 {
                U256::from(q as u128)
            } else {
                FIELD_MODULUS - U256::from(q.unsigned_abs())
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::decide;

    #[test]
    fn tie_rule_matches_the_contract() {
        assert_eq!(decide([1, 1, 1]), 1);
        assert_eq!(decide([2, 1, 2]), 0);
        assert_eq!(decide([0, 1, 1]), 1);
        assert_eq!(decide([0, -1, 3]), 2);
        assert_eq!(decide([5.0, 1.0, 3.0]), 0);
    }
}
