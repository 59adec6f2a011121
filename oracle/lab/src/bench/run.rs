//! `veriregime bench`: the teacher and each student compiled to an EZKL circuit and measured end to
//! end in one run (settings, calibration, setup, proofs, verification, key sizes, prover memory,
//! on-chain verifier gas, fidelity), then the speed-up S = T_prove(teacher) / T_prove(student).
//! Writes `bench/RESULTS.md`, `bench/RESULTS.json` and `bench/pareto.png` (see `crate::bench`).

use veriregime_zk::circuit::{build_circuit, fidelity, spread, windows_for, CircuitSpec};
use super::{median, BenchResults, Build, Gas, ModelBench, Proofs, Role};
use veriregime_chain::{creation_code, Client, IHalo2Verifier};
use veriregime_core::features::{Dataset, Sample, INPUT_LEN};
use crate::model::ModelCard;
use veriregime_zk::prover::{project_root, Ezkl};
use veriregime_zk::signaler::{decide, Inference, Proven, Signaler};
use alloy::node_bindings::Anvil;
use alloy::providers::Provider;
use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A proof of the teacher's circuit takes minutes; none may take longer than this.
const PROVE_TIMEOUT: Duration = Duration::from_secs(2 * 3600);

/// One benchmark run: what `veriregime bench` measures, and where it writes.
#[derive(Debug, Clone)]
pub struct BenchPlan {
    /// Student model folders (each folder's name names its row).
    pub students: Vec<PathBuf>,
    /// Driver build flags of each student's second, tuned circuit (row `<name>-tuned`); empty for
    /// none. The default shrinks the range-check lookup table from 2^14 to 2^12 entries, which
    /// lets a circuit of < 2^14 rows drop from logrows 15 to 14.
    pub tuned_args: String,
    /// Driver build flags of every model's first circuit, the teacher's unless --teacher-args is
    /// given (default: none, EZKL's defaults).
    pub driver_args: String,
    /// Driver build flags of the teacher's circuit, instead of --driver-args: S should compare the
    /// student with the teacher's fastest layout, not with EZKL's defaults.
    pub teacher_args: Option<String>,
    /// The teacher's model folder. Its circuit is heavy (here: logrows 19-20, a proving key of
    /// 7-10 GB, 19-24 GB of RAM and minutes per proof, by layout).
    pub teacher: PathBuf,
    /// Leave the teacher out (then S is not measured).
    pub no_teacher: bool,
    /// Archive root for the windows; without it, the synthetic fixture.
    pub data: Option<PathBuf>,
    pub symbol: String,
    /// First day of the windows (calibration, proofs, fidelity): by default the test split's.
    pub from: String,
    pub to: String,
    /// Proofs per model (timings are their median; the issue asks for at least 3).
    pub proofs: usize,
    /// Windows for each student's fidelity (circuit signal vs tract).
    pub fidelity: usize,
    /// Windows for the teacher's fidelity (each witness of its circuit takes seconds).
    pub teacher_fidelity: usize,
    pub calibration_windows: usize,
    /// Where circuits and keys go (large; never committed). A build whose inputs are unchanged is
    /// reused from here, with the timings measured when it was made.
    pub work: PathBuf,
    /// Where RESULTS.md, RESULTS.json and pareto.png go.
    pub out: PathBuf,
    /// A public SRS file for every circuit; without it, insecure development SRSs are generated.
    pub srs: Option<PathBuf>,
    /// Rebuild every circuit even when an identical build is in --work.
    pub rebuild: bool,
    /// Measure nothing: re-render RESULTS.md and pareto.png from --out's RESULTS.json.
    pub render: bool,
    /// Measure nothing: draw --out's pareto.png again from its RESULTS.json (RESULTS.md and
    /// RESULTS.json are left as they are).
    pub replot: bool,
    /// Measure nothing: put every model of these runs' RESULTS.json (folders, named relative to
    /// --out in the table) on one Pareto plot; writes --out's PARETO.md and pareto.png.
    pub pareto_of: Vec<PathBuf>,
}

impl BenchPlan {
    /// Runs the benchmark (or, with `pareto_of` / `render` / `replot`, only re-plots); progress on stderr.
    pub async fn run(self) -> anyhow::Result<()> {
        if !self.pareto_of.is_empty() {
            let runs = self
                .pareto_of
                .iter()
                .map(|d| {
                    let mut r = BenchResults::read(d).with_context(|| format!("benchmark run {}", d.display()))?;
                    r.name_models(&project_root());
                    Ok((d.display().to_string(), pathdiff(d, &self.out), r))
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            super::write_combined_pareto(&runs, &self.out)?;
            eprintln!("wrote {}", self.out.join("PARETO.md").display());
            return Ok(());
        }
        if self.replot {
            let png = BenchResults::replot(&self.out, &project_root())?;
            eprintln!("wrote {}", png.display());
            return Ok(());
        }
        if self.render {
            let r = BenchResults::read(&self.out)?;
            r.write(&self.out)?;
            eprintln!("{}", r.summary());
            return Ok(());
        }
        anyhow::ensure!(self.proofs >= 1, "--proofs must be at least 1");
        let root = project_root();
        let ezkl = Ezkl::new(&root);
        // (folder, role, driver flags, row name); every folder is checked before any heavy work.
        let mut models: Vec<(PathBuf, Role, String, String)> = Vec::new();
        let mut folders: Vec<(PathBuf, Role)> = self.students.iter().map(|s| (s.clone(), Role::Student)).collect();
        if !self.no_teacher {
            folders.insert(0, (self.teacher.clone(), Role::Teacher));
        }
        anyhow::ensure!(!folders.is_empty(), "nothing to benchmark: no students and --no-teacher");
        for (dir, role) in &folders {
            ModelCard::load(dir).with_context(|| format!("model folder {}", dir.display()))?;
            let name = dir.file_name().and_then(|n| n.to_str()).with_context(|| format!("{} has no folder name", dir.display()))?.to_string();
            for (args, row) in self.circuits_of(*role, &name) {
                models.push((dir.clone(), *role, args, row));
            }
        }
        let names: Vec<String> = models.iter().map(|m| m.3.clone()).collect();
        for (i, n) in names.iter().enumerate() {
            anyhow::ensure!(!names[..i].contains(n), "two model folders are named {n}: rows would collide");
        }
        let (ds, samples) = windows_for(self.data.as_deref(), &self.symbol, &self.from, &self.to)?;
        let source = match &self.data {
            Some(d) => format!("{} {} {}..{} ({})", self.symbol, "1m", self.from, self.to, d.display()),
            None => "synthetic fixture".to_string(),
        };
        let started = std::time::Instant::now();
        let bar = ProgressBar::new((models.len() * 3) as u64);
        bar.set_style(ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {pos}/{len} {msg}").expect("template").progress_chars("=> "));

        let mut rows = Vec::new();
        let mut last_proofs = Vec::new();
        for (dir, role, driver_args, name) in &models {
            let circuit = self.work.join(name);
            let n_fid = if *role == Role::Teacher { self.teacher_fidelity } else { self.fidelity };
            bar.set_message(format!("{name}: circuit"));
            let build = self.build(&ezkl, dir, driver_args, &circuit, &ds, &samples).await.with_context(|| format!("building the circuit of {name}"))?;
            bar.inc(1);
            bar.set_message(format!("{name}: {} proofs", self.proofs));
            let signaler = Signaler::load(dir, &circuit, ezkl.clone())?;
            let (proofs, last) = prove_many(&signaler, &ds, &spread_from_end(&samples, self.proofs), &circuit.join("proofs")).await.with_context(|| format!("proving {name}"))?;
            bar.inc(1);
            bar.set_message(format!("{name}: fidelity on {n_fid} windows"));
            let fid = if n_fid > 0 { Some(fidelity(&signaler, &ds, &spread(&samples, n_fid)).await.with_context(|| format!("fidelity of {name}"))?) } else { None };
            bar.inc(1);
            rows.push(ModelBench::new(name, *role, &signaler.card, build, proofs, fid));
            last_proofs.push((circuit, last));
        }
        bar.set_message("verifier gas on anvil");
        let gas = verifier_gas(&root, &last_proofs).await?;
        for (row, g) in rows.iter_mut().zip(gas) {
            row.gas = Some(g);
        }
        bar.finish_and_clear();
        let mut results = BenchResults::new(rows, source, self.proofs, started.elapsed().as_secs_f64(), &root);
        results.command = Some(command_line());
        results.write(&self.out)?;
        eprintln!("{}", results.summary());
        eprintln!("wrote {}", self.out.join(super::RESULTS_MD).display());
        Ok(())
    }

    /// The circuits benchmarked for one model folder: (driver flags, row name). The teacher takes
    /// --teacher-args when given; each student gets a second, tuned circuit unless --tuned-args is empty.
    pub fn circuits_of(&self, role: Role, name: &str) -> Vec<(String, String)> {
        let first = match (role, &self.teacher_args) {
            (Role::Teacher, Some(t)) => t,
            _ => &self.driver_args,
        };
        let mut out = vec![(first.trim().to_string(), name.to_string())];
        if role == Role::Student && !self.tuned_args.trim().is_empty() {
            out.push((self.tuned_args.trim().to_string(), format!("{name}-tuned")));
        }
        out
    }

    /// Builds the circuit of `model` into `dir`, or reuses the build there when its inputs (ONNX,
    /// calibration windows, SRS, driver version) are unchanged and its proving key is present.
    async fn build(&self, ezkl: &Ezkl, model: &Path, driver_args: &str, dir: &Path, ds: &Dataset, samples: &[Sample]) -> anyhow::Result<Build> {
        let (card, _) = ModelCard::load(model)?;
        let calibration = ds.windows(&spread(samples, self.calibration_windows), &card.normalization);
        let mut h = Sha256::new();
        h.update(card.onnx_sha256.as_bytes());
        for x in &calibration {
            h.update(x.to_le_bytes());
        }
        h.update(format!("{:?} {driver_args:?}", self.srs).as_bytes());
        h.update(std::fs::read(&ezkl.script).with_context(|| format!("reading {}", ezkl.script.display()))?);
        let key = hex::encode(h.finalize());
        let record = dir.join("build.json");
        if !self.rebuild && dir.join("pk.key").is_file() {
            if let Ok(b) = serde_json::from_str::<Build>(&std::fs::read_to_string(&record).unwrap_or_default()) {
                if b.key == key {
                    return Ok(Build { reused: true, ..b });
                }
            }
        }
        let sol = dir.join("Halo2Verifier.sol");
        let spec = CircuitSpec { model, out: dir, sol_out: &sol, srs: self.srs.as_deref(), driver_args: Some(driver_args) };
        let report = build_circuit(ezkl, &spec, &calibration).await?;
        let b = Build::from_report(key, driver_args, &report, &dir.join("settings.json"), calibration.len() / INPUT_LEN)?;
        veriregime_core::write_atomic(&record, (serde_json::to_string_pretty(&b)? + "\n").as_bytes())?;
        Ok(b)
    }
}

/// `n` windows spread over the last part of `samples` (the newest), distinct from each other.
fn spread_from_end(samples: &[Sample], n: usize) -> Vec<Sample> {
    let tail = &samples[samples.len().saturating_sub(n * 60)..];
    spread(tail, n)
}

/// Proves each window (real EZKL proofs, verified by the driver, signal checked against tract).
async fn prove_many(signaler: &Signaler, ds: &Dataset, picked: &[Sample], work: &Path) -> anyhow::Result<(Proofs, Proven)> {
    let mut p = Proofs::default();
    let mut last = None;
    for (i, s) in picked.iter().enumerate() {
        let mut input = vec![0.0f32; INPUT_LEN];
        signaler.card.normalization.apply(ds.raw_window(s), &mut input);
        let logits = signaler.model.logits(&input)?[0];
        let inf = Inference { decision_minute: s.open_time, input, logits, signal: decide(logits) };
        let proven = signaler.prove_within(&inf, &work.join(i.to_string()), PROVE_TIMEOUT).await?;
        p.witness_s.push(proven.witness_s);
        p.prove_s.push(proven.prove_s);
        p.verify_s.push(proven.verify_s);
        p.peak_rss_bytes = p.peak_rss_bytes.max(proven.peak_rss_bytes);
        p.proof_bytes = proven.proof.len();
        p.instances = proven.instances.len();
        last = Some(proven);
    }
    p.prove_median_s = median(&p.prove_s);
    p.verify_median_s = median(&p.verify_s);
    Ok((p, last.context("no proof window")?))
}

/// Compiles each circuit's generated verifier with forge (the project's pinned solc), deploys it
/// on a fresh anvil and sends one real `verifyProof` transaction with the model's last proof.
async fn verifier_gas(root: &Path, circuits: &[(PathBuf, Proven)]) -> anyhow::Result<Vec<Gas>> {
    let bin = |name: &str| veriregime_zk::prover::npm_tool(root, name);
    // The teacher's verifier may exceed EIP-170: deploy it anyway to measure, and report its size.
    let anvil = Anvil::at(bin("anvil"))
        .args(["--code-size-limit", "1000000", "--gas-limit", "1000000000"])
        .try_spawn()
        .context("cannot start anvil (run `make bootstrap`)")?;
    let key = hex::encode(anvil.first_key().to_bytes());
    let client = Client::connect(anvil.endpoint_url().as_str(), &key).await?;
    let mut out = Vec::new();
    for (dir, proven) in circuits {
        let forge_dir = std::fs::canonicalize(dir)?.join("forge");
        let sol = std::fs::canonicalize(dir.join("Halo2Verifier.sol"))?;
        let status = std::process::Command::new(bin("forge"))
            .current_dir(root)
            .args(["build", "--quiet"])
            .arg(&sol)
            .arg("--out")
            .arg(forge_dir.join("out"))
            .arg("--cache-path")
            .arg(forge_dir.join("cache"))
            .status()
            .context("cannot run forge (run `make bootstrap`)")?;
        anyhow::ensure!(status.success(), "forge could not compile {}", sol.display());
        let code = creation_code(&forge_dir, "Halo2Verifier.sol", "Halo2Verifier")?;
        let addr = client.deploy("Halo2Verifier", &code, &[]).await?;
        let runtime = client.provider.get_code_at(addr).await?.len();
        let verifier = IHalo2Verifier::new(addr, &client.provider);
        let call = verifier.verifyProof(proven.proof.clone(), proven.instances.clone());
        let receipt = call.send().await.with_context(|| format!("verifyProof of {}", dir.display()))?.get_receipt().await?;
        anyhow::ensure!(receipt.status(), "verifyProof of {} reverted", dir.display());
        let breakdown = veriregime_chain::gas::trace(&client.provider, receipt.transaction_hash, addr).await?;
        out.push(Gas {
            verify_tx_gas: receipt.gas_used,
            // What any transaction pays before executing (EIP-2028 calldata pricing).
            intrinsic_gas: Some(breakdown.intrinsic),
            runtime_code_bytes: runtime,
            calldata_bytes: breakdown.calldata_bytes,
            breakdown: Some(breakdown),
        });
    }
    Ok(out)
}

/// `dir` as a path relative to `base` (for links in a report written to `base`), e.g.
/// `../ablation`; `dir` itself when either cannot be resolved.
fn pathdiff(dir: &Path, base: &Path) -> String {
    let (Ok(d), Ok(b)) = (std::fs::canonicalize(dir), std::fs::create_dir_all(base).and_then(|()| std::fs::canonicalize(base))) else {
        return dir.display().to_string();
    };
    let common = d.components().zip(b.components()).take_while(|(x, y)| x == y).count();
    let mut rel = PathBuf::new();
    for _ in b.components().skip(common) {
        rel.push("..");
    }
    for c in d.components().skip(common) {
        rel.push(c);
    }
    if rel.as_os_str().is_empty() { ".".into() } else { rel.display().to_string() }
}

/// This process's command line as a shell would take it back: `veriregime` and its arguments.
fn command_line() -> String {
    let args: Vec<String> = std::iter::once("veriregime".to_string()).chain(std::env::args().skip(1)).collect();
    // Only an argument holding a NUL byte cannot be quoted; the OS never passes one.
    shlex::try_join(args.iter().map(String::as_str)).unwrap_or_else(|_| args.join(" "))
}
