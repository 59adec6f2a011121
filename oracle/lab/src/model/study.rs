//! The research study of the seed: data split, teacher variants, baselines, the distillation
//! grid, student sizes, and the records the report is written from.
//!
//! Every trained model is one [`RunRecord`]; a run whose record is already in the checkpoint
//! folder (same configuration) is not trained again, so an interrupted study resumes.

use super::card::{save_model_dir, DataInfo, ModelCard, Thresholds, TrainedCard};
use super::metrics::Metrics;
use super::net::{Architecture, Net};
use super::onnx::OnnxModel;
use super::plot::{plot_confusion, plot_training, save_history, train_loss_name, TRAINING_PNG};
use super::student::{Student, StudentConfig};
use super::teacher::{Teacher, TeacherConfig};
use super::train::{class_counts, evaluate, fit, ClassWeights, Distill, Regularizer, Schedule, TrainConfig, TrainData, TrainHistory};
use anyhow::Context;
use veriregime_core::data::Archive;
use veriregime_core::features::{Dataset, Normalizer, Sample, FEATURE_SPEC, HORIZON, INPUT_LEN};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Windows and labels of one split.
#[derive(Debug, Clone, Default)]
pub struct Split {
    pub x: Vec<f32>,
    pub y: Vec<u8>,
}

impl Split {
    pub fn len(&self) -> usize {
        self.y.len()
    }

    pub fn is_empty(&self) -> bool {
        self.y.is_empty()
    }

    /// Every `k`-th window (for cheap per-epoch monitoring).
    pub fn every(&self, k: usize) -> Split {
        let k = k.max(1);
        let idx: Vec<usize> = (0..self.len()).step_by(k).collect();
        let mut x = Vec::with_capacity(idx.len() * INPUT_LEN);
        for &i in &idx {
            x.extend_from_slice(&self.x[i * INPUT_LEN..(i + 1) * INPUT_LEN]);
        }
        Split { x, y: idx.iter().map(|&i| self.y[i]).collect() }
    }
}

/// The study's data: normalised windows of the three splits.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub norm: Normalizer,
    pub train: Split,
    pub val: Split,
    pub test: Split,
    pub info: DataInfo,
    /// Labels (SELL, HOLD, BUY) per split.
    pub label_counts: [[u64; 3]; 3],
    /// The label thresholds (the seed's unless a run asks for others).
    pub thresholds: Thresholds,
}

pub use veriregime_core::range::{split_range_of, split_ranges};

/// Chronological 70/15/15 split by decision minute ([`split_ranges`]).
pub fn split(samples: &[Sample], from: i64, to: i64) -> (Vec<Sample>, Vec<Sample>, Vec<Sample>) {
    let [a, b, c] = split_ranges(from, to);
    let pick = |(lo, hi): (i64, i64)| samples.iter().filter(|s| s.open_time >= lo && s.open_time < hi).copied().collect::<Vec<_>>();
    (pick(a), pick(b), pick(c))
}

/// Loads the archive, computes features (the one feature module), splits, fits the normaliser
/// on the training split only, and builds every window; labels at the seed's thresholds.
pub fn prepare(root: &Path, symbol: &str, from_day: &str, to_day: &str) -> anyhow::Result<Prepared> {
    prepare_labelled(root, symbol, from_day, to_day, &Thresholds::SEED)
}

/// [`prepare`] with labels at other thresholds (a fee-aware target, say); the windows and the
/// normaliser do not depend on them.
pub fn prepare_labelled(root: &Path, symbol: &str, from_day: &str, to_day: &str, thresholds: &Thresholds) -> anyhow::Result<Prepared> {
    anyhow::ensure!(
        thresholds.buy_above_pct >= thresholds.sell_below_pct,
        "label thresholds: BUY above {} % is below SELL below {} %",
        thresholds.buy_above_pct,
        thresholds.sell_below_pct
    );
    let (from, to) = veriregime_core::range::day_range(from_day, to_day)?;
    let series = veriregime_core::range::load_with_margins(&Archive::new(root, symbol), from, to)?;
    let ds = Dataset::from_series(&series);
    let mut samples = ds.samples(from, to, true);
    for s in &mut samples {
        s.label = s.fwd_return_pct.map(|r| thresholds.label(r));
    }
    let (tr, va, te) = split(&samples, from, to);
    anyhow::ensure!(
        !tr.is_empty() && !va.is_empty() && !te.is_empty(),
        "too little labelled data in {from_day}..{to_day} for a 70/15/15 split ({} decision minutes)",
        samples.len()
    );
    let norm = ds.fit_normalizer(&tr);
    let mk = |s: &[Sample]| Split { x: ds.windows(s, &norm), y: s.iter().map(|s| s.label.expect("labelled")).collect() };
    let (train, val, test) = (mk(&tr), mk(&va), mk(&te));
    let label_counts = [class_counts(&train.y), class_counts(&val.y), class_counts(&test.y)];
    let info = DataInfo {
        symbol: symbol.into(),
        interval: "1m".into(),
        from: from_day.into(),
        to: to_day.into(),
        split: format!(
            "chronological 70/15/15 by decision minute, {HORIZON}-minute purge before each boundary; normaliser fitted on the training split{}",
            if *thresholds == Thresholds::SEED {
                String::new()
            } else {
                format!("; labels BUY above {} %, SELL below {} %", thresholds.buy_above_pct, thresholds.sell_below_pct)
            }
        ),
        n_train: train.len(),
        n_val: val.len(),
        n_test: test.len(),
        train_class_counts: label_counts[0],
    };
    Ok(Prepared { norm, train, val, test, info, label_counts, thresholds: thresholds.clone() })
}

/// One trained (or rule-based) model and its scores.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    pub name: String,
    /// "teacher", "student", "baseline" or "grid".
    pub kind: String,
    pub description: String,
    pub architecture: Option<Architecture>,
    pub params: usize,
    pub macs: usize,
    pub config: Option<TrainConfig>,
    pub best_epoch: usize,
    pub epochs_run: usize,
    pub wall_s: f64,
    pub ms_per_batch: f64,
    pub val: Metrics,
    pub test: Metrics,
    /// Model folder (relative to the study's output), if written.
    pub dir: Option<String>,
    /// Per-epoch validation macro-F1 (on the monitoring subset).
    #[serde(default)]
    pub val_f1_curve: Vec<f64>,
}

/// What the study trains. [`StudyPlan::full`] is the shipped study; [`StudyPlan::quick`] a
/// minutes-long version for tests.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StudyPlan {
    pub seed: u64,
    /// Per-epoch validation (model selection, early stopping, plateau) uses every k-th
    /// validation window; the reported validation metrics use all of them.
    pub val_monitor_stride: usize,
    /// Teacher variants: the seed's recipe and its planned remedies.
    pub teacher_variants: Vec<(String, TrainConfig)>,
    /// Student recipe without distillation (also the baselines' recipe).
    pub student_cfg: TrainConfig,
    /// Student sizes, largest (the seed's) first.
    pub sizes: Vec<Vec<usize>>,
    /// Distillation grid, run on `grid_hidden` with `grid_cfg`.
    pub grid: Vec<(Distill, Option<Regularizer>)>,
    pub grid_hidden: Vec<usize>,
    pub grid_cfg: TrainConfig,
    /// `(subsample, epochs)` runs of the seed-size student without a teacher: the same epochs
    /// (less compute) and the same number of steps (same compute).
    pub subsample_ablation: Vec<(usize, usize)>,
}

impl StudyPlan {
    pub fn full(seed: u64) -> StudyPlan {
        let base = TrainConfig { epochs: 30, subsample: 20, seed, progress: true, ..TrainConfig::seed_teacher() };
        let teacher_variants = vec![
            ("teacher-seed".to_string(), base.clone()),
            ("teacher-balanced".to_string(), TrainConfig { class_weights: ClassWeights::Balanced, ..base.clone() }),
            ("teacher-focal".to_string(), TrainConfig { focal_gamma: Some(2.0), ..base.clone() }),
            (
                "teacher-cosine-clip".to_string(),
                TrainConfig { schedule: Schedule::Cosine { min_factor: 0.05 }, grad_clip: Some(1.0), ..base.clone() },
            ),
        ];
        let student_cfg = TrainConfig {
            epochs: 20,
            subsample: 4,
            schedule: Schedule::Cosine { min_factor: 0.05 },
            grad_clip: Some(5.0),
            patience: Some(6),
            seed,
            progress: true,
            ..Default::default()
        };
        let mut grid = Vec::new();
        for t in [2.0, 4.0] {
            for (a, b) in [(0.5, 0.5), (0.2, 0.8)] {
                for reg in [
                    None,
                    Some(Regularizer { gamma: 1.0, l1: 0.1, l2: 0.0, tau: 0.0 }),
                    Some(Regularizer { gamma: 1.0, l1: 0.0, l2: 1.0, tau: 0.1 }),
                ] {
                    grid.push((Distill { alpha: a, beta: b, temperature: t }, reg));
                }
            }
        }
        StudyPlan {
            seed,
            val_monitor_stride: 4,
            teacher_variants,
            student_cfg: student_cfg.clone(),
            sizes: vec![vec![128, 64, 32], vec![64, 32], vec![32, 16]],
            grid,
            grid_hidden: vec![128, 64, 32],
            grid_cfg: TrainConfig { epochs: 8, subsample: 8, patience: None, ..student_cfg },
            subsample_ablation: vec![(1, 8), (4, 8), (20, 8), (4, 32), (20, 160)],
        }
    }

    /// A small plan for tests: one short teacher variant pair, two sizes, a two-point grid.
    pub fn quick(seed: u64) -> StudyPlan {
        let mut p = StudyPlan::full(seed);
        for (_, c) in p.teacher_variants.iter_mut() {
            c.epochs = 2;
            c.subsample = 1;
            c.progress = false;
        }
        p.teacher_variants.truncate(2);
        p.student_cfg = TrainConfig { epochs: 2, subsample: 1, progress: false, ..p.student_cfg };
        p.grid_cfg = TrainConfig { epochs: 1, subsample: 1, progress: false, ..p.grid_cfg };
        p.grid.truncate(2);
        p.grid_hidden = vec![16, 8];
        p.sizes = vec![vec![16, 8], vec![8]];
        p.subsample_ablation = vec![(1, 1), (2, 1), (2, 2)];
        p.val_monitor_stride = 1;
        p
    }
}

/// Everything the study measured; `REPORT.json` and the source of `REPORT.md`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StudyResults {
    pub format: String,
    pub created: String,
    pub data: DataInfo,
    /// Labels (SELL, HOLD, BUY) of the train, val and test splits.
    pub label_counts: [[u64; 3]; 3],
    pub plan: StudyPlan,
    pub baselines: Vec<RunRecord>,
    pub teacher_variants: Vec<RunRecord>,
    /// Name of the chosen teacher variant (best validation macro-F1).
    pub teacher: String,
    pub grid: Vec<RunRecord>,
    /// Index into `plan.grid` of the winner (best validation macro-F1).
    pub grid_winner: usize,
    /// Distilled students, one per size.
    pub students: Vec<RunRecord>,
    /// The same sizes trained on labels only.
    pub no_teacher: Vec<RunRecord>,
    /// `(subsample, record)` of the ablation.
    pub subsample_ablation: Vec<(usize, RunRecord)>,
    /// Name of the student shipped as `models/student`.
    pub shipped_student: String,
    /// Set when `veriregime train ship` shipped a student from outside the size sweep (the
    /// activation ablation's, say) under the same rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipped_from: Option<ShipRecord>,
    /// Set by `veriregime train frontier`: the teachers' accuracy / macro-F1 fronts against the
    /// seed's reported figures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frontier: Option<super::frontier::FrontierRecord>,
    /// Set by `veriregime train policy`: backtests of the models' signals and the chosen consumer
    /// policy, per market.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<crate::backtest::select::ValueRecord>,
    pub wall_s: f64,
    pub machine: String,
}

pub const RESULTS_FORMAT: &str = "veriregime-study-1";

/// Validation macro-F1 a smaller student may give up against the best candidate and still ship.
pub const SHIP_F1_SLACK: f64 = 0.01;

/// The shipping rule: of `(macs, val_macro_f1)` candidates, the index of the smallest whose
/// validation macro-F1 is within [`SHIP_F1_SLACK`] of the best (proving time grows with the
/// circuit); equal sizes go to the better F1.
pub fn pick_shipped(candidates: &[(usize, f64)]) -> usize {
    let best = candidates.iter().map(|c| c.1).fold(f64::NEG_INFINITY, f64::max);
    (0..candidates.len())
        .filter(|&i| candidates[i].1 >= best - SHIP_F1_SLACK)
        .min_by(|&a, &b| candidates[a].0.cmp(&candidates[b].0).then(candidates[b].1.total_cmp(&candidates[a].1)))
        .expect("at least one candidate")
}

/// A student shipped by `veriregime train ship` from a folder outside the study's size sweep.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShipRecord {
    pub name: String,
    /// Its model folder, as given to `train ship`.
    pub dir: String,
    pub architecture: String,
    pub params: usize,
    pub macs: usize,
    pub val: Metrics,
    pub test: Metrics,
    /// Every candidate weighed: (name, MACs, validation macro-F1), the study's students first.
    pub candidates: Vec<(String, usize, f64)>,
    pub created: String,
}

/// Runs a study; writes model folders under `out/study/`, copies the chosen teacher and
/// student to `out/teacher` and `out/student`, and returns the results (the caller writes the
/// report). `checkpoints` holds per-run checkpoints and finished records (resume).
pub struct Study<'a> {
    pub data: &'a Prepared,
    pub plan: StudyPlan,
    pub out: PathBuf,
    pub checkpoints: PathBuf,
}

impl Study<'_> {
    fn record_path(&self, name: &str) -> PathBuf {
        self.checkpoints.join(name).join("record.json")
    }

    fn cached(&self, name: &str, cfg: &TrainConfig, extra: &str) -> Option<RunRecord> {
        let r: RunRecord = serde_json::from_slice(&std::fs::read(self.record_path(name)).ok()?).ok()?;
        let same = r.config.as_ref() == Some(cfg) && r.description == extra;
        let dir_ok = r.dir.as_ref().is_none_or(|d| self.out.join(d).join(super::card::CARD_FILE).exists());
        (same && dir_ok).then_some(r)
    }

    fn save_record(&self, r: &RunRecord) -> anyhow::Result<()> {
        veriregime_core::write_atomic(&self.record_path(&r.name), &serde_json::to_vec_pretty(r)?)
    }

    /// Trains `net` with `cfg` (and teacher logits when distilling), scores it, writes its
    /// model folder when `save` is true, and records it.
    #[allow(clippy::too_many_arguments)]
    fn run(
        &self,
        name: &str,
        kind: &str,
        description: String,
        net: &dyn Net,
        cfg: &TrainConfig,
        teacher: Option<&[[f32; 3]]>,
        save: bool,
    ) -> anyhow::Result<RunRecord> {
        if let Some(r) = self.cached(name, cfg, &description) {
            tracing::info!(run = name, "already trained (record found); skipping");
            return Ok(r);
        }
        tracing::info!(run = name, "{description}");
        let t0 = Instant::now();
        let d = self.data;
        let monitor = d.val.every(self.plan.val_monitor_stride);
        let data = TrainData { x: &d.train.x, y: &d.train.y, teacher };
        let ck = self.checkpoints.join(name).join("checkpoint");
        let hist = fit(net, &data, &monitor.x, &monitor.y, cfg, Some(&ck))?;
        let (_, val) = evaluate(net, &d.val.x, &d.val.y)?;
        let (_, test) = evaluate(net, &d.test.x, &d.test.y)?;
        let wall_s = t0.elapsed().as_secs_f64();
        let dir = if save {
            let rel = format!("study/{name}");
            write_model_dir(&self.out.join(&rel), name, self.data, net, cfg, &hist, [&val, &test], wall_s)?;
            Some(rel)
        } else {
            None
        };
        let r = RunRecord {
            name: name.into(),
            kind: kind.into(),
            description,
            architecture: Some(net.architecture()),
            params: net.param_count(),
            macs: net.architecture().macs(),
            config: Some(cfg.clone()),
            best_epoch: hist.best_epoch,
            epochs_run: hist.epochs.len(),
            wall_s,
            ms_per_batch: hist.ms_per_batch,
            val,
            test,
            dir,
            val_f1_curve: hist.epochs.iter().map(|e| e.val_macro_f1).collect(),
        };
        self.save_record(&r)?;
        let _ = std::fs::remove_dir_all(&ck);
        tracing::info!(run = name, val_f1 = r.val.macro_f1, test_f1 = r.test.macro_f1, wall_s, "done");
        Ok(r)
    }

    /// Runs the whole plan.
    pub fn run_all(&self) -> anyhow::Result<StudyResults> {
        let t0 = Instant::now();
        let d = self.data;
        let p = &self.plan;
        std::fs::create_dir_all(self.out.join("study"))?;

        // Baselines: majority class, logistic regression (the MLP with no hidden layer).
        let majority = majority_class(&d.train.y);
        let maj = |s: &Split| Metrics::compute(&s.y, &vec![majority; s.len()]);
        let mut baselines = vec![RunRecord {
            name: "majority".into(),
            kind: "baseline".into(),
            description: format!("always {}", veriregime_core::features::CLASS_NAMES[majority as usize]),
            architecture: None,
            params: 0,
            macs: 0,
            config: None,
            best_epoch: 0,
            epochs_run: 0,
            wall_s: 0.0,
            ms_per_batch: 0.0,
            val: maj(&d.val),
            test: maj(&d.test),
            dir: None,
            val_f1_curve: vec![],
        }];
        // Its card's recipe records its own (empty) hidden layers, not the student template's.
        let logreg_cfg = TrainConfig { student: StudentConfig::with_hidden(&[]), ..p.student_cfg.clone() };
        let logreg = Student::new(logreg_cfg.student.clone(), p.seed)?;
        baselines.push(self.run(
            "logistic",
            "baseline",
            "logistic regression on the flattened window (420 -> 3 softmax)".into(),
            &logreg,
            &logreg_cfg,
            None,
            true,
        )?);

        // Teacher variants; the best validation macro-F1 is shipped.
        let mut teacher_variants = Vec::new();
        for (name, cfg) in &p.teacher_variants {
            let t = Teacher::new(TeacherConfig::default(), p.seed)?;
            anyhow::ensure!(t.param_count() == super::teacher::SEED_TEACHER_PARAMS, "teacher has {} parameters", t.param_count());
            teacher_variants.push(self.run(name, "teacher", describe_cfg(cfg), &t, cfg, None, true)?);
        }
        let best_t = best_by_val_f1(&teacher_variants);
        let teacher_name = teacher_variants[best_t].name.clone();
        let teacher_dir = self.out.join(teacher_variants[best_t].dir.as_ref().expect("teacher saved"));
        copy_model_dir(&teacher_dir, &self.out.join("teacher"))?;

        // Teacher logits of every training window, from the shipped ONNX (tract).
        let tl = Instant::now();
        let teacher_onnx = OnnxModel::load(teacher_dir.join(super::card::ONNX_FILE))?;
        let tlogits = teacher_onnx.logits(&d.train.x)?;
        tracing::info!("teacher logits of {} training windows in {:.1} s", tlogits.len(), tl.elapsed().as_secs_f64());

        // The grid's recipe with the grid's student, so that each run's card records its own sizes.
        let grid_base = TrainConfig { student: StudentConfig::with_hidden(&p.grid_hidden), ..p.grid_cfg.clone() };

        // Subsample ablation on the seed-size student without a teacher.
        let mut subsample_ablation = Vec::new();
        for &(k, epochs) in &p.subsample_ablation {
            let cfg = TrainConfig { subsample: k, epochs, patience: None, ..grid_base.clone() };
            let s = Student::new(cfg.student.clone(), p.seed)?;
            let name = if epochs == p.grid_cfg.epochs { format!("ablation-subsample-{k}") } else { format!("ablation-subsample-{k}-e{epochs}") };
            let desc = format!("{} trained on labels, 1/{k} of the windows per epoch", arch_name(&s));
            subsample_ablation.push((k, self.run(&name, "grid", desc, &s, &cfg, None, false)?));
        }

        // Distillation grid on the seed-size student.
        let mut grid = Vec::new();
        for (i, (dist, reg)) in p.grid.iter().enumerate() {
            let cfg = TrainConfig { distill: Some(dist.clone()), regularizer: reg.clone(), ..grid_base.clone() };
            let s = Student::new(cfg.student.clone(), p.seed)?;
            grid.push(self.run(&format!("grid-{i:02}"), "grid", describe_cfg(&cfg), &s, &cfg, Some(&tlogits), false)?);
        }
        let grid_winner = best_by_val_f1(&grid);
        let (wd, wr) = p.grid[grid_winner].clone();

        // Student sizes: distilled with the winner, and trained on labels only.
        let mut students = Vec::new();
        let mut no_teacher = Vec::new();
        for h in &p.sizes {
            let tag = h.iter().map(|v| v.to_string()).collect::<Vec<_>>().join("-");
            // Each run's card records its own architecture in its recipe, not the template's.
            let base = TrainConfig { student: StudentConfig::with_hidden(h), ..p.student_cfg.clone() };
            let cfg = TrainConfig { distill: Some(wd.clone()), regularizer: wr.clone(), ..base.clone() };
            let s = Student::new(cfg.student.clone(), p.seed)?;
            students.push(self.run(&format!("student-{tag}"), "student", describe_cfg(&cfg), &s, &cfg, Some(&tlogits), true)?);
            let s = Student::new(base.student.clone(), p.seed)?;
            no_teacher.push(self.run(&format!("no-teacher-{tag}"), "baseline", describe_cfg(&base), &s, &base, None, true)?);
        }

        let shipped = students[pick_shipped(&students.iter().map(|r| (r.macs, r.val.macro_f1)).collect::<Vec<_>>())].clone();
        copy_model_dir(&self.out.join(shipped.dir.as_ref().expect("saved")), &self.out.join("student"))?;

        Ok(StudyResults {
            format: RESULTS_FORMAT.into(),
            created: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            data: d.info.clone(),
            label_counts: d.label_counts,
            plan: p.clone(),
            baselines,
            teacher_variants,
            teacher: teacher_name,
            grid,
            grid_winner,
            students,
            no_teacher,
            subsample_ablation,
            shipped_student: shipped.name.clone(),
            shipped_from: None,
            frontier: None,
            value: None,
            wall_s: t0.elapsed().as_secs_f64(),
            machine: machine(),
        })
    }
}

/// Writes a trained model's folder: `network.onnx` (tract parity checked on up to 2,000 test
/// windows), `card.json` (data, normaliser, recipe, history summary, val and test metrics),
/// `history.json` (every epoch, so `training.png` can be drawn again), `training.png` and
/// `confusion_test.png`.
#[allow(clippy::too_many_arguments)]
pub fn write_model_dir(
    dir: &Path,
    name: &str,
    d: &Prepared,
    net: &dyn Net,
    cfg: &TrainConfig,
    hist: &TrainHistory,
    [val, test]: [&Metrics; 2],
    wall_s: f64,
) -> anyhow::Result<f64> {
    let mut card = ModelCard::new(name, FEATURE_SPEC, d.norm.clone(), net);
    card.data = DataInfo { split: format!("{}; training subsample 1/{} per epoch", d.info.split, cfg.subsample), ..d.info.clone() };
    card.thresholds = d.thresholds.clone();
    card.set_training_of(cfg, hist, net.activation_coefs()?, wall_s);
    card.metrics.insert("val".into(), val.clone());
    card.metrics.insert("test".into(), test.clone());
    let n = 2000.min(d.test.len());
    let parity = save_model_dir(dir, net, &mut card, &d.test.x[..n * INPUT_LEN])?;
    anyhow::ensure!(parity < 1e-3, "{name}: tract and candle logits differ by {parity} (> 1e-3)");
    save_history(hist, dir)?;
    plot_training(hist, &format!("{name}: training curves"), &train_loss_name(cfg), dir.join(TRAINING_PNG))?;
    plot_confusion(test, &format!("{name}: test confusion"), dir.join("confusion_test.png"))?;
    Ok(parity)
}

fn arch_name(net: &dyn Net) -> String {
    net.architecture().describe()
}

/// One line describing a training configuration.
pub fn describe_cfg(c: &TrainConfig) -> String {
    let mut parts = vec![format!("AdamW lr {:.0e} wd {:.0e}", c.lr, c.weight_decay)];
    parts.push(match &c.schedule {
        Schedule::Constant => "constant lr".into(),
        Schedule::Cosine { min_factor } => format!("cosine to x{min_factor}"),
        Schedule::Plateau { factor, patience } => format!("plateau x{factor} after {patience}"),
    });
    if c.label_smoothing > 0.0 {
        parts.push(format!("label smoothing {}", c.label_smoothing));
    }
    match &c.class_weights {
        ClassWeights::None => {}
        ClassWeights::Balanced => parts.push("balanced class weights".into()),
        ClassWeights::Manual(w) => parts.push(format!("class weights {w:?}")),
    }
    if let Some(g) = c.focal_gamma {
        parts.push(format!("focal gamma {g}"));
    }
    if let Some(g) = c.grad_clip {
        parts.push(format!("clip {g}"));
    }
    if let Some(d) = &c.distill {
        parts.push(format!("KD alpha {} beta {} T {}", d.alpha, d.beta, d.temperature));
    }
    if let Some(r) = &c.regularizer {
        parts.push(format!("reg gamma {} l1 {} l2 {} tau {}", r.gamma, r.l1, r.l2, r.tau));
    }
    if let Some(d) = c.ema {
        parts.push(format!("weight average (EMA {d})"));
    }
    parts.push(format!("{} epochs max, 1/{} windows per epoch", c.epochs, c.subsample));
    if let Some(p) = c.patience {
        parts.push(format!("early stop {p}"));
    }
    parts.join(", ")
}

fn best_by_val_f1(rs: &[RunRecord]) -> usize {
    (0..rs.len()).max_by(|&a, &b| rs[a].val.macro_f1.total_cmp(&rs[b].val.macro_f1).then(b.cmp(&a))).expect("non-empty")
}

fn majority_class(y: &[u8]) -> u8 {
    let c = class_counts(y);
    (0..3u8).max_by_key(|&k| (c[k as usize], k == 1)).unwrap_or(1)
}

/// Copies a model folder (files only), replacing the target.
pub fn copy_model_dir(from: &Path, to: &Path) -> anyhow::Result<()> {
    // Copied beside the target first, so a failed copy leaves the old folder whole.
    let name = to.file_name().and_then(|n| n.to_str()).unwrap_or("model");
    let tmp = to.with_file_name(format!(".{name}.tmp"));
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp)?;
    }
    let copy = || -> anyhow::Result<()> {
        std::fs::create_dir_all(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
        for e in std::fs::read_dir(from).with_context(|| format!("reading {}", from.display()))? {
            let e = e?;
            if e.file_type()?.is_file() {
                std::fs::copy(e.path(), tmp.join(e.file_name())).with_context(|| format!("copying {}", e.path().display()))?;
            }
        }
        Ok(())
    };
    if let Err(e) = copy() {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(e);
    }
    if to.exists() {
        std::fs::remove_dir_all(to)?;
    }
    std::fs::rename(&tmp, to).with_context(|| format!("moving {} to {}", tmp.display(), to.display()))?;
    Ok(())
}

/// CPU model and core count, for the report.
pub fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("model name")).map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string()))
        .unwrap_or_else(|| "unknown CPU".into());
    format!("{cpu}, {} cores", std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ships_the_smallest_student_within_the_slack() {
        // (MACs, val macro-F1): the big one is best, the middle one is within 0.01, the small one is not.
        assert_eq!(pick_shipped(&[(1000, 0.400), (500, 0.392), (100, 0.385)]), 1);
        // Same size: the better F1 wins.
        assert_eq!(pick_shipped(&[(1000, 0.400), (100, 0.391), (100, 0.395)]), 2);
        // Nothing within the slack but the best itself.
        assert_eq!(pick_shipped(&[(100, 0.30), (1000, 0.40)]), 1);
        assert_eq!(pick_shipped(&[(7, 0.1)]), 0);
    }

    #[test]
    fn copying_a_model_folder_replaces_the_target_whole() {
        let t = tempfile::tempdir().unwrap();
        let (a, b) = (t.path().join("a"), t.path().join("student"));
        std::fs::create_dir_all(&a).unwrap();
        std::fs::create_dir_all(&b).unwrap();
        std::fs::write(a.join("card.json"), "new").unwrap();
        std::fs::write(b.join("card.json"), "old").unwrap();
        std::fs::write(b.join("stale.png"), "old").unwrap();
        copy_model_dir(&a, &b).unwrap();
        assert_eq!(std::fs::read_to_string(b.join("card.json")).unwrap(), "new");
        assert!(!b.join("stale.png").exists() && !t.path().join(".student.tmp").exists());
        // A missing source is an error naming it, and the target is left as it was.
        let e = copy_model_dir(&t.path().join("none"), &b).unwrap_err();
        assert!(format!("{e:#}").contains("none"), "{e:#}");
        assert_eq!(std::fs::read_to_string(b.join("card.json")).unwrap(), "new");
        assert!(!t.path().join(".student.tmp").exists());
    }
}
