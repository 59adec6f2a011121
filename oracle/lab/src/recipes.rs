//! The training commands as library calls: each `*Run` is what one `veriregime train` subcommand
//! does, given its settings; the CLI only fills them from its flags and prints what they return.

use crate::model::study::{self, describe_cfg, Prepared, Study, StudyPlan, StudyResults};
use crate::model::{
    self, Activation, ClassWeights, Distill, ModelCard, Net, Regularizer, Schedule, Student, StudentConfig, Teacher, TeacherConfig,
    TrainConfig, TrainData,
};
use anyhow::Context;
use std::path::PathBuf;

/// The study's `REPORT.json` under `out`.
pub fn read_results(out: &std::path::Path) -> anyhow::Result<StudyResults> {
    let p = out.join(model::report::RESULTS_FILE);
    serde_json::from_slice(&std::fs::read(&p).with_context(|| format!("reading {}", p.display()))?).with_context(|| format!("parsing {}", p.display()))
}

/// Data selection shared by the training commands.
#[derive(Debug, Clone)]
pub struct DataRange {
    /// Archive root in Binance Vision's layout.
    pub data: PathBuf,
    pub symbol: String,
    /// First decision day (YYYY-MM-DD); the seed's start.
    pub from: String,
    /// Last decision day (YYYY-MM-DD).
    pub to: String,
}

impl DataRange {
    pub fn prepare(&self) -> anyhow::Result<Prepared> {
        self.prepare_labelled(&model::Thresholds::SEED)
    }

    /// [`DataRange::prepare`] with labels at other thresholds.
    pub fn prepare_labelled(&self, thresholds: &model::Thresholds) -> anyhow::Result<Prepared> {
        let t0 = std::time::Instant::now();
        let p = study::prepare_labelled(&self.data, &self.symbol, &self.from, &self.to, thresholds)?;
        tracing::info!(train = p.train.len(), val = p.val.len(), test = p.test.len(), "windows ready in {:.1} s", t0.elapsed().as_secs_f64());
        Ok(p)
    }
}

/// Optimisation settings shared by the single-model commands.
#[derive(Debug, Clone)]
pub struct Optimisation {
    pub epochs: Option<usize>,
    /// Each epoch trains on a fresh random 1/k of the training windows.
    pub subsample: Option<usize>,
    pub lr: Option<f64>,
    /// Weight the loss by inverse class frequency.
    pub balanced: bool,
    /// Focal loss with this gamma.
    pub focal: Option<f64>,
    /// Cosine learning-rate decay instead of the default schedule.
    pub cosine: bool,
    /// Clip the global gradient norm.
    pub clip: Option<f64>,
    /// Validate, select and ship an exponential moving average of the weights with this decay per
    /// step (0.999 averages over about the last thousand steps).
    pub ema: Option<f64>,
    /// Random seed; `None`: [`DEFAULT_SEED`], or the recipe's when one is given.
    pub seed: Option<u64>,
    /// Checkpoint folder: written after every epoch; a run on a folder with a checkpoint of the
    /// same settings resumes after its last epoch.
    pub checkpoint: Option<PathBuf>,
}

impl Optimisation {
    pub fn apply(&self, mut c: TrainConfig) -> TrainConfig {
        if let Some(e) = self.epochs {
            c.epochs = e;
        }
        if let Some(s) = self.subsample {
            c.subsample = s;
        }
        if let Some(lr) = self.lr {
            c.lr = lr;
        }
        if self.balanced {
            c.class_weights = ClassWeights::Balanced;
        }
        if self.focal.is_some() {
            c.focal_gamma = self.focal;
        }
        if self.cosine {
            c.schedule = Schedule::Cosine { min_factor: 0.05 };
        }
        if self.clip.is_some() {
            c.grad_clip = self.clip;
        }
        if self.ema.is_some() {
            c.ema = self.ema;
        }
        if let Some(seed) = self.seed {
            c.seed = seed;
        }
        c
    }
}

/// The seed of a run that names none and copies no recipe.
pub const DEFAULT_SEED: u64 = 42;

/// A training command writes a whole model folder (card, ONNX, plots); one that already holds a
/// model is replaced only when asked (`--force`), so a default `--out` never overwrites the
/// shipped model by surprise. Checked before any data is read.
pub fn check_overwrite(dir: &std::path::Path, force: bool) -> anyhow::Result<()> {
    refuse_overwrite(dir, &dir.join(model::CARD_FILE), "a model", force)
}

/// The one overwrite check of every command that writes a folder: `dir` holds `what` when
/// `marker` exists, and is then written only with `force`.
pub fn refuse_overwrite(dir: &std::path::Path, marker: &std::path::Path, what: &str, force: bool) -> anyhow::Result<()> {
    anyhow::ensure!(
        force || !marker.exists(),
        "{} already holds {what} ({}): pass --force to overwrite it, or choose another --out",
        dir.display(),
        marker.display()
    );
    Ok(())
}

/// A teacher's logits on `x` (the soft targets a student is distilled on), with a progress bar:
/// on the full training split this takes a minute or more.
pub fn soft_targets(onnx: &model::OnnxModel, x: &[f32], what: &str) -> anyhow::Result<Vec<[f32; 3]>> {
    let t0 = std::time::Instant::now();
    let n = x.len() / onnx.input_len().max(1);
    let bar = indicatif::ProgressBar::new(n as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} soft targets of {msg} [{elapsed_precise}] {wide_bar} {pos}/{len} windows (eta {eta})")
            .expect("template")
            .progress_chars("=> "),
    );
    bar.set_message(what.to_string());
    let out = onnx.logits_with_progress(x, &mut |done| bar.set_position(done as u64))?;
    bar.finish_and_clear();
    tracing::info!(windows = n, "soft targets of {what} in {:.1} s", t0.elapsed().as_secs_f64());
    Ok(out)
}

/// A teacher model folder to distil from, loaded (and its ONNX hash checked) before any data is
/// read, so that a wrong folder fails at once.
pub struct TeacherFolder {
    pub dir: PathBuf,
    pub card: ModelCard,
    pub onnx: model::OnnxModel,
}

impl TeacherFolder {
    pub fn load(dir: &std::path::Path) -> anyhow::Result<TeacherFolder> {
        let (card, onnx) = ModelCard::load(dir).with_context(|| format!("--teacher {}", dir.display()))?;
        Ok(TeacherFolder { dir: dir.to_path_buf(), card, onnx })
    }

    /// The teacher's logits on `p`'s training split, once `p` is checked to be normalised as the
    /// teacher was (the same data range), and the stages so far: `data_s` is when `p` was ready.
    pub fn soft_targets(&self, p: &Prepared, t0: std::time::Instant, data_s: f64) -> anyhow::Result<(Vec<[f32; 3]>, Stages)> {
        same_normaliser(&self.card, p, "teacher", &self.dir)?;
        let logits = soft_targets(&self.onnx, &p.train.x, &self.card.name)?;
        Ok((logits, Stages { started: t0, data_s, soft_targets_s: t0.elapsed().as_secs_f64() - data_s }))
    }
}

/// Soft targets of an optional teacher (none: the stages have no soft-target time).
fn optional_soft_targets(
    teacher: Option<&TeacherFolder>,
    p: &Prepared,
    t0: std::time::Instant,
    data_s: f64,
) -> anyhow::Result<(Option<Vec<[f32; 3]>>, Stages)> {
    match teacher {
        Some(t) => t.soft_targets(p, t0, data_s).map(|(l, s)| (Some(l), s)),
        None => Ok((None, Stages { started: t0, data_s, soft_targets_s: 0.0 })),
    }
}

#[derive(Debug, Clone)]
pub struct TeacherRun {
    pub data: DataRange,
    pub opt: Optimisation,
    pub out: PathBuf,
    /// Replace a model already in `out`.
    pub force: bool,
}

impl TeacherRun {
    pub fn run(self, emit: &mut dyn FnMut(String)) -> anyhow::Result<()> {
        let t0 = std::time::Instant::now();
        check_overwrite(&self.out, self.force)?;
        let p = self.data.prepare()?;
        let stages = Stages { started: t0, data_s: t0.elapsed().as_secs_f64(), soft_targets_s: 0.0 };
        let cfg = self.opt.apply(TrainConfig { subsample: 20, seed: DEFAULT_SEED, ..TrainConfig::seed_teacher() });
        let t = Teacher::new(TeacherConfig::default(), cfg.seed)?;
        train_one(emit, &p, &t, &folder_name(&self.out, "teacher"), &cfg, None, &self.out, self.opt.checkpoint.as_deref(), stages)
    }
}

#[derive(Debug, Clone)]
pub struct StudentRun {
    pub data: DataRange,
    pub opt: Optimisation,
    /// Hidden layer sizes.
    pub hidden: Vec<usize>,
    /// Activation after each hidden layer.
    pub activation: Activation,
    /// Teacher model folder to distil from (its ONNX gives the soft targets); without it the
    /// student learns from labels only.
    pub teacher: Option<PathBuf>,
    /// Distillation: weight of the cross-entropy on labels.
    pub alpha: f64,
    /// Distillation: weight of T^2 * KL(teacher || student).
    pub beta: f64,
    /// Distillation temperature.
    pub temperature: f64,
    /// Regulariser weight gamma (0 disables), with l1, l2 and tau below.
    pub gamma: f64,
    pub l1: f64,
    pub l2: f64,
    pub tau: f64,
    /// Labels at +-this forward return (percent) instead of the seed's 0.2 (a fee-aware target).
    pub label_threshold: Option<f64>,
    pub out: PathBuf,
    /// Replace a model already in `out`.
    pub force: bool,
}

/// A student's recipe copied from a model card: architecture, distillation, regulariser,
/// schedule, epochs and seed, and the label thresholds; `--data`, `--from`/`--to` and the
/// optimisation flags given beside it still apply (they override the recipe's).
#[derive(Debug, Clone)]
pub struct RecipeRun {
    pub data: DataRange,
    pub opt: Optimisation,
    /// The card (or its model folder) whose recipe is retrained.
    pub recipe: PathBuf,
    /// The teacher to distil from, when the recipe is a distillation.
    pub teacher: Option<PathBuf>,
    pub out: PathBuf,
    pub force: bool,
}

impl RecipeRun {
    pub fn run(self, emit: &mut dyn FnMut(String)) -> anyhow::Result<()> {
        let t0 = std::time::Instant::now();
        check_overwrite(&self.out, self.force)?;
        let dir = if self.recipe.is_dir() { self.recipe.clone() } else { self.recipe.parent().map(PathBuf::from).unwrap_or_default() };
        let card = ModelCard::read(&dir).with_context(|| format!("--recipe-from {}", self.recipe.display()))?;
        let training = card.recipe().with_context(|| format!("--recipe-from {}", self.recipe.display()))?;
        card.ensure_mlp().with_context(|| format!("--recipe-from {}", self.recipe.display()))?;
        let cfg = self.opt.apply(training.config.clone());
        if card.data.from != self.data.from || card.data.to != self.data.to || card.data.symbol != self.data.symbol {
            tracing::warn!(
                "the recipe was trained on {} {}..{}; this run uses {} {}..{}",
                card.data.symbol,
                card.data.from,
                card.data.to,
                self.data.symbol,
                self.data.from,
                self.data.to
            );
        }
        let teacher = match (&cfg.distill, &self.teacher) {
            (Some(_), Some(t)) => Some(t.clone()),
            (Some(_), None) => {
                anyhow::bail!("--recipe-from {}: the recipe is a distillation: give --teacher (the shipped student's is models/teacher)", self.recipe.display())
            }
            (None, Some(t)) => anyhow::bail!("--recipe-from {}: the recipe learns from labels only; drop --teacher {}", self.recipe.display(), t.display()),
            (None, None) => None,
        };
        let teacher = teacher.as_deref().map(TeacherFolder::load).transpose()?;
        let p = self.data.prepare_labelled(&card.thresholds)?;
        let (logits, stages) = optional_soft_targets(teacher.as_ref(), &p, t0, t0.elapsed().as_secs_f64())?;
        let s = Student::new(cfg.student.clone(), cfg.seed)?;
        train_one(emit, &p, &s, &folder_name(&self.out, "student"), &cfg, logits.as_deref(), &self.out, self.opt.checkpoint.as_deref(), stages)
    }
}

impl StudentRun {
    pub fn run(self, emit: &mut dyn FnMut(String)) -> anyhow::Result<()> {
        let t0 = std::time::Instant::now();
        check_overwrite(&self.out, self.force)?;
        let teacher = self.teacher.as_deref().map(TeacherFolder::load).transpose()?;
        let thresholds = match self.label_threshold {
            Some(t) => model::Thresholds::symmetric(t)?,
            None => model::Thresholds::SEED,
        };
        let p = self.data.prepare_labelled(&thresholds)?;
        let data_s = t0.elapsed().as_secs_f64();
        let mut cfg = self.opt.apply(StudyPlan::full(self.opt.seed.unwrap_or(DEFAULT_SEED)).student_cfg);
        cfg.student = StudentConfig { activation: self.activation, ..StudentConfig::with_hidden(&self.hidden) };
        if self.gamma > 0.0 {
            cfg.regularizer = Some(Regularizer { gamma: self.gamma, l1: self.l1, l2: self.l2, tau: self.tau });
        }
        if teacher.is_some() {
            cfg.distill = Some(Distill { alpha: self.alpha, beta: self.beta, temperature: self.temperature });
        }
        let (logits, stages) = optional_soft_targets(teacher.as_ref(), &p, t0, data_s)?;
        let s = Student::new(cfg.student.clone(), cfg.seed)?;
        train_one(emit, &p, &s, &folder_name(&self.out, "student"), &cfg, logits.as_deref(), &self.out, self.opt.checkpoint.as_deref(), stages)
    }
}

#[derive(Debug, Clone)]
pub struct ActivationsRun {
    pub data: DataRange,
    /// The teacher to distil from.
    pub teacher: PathBuf,
    /// The student whose recipe (distillation, regulariser, schedule, epochs, seed) every run
    /// copies; only the hidden sizes and the activation change.
    pub recipe: PathBuf,
    pub hidden: Vec<usize>,
    pub activations: Vec<Activation>,
    /// Writes OUT/act-<activation>-<hidden>/ per run.
    pub out: PathBuf,
    /// Per-run checkpoints (a rerun resumes); a run whose folder already holds a card of the same
    /// recipe is not trained again.
    pub checkpoints: PathBuf,
    /// Replace a run's folder that holds a model of another recipe.
    pub force: bool,
}

impl ActivationsRun {
    pub fn run(self, emit: &mut dyn FnMut(String)) -> anyhow::Result<()> {
        let card = ModelCard::read(&self.recipe)?;
        let recipe = card.recipe().with_context(|| format!("--recipe {}", self.recipe.display()))?.config.clone();
        anyhow::ensure!(recipe.distill.is_some(), "the recipe of {} is not a distillation", self.recipe.display());
        let runs: Vec<(String, TrainConfig)> = self
            .activations
            .iter()
            .map(|&a| {
                let hidden = self.hidden.iter().map(|h| h.to_string()).collect::<Vec<_>>().join("-");
                let name = format!("act-{}-{hidden}", serde_json::to_value(a).expect("enum").as_str().unwrap_or_default());
                let student = StudentConfig { activation: a, hidden: self.hidden.clone(), ..recipe.student.clone() };
                (name, TrainConfig { student, ..recipe.clone() })
            })
            .collect();
        let todo: Vec<&(String, TrainConfig)> = runs
            .iter()
            .filter(|(name, cfg)| {
                let done = ModelCard::read(self.out.join(name)).ok().and_then(|c| c.training).map(|t| t.config == *cfg);
                if done == Some(true) {
                    eprintln!("{name}: already trained with this recipe");
                }
                done != Some(true)
            })
            .collect();
        if todo.is_empty() {
            return Ok(());
        }
        for (name, _) in &todo {
            let dir = self.out.join(name);
            refuse_overwrite(&dir, &dir.join(model::CARD_FILE), "a model of another recipe", self.force)?;
        }
        let t0 = std::time::Instant::now();
        let teacher = TeacherFolder::load(&self.teacher)?;
        let p = self.data.prepare()?;
        let (logits, stages) = teacher.soft_targets(&p, t0, t0.elapsed().as_secs_f64())?;
        for (i, (name, cfg)) in todo.into_iter().enumerate() {
            let s = Student::new(cfg.student.clone(), cfg.seed)?;
            // The shared preparation is counted once, in the first run's stages.
            let stages = if i == 0 { stages } else { Stages { started: std::time::Instant::now(), data_s: 0.0, soft_targets_s: 0.0 } };
            train_one(emit, &p, &s, name, cfg, Some(&logits), &self.out.join(name), Some(&self.checkpoints.join(name)), stages)?;
        }
        Ok(())
    }
}

#[derive(Debug, Clone)]
pub struct HessianRun {
    pub data: DataRange,
    /// The (float) student model folder to quantise.
    pub student: PathBuf,
    /// Average bits per weight to allocate.
    pub budgets: Vec<u32>,
    /// Bit widths a layer may take.
    pub choices: Vec<u32>,
    /// Rademacher probes of the Hutchinson estimator.
    pub probes: usize,
    /// Training windows (drawn at random, seeded) the Hessian is taken on.
    pub batch: usize,
    /// Finite-difference step of the Hessian-vector products.
    pub eps: f64,
    pub seed: u64,
    /// Report folder.
    pub out: PathBuf,
    /// Also write the quantised students of this budget (one folder per scheme, named
    /// <student>-<scheme>-b<bits>) into --export-dir, ready for `veriregime bench`.
    pub export_budget: Option<u32>,
    pub export_dir: PathBuf,
}

impl HessianRun {
    pub fn run(self, emit: &mut dyn FnMut(String)) -> anyhow::Result<()> {
        use crate::model::quant::{self, Labelled, QuantConfig, QuantStudy, Scheme};
        use rand::seq::SliceRandom;
        let t0 = std::time::Instant::now();
        let cfg = QuantConfig { probes: self.probes, eps: self.eps, seed: self.seed, choices: self.choices.clone(), budgets: self.budgets.clone() };
        for &b in cfg.budgets.iter().chain(&cfg.choices).chain(&self.export_budget) {
            anyhow::ensure!((2..=16).contains(&b), "bit width {b} is outside 2..=16");
        }
        if let Some(b) = self.export_budget {
            anyhow::ensure!(cfg.budgets.contains(&b), "--export-budget {b} is not one of --budgets {:?}", cfg.budgets);
        }
        let (card, _) = ModelCard::load(&self.student).with_context(|| format!("student folder {}", self.student.display()))?;
        card.ensure_mlp().with_context(|| format!("student folder {}", self.student.display()))?;
        let student = model::student_from_onnx(self.student.join(&card.onnx_file), (0.0, 0.0))?;
        let p = self.data.prepare()?;
        same_normaliser(&card, &p, "student", &self.student)?;
        let mut idx: Vec<usize> = (0..p.train.len()).collect();
        idx.shuffle(&mut <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(self.seed));
        idx.truncate(self.batch.max(1));
        let d = student.config.input;
        let bx: Vec<f32> = idx.iter().flat_map(|&i| p.train.x[i * d..(i + 1) * d].iter().copied()).collect();
        let by: Vec<u8> = idx.iter().map(|&i| p.train.y[i]).collect();
        let bar = indicatif::ProgressBar::new(1 + 3 * cfg.budgets.len() as u64);
        bar.set_style(indicatif::ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {pos}/{len} {msg}").expect("template").progress_chars("=> "));
        let (layers, float_val, float_test, points) = quant::study(
            &student,
            Labelled { x: &bx, y: &by },
            Labelled { x: &p.val.x, y: &p.val.y },
            Labelled { x: &p.test.x, y: &p.test.y },
            &cfg,
            |m| {
                if bar.position() > 0 || bar.message() != "" {
                    bar.inc(1);
                }
                bar.set_message(m.to_string());
            },
        )?;
        bar.finish_and_clear();
        let name = self.student.file_name().and_then(|n| n.to_str()).unwrap_or("student").to_string();
        let study = QuantStudy {
            model: name.clone(),
            architecture: card.architecture.describe(),
            source_onnx_sha256: card.onnx_sha256.clone(),
            config: cfg,
            batch: by.len(),
            layers,
            float_val,
            float_test,
            points,
            data: format!("{} 1m {}..{}, {} / {} / {} windows", card.data.symbol, self.data.from, self.data.to, p.train.len(), p.val.len(), p.test.len()),
            wall_s: t0.elapsed().as_secs_f64(),
        };
        study.write(&self.out)?;
        emit(format!("{}", study.markdown()));
        if let Some(b) = self.export_budget {
            let parity_x = &p.test.x[..d * p.test.len().min(64)];
            for scheme in [Scheme::Uniform, Scheme::Mse, Scheme::Hessian] {
                let pt = study.point(scheme, b).expect("every scheme at every budget");
                let (q, _) = quant::quantized_student(&student, &pt.bits)?;
                let qname = format!("{name}-{}-b{b}", scheme.name());
                let mut c = card.clone();
                c.name = qname.clone();
                c.created = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
                c.metrics = [("val".to_string(), pt.val.clone()), ("test".to_string(), pt.test.clone())].into();
                c.quantization = Some(pt.info(&card.onnx_sha256));
                let dir = self.export_dir.join(&qname);
                let parity = model::save_model_dir(&dir, &q, &mut c, parity_x)?;
                eprintln!("wrote {} (param scale {}, parity {parity:.2e})", dir.display(), pt.param_scale);
            }
        }
        Ok(())
    }
}

#[derive(Debug, Clone)]
pub struct ShipRun {
    /// The study's output root (REPORT.json, teacher/, student/, study/).
    pub models: PathBuf,
    /// Student model folders weighed beside the study's distilled students.
    pub candidates: Vec<PathBuf>,
}

impl ShipRun {
    pub fn run(self, emit: &mut dyn FnMut(String)) -> anyhow::Result<()> {
        let mut r = read_results(&self.models)?;
        let teacher = ModelCard::read(self.models.join("teacher")).with_context(|| format!("teacher folder {}", self.models.join("teacher").display()))?;
        // Every candidate, the study's students first; a given folder also carries its card.
        struct Candidate {
            name: String,
            dir: PathBuf,
            macs: usize,
            val_f1: f64,
            card: Option<ModelCard>,
        }
        let mut pool: Vec<Candidate> = r
            .students
            .iter()
            .map(|st| Candidate {
                name: st.name.clone(),
                dir: self.models.join(st.dir.as_deref().unwrap_or_default()),
                macs: st.macs,
                val_f1: st.val.macro_f1,
                card: None,
            })
            .collect();
        for dir in &self.candidates {
            // Loading checks the ONNX file's hash and the feature spec against the card.
            let (card, _) = ModelCard::load(dir).with_context(|| format!("candidate {}", dir.display()))?;
            card.ensure_mlp().with_context(|| format!("candidate {}", dir.display()))?;
            anyhow::ensure!(
                card.normalization.same_as(&teacher.normalization),
                "candidate {} was trained with another normaliser (data range) than the study's teacher",
                dir.display()
            );
            let val = card.metrics.get("val").with_context(|| format!("candidate {}: its card has no validation metrics", dir.display()))?;
            anyhow::ensure!(card.metrics.contains_key("test"), "candidate {}: its card has no test metrics", dir.display());
            let (name, macs, val_f1) = (card.name.clone(), card.architecture.macs(), val.macro_f1);
            pool.push(Candidate { name, dir: dir.clone(), macs, val_f1, card: Some(card) });
        }
        let won = &pool[study::pick_shipped(&pool.iter().map(|c| (c.macs, c.val_f1)).collect::<Vec<_>>())];
        study::copy_model_dir(&won.dir, &self.models.join("student"))?;
        r.shipped_student = won.name.clone();
        let candidates: Vec<(String, usize, f64)> = pool.iter().map(|c| (c.name.clone(), c.macs, c.val_f1)).collect();
        r.shipped_from = won.card.as_ref().map(|c| study::ShipRecord {
            name: won.name.clone(),
            dir: won.dir.display().to_string(),
            architecture: c.architecture.describe(),
            params: c.param_count,
            macs: won.macs,
            val: c.metrics["val"].clone(),
            test: c.metrics["test"].clone(),
            candidates: candidates.clone(),
            created: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        });
        model::report::write_report(&r, &self.models)?;
        emit(format!("{}", serde_json::json!({ "shipped_student": won.name, "from": won.dir, "candidates": candidates })));
        Ok(())
    }
}

#[derive(Debug, Clone)]
pub struct FrontierRun {
    pub data: DataRange,
    /// The study's output root (REPORT.json, study/).
    pub models: PathBuf,
    /// Model folders traced beside the study's teacher variants.
    pub extra: Vec<PathBuf>,
}

impl FrontierRun {
    pub fn run(self, emit: &mut dyn FnMut(String)) -> anyhow::Result<()> {
        use model::frontier::{model_front, FrontierRecord, OFFSET_RANGE, OFFSET_STEP};
        use model::report::{SEED_VAL_ACCURACY, SEED_VAL_MACRO_F1};
        let mut r = read_results(&self.models)?;
        let mut dirs = Vec::new();
        for t in &r.teacher_variants {
            let dir = t.dir.as_deref().with_context(|| format!("REPORT.json: teacher variant {} has no folder", t.name))?;
            dirs.push(self.models.join(dir));
        }
        dirs.extend(self.extra.iter().cloned());
        // Every folder is checked before the data is read.
        let mut models = Vec::new();
        for dir in &dirs {
            models.push(ModelCard::load(dir).with_context(|| format!("model folder {}", dir.display()))?);
        }
        let p = self.data.prepare()?;
        let pb = indicatif::ProgressBar::new(models.len() as u64);
        pb.set_style(indicatif::ProgressStyle::with_template("{spinner} frontier [{elapsed_precise}] {wide_bar} {pos}/{len} models {msg}").unwrap());
        let mut fronts = Vec::new();
        for (dir, (card, onnx)) in dirs.iter().zip(&models) {
            pb.set_message(card.name.clone());
            same_normaliser(card, &p, "model", dir)?;
            let recipe = card.training.as_ref().map(|t| describe_cfg(&t.config)).unwrap_or_default();
            let (lv, lt) = (onnx.logits(&p.val.x)?, onnx.logits(&p.test.x)?);
            let target = (SEED_VAL_ACCURACY, SEED_VAL_MACRO_F1);
            // Named by folder, like every card `train` writes.
            let name = folder_name(dir, &card.name);
            fronts.push(model_front(&name, &dir.display().to_string(), &recipe, (&lv, &p.val.y), (&lt, &p.test.y), target));
            pb.inc(1);
        }
        pb.finish_and_clear();
        let summary: Vec<_> = fronts
            .iter()
            .map(|m| serde_json::json!({ "name": m.name, "beats_seed": m.beats_target, "best_accuracy_at_seed_f1": m.best_accuracy_at_target_f1, "best_f1_at_seed_accuracy": m.best_f1_at_target_accuracy }))
            .collect();
        r.frontier = Some(FrontierRecord {
            created: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            target_accuracy: SEED_VAL_ACCURACY,
            target_macro_f1: SEED_VAL_MACRO_F1,
            offset_range: OFFSET_RANGE,
            offset_step: OFFSET_STEP,
            models: fronts,
        });
        model::report::write_report(&r, &self.models)?;
        emit(format!("{}", serde_json::json!({ "models": summary })));
        Ok(())
    }
}

#[derive(Debug, Clone)]
pub struct PolicyRun {
    /// Archive root.
    pub data: PathBuf,
    /// The models folder (REPORT.json, value/ PNGs, policy.json).
    pub models: PathBuf,
    /// Model folders to backtest; the first (the shipped student) gets `models/policy.json`.
    pub model_dirs: Vec<PathBuf>,
    pub symbols: Vec<String>,
    pub costs: crate::backtest::Costs,
    pub fee_sweep_bps: Vec<f64>,
    /// Model folders whose test equity curves are drawn (empty: the first's).
    pub plot: Vec<PathBuf>,
}

impl PolicyRun {
    pub fn run(self, emit: &mut dyn FnMut(String)) -> anyhow::Result<()> {
        use crate::backtest::select::{default_policy_file, Grid, ValueRun};
        let mut r = read_results(&self.models)?;
        let run = ValueRun {
            data: self.data,
            symbols: self.symbols,
            models: self.model_dirs,
            costs: self.costs,
            grid: Grid::default(),
            fee_sweep_bps: self.fee_sweep_bps,
            models_dir: self.models.clone(),
            plot: self.plot,
            policy_file: default_policy_file(&self.models),
        };
        let v = run.run()?;
        let summary: Vec<_> = v
            .models
            .iter()
            .map(|m| {
                serde_json::json!({
                    "model": m.name, "chosen": m.chosen.to_string(),
                    "test": m.markets.iter().map(|x| serde_json::json!({
                        "symbol": x.symbol, "vault": x.test.vault.ret, "vault_trades": x.test.vault.trades,
                        "chosen": x.test.chosen.ret, "chosen_trades": x.test.chosen.trades,
                        "buy_and_hold": x.test.buy_and_hold.ret, "buy_minus_sell_pct": x.test.edge.buy_minus_sell_pct,
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        r.value = Some(v);
        model::report::write_report(&r, &self.models)?;
        emit(format!("{}", serde_json::json!({ "policy_file": run.policy_file, "models": summary })));
        Ok(())
    }
}

#[derive(Debug, Clone)]
pub struct StudyRun {
    pub data: DataRange,
    /// Output root: writes teacher/, student/, study/, REPORT.md, REPORT.json there.
    pub out: PathBuf,
    /// Per-run checkpoints and finished-run records; a rerun resumes from them.
    pub checkpoints: PathBuf,
    /// A minutes-long plan (two short teacher variants, two small students) for trying it out.
    pub quick: bool,
    pub seed: u64,
    /// Replace a study already in `out`.
    pub force: bool,
}

impl StudyRun {
    pub fn run(self, emit: &mut dyn FnMut(String)) -> anyhow::Result<()> {
        let t0 = std::time::Instant::now();
        let report = self.out.join(model::report::RESULTS_FILE);
        refuse_overwrite(&self.out, &report, "a study and its shipped models", self.force)?;
        let p = self.data.prepare()?;
        let plan = if self.quick { StudyPlan::quick(self.seed) } else { StudyPlan::full(self.seed) };
        let study = Study { data: &p, plan, out: self.out.clone(), checkpoints: self.checkpoints.clone() };
        let mut results = study.run_all()?;
        results.wall_s = t0.elapsed().as_secs_f64();
        model::report::write_report(&results, &self.out)?;
        emit(format!(
            "{}",
            serde_json::json!({
                "report": self.out.join(model::report::REPORT_FILE), "wall_s": results.wall_s,
                "teacher": results.teacher, "shipped_student": results.shipped_student,
            })
        ));
        Ok(())
    }
}

/// A model folder's windows must be normalised as this data's: a model trained on another data
/// range would read them differently.
pub fn same_normaliser(card: &ModelCard, p: &Prepared, what: &str, dir: &std::path::Path) -> anyhow::Result<()> {
    let (d, which) = card.normalization.largest_difference(&p.norm);
    anyhow::ensure!(
        card.normalization.same_as(&p.norm),
        "{what} {} was trained with another normaliser than this data's ({which} differs by a relative {d:.1e}): use the --from/--to it was trained on ({} {}..{})",
        dir.display(),
        card.data.symbol,
        card.data.from,
        card.data.to
    );
    Ok(())
}

/// A model is named by its folder (`models/ablation/teacher-ema-seed` is "teacher-ema-seed"), so that the
/// cards of `train teacher` and `train student` runs tell the ablation folders apart in reports and benches.
pub fn folder_name(dir: &std::path::Path, fallback: &str) -> String {
    dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| fallback.to_owned())
}

/// Where a single-model run's time went before training: reading and windowing the data, and the
/// teacher's soft targets. `started` is the run's start, so the reported wall time is the whole run.
#[derive(Debug, Clone, Copy)]
pub struct Stages {
    pub started: std::time::Instant,
    pub data_s: f64,
    pub soft_targets_s: f64,
}

#[allow(clippy::too_many_arguments)]
pub fn train_one(
    emit: &mut dyn FnMut(String),
    p: &Prepared,
    net: &dyn Net,
    name: &str,
    cfg: &TrainConfig,
    teacher: Option<&[[f32; 3]]>,
    out: &std::path::Path,
    checkpoint: Option<&std::path::Path>,
    stages: Stages,
) -> anyhow::Result<()> {
    let t0 = std::time::Instant::now();
    tracing::info!("{name}: {}", describe_cfg(cfg));
    let monitor = p.val.every(4);
    let hist = model::fit(net, &TrainData { x: &p.train.x, y: &p.train.y, teacher }, &monitor.x, &monitor.y, cfg, checkpoint)?;
    let (_, m_val) = model::evaluate(net, &p.val.x, &p.val.y)?;
    let (_, m_test) = model::evaluate(net, &p.test.x, &p.test.y)?;
    let train_s = t0.elapsed().as_secs_f64();
    let parity = study::write_model_dir(out, name, p, net, cfg, &hist, [&m_val, &m_test], train_s)?;
    emit(format!(
        "{}",
        serde_json::json!({
            "out": out, "wall_s": stages.started.elapsed().as_secs_f64(),
            "stages_s": {"data": stages.data_s, "soft_targets": stages.soft_targets_s, "train_and_write": train_s},
            "best_epoch": hist.best_epoch,
            "ms_per_batch": hist.ms_per_batch, "parity_max_abs": parity, "params": net.param_count(),
            "val": {"accuracy": m_val.accuracy, "macro_f1": m_val.macro_f1},
            "test": {"accuracy": m_test.accuracy, "macro_f1": m_test.macro_f1},
        })
    ));
    Ok(())
}
