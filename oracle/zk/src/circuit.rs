//! Circuits: compile a model folder with EZKL (settings, calibration, keys, Solidity verifier),
//! write Foundry proof fixtures of real windows, regenerate a proving key, and measure fidelity
//! (the circuit's signal against the float model's).

use crate::prover::{project_root, Ezkl};
use crate::signaler::Signaler;
use anyhow::Context;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Duration;
use veriregime_core::data::{fmt_minute, synth_candles, Archive, Series, SynthConfig};
use veriregime_core::features::{Dataset, Sample, CLASS_NAMES, INPUT_LEN};
use veriregime_core::model::ModelCard;

/// How often the circuit's signal is the float model's.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Fidelity {
    pub n: usize,
    pub agree: usize,
    pub agreement: f64,
    /// Largest |circuit logit - tract logit| over all windows and classes.
    pub max_abs_logit_error: f64,
    pub witness_s: f64,
    /// Every window whose signals differ: decision minute, tract's and the circuit's logits.
    pub disagreements: Vec<serde_json::Value>,
}

/// Windows of `[from, to]` from an archive, or of the synthetic fixture when no archive is given.
pub fn windows_for(data: Option<&Path>, symbol: &str, from: &str, to: &str) -> anyhow::Result<(Dataset, Vec<Sample>)> {
    let (series, a, b) = match data {
        Some(root) => {
            let (a, b) = veriregime_core::range::day_range(from, to)?;
            (veriregime_core::range::load_with_margins(&Archive::new(root, symbol), a, b)?, a, b)
        }
        None => (Series::from_candles(synth_candles(&SynthConfig::default()), "synthetic fixture")?, i64::MIN, i64::MAX),
    };
    let ds = Dataset::from_series(&series);
    let samples = ds.samples(a, b, false);
    anyhow::ensure!(!samples.is_empty(), "no decision minute in the calibration range");
    Ok((ds, samples))
}

/// `n` samples spread evenly over `samples` (all of them when there are fewer).
pub fn spread(samples: &[Sample], n: usize) -> Vec<Sample> {
    let step = (samples.len() / n.max(1)).max(1);
    samples.iter().step_by(step).take(n).copied().collect()
}

/// What to compile into a circuit, and where.
pub struct CircuitSpec<'a> {
    pub model: &'a Path,
    pub out: &'a Path,
    pub sol_out: &'a Path,
    pub srs: Option<&'a Path>,
    /// Extra flags for the driver's build step.
    pub driver_args: Option<&'a str>,
}

/// Compiles `spec.model` into an EZKL circuit calibrated on `calibration` (flat, normalised
/// windows): settings, compiled circuit, SRS, keys, manifest and Solidity verifier. Returns the
/// driver's build report (settings figures, timings of each step, key sizes).
pub async fn build_circuit(ezkl: &Ezkl, spec: &CircuitSpec<'_>, calibration: &[f32]) -> anyhow::Result<serde_json::Value> {
    std::fs::create_dir_all(spec.out).with_context(|| format!("cannot create {}", spec.out.display()))?;
    let cal = spec.out.join("calibration.json");
    // EZKL splits a long input into samples of the model's input size.
    std::fs::write(&cal, serde_json::json!({ "input_data": [calibration] }).to_string())?;
    if let Some(dir) = spec.sol_out.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut args = vec![
        "--onnx".to_string(),
        spec.model.join(veriregime_core::model::ONNX_FILE).display().to_string(),
        "--calibration".into(),
        cal.display().to_string(),
        "--out".into(),
        spec.out.display().to_string(),
        "--sol-out".into(),
        spec.sol_out.display().to_string(),
    ];
    if let Some(srs) = spec.srs {
        args.extend(["--srs".into(), srs.display().to_string()]);
    }
    if let Some(extra) = spec.driver_args {
        args.extend(extra.split_whitespace().map(String::from));
    }
    Ok(ezkl.run("build", &args, Duration::from_secs(4 * 3600)).await?)
}

/// What `circuit build` does: a circuit calibrated on real (or synthetic) windows, and Foundry proof
/// fixtures of real windows.
#[derive(Debug, Clone)]
pub struct BuildJob {
    pub model: PathBuf,
    pub out: PathBuf,
    /// Archive root for calibration windows; `None`: the synthetic fixture.
    pub data: Option<PathBuf>,
    pub symbol: String,
    pub from: String,
    pub to: String,
    pub calibration_windows: usize,
    pub srs: Option<PathBuf>,
    pub sol_out: PathBuf,
    pub fixture: PathBuf,
    pub driver_args: Option<String>,
}

/// Builds the circuit of `job` and writes the proof fixtures: the last calibration window, and the
/// last window of the range the model calls SELL, HOLD and BUY. Returns the build report and the
/// fixtures written (`{"circuit", "fixtures"}`).
pub async fn build_with_fixtures(job: &BuildJob) -> anyhow::Result<serde_json::Value> {
    let (card, _) = ModelCard::load(&job.model)?;
    let (ds, samples) = windows_for(job.data.as_deref(), &job.symbol, &job.from, &job.to)?;
    let picked = spread(&samples, job.calibration_windows);
    let ezkl = Ezkl::new(&project_root());
    let spec = CircuitSpec {
        model: &job.model,
        out: &job.out,
        sol_out: &job.sol_out,
        srs: job.srs.as_deref(),
        driver_args: job.driver_args.as_deref(),
    };
    let built = build_circuit(&ezkl, &spec, &ds.windows(&picked, &card.normalization)).await?;
    eprintln!("circuit: {}", built);

    // Real proofs of real windows for the Foundry tests: the last calibration window, and the
    // last window of the range the model calls SELL, HOLD and BUY (the vault tests need each).
    let signaler = Signaler::load(&job.model, &job.out, ezkl)?;
    let source = if job.data.is_some() { "real Binance candles" } else { "synthetic fixture" };
    let mut jobs = vec![(*picked.last().expect("at least one window"), job.fixture.clone())];
    let dir = job.fixture.parent().unwrap_or(Path::new(".")).to_path_buf();
    let mut found = [None; 3];
    for s in samples.iter().rev() {
        let mut input = vec![0.0f32; INPUT_LEN];
        card.normalization.apply(ds.raw_window(s), &mut input);
        let sig = crate::signaler::decide(signaler.model.logits(&input)?[0]) as usize;
        if found[sig].is_none() {
            found[sig] = Some(*s);
        }
    }
    for (k, name) in ["proof_sell.json", "proof_hold.json", "proof_buy.json"].iter().enumerate() {
        match found[k] {
            Some(s) => jobs.push((s, dir.join(name))),
            None => eprintln!("WARNING: no window in the range gets signal {}: {name} not written", CLASS_NAMES[k]),
        }
    }
    let mut written = Vec::new();
    for (s, path) in jobs {
        let prove_s = write_fixture(&signaler, &ds, &s, &path, source).await?;
        written.push(serde_json::json!({ "fixture": path, "prove_s": prove_s }));
    }
    Ok(serde_json::json!({ "circuit": built, "fixtures": written }))
}


/// Proves the window of `s` and writes a Foundry proof fixture (format: test/utils/ProofFixture.sol).
async fn write_fixture(signaler: &Signaler, ds: &Dataset, s: &Sample, path: &Path, source: &str) -> anyhow::Result<f64> {
    let mut input = vec![0.0f32; INPUT_LEN];
    signaler.card.normalization.apply(ds.raw_window(s), &mut input);
    let logits = signaler.model.logits(&input)?[0];
    let inf = crate::signaler::Inference { decision_minute: s.open_time, input, logits, signal: crate::signaler::decide(logits) };
    let work = tempfile::tempdir()?;
    let proven = signaler.prove(&inf, work.path()).await?;
    let scale = f64::powi(2.0, signaler.manifest.output_scale as i32);
    let fixed: Vec<String> = proven.outputs.iter().map(|o| format!("{}", (o * scale).round() as i128)).collect();
    let b = signaler.manifest.binding;
    let fixture = serde_json::json!({
        "model_id": signaler.model_id.to_string(),
        "n_inputs": b.n_inputs,
        "commitment_offset": b.commitment_offset,
        "commitment_length": b.commitment_length,
        "input_binding": proven.binding.to_string(),
        "output_scale": signaler.manifest.output_scale,
        "decision_minute": inf.decision_minute / 1000,
        "proof": proven.proof.to_string(),
        "instances": proven.instances.iter().map(|w| format!("{w:#066x}")).collect::<Vec<_>>(),
        "signal": proven.signal,
        "logits_fixed": fixed,
        "logits": proven.outputs,
        "source": source,
    });
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, serde_json::to_string_pretty(&fixture)? + "\n").with_context(|| format!("writing {}", path.display()))?;
    eprintln!("fixture {}: {} at {} ({:.1} s to prove)", path.display(), CLASS_NAMES[proven.signal as usize], fmt_minute(inf.decision_minute), proven.prove_s);
    Ok(proven.prove_s)
}

/// Regenerates the proving key of the circuit in `dir` (never committed) from the committed circuit
/// and SRS (or `srs`), checking that the verifying key it implies is the committed one. Does
/// nothing when the key and SRS are present.
pub async fn regenerate_keys(dir: &Path, srs_file: Option<&Path>) -> anyhow::Result<()> {
    let manifest: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json"))?)?;
    let srs = match &srs_file {
        Some(p) => p.to_path_buf(),
        None => dir.join(manifest["srs"]["file"].as_str().unwrap_or_default()),
    };
    if dir.join("pk.key").is_file() && srs.is_file() {
        eprintln!("{}: proving key and SRS present", dir.display());
        return Ok(());
    }
    if manifest["srs"]["kind"] == "insecure-dev" {
        eprintln!("WARNING: {} uses an INSECURE development SRS: fine for tests and the demo, never for production", dir.display());
    }
    let mut args = vec!["--dir".to_string(), dir.display().to_string()];
    if let Some(srs) = &srs_file {
        args.extend(["--srs".into(), srs.display().to_string()]);
    }
    let v = Ezkl::new(&project_root()).run("keys", &args, Duration::from_secs(1800)).await?;
    eprintln!("{}: proving key regenerated ({} bytes, {:.1} s), verifying key matches the committed one", dir.display(), v["pk_bytes"], v["setup_s"].as_f64().unwrap_or(0.0));
    Ok(())
}


/// The circuit's signal (EZKL witness outputs, fixed point) against tract's on the windows of
/// `picked`.
pub async fn fidelity(signaler: &Signaler, ds: &Dataset, picked: &[Sample]) -> anyhow::Result<Fidelity> {
    let x = ds.windows(picked, &signaler.card.normalization);
    let tract = signaler.model.logits(&x)?;
    let work = tempfile::tempdir()?;
    let inputs = work.path().join("inputs.json");
    let rows: Vec<&[f32]> = x.chunks(INPUT_LEN).collect();
    std::fs::write(&inputs, serde_json::json!({ "input_data": rows }).to_string())?;
    let pb = veriregime_core::progress::spinner(format!("witnessing {} windows with EZKL", picked.len()));
    let v = signaler
        .ezkl
        .run(
            "witness",
            &["--dir".into(), signaler.circuit_dir.display().to_string(), "--inputs".into(), inputs.display().to_string(), "--out-dir".into(), work.path().display().to_string()],
            Duration::from_secs(4 * 3600),
        )
        .await;
    pb.finish_and_clear();
    let v = v?;
    let scale = f64::powi(2.0, v["output_scale"].as_i64().unwrap_or(0) as i32);
    let outs = v["outputs_fixed"].as_array().context("witness: no outputs")?;
    anyhow::ensure!(outs.len() == picked.len(), "witness returned {} outputs for {} windows", outs.len(), picked.len());
    let (mut agree, mut max_err, mut disagreements) = (0usize, 0f64, Vec::new());
    for ((s, t), o) in picked.iter().zip(&tract).zip(outs) {
        let fixed = crate::signaler::fixed_outputs(o).context("witness")?;
        let circuit = crate::signaler::decide(fixed);
        let float = crate::signaler::decide(*t);
        for k in 0..3 {
            max_err = max_err.max((fixed[k] as f64 / scale - t[k] as f64).abs());
        }
        if circuit == float {
            agree += 1;
        } else {
            disagreements.push(serde_json::json!({
                "decision_minute": fmt_minute(s.open_time), "tract": t,
                "circuit": fixed.iter().map(|f| *f as f64 / scale).collect::<Vec<_>>(),
            }));
        }
    }
    Ok(Fidelity {
        n: picked.len(),
        agree,
        agreement: agree as f64 / picked.len().max(1) as f64,
        max_abs_logit_error: max_err,
        witness_s: v["seconds"].as_f64().unwrap_or(0.0),
        disagreements,
    })
}
