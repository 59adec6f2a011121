//! Training: AdamW on mini-batches, weighted cross-entropy, best epoch by validation macro-F1.

use super::metrics::{argmax3, Metrics};
use super::student::{Student, StudentConfig, N_CLASSES};
use candle_core::{Tensor, D};
use candle_nn::optim::{AdamW, Optimizer, ParamsAdamW};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use serde::{Deserialize, Serialize};
use std::time::Instant;

/// Class weights of the cross-entropy loss.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClassWeights {
    /// Plain (unweighted) cross-entropy.
    None,
    /// `n / (3 * count[c])` from the training labels (scikit-learn's "balanced").
    Balanced,
    /// Given weights for SELL, HOLD, BUY.
    Manual([f32; 3]),
}

/// Training settings. Everything is deterministic in `seed` (init, shuffling, dropout masks).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    pub student: StudentConfig,
    pub epochs: usize,
    pub batch_size: usize,
    /// Peak AdamW learning rate.
    pub lr: f64,
    /// Decoupled weight decay on the weight matrices (not on biases nor activation coefficients).
    pub weight_decay: f64,
    /// Cosine decay of the learning rate from `lr` to `lr * lr_min_factor` over the epochs
    /// (per batch); `false` keeps it constant.
    pub cosine: bool,
    pub lr_min_factor: f64,
    /// Clip the global gradient norm to this value (polynomial activations can produce rare
    /// huge gradients); `None` disables.
    pub grad_clip: Option<f64>,
    /// Inverted dropout after every hidden activation (0 disables).
    pub dropout: f32,
    pub class_weights: ClassWeights,
    /// Stop after this many epochs without a better validation macro-F1.
    pub patience: Option<usize>,
    pub seed: u64,
    /// Show an indicatif progress bar on stderr.
    pub progress: bool,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            student: StudentConfig::default(),
            epochs: 20,
            batch_size: 256,
            lr: 1e-3,
            weight_decay: 1e-4,
            cosine: true,
            lr_min_factor: 0.05,
            grad_clip: Some(5.0),
            dropout: 0.0,
            class_weights: ClassWeights::None,
            patience: None,
            seed: 42,
            progress: true,
        }
    }
}

/// Statistics of one epoch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochStats {
    /// 1-based.
    pub epoch: usize,
    /// Mean (weighted) training loss over the epoch's batches.
    pub train_loss: f64,
    /// Unweighted cross-entropy on the validation set.
    pub val_loss: f64,
    pub val_accuracy: f64,
    pub val_macro_f1: f64,
    /// Learning rate at the end of the epoch.
    pub lr: f64,
    pub seconds: f64,
}

/// Per-epoch history of a training run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainHistory {
    pub epochs: Vec<EpochStats>,
    /// 1-based epoch whose parameters were kept (best validation macro-F1).
    pub best_epoch: usize,
    pub best_val_macro_f1: f64,
    /// Class weights actually used.
    pub class_weights: [f32; 3],
    /// Mean wall time of one training step (forward, backward, AdamW) per batch, ms.
    pub ms_per_batch: f64,
    pub n_train: usize,
    pub n_val: usize,
}

/// Class counts of labels 0..=2.
pub fn class_counts(y: &[u8]) -> [u64; 3] {
    let mut c = [0u64; 3];
    for &v in y {
        c[v as usize] += 1;
    }
    c
}

/// scikit-learn's "balanced" weights `n / (3 * count[c])` (1 for absent classes).
pub fn balanced_class_weights(y: &[u8]) -> [f32; 3] {
    let c = class_counts(y);
    let n = y.len() as f64;
    let mut w = [1.0f32; 3];
    for k in 0..3 {
        if c[k] > 0 {
            w[k] = (n / (3.0 * c[k] as f64)) as f32;
        }
    }
    w
}

/// Weighted cross-entropy: `sum_i w[y_i] * -log softmax(logits_i)[y_i] / sum_i w[y_i]`
/// (PyTorch's convention). `w_per_sample` holds `w[y_i]`.
fn weighted_ce(logits: &Tensor, targets: &Tensor, w_per_sample: &Tensor, w_sum: f64) -> candle_core::Result<Tensor> {
    let logp = candle_nn::ops::log_softmax(logits, D::Minus1)?;
    let picked = logp.gather(&targets.unsqueeze(1)?, 1)?.squeeze(1)?;
    picked.mul(w_per_sample)?.sum_all()? / (-w_sum)
}

/// Unweighted mean cross-entropy and predicted classes of a validation set (student in eval mode).
pub fn evaluate(student: &Student, x: &[f32], y: &[u8]) -> anyhow::Result<(f64, Metrics)> {
    let logits = student.logits(x)?;
    let mut loss = 0.0f64;
    let mut pred = Vec::with_capacity(y.len());
    for (l, &t) in logits.iter().zip(y) {
        let m = l.iter().cloned().fold(f32::NEG_INFINITY, f32::max) as f64;
        let lse = m + l.iter().map(|&v| (v as f64 - m).exp()).sum::<f64>().ln();
        loss += lse - l[t as usize] as f64;
        pred.push(argmax3(l));
    }
    let n = y.len().max(1) as f64;
    Ok((loss / n, Metrics::compute(y, &pred)))
}

/// Trains a student on `x` (`n * input` values, row-major windows) and labels `y`, validating
/// every epoch on `val_x`/`val_y`. Returns the student with the parameters of the best epoch (by
/// validation macro-F1) and the history.
pub fn train(
    x: &[f32],
    y: &[u8],
    val_x: &[f32],
    val_y: &[u8],
    cfg: TrainConfig,
) -> anyhow::Result<(Student, TrainHistory)> {
    let d = cfg.student.input;
    let n = y.len();
    anyhow::ensure!(n > 0, "empty training set");
    anyhow::ensure!(x.len() == n * d, "x has {} values, expected {n} x {d}", x.len());
    anyhow::ensure!(val_x.len() == val_y.len() * d, "val_x has {} values, expected {} x {d}", val_x.len(), val_y.len());
    anyhow::ensure!(!val_y.is_empty(), "empty validation set");
    anyhow::ensure!(y.iter().chain(val_y).all(|&c| (c as usize) < N_CLASSES), "label above 2");
    anyhow::ensure!(cfg.batch_size > 0 && cfg.epochs > 0, "batch_size and epochs must be > 0");

    let mut rng = StdRng::seed_from_u64(cfg.seed);
    let student = Student::new(cfg.student.clone(), cfg.seed)?;
    let dev = student.device().clone();
    let cw = match &cfg.class_weights {
        ClassWeights::None => [1.0; 3],
        ClassWeights::Balanced => balanced_class_weights(y),
        ClassWeights::Manual(w) => *w,
    };

    let (wd_vars, no_wd_vars) = student.var_groups();
    let all_vars: Vec<_> = wd_vars.iter().chain(&no_wd_vars).cloned().collect();
    let params = |wd| ParamsAdamW { lr: cfg.lr, weight_decay: wd, ..Default::default() };
    let mut opt_wd = AdamW::new(wd_vars, params(cfg.weight_decay))?;
    let mut opt_no = AdamW::new(no_wd_vars, params(0.0))?;

    let batches_per_epoch = n.div_ceil(cfg.batch_size);
    let total_steps = (batches_per_epoch * cfg.epochs) as f64;
    let pb = if cfg.progress {
        let pb = indicatif::ProgressBar::with_draw_target(
            Some((batches_per_epoch * cfg.epochs) as u64),
            indicatif::ProgressDrawTarget::stderr(),
        );
        pb.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} train [{elapsed_precise}] {wide_bar} {pos}/{len} batches (eta {eta}) {msg}",
            )
            .unwrap(),
        );
        pb
    } else {
        indicatif::ProgressBar::hidden()
    };

    let mut order: Vec<usize> = (0..n).collect();
    let mut bx: Vec<f32> = Vec::with_capacity(cfg.batch_size * d);
    let mut history = Vec::new();
    let (mut best_f1, mut best_epoch, mut best_snap) = (f64::NEG_INFINITY, 0usize, None);
    let (mut step_time, mut steps) = (0.0f64, 0usize);
    let mut step = 0usize;
    let mut lr = cfg.lr;

    for epoch in 1..=cfg.epochs {
        let t_epoch = Instant::now();
        order.shuffle(&mut rng);
        let (mut loss_sum, mut loss_n) = (0.0f64, 0usize);
        for idx in order.chunks(cfg.batch_size) {
            let t0 = Instant::now();
            if cfg.cosine {
                let p = step as f64 / total_steps;
                let min = cfg.lr * cfg.lr_min_factor;
                lr = min + 0.5 * (cfg.lr - min) * (1.0 + (std::f64::consts::PI * p).cos());
                opt_wd.set_learning_rate(lr);
                opt_no.set_learning_rate(lr);
            }
            bx.clear();
            let mut by = Vec::with_capacity(idx.len());
            let mut bw = Vec::with_capacity(idx.len());
            for &i in idx {
                bx.extend_from_slice(&x[i * d..(i + 1) * d]);
                by.push(y[i] as u32);
                bw.push(cw[y[i] as usize]);
            }
            let w_sum: f64 = bw.iter().map(|&w| w as f64).sum();
            let xs = Tensor::from_slice(&bx, (idx.len(), d), &dev)?;
            let ts = Tensor::from_vec(by, idx.len(), &dev)?;
            let ws = Tensor::from_vec(bw, idx.len(), &dev)?;
            let drop = if cfg.dropout > 0.0 { Some((cfg.dropout, &mut rng)) } else { None };
            let logits = student.forward_t(&xs, drop)?;
            let loss = weighted_ce(&logits, &ts, &ws, w_sum)?;
            let mut grads = loss.backward()?;
            if let Some(max_norm) = cfg.grad_clip {
                let mut sq = 0.0f64;
                for v in &all_vars {
                    if let Some(g) = grads.get(v.as_tensor()) {
                        sq += g.sqr()?.sum_all()?.to_scalar::<f32>()? as f64;
                    }
                }
                let norm = sq.sqrt();
                if norm > max_norm {
                    let s = max_norm / norm;
                    for v in &all_vars {
                        if let Some(g) = grads.remove(v.as_tensor()) {
                            grads.insert(v.as_tensor(), (g * s)?);
                        }
                    }
                }
            }
            opt_wd.step(&grads)?;
            opt_no.step(&grads)?;
            let l = loss.to_scalar::<f32>()? as f64;
            anyhow::ensure!(l.is_finite(), "training loss is {l} at epoch {epoch}, step {step}");
            loss_sum += l;
            loss_n += 1;
            step += 1;
            step_time += t0.elapsed().as_secs_f64();
            steps += 1;
            pb.inc(1);
            if step % 20 == 0 {
                pb.set_message(format!("epoch {epoch}/{} loss {:.4}", cfg.epochs, loss_sum / loss_n as f64));
            }
        }
        let (val_loss, m) = evaluate(&student, val_x, val_y)?;
        let stats = EpochStats {
            epoch,
            train_loss: loss_sum / loss_n.max(1) as f64,
            val_loss,
            val_accuracy: m.accuracy,
            val_macro_f1: m.macro_f1,
            lr,
            seconds: t_epoch.elapsed().as_secs_f64(),
        };
        pb.println(format!(
            "epoch {epoch:>3}: train_loss {:.4}  val_loss {:.4}  val_acc {:.4}  val_macro_f1 {:.4}  lr {:.2e}  ({:.1}s)",
            stats.train_loss, stats.val_loss, stats.val_accuracy, stats.val_macro_f1, stats.lr, stats.seconds
        ));
        history.push(stats);
        if m.macro_f1 > best_f1 {
            best_f1 = m.macro_f1;
            best_epoch = epoch;
            best_snap = Some(student.snapshot()?);
        } else if let Some(p) = cfg.patience {
            if epoch - best_epoch >= p {
                pb.println(format!("early stop: no better val macro-F1 for {p} epochs"));
                break;
            }
        }
    }
    pb.finish_and_clear();
    if let Some(s) = &best_snap {
        student.restore(s)?;
    }
    let hist = TrainHistory {
        epochs: history,
        best_epoch,
        best_val_macro_f1: best_f1,
        class_weights: cw,
        ms_per_batch: 1000.0 * step_time / steps.max(1) as f64,
        n_train: n,
        n_val: val_y.len(),
    };
    Ok((student, hist))
}
