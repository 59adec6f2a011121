use crate::bench::Fidelity;
use crate::data::{synth_candles, Archive, Series, SynthConfig};
use crate::features::{Dataset, Sample, INPUT_LEN};
use crate::model::ModelCard;
use crate::prover::{project_root, Ezkl};
use crate::round::Signaler;
use anyhow::Context;
use clap::{Args, Subcommand};
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug, Subcommand)]
pub enum CircuitCmd {
    /// Compile a model folder into an EZKL circuit: settings, calibration on real windows, compiled
    /// circuit, SRS, keys, the Solidity verifier and a Foundry proof fixture.
    ///
    /// Example: veriregime circuit build --model models/student --out circuits/student --data ../shared/data/binance-vision
    Build(BuildArgs),
    /// Regenerate the proving key (never committed) from the committed circuit; checks that the
    /// verifying key it implies is the committed one. Does nothing when the key is present.
    Keys(KeysArgs),
    /// Fidelity: the circuit's signal (witness outputs) against the float model's (tract) on many
    /// windows; prints the agreement and every disagreement.
    ///
    /// Example: veriregime circuit fidelity --data ../shared/data/binance-vision --from 2024-01-20 --to 2024-03-31 --n 1000
    Fidelity(FidelityArgs),
}

impl CircuitCmd {
    pub fn run(self) -> anyhow::Result<()> {
        let rt = tokio::runtime::Runtime::new()?;
        match self {
            CircuitCmd::Build(a) => rt.block_on(a.run()),
            CircuitCmd::Keys(a) => rt.block_on(a.run()),
            CircuitCmd::Fidelity(a) => rt.block_on(a.run()),
        }
    }
}

#[derive(Debug, Args)]
pub struct BuildArgs {
    #[arg(long, default_value = "models/student")]
    pub model: PathBuf,
    #[arg(long, default_value = "circuits/student")]
    pub out: PathBuf,
    /// Archive root for calibration windows; without it, the synthetic fixture is used.
    #[arg(long)]
    pub data: Option<PathBuf>,
    #[arg(long, default_value = "BTCUSDT")]
    pub symbol: String,
    /// Calibration days (YYYY-MM-DD), by default the model card's test period end.
    #[arg(long, default_value = "2024-03-01")]
    pub from: String,
    #[arg(long, default_value = "2024-03-31")]
    pub to: String,
    /// Number of calibration windows, spread evenly over the range.
    #[arg(long, default_value_t = 32)]
    pub calibration_windows: usize,
    /// A public SRS file (production); without it an insecure development SRS is generated.
    #[arg(long)]
    pub srs: Option<PathBuf>,
    /// Where the generated verifier goes.
    #[arg(long, default_value = "contracts/generated/Halo2Verifier.sol")]
    pub sol_out: PathBuf,
    /// Where the Foundry proof fixture goes.
    #[arg(long, default_value = "test/fixtures/proof.json")]
    pub fixture: PathBuf,
    /// Extra flags for the driver's build step (e.g. "--num-inner-cols 4").
    #[arg(long, allow_hyphen_values = true)]
    pub driver_args: Option<String>,
}

/// Windows of `[from, to]` from an archive, or of the synthetic fixture when no archive is given.
pub(crate) fn windows_for(data: Option<&Path>, symbol: &str, from: &str, to: &str) -> anyhow::Result<(Dataset, Vec<Sample>)> {
    let (series, a, b) = match data {
        Some(root) => {
            let (a, b) = super::day_range(from, to)?;
            (super::features::load_with_margins(&Archive::new(root, symbol), a, b)?, a, b)
        }
        None => (Series::from_candles(synth_candles(&SynthConfig::default()), "synthetic fixture")?, i64::MIN, i64::MAX),
    };
    let ds = Dataset::from_series(&series);
    let samples = ds.samples(a, b, false);
    anyhow::ensure!(!samples.is_empty(), "no decision minute in the calibration range");
    Ok((ds, samples))
}

/// `n` samples spread evenly over `samples` (all of them when there are fewer).
pub(crate) fn spread(samples: &[Sample], n: usize) -> Vec<Sample> {
    let step = (samples.len() / n.max(1)).max(1);
    samples.iter().step_by(step).take(n).copied().collect()
}

/// What to compile into a circuit, and where.
pub(crate) struct CircuitSpec<'a> {
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
pub(crate) async fn build_circuit(ezkl: &Ezkl, spec: &CircuitSpec<'_>, calibration: &[f32]) -> anyhow::Result<serde_json::Value> {
    std::fs::create_dir_all(spec.out).with_context(|| format!("cannot create {}", spec.out.display()))?;
    let cal = spec.out.join("calibration.json");
    // EZKL splits a long input into samples of the model's input size.
    std::fs::write(&cal, serde_json::json!({ "input_data": [calibration] }).to_string())?;
    if let Some(dir) = spec.sol_out.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut args = vec![
        "--onnx".to_string(),
        spec.model.join(crate::model::ONNX_FILE).display().to_string(),
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

impl BuildArgs {
    pub async fn run(self) -> anyhow::Result<()> {
        let (card, _) = ModelCard::load(&self.model)?;
        let (ds, samples) = windows_for(self.data.as_deref(), &self.symbol, &self.from, &self.to)?;
        let picked = spread(&samples, self.calibration_windows);
        let ezkl = Ezkl::new(&project_root());
        let spec = CircuitSpec {
            model: &self.model,
            out: &self.out,
            sol_out: &self.sol_out,
            srs: self.srs.as_deref(),
            driver_args: self.driver_args.as_deref(),
        };
        let built = build_circuit(&ezkl, &spec, &ds.windows(&picked, &card.normalization)).await?;
        eprintln!("circuit: {}", built);

        // Real proofs of real windows for the Foundry tests: the last calibration window, and the
        // last window of the range the model calls SELL, HOLD and BUY (the vault tests need each).
        let signaler = Signaler::load(&self.model, &self.out, ezkl)?;
        let source = if self.data.is_some() { "real Binance candles" } else { "synthetic fixture" };
        let mut jobs = vec![(*picked.last().expect("at least one window"), self.fixture.clone())];
        let dir = self.fixture.parent().unwrap_or(Path::new(".")).to_path_buf();
        let mut found = [None; 3];
        for s in samples.iter().rev() {
            let mut input = vec![0.0f32; INPUT_LEN];
            card.normalization.apply(ds.raw_window(s), &mut input);
            let sig = crate::round::decide(signaler.model.logits(&input)?[0]) as usize;
            if found[sig].is_none() {
                found[sig] = Some(*s);
            }
        }
        for (k, name) in ["proof_sell.json", "proof_hold.json", "proof_buy.json"].iter().enumerate() {
            match found[k] {
                Some(s) => jobs.push((s, dir.join(name))),
                None => eprintln!("WARNING: no window in the range gets signal {}: {name} not written", crate::features::CLASS_NAMES[k]),
            }
        }
        let mut written = Vec::new();
        for (s, path) in jobs {
            let prove_s = write_fixture(&signaler, &ds, &s, &path, source).await?;
            written.push(serde_json::json!({ "fixture": path, "prove_s": prove_s }));
        }
        println!("{}", serde_json::json!({ "circuit": built, "fixtures": written }));
        Ok(())
    }
}

/// Proves the window of `s` and writes a Foundry proof fixture (format: test/utils/ProofFixture.sol).
async fn write_fixture(signaler: &Signaler, ds: &Dataset, s: &Sample, path: &Path, source: &str) -> anyhow::Result<f64> {
    let mut input = vec![0.0f32; INPUT_LEN];
    signaler.card.normalization.apply(ds.raw_window(s), &mut input);
    let logits = signaler.model.logits(&input)?[0];
    let inf = crate::round::Inference { decision_minute: s.open_time, input, logits, signal: crate::round::decide(logits) };
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
    eprintln!("fixture {}: {} at {} ({:.1} s to prove)", path.display(), crate::features::CLASS_NAMES[proven.signal as usize], crate::data::fmt_minute(inf.decision_minute), proven.prove_s);
    Ok(proven.prove_s)
}

#[derive(Debug, Args)]
pub struct KeysArgs {
    #[arg(long, default_value = "circuits/student")]
    pub dir: PathBuf,
    /// The SRS file the circuit was built with, when it is not the committed development SRS.
    #[arg(long)]
    pub srs: Option<PathBuf>,
}

impl KeysArgs {
    pub async fn run(self) -> anyhow::Result<()> {
        let manifest: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(self.dir.join("manifest.json"))?)?;
        let srs = match &self.srs {
            Some(p) => p.clone(),
            None => self.dir.join(manifest["srs"]["file"].as_str().unwrap_or_default()),
        };
        if self.dir.join("pk.key").is_file() && srs.is_file() {
            eprintln!("{}: proving key and SRS present", self.dir.display());
            return Ok(());
        }
        if manifest["srs"]["kind"] == "insecure-dev" {
            eprintln!("WARNING: {} uses an INSECURE development SRS: fine for tests and the demo, never for production", self.dir.display());
        }
        let mut args = vec!["--dir".to_string(), self.dir.display().to_string()];
        if let Some(srs) = &self.srs {
            args.extend(["--srs".into(), srs.display().to_string()]);
        }
        let v = Ezkl::new(&project_root()).run("keys", &args, Duration::from_secs(1800)).await?;
        eprintln!("{}: proving key regenerated ({} bytes, {:.1} s), verifying key matches the committed one", self.dir.display(), v["pk_bytes"], v["setup_s"].as_f64().unwrap_or(0.0));
        Ok(())
    }
}

#[derive(Debug, Args)]
pub struct FidelityArgs {
    #[arg(long, default_value = "models/student")]
    pub model: PathBuf,
    #[arg(long, default_value = "circuits/student")]
    pub circuit: PathBuf,
    /// Archive root; without it, the synthetic fixture.
    #[arg(long)]
    pub data: Option<PathBuf>,
    #[arg(long, default_value = "BTCUSDT")]
    pub symbol: String,
    #[arg(long, default_value = "2024-01-20")]
    pub from: String,
    #[arg(long, default_value = "2024-03-31")]
    pub to: String,
    /// Number of windows, spread evenly over the range.
    #[arg(long, default_value_t = 1000)]
    pub n: usize,
}

impl FidelityArgs {
    pub async fn run(self) -> anyhow::Result<()> {
        let root = project_root();
        let signaler = Signaler::load(&self.model, &self.circuit, Ezkl::new(&root))?;
        let (ds, samples) = windows_for(self.data.as_deref(), &self.symbol, &self.from, &self.to)?;
        let f = fidelity(&signaler, &ds, &spread(&samples, self.n)).await?;
        println!("{}", serde_json::to_string(&f)?);
        Ok(())
    }
}

/// The circuit's signal (EZKL witness outputs, fixed point) against tract's on the windows of
/// `picked`.
pub(crate) async fn fidelity(signaler: &Signaler, ds: &Dataset, picked: &[Sample]) -> anyhow::Result<Fidelity> {
    let x = ds.windows(picked, &signaler.card.normalization);
    let tract = signaler.model.logits(&x)?;
    let work = tempfile::tempdir()?;
    let inputs = work.path().join("inputs.json");
    let rows: Vec<&[f32]> = x.chunks(INPUT_LEN).collect();
    std::fs::write(&inputs, serde_json::json!({ "input_data": rows }).to_string())?;
    let pb = crate::round::spinner(format!("witnessing {} windows with EZKL", picked.len()));
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
        let fixed = crate::round::fixed_outputs(o).context("witness")?;
        let circuit = crate::round::decide(fixed);
        let float = crate::round::decide(*t);
        for k in 0..3 {
            max_err = max_err.max((fixed[k] as f64 / scale - t[k] as f64).abs());
        }
        if circuit == float {
            agree += 1;
        } else {
            disagreements.push(serde_json::json!({
                "decision_minute": crate::data::fmt_minute(s.open_time), "tract": t,
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
