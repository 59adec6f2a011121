//! The models: the teacher CNN and the student MLPs, trained with candle, exported to ONNX for
//! EZKL, run with tract (`veriregime_core::model`); and the study that compares them (`REPORT.md`).
//!
//! # Public API
//! | item | what |
//! |------|------|
//! | [`Net`] | what one training loop needs from a model: train/eval forward, trainable vars, state, ONNX, [`Architecture`] |
//! | [`TeacherConfig`], [`Teacher`] | the seed's 1D-CNN (27,779 parameters), conv as unfold + GEMM, BN folded at export |
//! | [`fit`]`(net, TrainData, val_x, val_y, cfg, checkpoint) -> TrainHistory`, [`fit_until`] | the training loop: own AdamW (resumable), schedules (cosine, plateau), label smoothing, focal loss, class weights, clipping, per-epoch subsample, distillation ([`Distill`]), regulariser ([`Regularizer`]), checkpoints and exact resume |
//! | [`study`] | `prepare` (split, normaliser, windows), `StudyPlan`, `Study::run_all` -> `StudyResults` |
//! | [`report`] | `write_report(results, dir)`: `REPORT.md`, `REPORT.json`, `students.png`, `frontier.png` |
//! | [`frontier`] | accuracy / macro-F1 fronts: class offsets on SELL and BUY swept on validation, `model_front` against a target point |
//! | [`StudentConfig`] | architecture: `input` (420) -> `hidden` (default `[128, 64, 32]`) -> 3, activation init |
//! | [`Student`] | the candle model: `Student::new(cfg, seed)`, `logits(&[f32]) -> Vec<[f32; 3]>`, `predict`, `params`, `param_count`, `save_safetensors`/`load_safetensors` |
//! | [`TrainConfig`], [`ClassWeights`] | AdamW settings: epochs, batch size, lr (cosine), weight decay, grad clip, dropout, class weights, patience, weight averaging (`ema`), seed, progress bar |
//! | [`train`]`(x, y, val_x, val_y, cfg) -> (Student, TrainHistory)` | mini-batch AdamW, keeps the epoch with the best validation macro-F1 |
//! | [`TrainHistory`], [`EpochStats`] | per-epoch train loss, val loss/accuracy/macro-F1, lr, time; best epoch; `ms_per_batch` |
//! | [`evaluate`]`(student, x, y) -> (loss, Metrics)` | candle evaluation |
//! | [`Metrics::compute`]`(y_true, y_pred)`, [`Metrics::from_confusion`] | n, accuracy, macro-F1, per-class P/R/F1/support, confusion `[true][pred]` |
//! | [`export_onnx`]`(&Student, path) -> sha256` | hand-built ONNX (opset 13, IR 8), input `input` `[1, 420]`, output `output` `[1, 3]` |
//! | [`OnnxModel::load`]`(path)`, [`OnnxModel::logits`]`(&[f32]) -> Vec<[f32; 3]>`, `predict` | tract inference, any batch size (batch dim made symbolic at load) |
//! | [`parity`]`(&Student, &OnnxModel, x) -> f64` | max abs difference of the logits |
//! | [`ModelCard`] (`new`, `set_training`, `save(dir)`, `read(dir)`, `load(dir) -> (ModelCard, OnnxModel)`) | `card.json` beside `network.onnx` |
//! | [`save_model_dir`]`(dir, &Student, &mut ModelCard, parity_x) -> parity` | writes `network.onnx` + `card.json` (hash, parity filled in) |
//! | [`quant`] | Hessian-guided mixed precision: `hutchinson` per-layer traces, `quantize` (power-of-two grid), `allocate` under a bit budget, `study` -> `QuantStudy` (`HESSIAN.md`, JSON, PNG) |
//! | [`plot_training`]`(&TrainHistory, title, loss name, png)` (training loss, validation cross-entropy, validation accuracy/macro-F1: one quantity per axis), [`plot_confusion`]`(&Metrics, title, png)` | PNG plots |
//! | [`save_history`], [`replot_model_dir`]`(dir)` | a model folder's `history.json`, and `training.png` drawn again from it |
//!
//! # Inputs and outputs
//! A window is 420 f32 (60 minutes x 7 features, time-major: `minute * 7 + feature`, minute 0 the
//! oldest), already normalised by [`veriregime_core::features::Normalizer`]. Several windows are passed
//! flat (`n * 420`). Outputs are logits of SELL (0), HOLD (1), BUY (2); the class is the argmax
//! (HOLD wins a tie it is part of, then the lower class: `decide`, as the contract).
//!
//! # Architecture and activation
//! `Linear(fc1) -> PolyAct(act1) -> Linear(fc2) -> PolyAct(act2) -> ... -> Linear(fcL)`, with
//! `PolyAct(x) = a*x^2 + b*x` (learnable scalars `a`, `b` per layer: `act{l}.a`, `act{l}.b`, shape
//! `[1]`). Parameter names (`fc1.weight` `[out, in]`, `fc1.bias`, `act1.a`, ...) are the
//! VarBuilder paths, the safetensors names and the ONNX initializer names.
//!
//! Initialisation: weights uniform `±sqrt(3/fan_in)` (variance 1/fan_in), biases 0, `a = 0.05`,
//! `b = 1`. With `b = 1` and a small `a` the network starts near-linear with a preserved
//! signal scale, so the quadratic terms (whose growth compounds over layers, `x^(2^L)`) stay
//! bounded while the optimizer learns how much curvature it needs (a sweep on synthetic data:
//! `a` in 0..0.25 stable, 0.5 clearly worse). Training additionally clips
//! the global gradient norm (default 5) and applies no weight decay to `a`, `b` or biases.
//!
//! # ONNX graph (EZKL-friendly: Gemm, Mul, Add only)
//! Per hidden layer: `Gemm(x, W, B, transB=1)`, then `Add(Mul(Mul(h, h), a), Mul(h, b))`; the last
//! Gemm writes `output`. The batch dimension is fixed to 1 in the file (what EZKL wants);
//! [`OnnxModel`] replaces it by a symbol at load so tract evaluates any batch.
//!
//! # Determinism
//! Everything is seeded from `TrainConfig::seed` through `rand::StdRng` (candle's CPU RNG
//! cannot be seeded, so initial weights and dropout masks are drawn with `rand`).

pub mod card;
pub mod frontier;
/// Classification metrics and the decision rule, from `veriregime-core`.
pub use veriregime_core::model::metrics;
/// The plain data a card records, from `veriregime-core`.
pub use veriregime_core::model::spec;
pub mod net;
pub mod onnx;
pub mod plot;
pub mod quant;
pub mod report;
pub mod student;
pub mod study;
pub mod teacher;
pub mod train;

pub use card::{save_model_dir, DataInfo, ModelCard, Thresholds, TrainedCard, TrainingInfo, CARD_FILE, ONNX_FILE};
pub use metrics::{argmax3, decide, ClassMetrics, Metrics, PerClass};
pub use onnx::{export_onnx, parity, sha256_file, student_from_onnx, teacher_onnx_proto, to_onnx_proto, write_onnx, OnnxModel};
pub use plot::{
    fonts_available, plot_confusion, plot_history, plot_lines, plot_training, replot_model_dir, save_history, train_loss_name, HISTORY_FILE, TRAINING_PNG,
};
pub use net::{Architecture, Net, NetState};
pub use student::{Activation, PolyAct, Student, StudentConfig, N_CLASSES};
pub use teacher::{Teacher, TeacherConfig, SEED_TEACHER_PARAMS};
pub use train::{
    balanced_class_weights, class_counts, evaluate, fit, fit_until, score_logits, train, ClassWeights, Distill, EpochStats, Regularizer, Schedule,
    TrainConfig, TrainData, TrainHistory, CHECKPOINT_FILE,
};
