//! Results of `veriregime bench` (measured by `cmd::bench`): their types, the report
//! (`RESULTS.md`, its JSON twin `RESULTS.json`) and the Pareto plot (`pareto.png`, test accuracy
//! against median prove time).

use crate::model::ModelCard;
use anyhow::Context;
use plotters::prelude::*;
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;
use std::path::Path;

pub const RESULTS_MD: &str = "RESULTS.md";
pub const RESULTS_JSON: &str = "RESULTS.json";
pub const PARETO_PNG: &str = "pareto.png";
pub const FORMAT: &str = "veriregime-bench-1";
pub use veriregime_zk::circuit::Fidelity;

pub mod run;

/// The issue's goals (2-core CPU).
pub const GOAL_PROVE_S: f64 = 3.0;
pub const GOAL_SPEEDUP: f64 = 100.0;
pub const GOAL_FIDELITY: f64 = 0.999;
pub const GOAL_PEAK_RSS_BYTES: u64 = 1_500_000_000;
pub const GOAL_SUBMIT_GAS: u64 = 450_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Teacher,
    Student,
}

/// One circuit build (EZKL settings, calibration, compile, setup), as the driver reported it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Build {
    /// Hash of what the build depends on (ONNX, calibration windows, SRS, driver).
    pub key: String,
    /// When the build was measured (a reused build keeps its first measurement).
    pub built_at: String,
    #[serde(default)]
    pub reused: bool,
    pub calibration_windows: usize,
    /// Driver flags beyond EZKL's defaults (empty: defaults).
    #[serde(default)]
    pub driver_args: String,
    pub logrows: u32,
    pub num_rows: u64,
    pub total_assignments: u64,
    pub input_scale: u32,
    pub param_scale: u32,
    pub output_scale: u32,
    pub num_inner_cols: u64,
    pub decomp_base: u64,
    pub decomp_legs: u64,
    pub input_visibility: String,
    pub srs_kind: String,
    pub ezkl_version: String,
    /// Seconds per driver step: gen_settings, calibrate, compile, setup, create_evm_verifier.
    pub timings: std::collections::BTreeMap<String, f64>,
    pub pk_bytes: u64,
    pub vk_bytes: u64,
}

impl Build {
    pub fn from_report(key: String, driver_args: &str, r: &serde_json::Value, settings: &Path, calibration_windows: usize) -> anyhow::Result<Build> {
        let s: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(settings).with_context(|| format!("reading {}", settings.display()))?)?;
        let u = |v: &serde_json::Value, what: &str| v.as_u64().with_context(|| format!("build report: no {what}"));
        Ok(Build {
            key,
            built_at: now(),
            reused: false,
            calibration_windows,
            driver_args: driver_args.into(),
            logrows: u(&r["logrows"], "logrows")? as u32,
            num_rows: u(&r["num_rows"], "num_rows")?,
            total_assignments: u(&r["total_assignments"], "total_assignments")?,
            input_scale: u(&r["input_scale"], "input_scale")? as u32,
            param_scale: u(&r["param_scale"], "param_scale")? as u32,
            output_scale: u(&r["output_scale"], "output_scale")? as u32,
            num_inner_cols: s["run_args"]["num_inner_cols"].as_u64().unwrap_or(0),
            decomp_base: s["run_args"]["decomp_base"].as_u64().unwrap_or(0),
            decomp_legs: s["run_args"]["decomp_legs"].as_u64().unwrap_or(0),
            input_visibility: r["input_visibility"].as_str().unwrap_or_default().to_string(),
            srs_kind: r["srs"]["kind"].as_str().unwrap_or_default().to_string(),
            ezkl_version: r["ezkl_version"].as_str().unwrap_or_default().to_string(),
            timings: serde_json::from_value(r["timings"].clone()).context("build report: timings")?,
            pk_bytes: u(&r["pk_bytes"], "pk_bytes")?,
            vk_bytes: u(&r["vk_bytes"], "vk_bytes")?,
        })
    }

    /// What decides the circuit's shape: logrows, inner columns, range-check base and legs, scales.
    fn layout(&self) -> [u64; 6] {
        [self.logrows as u64, self.num_inner_cols, self.decomp_base, self.decomp_legs, self.input_scale as u64, self.param_scale as u64]
    }

    fn t(&self, step: &str) -> f64 {
        self.timings.get(step).copied().unwrap_or(f64::NAN)
    }
}

/// The proofs of one model (real windows, each verified by EZKL after proving).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Proofs {
    pub prove_s: Vec<f64>,
    pub verify_s: Vec<f64>,
    pub witness_s: Vec<f64>,
    pub prove_median_s: f64,
    pub verify_median_s: f64,
    /// Largest peak RSS of the prover process over the proofs.
    pub peak_rss_bytes: u64,
    pub proof_bytes: usize,
    pub instances: usize,
}

/// One real `verifyProof` transaction on anvil.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Gas {
    /// Gas used by the transaction (21,000 base and calldata included).
    pub verify_tx_gas: u64,
    /// Base and calldata gas of that transaction (21,000 + 16 per non-zero, 4 per zero byte).
    #[serde(default)]
    pub intrinsic_gas: Option<u64>,
    pub runtime_code_bytes: usize,
    pub calldata_bytes: usize,
    /// The same transaction part by part, from the node's call trace (runs before it lack this).
    #[serde(default)]
    pub breakdown: Option<veriregime_chain::gas::GasBreakdown>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ModelBench {
    pub name: String,
    pub role: Role,
    pub architecture: String,
    pub params: usize,
    pub macs: usize,
    pub onnx_sha256: String,
    pub test_accuracy: f64,
    pub test_macro_f1: f64,
    /// Test accuracy / the teacher's; F1 retention likewise (None without a teacher).
    pub rho: Option<f64>,
    pub f1_retention: Option<f64>,
    /// T_prove(teacher) / T_prove(this), medians of the same run.
    pub speedup: Option<f64>,
    /// This is the shipped student (same ONNX as models/student).
    pub shipped: bool,
    /// The model's own name (its card's), when the row is named after its folder ("student").
    /// Runs written before it was recorded lack it: [`BenchResults::name_models`] fills it in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    pub build: Build,
    pub proofs: Proofs,
    pub fidelity: Option<Fidelity>,
    pub gas: Option<Gas>,
}

impl ModelBench {
    pub fn new(name: &str, role: Role, card: &ModelCard, build: Build, proofs: Proofs, fidelity: Option<Fidelity>) -> ModelBench {
        let test = card.metrics.get("test");
        ModelBench {
            name: name.into(),
            role,
            architecture: card.architecture.describe(),
            params: card.param_count,
            macs: card.architecture.macs(),
            onnx_sha256: card.onnx_sha256.clone(),
            test_accuracy: test.map(|m| m.accuracy).unwrap_or(f64::NAN),
            test_macro_f1: test.map(|m| m.macro_f1).unwrap_or(f64::NAN),
            rho: None,
            f1_retention: None,
            speedup: None,
            shipped: false,
            model: Some(card.name.clone()),
            build,
            proofs,
            fidelity,
            gas: None,
        }
    }

    /// How plots name the row: the row name, with the model's own name in brackets when the row
    /// is named otherwise ("student-tuned [act-relu-20-10]").
    pub fn display_name(&self) -> String {
        match &self.model {
            Some(m) if *m != self.name && self.name.strip_suffix("-tuned") != Some(m.as_str()) => format!("{} [{m}]", self.name),
            _ => self.name.clone(),
        }
    }
}

/// The card name of every model folder under `root/models` (a few levels deep), by ONNX sha256:
/// what names the rows of runs that did not record their model's name.
pub fn model_names(root: &Path) -> std::collections::BTreeMap<String, String> {
    let mut out = std::collections::BTreeMap::new();
    let mut dirs = vec![root.join("models")];
    for _ in 0..4 {
        dirs.sort();
        let mut next = Vec::new();
        for d in &dirs {
            if let Ok(c) = ModelCard::read(d) {
                out.entry(c.onnx_sha256).or_insert(c.name);
            }
            if let Ok(rd) = std::fs::read_dir(d) {
                next.extend(rd.flatten().map(|e| e.path()).filter(|p| p.is_dir()));
            }
        }
        dirs = next;
    }
    out
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BenchResults {
    pub format: String,
    pub created: String,
    pub machine: String,
    pub ezkl_version: String,
    /// Where the windows came from.
    pub source: String,
    pub proofs_per_model: usize,
    pub wall_s: f64,
    pub models: Vec<ModelBench>,
    /// Gas of one full `submit` of the shipped circuit (verifier, decoding, binding, storage),
    /// from the committed forge gas snapshot.
    pub shipped_submit_gas: Option<u64>,
    /// The command line that measured this run (absent in runs written before it was recorded).
    #[serde(default)]
    pub command: Option<String>,
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Median (mean of the middle two for an even count); NaN when empty.
pub fn median(v: &[f64]) -> f64 {
    let mut s: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
    if s.is_empty() {
        return f64::NAN;
    }
    s.sort_by(|a, b| a.partial_cmp(b).expect("finite"));
    let n = s.len();
    if n % 2 == 1 {
        s[n / 2]
    } else {
        (s[n / 2 - 1] + s[n / 2]) / 2.0
    }
}

impl BenchResults {
    /// Fills the ratios against the teacher (rho, F1 retention, S) and marks the shipped student.
    pub fn new(mut models: Vec<ModelBench>, source: String, proofs_per_model: usize, wall_s: f64, root: &Path) -> BenchResults {
        if let Some(t) = models.iter().find(|m| m.role == Role::Teacher).cloned() {
            for m in models.iter_mut().filter(|m| m.role == Role::Student) {
                m.rho = Some(m.test_accuracy / t.test_accuracy);
                m.f1_retention = Some(m.test_macro_f1 / t.test_macro_f1);
                m.speedup = Some(t.proofs.prove_median_s / m.proofs.prove_median_s);
            }
        }
        let shipped = ModelCard::read(root.join("models/student")).map(|c| c.onnx_sha256).unwrap_or_default();
        let layout = committed_layout(root);
        for m in models.iter_mut() {
            // The shipped model, laid out as the committed circuit is.
            m.shipped = m.role == Role::Student && m.onnx_sha256 == shipped && layout.as_ref() == Some(&m.build.layout());
        }
        let shipped_submit_gas = std::fs::read_to_string(root.join("snapshots/SignalOracle.json"))
            .ok()
            .and_then(|s| serde_json::from_str::<serde_json::Value>(&s).ok())
            .and_then(|v| v["submit"].as_str().and_then(|g| g.parse().ok()));
        BenchResults {
            format: FORMAT.into(),
            created: now(),
            machine: crate::model::study::machine(),
            ezkl_version: models.first().map(|m| m.build.ezkl_version.clone()).unwrap_or_default(),
            source,
            proofs_per_model,
            wall_s,
            models,
            shipped_submit_gas,
            command: None,
        }
    }

    /// Fills in the model name of rows that lack it, from the cards under `root/models` with the
    /// same ONNX hash (rows whose model is no longer there keep none).
    pub fn name_models(&mut self, root: &Path) {
        if self.models.iter().all(|m| m.model.is_some()) {
            return;
        }
        let names = model_names(root);
        for m in self.models.iter_mut().filter(|m| m.model.is_none()) {
            m.model = names.get(&m.onnx_sha256).cloned();
        }
    }

    /// Draws `dir/pareto.png` again from `dir/RESULTS.json`, and nothing else: no measurement,
    /// RESULTS.md and RESULTS.json untouched. Rows are named after the cards under `root/models`.
    pub fn replot(dir: &Path, root: &Path) -> anyhow::Result<std::path::PathBuf> {
        let mut r = BenchResults::read(dir)?;
        r.name_models(root);
        let out = dir.join(PARETO_PNG);
        veriregime_core::replace_file(&out, |tmp| r.plot(tmp))?;
        Ok(out)
    }

    fn students(&self) -> impl Iterator<Item = &ModelBench> {
        self.models.iter().filter(|m| m.role == Role::Student)
    }

    /// Reads `dir/RESULTS.json`.
    pub fn read(dir: &Path) -> anyhow::Result<BenchResults> {
        let p = dir.join(RESULTS_JSON);
        let text = std::fs::read_to_string(&p).with_context(|| format!("reading {}", p.display()))?;
        serde_json::from_str(&text).with_context(|| format!("parsing {}", p.display()))
    }

    /// Writes RESULTS.md, RESULTS.json and pareto.png into `out`, each atomically.
    pub fn write(&self, out: &Path) -> anyhow::Result<()> {
        veriregime_core::write_atomic(&out.join(RESULTS_JSON), (serde_json::to_string_pretty(self)? + "\n").as_bytes())?;
        veriregime_core::write_atomic(&out.join(RESULTS_MD), self.markdown().as_bytes())?;
        veriregime_core::replace_file(&out.join(PARETO_PNG), |tmp| self.plot(tmp))
    }

    /// The goals, each with what was measured: (goal, measured, met).
    pub fn goals(&self) -> Vec<(String, String, Option<bool>)> {
        let mut g = Vec::new();
        // The goal is the shipped student's; a run without it is judged on its fastest student.
        let fastest = self.students().min_by(|a, b| a.proofs.prove_median_s.total_cmp(&b.proofs.prove_median_s));
        let judged = self.students().find(|m| m.shipped).map(|m| ("shipped", m)).or(fastest.map(|m| ("fastest", m)));
        if let Some((which, f)) = judged {
            g.push((
                format!("student prove time <= {GOAL_PROVE_S} s"),
                format!("{which}: {} {:.2} s", f.name, f.proofs.prove_median_s),
                Some(f.proofs.prove_median_s <= GOAL_PROVE_S),
            ));
        }
        let best_s = self.students().filter_map(|m| m.speedup.map(|s| (m, s))).max_by(|a, b| a.1.total_cmp(&b.1));
        g.push(match best_s {
            Some((m, s)) => (format!("S >= {GOAL_SPEEDUP}x"), format!("largest: {} {:.1}x", m.name, s), Some(s >= GOAL_SPEEDUP)),
            None => (format!("S >= {GOAL_SPEEDUP}x"), "not measured (no teacher in this run)".into(), None),
        });
        let fid: Vec<_> = self.students().filter_map(|m| m.fidelity.as_ref().map(|f| (m, f))).collect();
        if let Some((m, f)) = fid.iter().min_by(|a, b| a.1.agreement.total_cmp(&b.1.agreement)) {
            g.push((
                format!("fidelity >= {:.1} % (every student)", GOAL_FIDELITY * 100.0),
                format!("lowest: {} {}/{} = {:.2} %", m.name, f.agree, f.n, f.agreement * 100.0),
                Some(f.agreement >= GOAL_FIDELITY),
            ));
        }
        if let Some(m) = self.students().max_by_key(|m| m.proofs.peak_rss_bytes) {
            g.push((
                format!("student peak memory while proving <= {:.1} GB", GOAL_PEAK_RSS_BYTES as f64 / 1e9),
                format!("largest: {} {}", m.name, mb(m.proofs.peak_rss_bytes)),
                Some(m.proofs.peak_rss_bytes <= GOAL_PEAK_RSS_BYTES),
            ));
        }
        let min_gas = self.students().filter_map(|m| m.gas.as_ref().map(|g| (m, g.verify_tx_gas))).min_by_key(|x| x.1);
        let mut measured = String::new();
        if let Some((m, gas)) = min_gas {
            let _ = write!(measured, "a bare verifyProof transaction already costs {gas} ({}); ", m.name);
        }
        if let Some(s) = self.shipped_submit_gas {
            let _ = write!(measured, "a submit of the shipped circuit spends {s} inside the call (forge snapshot; base and calldata come on top)");
        }
        // A submit carries the proof and instances too, so its base and calldata gas is at least the
        // bare transaction's: the snapshot plus that is a lower bound. Only a bound above the goal
        // decides; a bound below it is not a measured submission.
        let intrinsic = self.students().filter_map(|m| m.gas.as_ref().and_then(|g| g.intrinsic_gas)).min();
        let lower = match (self.shipped_submit_gas, intrinsic) {
            (Some(s), Some(i)) => {
                let _ = write!(measured, ", so a submission costs at least {}", s + i);
                Some(s + i)
            }
            _ => min_gas.map(|(_, g)| g),
        };
        let met = lower.and_then(|l| (l > GOAL_SUBMIT_GAS).then_some(false));
        g.push((format!("one submission, input binding included, <= {GOAL_SUBMIT_GAS} gas"), measured, met));
        g
    }

    /// One line per model, for the terminal.
    pub fn summary(&self) -> String {
        let mut s = String::new();
        for m in &self.models {
            let _ = writeln!(
                s,
                "{:<20} logrows {:>2} rows {:>8} prove {:>7.2} s verify {:.3} s pk {} peak {} gas {} S {}",
                m.name,
                m.build.logrows,
                m.build.num_rows,
                m.proofs.prove_median_s,
                m.proofs.verify_median_s,
                mb(m.build.pk_bytes),
                mb(m.proofs.peak_rss_bytes),
                m.gas.as_ref().map(|g| g.verify_tx_gas.to_string()).unwrap_or_else(|| "-".into()),
                m.speedup.map(|s| format!("{s:.1}x")).unwrap_or_else(|| "-".into()),
            );
        }
        s
    }

    pub fn markdown(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "# Benchmark: the teacher and the students as EZKL circuits\n");
        let _ = writeln!(
            s,
            "Measured by `veriregime bench` on {} (EZKL {}), {}; windows from {}. Wall time {:.1} min. \
             Every proof is a real EZKL proof of a real window, verified by EZKL after proving; its signal is checked \
             against tract's. Timings are medians of {} proofs per model, all in this one run (S compares medians of \
             the same run).\n",
            self.machine,
            self.ezkl_version,
            self.created,
            self.source,
            self.wall_s / 60.0,
            self.proofs_per_model
        );
        let flagged: Vec<&ModelBench> = self.models.iter().filter(|m| !m.build.driver_args.is_empty()).collect();
        if flagged.len() == self.models.len() && flagged.iter().all(|m| m.build.driver_args == flagged[0].build.driver_args) {
            let _ = writeln!(s, "Every circuit is compiled with the driver flags `{}`.\n", flagged[0].build.driver_args);
        } else {
            for m in &flagged {
                let _ = writeln!(s, "`{}` is compiled with the driver flags `{}`.\n", m.name, m.build.driver_args);
            }
            if flagged.len() < self.models.len() {
                let _ = writeln!(s, "Every other circuit is compiled with EZKL's defaults.\n");
            }
        }
        let _ = writeln!(s, "## Models (test split)\n");
        let _ = writeln!(s, "| model | role | architecture | params | MACs | test accuracy | test macro-F1 | rho (acc / teacher) | F1 retention |");
        let _ = writeln!(s, "|---|---|---|---:|---:|---:|---:|---:|---:|");
        for m in &self.models {
            let _ = writeln!(
                s,
                "| {}{} | {:?} | {} | {} | {} | {:.2} % | {:.4} | {} | {} |",
                m.name,
                if m.shipped { " (shipped)" } else { "" },
                m.role,
                m.architecture,
                m.params,
                m.macs,
                m.test_accuracy * 100.0,
                m.test_macro_f1,
                opt_pct(m.rho),
                opt_pct(m.f1_retention)
            );
        }
        let _ = writeln!(s, "\n## Circuits (EZKL settings, calibration, setup)\n");
        let _ = writeln!(s, "| model | logrows | rows | assignments | scales in/param/out | inner cols | range check (base^legs) | input | calibration | calibrate | compile | setup | pk | vk | built |");
        let _ = writeln!(s, "|---|---:|---:|---:|---|---:|---|---|---:|---:|---:|---:|---:|---:|---|");
        for m in &self.models {
            let b = &m.build;
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {}/{}/{} | {} | {}^{} | {} | {} windows | {:.1} s | {:.1} s | {:.1} s | {} | {} | {}{} |",
                m.name,
                b.logrows,
                b.num_rows,
                b.total_assignments,
                b.input_scale,
                b.param_scale,
                b.output_scale,
                b.num_inner_cols,
                b.decomp_base,
                b.decomp_legs,
                b.input_visibility,
                b.calibration_windows,
                b.t("calibrate"),
                b.t("compile"),
                b.t("setup"),
                mb(b.pk_bytes),
                kb(b.vk_bytes),
                b.built_at,
                if b.reused { " (reused)" } else { "" }
            );
        }
        let _ = writeln!(s, "\n## Proving and verifying\n");
        let _ = writeln!(s, "| model | prove median | prove, each | S = T(teacher) / T(model) | verify median | witness median | proof | instances | peak RSS of the prover |");
        let _ = writeln!(s, "|---|---:|---|---:|---:|---:|---:|---:|---:|");
        for m in &self.models {
            let p = &m.proofs;
            let _ = writeln!(
                s,
                "| {} | {:.2} s | {} | {} | {:.3} s | {:.2} s | {} B | {} | {} |",
                m.name,
                p.prove_median_s,
                p.prove_s.iter().map(|x| format!("{x:.2}")).collect::<Vec<_>>().join(", "),
                m.speedup.map(|x| format!("{x:.1}x")).unwrap_or_else(|| "-".into()),
                p.verify_median_s,
                median(&p.witness_s),
                p.proof_bytes,
                p.instances,
                mb(p.peak_rss_bytes)
            );
        }
        let _ = writeln!(s, "\n## Verification on chain (anvil, one real `verifyProof` transaction each)\n");
        let _ = writeln!(s, "| model | transaction gas | of which base + calldata | calldata | verifier runtime code | EIP-170 (24,576 B) |");
        let _ = writeln!(s, "|---|---:|---:|---:|---:|---|");
        for m in &self.models {
            if let Some(g) = &m.gas {
                let _ = writeln!(
                    s,
                    "| {} | {} | {} | {} B | {} B | {} |",
                    m.name,
                    g.verify_tx_gas,
                    g.intrinsic_gas.map(|x| x.to_string()).unwrap_or_else(|| "-".into()),
                    g.calldata_bytes,
                    g.runtime_code_bytes,
                    if g.runtime_code_bytes <= 24_576 { "fits" } else { "exceeds: not deployable on mainnet" }
                );
            }
        }
        let traced: Vec<(&str, &veriregime_chain::gas::GasBreakdown)> =
            self.models.iter().filter_map(|m| m.gas.as_ref().and_then(|g| g.breakdown.as_ref()).map(|b| (m.name.as_str(), b))).collect();
        if !traced.is_empty() {
            let _ = writeln!(s, "\nWhere that gas goes (the node's call trace of the same transaction); precompiles as gas (calls).\n");
            let _ = writeln!(s, "| model | base + calldata | ecMul | ecPairing | modexp | ecAdd | other precompiles | verifier's own code |");
            let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|---:|---:|");
            for (name, b) in traced {
                let cell = |n: &str| b.precompiles.iter().find(|p| p.name == n).map(|p| format!("{} ({})", p.gas, p.calls)).unwrap_or_else(|| "-".into());
                let other: u64 = b.precompiles.iter().filter(|p| !["ecMul", "ecPairing", "modexp", "ecAdd"].contains(&p.name.as_str())).map(|p| p.gas).sum();
                let _ = writeln!(
                    s,
                    "| {name} | {} | {} | {} | {} | {} | {other} | {} |",
                    b.intrinsic,
                    cell("ecMul"),
                    cell("ecPairing"),
                    cell("modexp"),
                    cell("ecAdd"),
                    b.verifier_code()
                );
            }
        }
        if let Some(g) = self.shipped_submit_gas {
            let _ = writeln!(s, "\nA full `submit` to the oracle with the shipped circuit (verifier, decoding, input binding, storage) spends {g} gas inside the call (forge gas snapshot, `snapshots/SignalOracle.json`); the transaction adds 21,000 and its calldata.");
        }
        let _ = writeln!(s, "\n## Fidelity (the circuit's signal against tract's)\n");
        let _ = writeln!(s, "| model | windows | agree | agreement | max logit error | witness time |");
        let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|");
        for m in &self.models {
            match &m.fidelity {
                Some(f) => {
                    let _ = writeln!(s, "| {} | {} | {} | {:.2} % | {:.4} | {:.0} s |", m.name, f.n, f.agree, f.agreement * 100.0, f.max_abs_logit_error, f.witness_s);
                }
                None => {
                    let _ = writeln!(s, "| {} | - | - | not measured | - | - |", m.name);
                }
            }
        }
        for m in &self.models {
            if let Some(f) = m.fidelity.as_ref().filter(|f| !f.disagreements.is_empty()) {
                let _ = writeln!(s, "\nDisagreements of {}:\n", m.name);
                for d in &f.disagreements {
                    let _ = writeln!(s, "- {d}");
                }
            }
        }
        let _ = writeln!(s, "\n## Goals\n");
        let _ = writeln!(s, "| goal | measured | met |");
        let _ = writeln!(s, "|---|---|---|");
        for (goal, measured, met) in self.goals() {
            let _ = writeln!(s, "| {goal} | {measured} | {} |", match met {
                Some(true) => "yes",
                Some(false) => "**no**",
                None => "not measured",
            });
        }
        let _ = writeln!(s, "\n![test accuracy against median prove time]({PARETO_PNG})\n");
        let _ = writeln!(
            s,
            "Circuits use KZG-committed inputs (polycommit), fixed weights and public outputs. Circuits built with \
             `srs_kind = insecure-dev` use a locally generated SRS: fine for measuring, never for production.\n"
        );
        match &self.command {
            Some(c) => {
                let _ = writeln!(s, "Reproduce: `{c}` (circuits and keys go to its `--work` folder, `target/bench` by default).");
            }
            None => {
                let _ = writeln!(s, "Reproduce: `veriregime bench --data ../shared/data/binance-vision` (circuits and keys go to `target/bench`).");
            }
        }
        s
    }

    /// The Pareto plot of this run's models, numbered in the order of RESULTS.md's tables.
    fn plot(&self, path: &Path) -> anyhow::Result<()> {
        let points: Vec<ParetoPoint> = self
            .models
            .iter()
            .enumerate()
            .map(|(i, m)| ParetoPoint {
                label: (i + 1).to_string(),
                key: format!("{}: {:.2} s, {:.2} %", m.display_name(), m.proofs.prove_median_s, 100.0 * m.test_accuracy),
                ..ParetoPoint::of(m)
            })
            .collect();
        plot_pareto(&points, &pareto_front(&points), "Test accuracy against median prove time (EZKL, 2 cores)", path)
    }
}

/// One model on a Pareto plot.
#[derive(Debug, Clone, PartialEq)]
pub struct ParetoPoint {
    /// Written beside the point: short (a number), explained by `key`.
    pub label: String,
    /// The point's line in the key beside the chart (empty: none).
    pub key: String,
    pub prove_s: f64,
    pub accuracy: f64,
    pub teacher: bool,
    /// The shipped circuit: drawn as a star.
    pub shipped: bool,
    /// The circuit proves its model (fidelity at least [`FRONT_MIN_FIDELITY`]); otherwise drawn
    /// as a cross and kept off the combined front.
    pub faithful: bool,
}

impl ParetoPoint {
    pub fn new(label: &str, prove_s: f64, accuracy: f64) -> ParetoPoint {
        ParetoPoint { label: label.into(), key: String::new(), prove_s, accuracy, teacher: false, shipped: false, faithful: true }
    }

    /// A model's point, without label or key.
    pub fn of(m: &ModelBench) -> ParetoPoint {
        ParetoPoint {
            label: String::new(),
            key: String::new(),
            prove_s: m.proofs.prove_median_s,
            accuracy: m.test_accuracy,
            teacher: m.role == Role::Teacher,
            shipped: m.shipped,
            faithful: m.fidelity.as_ref().is_none_or(|f| f.agreement >= FRONT_MIN_FIDELITY),
        }
    }

    fn marker(&self) -> (crate::model::plot::Marker, RGBColor, i32) {
        use crate::model::plot::Marker;
        if self.shipped {
            (Marker::Star, RGBColor(255, 170, 0), 11)
        } else if !self.faithful {
            (Marker::Cross, RGBColor(110, 110, 110), 6)
        } else if self.teacher {
            (Marker::Circle, RGBColor(214, 39, 40), 7)
        } else {
            (Marker::Circle, RGBColor(0, 128, 128), 6)
        }
    }
}

/// Indices of the points no other point beats on both prove time and accuracy, fastest first.
pub fn pareto_front(points: &[ParetoPoint]) -> Vec<usize> {
    let mut front: Vec<usize> = (0..points.len())
        .filter(|&i| {
            let p = &points[i];
            !points.iter().any(|q| q.prove_s <= p.prove_s && q.accuracy >= p.accuracy && (q.prove_s < p.prove_s || q.accuracy > p.accuracy))
        })
        .collect();
    front.sort_by(|&a, &b| points[a].prove_s.total_cmp(&points[b].prove_s));
    front
}

/// Test accuracy against median prove time (log scale). Each point carries its short label,
/// placed where it covers no other label or point (with a leader line when it had to move
/// away); points on one spot share a label ("3, 4"). The key beside the chart says what each
/// label is and what the marks mean; the points of `front` (indices, fastest first:
/// [`pareto_front`]) are joined by a line.
pub fn plot_pareto(points: &[ParetoPoint], front: &[usize], title: &str, path: &Path) -> anyhow::Result<()> {
    use crate::model::plot::{self, KeyEntry, Marker};
    anyhow::ensure!(!points.is_empty(), "no models to plot");
    let text = crate::model::fonts_available();
    let err = |e: &dyn std::fmt::Debug| anyhow::anyhow!("plotting {}: {e:?}", path.display());
    let keyed = points.iter().filter(|p| !p.key.is_empty()).count();
    let height = 640.max(150 + 22 * (keyed as u32 + 8));
    let root = BitMapBackend::new(path, (1360, height)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let area = if text { root.titled(title, ("sans-serif", 22)).map_err(|e| err(&e))? } else { root.clone() };
    let (left, right) = area.split_horizontally(area.dim_in_pixel().0 as i32 - if text { 470 } else { 0 });
    let xs: Vec<f64> = points.iter().map(|p| p.prove_s.max(1e-3)).collect();
    let (xl, xh) = xs.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| (a.min(x), b.max(x)));
    let (yl, yh) = points.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| (a.min(p.accuracy), b.max(p.accuracy)));
    let (xl, xh) = (xl / 1.6, xh * 1.6);
    let ypad = ((yh - yl) * 0.15).max(0.004);
    let (yl, yh) = (yl - ypad, yh + ypad);
    let mut b = ChartBuilder::on(&left);
    b.margin(15).margin_right(25);
    if text {
        b.x_label_area_size(45).y_label_area_size(65);
    }
    let (ticks, light) = plot::log_ticks(xl, xh);
    let mut chart = b.build_cartesian_2d((xl..xh).log_scale().with_key_points(ticks).with_light_points(light), yl..yh).map_err(|e| err(&e))?;
    if text {
        let xfmt = |v: &f64| format!("{v}");
        let yfmt = |v: &f64| format!("{:.1} %", 100.0 * v);
        chart
            .configure_mesh()
            .x_desc("median prove time, s (log scale)")
            .y_desc("test accuracy")
            .x_label_formatter(&xfmt)
            .y_label_formatter(&yfmt)
            .light_line_style(BLACK.mix(0.04))
            .label_style(("sans-serif", 13))
            .draw()
            .map_err(|e| err(&e))?;
    }
    let teal = RGBColor(0, 128, 128);
    let line: Vec<(f64, f64)> = front.iter().map(|&i| (xs[i], points[i].accuracy)).collect();
    chart.draw_series(LineSeries::new(line, teal.mix(0.7).stroke_width(2))).map_err(|e| err(&e))?;
    let px: Vec<(i32, i32)> = points.iter().zip(&xs).map(|(p, &x)| chart.backend_coord(&(x, p.accuracy))).collect();
    // Shipped last, on top.
    let mut order: Vec<usize> = (0..points.len()).collect();
    order.sort_by_key(|&i| points[i].shipped);
    for &i in &order {
        let (m, c, r) = points[i].marker();
        plot::draw_marker(&root, px[i], m, r, c)?;
    }
    if text {
        // Points on one spot (markers overlapping by more than half) share one label.
        let mut group_of: Vec<Option<usize>> = vec![None; points.len()];
        let mut groups: Vec<(Vec<usize>, (i32, i32))> = Vec::new();
        for i in 0..points.len() {
            if points[i].label.is_empty() || group_of[i].is_some() {
                continue;
            }
            let g: Vec<usize> = (i..points.len())
                .filter(|&j| group_of[j].is_none() && !points[j].label.is_empty() && (px[j].0 - px[i].0).abs() <= 5 && (px[j].1 - px[i].1).abs() <= 5)
                .collect();
            for &j in &g {
                group_of[j] = Some(groups.len());
            }
            groups.push((g, px[i]));
        }
        let font = ("sans-serif", 15).into_font();
        let labels: Vec<String> = groups.iter().map(|(g, _)| g.iter().map(|&j| points[j].label.as_str()).collect::<Vec<_>>().join(", ")).collect();
        let sizes: Vec<(u32, u32)> =
            labels.iter().map(|l| root.estimate_text_size(l, &TextStyle::from(font.clone())).unwrap_or((8 * l.len() as u32, 15))).collect();
        // Every marker is an obstacle; the label anchors are the groups' first points.
        let mut anchors: Vec<(i32, i32)> = groups.iter().map(|g| g.1).collect();
        let mut all_sizes = sizes.clone();
        for (i, p) in px.iter().enumerate() {
            if !groups.iter().any(|g| g.0[0] == i) {
                anchors.push(*p);
                all_sizes.push((0, 0));
            }
        }
        let pa = chart.plotting_area();
        let (bx, by) = pa.get_base_pixel();
        let (bw, bh) = pa.dim_in_pixel();
        let front_px: Vec<(i32, i32)> = front.iter().map(|&i| px[i]).collect();
        let pos = plot::place_labels(&anchors, &all_sizes, 13, (bx, by, bx + bw as i32, by + bh as i32), &plot::sample_polyline(&front_px, 4));
        for (k, l) in labels.iter().enumerate() {
            let ((x, y), far) = pos[k];
            let (w, h) = (sizes[k].0 as i32, sizes[k].1 as i32);
            if far {
                let (ax, ay) = anchors[k];
                let (tx, ty) = ((ax).clamp(x, x + w), (ay).clamp(y, y + h));
                root.draw(&PathElement::new(vec![(ax, ay), (tx, ty)], BLACK.mix(0.4).stroke_width(1))).map_err(|e| err(&e))?;
            }
            root.draw(&Text::new(l.clone(), (x, y), font.clone())).map_err(|e| err(&e))?;
        }
        // The key: every labelled point, then the marks.
        let mut key = vec![KeyEntry::note("Points")];
        for p in points.iter().filter(|p| !p.key.is_empty()) {
            let (m, c, _) = p.marker();
            key.push(KeyEntry::marker(&format!("{}  {}", p.label, p.key), m, c));
        }
        key.push(KeyEntry::note(""));
        key.push(KeyEntry::note("Marks"));
        if points.iter().any(|p| p.teacher && !p.shipped && p.faithful) {
            key.push(KeyEntry::marker("teacher", Marker::Circle, RGBColor(214, 39, 40)));
        }
        if points.iter().any(|p| !p.teacher && !p.shipped && p.faithful) {
            key.push(KeyEntry::marker("student", Marker::Circle, teal));
        }
        if points.iter().any(|p| p.shipped) {
            key.push(KeyEntry::marker("shipped circuit (when the run was made)", Marker::Star, RGBColor(255, 170, 0)));
        }
        if points.iter().any(|p| !p.faithful) {
            key.push(KeyEntry::marker(
                &format!("fidelity < {:.0} %: does not prove its model", 100.0 * FRONT_MIN_FIDELITY),
                Marker::Cross,
                RGBColor(110, 110, 110),
            ));
        }
        key.push(KeyEntry::line("Pareto front: nothing faster is as accurate", teal));
        plot::draw_key(&right.margin(30, 0, 0, 0), &key, 13)?;
    }
    root.present().map_err(|e| err(&e))?;
    Ok(())
}

/// Fidelity a circuit needs to stand on the combined Pareto front: below it the float model's
/// accuracy is not what the circuit proves.
pub const FRONT_MIN_FIDELITY: f64 = 0.99;

/// Every model of several benchmark runs on one Pareto plot, with a table: writes `PARETO.md` and
/// `pareto.png` into `out`. Each run is `(name shown, link to its folder from out, results)`.
pub fn write_combined_pareto(runs: &[(String, String, BenchResults)], out: &Path) -> anyhow::Result<()> {
    let mut all = Vec::new();
    for (name, link, r) in runs {
        for m in &r.models {
            all.push((name, link, m));
        }
    }
    let point = |m: &ModelBench, label: String| ParetoPoint { label, ..ParetoPoint::of(m) };
    let faithful = |m: &ModelBench| ParetoPoint::of(m).faithful;
    // The front is taken over the faithful circuits only; the plot shows every circuit.
    let eligible: Vec<usize> = (0..all.len()).filter(|&i| faithful(all[i].2)).collect();
    let eligible_points: Vec<ParetoPoint> = eligible.iter().map(|&i| point(all[i].2, String::new())).collect();
    let front: Vec<usize> = pareto_front(&eligible_points).into_iter().map(|j| eligible[j]).collect();
    let mut s = format!(
        "# Every benchmarked circuit: test accuracy against proving time\n\n\
         Each row comes from the run named in its first column; that run's `RESULTS.md` has every figure. Prove times are medians \
         of each run's proofs on this 2-core machine. The runs were made at different times, and the same circuit's median moved by up to \
         ~15 % between runs, so read prove times across runs with that in mind. Test accuracy and F1 are the float model's. \
         Points on the plot carry their row number. A circuit whose signal agreed with tract's on fewer than {:.0} % of its fidelity windows does not prove that model, so it is \
         left off the front. \"front\" marks the remaining points that no other beats on both accuracy and prove time.\n\n![Pareto plot](pareto.png)\n\n\
         | # | run | model | architecture | driver flags | logrows | rows | prove (median) | fidelity | test accuracy | test macro-F1 | front |\n\
         |---:|---|---|---|---|---:|---:|---:|---:|---:|---:|---|\n",
        100.0 * FRONT_MIN_FIDELITY
    );
    let mut order: Vec<usize> = (0..all.len()).collect();
    order.sort_by(|&a, &b| all[a].2.proofs.prove_median_s.total_cmp(&all[b].2.proofs.prove_median_s));
    let mut number = vec![0; all.len()];
    for (k, &i) in order.iter().enumerate() {
        number[i] = k + 1;
        let (name, link, m) = all[i];
        let _ = writeln!(
            s,
            "| {} | [{name}]({link}/RESULTS.md) | {} | {} | {} | {} | {} | {:.2} s | {} | {:.2} % | {:.4} | {} |",
            k + 1,
            m.name,
            m.architecture,
            if m.build.driver_args.is_empty() { "-".to_string() } else { format!("`{}`", m.build.driver_args) },
            m.build.logrows,
            m.build.num_rows,
            m.proofs.prove_median_s,
            m.fidelity.as_ref().map(|f| format!("{}/{}", f.agree, f.n)).unwrap_or_else(|| "-".into()),
            100.0 * m.test_accuracy,
            m.test_macro_f1,
            if front.contains(&i) { "**front**" } else { "" }
        );
    }
    // Points are labelled with their row number (sixteen names would overprint), keyed in
    // that order beside the chart.
    let mut points: Vec<ParetoPoint> = all
        .iter()
        .zip(&number)
        .map(|((run, _, m), n)| {
            let run = run.strip_prefix("bench/").unwrap_or(run.as_str());
            ParetoPoint { key: format!("{run}: {}, {:.2} s", m.display_name(), m.proofs.prove_median_s), ..point(m, n.to_string()) }
        })
        .collect();
    let mut by_number: Vec<usize> = (0..points.len()).collect();
    by_number.sort_by_key(|&i| number[i]);
    let front: Vec<usize> = front.iter().map(|&i| by_number.iter().position(|&j| j == i).expect("a point")).collect();
    points = by_number.iter().map(|&i| points[i].clone()).collect();
    veriregime_core::write_atomic(&out.join("PARETO.md"), s.as_bytes())?;
    veriregime_core::replace_file(&out.join(PARETO_PNG), |tmp| {
        plot_pareto(&points, &front, "Every benchmarked circuit: test accuracy vs median prove time", tmp)
    })
}

fn opt_pct(v: Option<f64>) -> String {
    v.map(|x| format!("{:.1} %", x * 100.0)).unwrap_or_else(|| "-".into())
}

/// [`Build::layout`] of the committed circuit (`circuits/student/settings.json`), if there is one.
fn committed_layout(root: &Path) -> Option<[u64; 6]> {
    let s: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(root.join("circuits/student/settings.json")).ok()?).ok()?;
    let a = &s["run_args"];
    Some([a["logrows"].as_u64()?, a["num_inner_cols"].as_u64()?, a["decomp_base"].as_u64()?, a["decomp_legs"].as_u64()?, a["input_scale"].as_u64()?, a["param_scale"].as_u64()?])
}

fn mb(b: u64) -> String {
    format!("{:.0} MB", b as f64 / 1e6)
}

fn kb(b: u64) -> String {
    format!("{:.0} KB", b as f64 / 1e3)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: &str, role: Role, acc: f64, f1: f64, prove: &[f64], rss: u64, agree: usize) -> ModelBench {
        let build = Build {
            key: String::new(),
            built_at: String::new(),
            reused: false,
            calibration_windows: 1,
            logrows: 15,
            num_rows: 1,
            total_assignments: 1,
            input_scale: 13,
            param_scale: 13,
            output_scale: 13,
            num_inner_cols: 2,
            decomp_base: 16384,
            decomp_legs: 2,
            driver_args: String::new(),
            input_visibility: "polycommit".into(),
            srs_kind: "insecure-dev".into(),
            ezkl_version: "23.0.5".into(),
            timings: Default::default(),
            pk_bytes: 2,
            vk_bytes: 1,
        };
        let proofs = Proofs { prove_s: prove.to_vec(), prove_median_s: median(prove), peak_rss_bytes: rss, ..Default::default() };
        let fidelity = Fidelity { n: 1000, agree, agreement: agree as f64 / 1000.0, max_abs_logit_error: 0.0, witness_s: 0.0, disagreements: vec![] };
        ModelBench {
            name: name.into(),
            role,
            architecture: String::new(),
            params: 1,
            macs: 1,
            onnx_sha256: name.into(),
            test_accuracy: acc,
            test_macro_f1: f1,
            rho: None,
            f1_retention: None,
            speedup: None,
            shipped: false,
            model: None,
            build,
            proofs,
            fidelity: Some(fidelity),
            gas: None,
        }
    }

    #[test]
    fn median_of_odd_even_and_empty() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        assert!(median(&[]).is_nan());
    }

    #[test]
    fn ratios_are_against_the_teacher_of_the_same_run_and_goals_say_what_was_measured() {
        let root = tempfile::tempdir().unwrap();
        let models = vec![
            row("teacher", Role::Teacher, 0.5, 0.4, &[300.0, 400.0, 350.0], 15_000_000_000, 20),
            row("big", Role::Student, 0.45, 0.44, &[10.0, 12.0, 11.0], 700_000_000, 1000),
            row("small", Role::Student, 0.4, 0.3, &[2.0, 2.5, 3.5], 1_600_000_000, 998),
        ];
        let r = BenchResults::new(models, "x".into(), 3, 1.0, root.path());
        let big = &r.models[1];
        assert!((big.rho.unwrap() - 0.9).abs() < 1e-12);
        assert!((big.f1_retention.unwrap() - 1.1).abs() < 1e-12);
        assert!((big.speedup.unwrap() - 350.0 / 11.0).abs() < 1e-12);
        assert!((r.models[2].speedup.unwrap() - 140.0).abs() < 1e-12);
        assert!(r.models[0].speedup.is_none());
        let goals = r.goals();
        let met = |prefix: &str| goals.iter().find(|g| g.0.starts_with(prefix)).unwrap().2;
        assert_eq!(met("student prove"), Some(true)); // small: 2.5 s
        assert_eq!(met("S >="), Some(true)); // small: 140x
        assert_eq!(met("fidelity"), Some(false)); // small: 99.8 %
        assert_eq!(met("student peak"), Some(false)); // small: 1.6 GB
        assert_eq!(met("one submission"), None); // no gas snapshot in this root
        assert!(!r.models.iter().any(|m| m.shipped)); // no committed circuit in this root
        let md = r.markdown();
        assert!(md.contains("| small | 2.50 s | 2.00, 2.50, 3.50 | 140.0x |"), "{md}");
        r.write(root.path()).unwrap();
        let back: BenchResults = serde_json::from_str(&std::fs::read_to_string(root.path().join(RESULTS_JSON)).unwrap()).unwrap();
        assert_eq!(back.models.len(), 3);
        assert!(root.path().join(PARETO_PNG).is_file());
    }

    #[test]
    fn the_gas_goal_is_judged_on_a_whole_submission_and_the_shipped_circuit_by_its_layout() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("snapshots")).unwrap();
        std::fs::write(root.path().join("snapshots/SignalOracle.json"), r#"{"submit": "400000", "verifyProof": "363000"}"#).unwrap();
        std::fs::create_dir_all(root.path().join("circuits/student")).unwrap();
        let settings = r#"{"run_args": {"logrows": 15, "num_inner_cols": 1, "decomp_base": 16384, "decomp_legs": 2, "input_scale": 13, "param_scale": 13}}"#;
        std::fs::write(root.path().join("circuits/student/settings.json"), settings).unwrap();
        let mut models = vec![row("two-cols", Role::Student, 0.45, 0.4, &[2.0], 1, 1000), row("one-col", Role::Student, 0.45, 0.4, &[3.0], 1, 1000)];
        models[1].build.num_inner_cols = 1;
        // Only the build laid out as the committed circuit can be the shipped one.
        assert_eq!(committed_layout(root.path()), Some(models[1].build.layout()));
        assert_ne!(committed_layout(root.path()), Some(models[0].build.layout()));
        for m in &mut models {
            // The bare transaction is under the goal; with the oracle's work a submission is not.
            m.gas = Some(Gas { verify_tx_gas: 420_000, intrinsic_gas: Some(55_000), runtime_code_bytes: 1, calldata_bytes: 1, breakdown: None });
        }
        let r = BenchResults::new(models, "x".into(), 1, 1.0, root.path());
        let goals = r.goals();
        let g = goals.iter().find(|g| g.0.starts_with("one submission")).unwrap();
        assert_eq!(g.2, Some(false), "{g:?}");
        assert!(g.1.contains("at least 455000"), "{g:?}");
        // The report says how to measure the run again: its own command line when it was recorded.
        assert!(r.markdown().contains("Reproduce: `veriregime bench --data ../shared/data/binance-vision`"));
        let mut r = r;
        r.command = Some("veriregime bench --students a,b --driver-args '--num-inner-cols 1'".into());
        assert!(r.markdown().contains("Reproduce: `veriregime bench --students a,b --driver-args '--num-inner-cols 1'`"), "{}", r.markdown());
    }

    #[test]
    fn the_combined_front_leaves_out_circuits_that_do_not_prove_their_model() {
        let p = |label: &str, prove_s: f64, accuracy: f64| ParetoPoint::new(label, prove_s, accuracy);
        // b is beaten by a (faster and as accurate); c is slower but more accurate.
        let pts = [p("c", 10.0, 0.5), p("a", 1.0, 0.45), p("b", 2.0, 0.45), p("d", 0.5, 0.3)];
        assert_eq!(pareto_front(&pts), vec![3, 1, 0]);

        let root = tempfile::tempdir().unwrap();
        let run = |models| BenchResults::new(models, "x".into(), 3, 1.0, root.path());
        let runs = vec![
            ("one".to_string(), "../one".to_string(), run(vec![row("fast-unfaithful", Role::Student, 0.5, 0.4, &[1.0], 1, 900)])),
            ("two".to_string(), "../two".to_string(), run(vec![row("slow", Role::Student, 0.45, 0.4, &[5.0], 1, 1000), row("slower", Role::Student, 0.4, 0.4, &[9.0], 1, 1000)])),
        ];
        let out = root.path().join("all");
        write_combined_pareto(&runs, &out).unwrap();
        let md = std::fs::read_to_string(out.join("PARETO.md")).unwrap();
        let line = |name: &str| md.lines().find(|l| l.contains(&format!("| {name} |"))).unwrap().to_string();
        // 90 % fidelity: on the plot, but not on the front, although nothing beats it.
        assert!(line("fast-unfaithful").starts_with("| 1 | [one](../one/RESULTS.md) |") && !line("fast-unfaithful").contains("front"), "{md}");
        assert!(line("fast-unfaithful").contains("| 900/1000 |"), "{md}");
        assert!(line("slow").contains("**front**") && !line("slower").contains("front"), "{md}");
        assert!(out.join(PARETO_PNG).is_file());
    }
}
