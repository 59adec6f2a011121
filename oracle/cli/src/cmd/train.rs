use clap::{Args, Subcommand};
use std::path::PathBuf;
use veriregime_lab::model::Activation;
use veriregime_lab::recipes;

#[derive(Debug, Subcommand)]
pub enum TrainCmd {
    /// Train the teacher CNN (the seed's Algorithm 1 and recipe) and write a model folder.
    ///
    /// Example: veriregime train teacher --data ../shared/data/binance-vision --out models/teacher
    Teacher(TeacherArgs),
    /// Train a student MLP, on labels or distilled from a teacher folder, and write a model folder.
    /// `--recipe-from` retrains the recipe a card records (the shipped student's, say).
    ///
    /// Examples:
    ///   veriregime train student --data ../shared/data/binance-vision --recipe-from models/student/card.json --teacher models/teacher --out target/student-again
    ///   veriregime train student --data ../shared/data/binance-vision --teacher models/teacher --hidden 32,16 --activation relu --out target/student-32-16
    Student(StudentArgs),
    /// The whole study: baselines, teacher variants, distillation grid, student sizes; writes
    /// models/teacher, models/student, models/study/*, models/REPORT.md and REPORT.json.
    ///
    /// Example: veriregime train study --data ../shared/data/binance-vision --out models
    Study(StudyArgs),
    /// The activation ablation (issue 7): one student per activation, each distilled from the
    /// teacher with the shipped student's recipe; writes a model folder per activation.
    ///
    /// Example: veriregime train activations --data ../shared/data/binance-vision --hidden 32,16 --out models/ablation
    Activations(ActivationsArgs),
    /// Hessian-guided mixed precision (issue 7): per-layer Hessian traces (Hutchinson), bit
    /// allocation under budgets against uniform bits, scores after quantisation; writes
    /// HESSIAN.md, hessian.json and hessian.png, and optionally the quantised model folders.
    ///
    /// Example: veriregime train hessian --data ../shared/data/binance-vision --student models/student --out bench/hessian
    Hessian(HessianArgs),
    /// Ship a student as models/student under the study's rule (the smallest whose validation
    /// macro-F1 is within 0.01 of the best), weighing the study's distilled students and the
    /// given folders (the activation ablation's, say); records the choice in REPORT.json/.md.
    ///
    /// Example: veriregime train ship --candidates models/ablation/act-relu-32-16
    Ship(ShipArgs),
    /// The accuracy / macro-F1 trade-off of the study's teachers (and any given folders): offsets
    /// on the SELL and BUY logits swept on validation, scored against the seed's reported figures;
    /// recorded in REPORT.json/.md with frontier.png.
    ///
    /// Example: veriregime train frontier --data ../shared/data/binance-vision --extra models/ablation/teacher-ema
    Frontier(FrontierArgs),
    /// Is the signal worth following? Backtests each model with the vault's rule and a grid of
    /// consumer policies on every market's validation split, chooses one policy (the best
    /// worst-market validation return after costs), judges it on test; writes models/policy.json
    /// (for the first model), the equity curves (models/value/*.png) and the report's section.
    ///
    /// Example: veriregime train policy --data ../shared/data/binance-vision --model models/student,models/teacher
    Policy(PolicyArgs),
    /// Re-render models/REPORT.md (and its plots) from models/REPORT.json.
    Report {
        #[arg(long, default_value = "models")]
        out: PathBuf,
    },
    /// Draw model folders' training.png again from their history.json and card.json, without
    /// training (folders trained before history.json was kept have no curves to draw).
    ///
    /// Example: veriregime train replot models/student models/teacher
    Replot {
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
    },
}

impl TrainCmd {
    pub fn run(self) -> anyhow::Result<()> {
        let mut print = |line: String| println!("{line}");
        match self {
            TrainCmd::Teacher(a) => a.into_lab().run(&mut print),
            TrainCmd::Student(a) => a.run(&mut print),
            TrainCmd::Study(a) => a.into_lab().run(&mut print),
            TrainCmd::Activations(a) => a.into_lab().run(&mut print),
            TrainCmd::Hessian(a) => a.into_lab().run(&mut print),
            TrainCmd::Ship(a) => a.into_lab().run(&mut print),
            TrainCmd::Frontier(a) => a.into_lab().run(&mut print),
            TrainCmd::Policy(a) => a.into_lab().run(&mut print),
            TrainCmd::Report { out } => veriregime_lab::model::report::write_report(&recipes::read_results(&out)?, &out),
            TrainCmd::Replot { dirs } => {
                for d in dirs {
                    print(format!("wrote {}", veriregime_lab::model::replot_model_dir(&d)?.display()));
                }
                Ok(())
            }
        }
    }
}


#[derive(Debug, Args)]
pub struct ShipArgs {
    /// The study's output root (REPORT.json, teacher/, student/, study/).
    #[arg(long, default_value = "models")]
    pub models: PathBuf,
    /// Student model folders weighed beside the study's distilled students.
    #[arg(long, value_delimiter = ',', required = true)]
    pub candidates: Vec<PathBuf>,
}



#[derive(Debug, Args)]
pub struct FrontierArgs {
    #[command(flatten)]
    pub data: DataArgs,
    /// The study's output root (REPORT.json, study/).
    #[arg(long, default_value = "models")]
    pub models: PathBuf,
    /// Model folders traced beside the study's teacher variants.
    #[arg(long, value_delimiter = ',')]
    pub extra: Vec<PathBuf>,
}



#[derive(Debug, Args)]
pub struct PolicyArgs {
    /// Archive root in Binance Vision's layout.
    #[arg(long)]
    pub data: PathBuf,
    /// The study's output root (REPORT.json; writes policy.json and value/ there).
    #[arg(long, default_value = "models")]
    pub models: PathBuf,
    /// Model folders; the first gets models/policy.json and the equity-curve PNGs.
    #[arg(long, value_delimiter = ',', default_value = "models/student,models/teacher")]
    pub model: Vec<PathBuf>,
    #[arg(long, value_delimiter = ',', default_value = "BTCUSDT,ETHUSDT,SOLUSDT")]
    pub symbols: Vec<String>,
    /// The costs per fill the policy is chosen at.
    #[command(flatten)]
    pub costs: super::backtest::CostArgs,
    /// Fees (bps) at which the chosen policy is also replayed on test.
    #[arg(long, value_delimiter = ',', default_value = "0,5,10,30")]
    pub fee_sweep: Vec<f64>,
    /// Model folders (of --model) whose test equity curves are drawn; default the first.
    #[arg(long, value_delimiter = ',')]
    pub plot: Vec<PathBuf>,
}

impl PolicyArgs {
    fn into_lab(self) -> recipes::PolicyRun {
        recipes::PolicyRun {
            data: self.data,
            models: self.models,
            model_dirs: self.model,
            symbols: self.symbols,
            costs: self.costs.costs(),
            fee_sweep_bps: self.fee_sweep,
            plot: self.plot,
        }
    }
}

/// Data selection shared by the training commands.
#[derive(Debug, Args)]
pub struct DataArgs {
    /// Archive root in Binance Vision's layout.
    #[arg(long)]
    pub data: PathBuf,
    #[arg(long, default_value = "BTCUSDT")]
    pub symbol: String,
    /// First decision day (YYYY-MM-DD); the seed's start.
    #[arg(long, default_value = "2022-12-31")]
    pub from: String,
    /// Last decision day (YYYY-MM-DD).
    #[arg(long, default_value = "2024-03-31")]
    pub to: String,
}



/// Optimisation settings shared by the single-model commands.
#[derive(Debug, Args)]
pub struct OptArgs {
    /// Epochs to train (the best on validation is kept); default: the recipe's (teacher 30,
    /// student 20).
    #[arg(long)]
    pub epochs: Option<usize>,
    /// Each epoch trains on a fresh random 1/k of the training windows.
    #[arg(long)]
    pub subsample: Option<usize>,
    /// Peak learning rate of Adam (default: the recipe's, 1e-3).
    #[arg(long)]
    pub lr: Option<f64>,
    /// Weight the loss by inverse class frequency.
    #[arg(long)]
    pub balanced: bool,
    /// Focal loss with this gamma.
    #[arg(long)]
    pub focal: Option<f64>,
    /// Cosine learning-rate decay instead of the default schedule.
    #[arg(long)]
    pub cosine: bool,
    /// Clip the global gradient norm.
    #[arg(long)]
    pub clip: Option<f64>,
    /// Validate, select and ship an exponential moving average of the weights with this decay per
    /// step (0.999 averages over about the last thousand steps).
    #[arg(long)]
    pub ema: Option<f64>,
    /// Random seed of initialisation and sampling (default 42; with --recipe-from, the recipe's).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Checkpoint folder: written after every epoch; a run on a folder with a checkpoint of the
    /// same settings resumes after its last epoch.
    #[arg(long)]
    pub checkpoint: Option<PathBuf>,
}



#[derive(Debug, Args)]
pub struct TeacherArgs {
    #[command(flatten)]
    pub data: DataArgs,
    #[command(flatten)]
    pub opt: OptArgs,
    /// Model folder to write.
    #[arg(long, default_value = "models/teacher")]
    pub out: PathBuf,
    /// Overwrite --out when it already holds a model (the shipped teacher, by default).
    #[arg(long)]
    pub force: bool,
}



#[derive(Debug, Args)]
pub struct StudentArgs {
    #[command(flatten)]
    pub data: DataArgs,
    #[command(flatten)]
    pub opt: OptArgs,
    /// Retrain the recipe a model card records (card.json or its folder): architecture,
    /// distillation, regulariser, schedule, epochs, seed and label thresholds. Optimisation
    /// flags given beside it override the recipe's; the recipe flags below conflict with it.
    #[arg(long, conflicts_with_all = ["hidden", "activation", "alpha", "beta", "temperature", "gamma", "l1", "l2", "tau", "label_threshold"])]
    pub recipe_from: Option<PathBuf>,
    /// Hidden layer sizes.
    #[arg(long, default_value = "128,64,32", value_delimiter = ',')]
    pub hidden: Vec<usize>,
    /// Activation after each hidden layer.
    #[arg(long, value_enum, default_value_t = Activation::Quadratic)]
    pub activation: Activation,
    /// Teacher model folder to distil from (its ONNX gives the soft targets); without it the
    /// student learns from labels only.
    #[arg(long)]
    pub teacher: Option<PathBuf>,
    /// Distillation: weight of the cross-entropy on labels.
    #[arg(long, default_value_t = 0.5)]
    pub alpha: f64,
    /// Distillation: weight of T^2 * KL(teacher || student).
    #[arg(long, default_value_t = 0.5)]
    pub beta: f64,
    /// Distillation temperature.
    #[arg(long, default_value_t = 4.0)]
    pub temperature: f64,
    /// Regulariser weight gamma (0 disables), with l1, l2 and tau below.
    #[arg(long, default_value_t = 0.0)]
    pub gamma: f64,
    #[arg(long, default_value_t = 0.0)]
    pub l1: f64,
    #[arg(long, default_value_t = 0.0)]
    pub l2: f64,
    #[arg(long, default_value_t = 0.1)]
    pub tau: f64,
    /// Label BUY above +PCT and SELL below -PCT forward 60-minute return (percent) instead of the
    /// seed's 0.2: a target above a round trip's cost.
    #[arg(long)]
    pub label_threshold: Option<f64>,
    /// Model folder to write.
    #[arg(long, default_value = "models/student")]
    pub out: PathBuf,
    /// Overwrite --out when it already holds a model (the shipped student, by default).
    #[arg(long)]
    pub force: bool,
}



#[derive(Debug, Args)]
pub struct ActivationsArgs {
    #[command(flatten)]
    pub data: DataArgs,
    /// The teacher to distil from.
    #[arg(long, default_value = "models/teacher")]
    pub teacher: PathBuf,
    /// The student whose recipe (distillation, regulariser, schedule, epochs, seed) every run
    /// copies; only the hidden sizes and the activation change.
    #[arg(long, default_value = "models/student")]
    pub recipe: PathBuf,
    #[arg(long, default_value = "32,16", value_delimiter = ',')]
    pub hidden: Vec<usize>,
    #[arg(long, value_enum, value_delimiter = ',', default_values_t = [Activation::Quadratic, Activation::Square, Activation::Relu, Activation::Silu])]
    pub activations: Vec<Activation>,
    /// Writes OUT/act-<activation>-<hidden>/ per run.
    #[arg(long, default_value = "models/ablation")]
    pub out: PathBuf,
    /// Per-run checkpoints (a rerun resumes); a run whose folder already holds a card of the same
    /// recipe is not trained again.
    #[arg(long, default_value = "target/train-checkpoints")]
    pub checkpoints: PathBuf,
    /// Overwrite a run's folder that holds a model of another recipe.
    #[arg(long)]
    pub force: bool,
}



#[derive(Debug, Args)]
pub struct HessianArgs {
    #[command(flatten)]
    pub data: DataArgs,
    /// The (float) student model folder to quantise.
    #[arg(long, default_value = "models/student")]
    pub student: PathBuf,
    /// Average bits per weight to allocate.
    #[arg(long, default_value = "2,3,4,5,6,8", value_delimiter = ',')]
    pub budgets: Vec<u32>,
    /// Bit widths a layer may take.
    #[arg(long, default_value = "2,3,4,5,6,7,8,9,10,11,12", value_delimiter = ',')]
    pub choices: Vec<u32>,
    /// Rademacher probes of the Hutchinson estimator.
    #[arg(long, default_value_t = 100)]
    pub probes: usize,
    /// Training windows (drawn at random, seeded) the Hessian is taken on.
    #[arg(long, default_value_t = 8192)]
    pub batch: usize,
    /// Finite-difference step of the Hessian-vector products.
    #[arg(long, default_value_t = 1e-3)]
    pub eps: f64,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Report folder.
    #[arg(long, default_value = "bench/hessian")]
    pub out: PathBuf,
    /// Also write the quantised students of this budget (one folder per scheme, named
    /// <student>-<scheme>-b<bits>) into --export-dir, ready for `veriregime bench`.
    #[arg(long)]
    pub export_budget: Option<u32>,
    #[arg(long, default_value = "target/hessian")]
    pub export_dir: PathBuf,
}



#[derive(Debug, Args)]
pub struct StudyArgs {
    #[command(flatten)]
    pub data: DataArgs,
    /// Output root: writes teacher/, student/, study/, REPORT.md, REPORT.json there.
    #[arg(long, default_value = "models")]
    pub out: PathBuf,
    /// Per-run checkpoints and finished-run records; a rerun resumes from them.
    #[arg(long, default_value = "target/train-checkpoints")]
    pub checkpoints: PathBuf,
    /// A minutes-long plan (two short teacher variants, two small students) for trying it out.
    #[arg(long)]
    pub quick: bool,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Overwrite --out when it already holds a study (REPORT.json; the shipped models, by default).
    /// A rerun with --force still resumes every finished run from --checkpoints.
    #[arg(long)]
    pub force: bool,
}

impl DataArgs {
    fn into_lab(self) -> recipes::DataRange {
        recipes::DataRange {
            data: self.data,
            symbol: self.symbol,
            from: self.from,
            to: self.to,
        }
    }
}

impl OptArgs {
    fn into_lab(self) -> recipes::Optimisation {
        recipes::Optimisation {
            epochs: self.epochs,
            subsample: self.subsample,
            lr: self.lr,
            balanced: self.balanced,
            focal: self.focal,
            cosine: self.cosine,
            clip: self.clip,
            ema: self.ema,
            seed: self.seed,
            checkpoint: self.checkpoint,
        }
    }
}

impl TeacherArgs {
    fn into_lab(self) -> recipes::TeacherRun {
        recipes::TeacherRun {
            data: self.data.into_lab(),
            opt: self.opt.into_lab(),
            out: self.out,
            force: self.force,
        }
    }
}

impl StudentArgs {
    fn run(self, emit: &mut dyn FnMut(String)) -> anyhow::Result<()> {
        match self.recipe_from {
            Some(recipe) => recipes::RecipeRun {
                data: self.data.into_lab(),
                opt: self.opt.into_lab(),
                recipe,
                teacher: self.teacher,
                out: self.out,
                force: self.force,
            }
            .run(emit),
            None => self.into_lab().run(emit),
        }
    }

    fn into_lab(self) -> recipes::StudentRun {
        recipes::StudentRun {
            data: self.data.into_lab(),
            opt: self.opt.into_lab(),
            hidden: self.hidden,
            activation: self.activation,
            teacher: self.teacher,
            alpha: self.alpha,
            beta: self.beta,
            temperature: self.temperature,
            gamma: self.gamma,
            l1: self.l1,
            l2: self.l2,
            tau: self.tau,
            label_threshold: self.label_threshold,
            out: self.out,
            force: self.force,
        }
    }
}

impl ActivationsArgs {
    fn into_lab(self) -> recipes::ActivationsRun {
        recipes::ActivationsRun {
            data: self.data.into_lab(),
            teacher: self.teacher,
            recipe: self.recipe,
            hidden: self.hidden,
            activations: self.activations,
            out: self.out,
            checkpoints: self.checkpoints,
            force: self.force,
        }
    }
}

impl HessianArgs {
    fn into_lab(self) -> recipes::HessianRun {
        recipes::HessianRun {
            data: self.data.into_lab(),
            student: self.student,
            budgets: self.budgets,
            choices: self.choices,
            probes: self.probes,
            batch: self.batch,
            eps: self.eps,
            seed: self.seed,
            out: self.out,
            export_budget: self.export_budget,
            export_dir: self.export_dir,
        }
    }
}

impl ShipArgs {
    fn into_lab(self) -> recipes::ShipRun {
        recipes::ShipRun {
            models: self.models,
            candidates: self.candidates,
        }
    }
}

impl FrontierArgs {
    fn into_lab(self) -> recipes::FrontierRun {
        recipes::FrontierRun {
            data: self.data.into_lab(),
            models: self.models,
            extra: self.extra,
        }
    }
}

impl StudyArgs {
    fn into_lab(self) -> recipes::StudyRun {
        recipes::StudyRun {
            data: self.data.into_lab(),
            out: self.out,
            checkpoints: self.checkpoints,
            quick: self.quick,
            seed: self.seed,
            force: self.force,
        }
    }
}
