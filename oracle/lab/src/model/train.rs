//! Training: AdamW on mini-batches, weighted cross-entropy, best epoch by validation macro-F1.

use super::metrics::{argmax3, Metrics};
use super::net::{Net, NetState};
use super::student::{Student, N_CLASSES};
use candle_core::{DType, Tensor, Var, D};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::time::Instant;

pub use veriregime_core::model::spec::{ClassWeights, Distill, EpochStats, Regularizer, Schedule, TrainConfig, TrainHistory};

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

/// Unweighted mean cross-entropy and metrics of a model on a labelled set (evaluation mode).
pub fn evaluate(net: &dyn Net, x: &[f32], y: &[u8]) -> anyhow::Result<(f64, Metrics)> {
    let logits = net.logits(x)?;
    Ok(score_logits(&logits, y))
}

/// Mean cross-entropy and metrics of given logits.
pub fn score_logits(logits: &[[f32; 3]], y: &[u8]) -> (f64, Metrics) {
    let mut loss = 0.0f64;
    let mut pred = Vec::with_capacity(y.len());
    for (l, &t) in logits.iter().zip(y) {
        let m = l.iter().cloned().fold(f32::NEG_INFINITY, f32::max) as f64;
        let lse = m + l.iter().map(|&v| (v as f64 - m).exp()).sum::<f64>().ln();
        loss += lse - l[t as usize] as f64;
        pred.push(argmax3(l));
    }
    let n = y.len().max(1) as f64;
    (loss / n, Metrics::compute(y, &pred))
}

/// Trains a student on `x` (`n * input` values, row-major windows) and labels `y`, validating
/// every epoch on `val_x`/`val_y`. Returns the student with the parameters of the best epoch (by
/// validation macro-F1) and the history. `cfg.distill` must be `None` (use [`fit`] with teacher
/// logits to distil).
pub fn train(x: &[f32], y: &[u8], val_x: &[f32], val_y: &[u8], cfg: TrainConfig) -> anyhow::Result<(Student, TrainHistory)> {
    let student = Student::new(cfg.student.clone(), cfg.seed)?;
    let hist = fit(&student, &TrainData { x, y, teacher: None }, val_x, val_y, &cfg, None)?;
    Ok((student, hist))
}

/// Training windows, labels and (for distillation) the teacher's logits of each window.
pub struct TrainData<'a> {
    pub x: &'a [f32],
    pub y: &'a [u8],
    pub teacher: Option<&'a [[f32; 3]]>,
}

/// A minimal AdamW (decoupled weight decay, bias correction) whose moments can be saved and
/// restored, so a resumed run continues exactly where it stopped.
struct AdamW {
    vars: Vec<(String, Var, bool)>,
    m: Vec<Tensor>,
    v: Vec<Tensor>,
    t: usize,
    weight_decay: f64,
}

impl AdamW {
    const B1: f64 = 0.9;
    const B2: f64 = 0.999;
    const EPS: f64 = 1e-8;

    fn new(vars: Vec<(String, Var, bool)>, weight_decay: f64) -> candle_core::Result<AdamW> {
        let m = vars.iter().map(|(_, v, _)| v.as_tensor().zeros_like()).collect::<candle_core::Result<Vec<_>>>()?;
        let v = m.clone();
        Ok(AdamW { vars, m, v, t: 0, weight_decay })
    }

    fn step(&mut self, grads: &candle_core::backprop::GradStore, lr: f64, scale: f64) -> candle_core::Result<()> {
        self.t += 1;
        let c1 = 1.0 - Self::B1.powi(self.t as i32);
        let c2 = 1.0 - Self::B2.powi(self.t as i32);
        for (k, (_, var, decay)) in self.vars.iter().enumerate() {
            let Some(g) = grads.get(var.as_tensor()) else { continue };
            // Detached: gradient tensors can carry the graph of the forward pass, and moments
            // built from them would keep every step's graph alive (memory grows per step).
            let g = if scale != 1.0 { (g.detach() * scale)? } else { g.detach() };
            let m = ((&self.m[k] * Self::B1)? + (&g * (1.0 - Self::B1))?)?;
            let v = ((&self.v[k] * Self::B2)? + (g.sqr()? * (1.0 - Self::B2))?)?;
            let upd = ((&m / c1)? / ((&v / c2)?.sqrt()? + Self::EPS)?)?;
            let mut w = var.as_tensor().clone();
            if *decay && self.weight_decay > 0.0 {
                w = (w * (1.0 - lr * self.weight_decay))?;
            }
            var.set(&(w - (upd * lr)?)?.detach())?;
            self.m[k] = m.detach();
            self.v[k] = v.detach();
        }
        Ok(())
    }
}

/// Where a run stands after an epoch; with the tensors, enough to resume it exactly.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Progress {
    /// Epochs completed.
    epoch: usize,
    step: usize,
    adam_t: usize,
    lr: f64,
    plateau_best: f64,
    plateau_bad: usize,
    history: Vec<EpochStats>,
    best_epoch: usize,
    best_f1: f64,
    step_time: f64,
    /// The training configuration as JSON; a resume with a different one is refused.
    config: String,
    /// The tensors file of this checkpoint (beside the JSON).
    tensors: String,
}

pub const CHECKPOINT_FILE: &str = "checkpoint.json";

fn save_checkpoint(dir: &Path, p: &Progress, net: &dyn Net, opt: &AdamW, best: &Option<NetState>, ema: &Option<NetState>) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut map = std::collections::HashMap::new();
    for (n, t) in net.state()? {
        map.insert(format!("net.{n}"), t);
    }
    for (n, t) in ema.iter().flatten() {
        map.insert(format!("ema.{n}"), t.clone());
    }
    for (k, (n, _, _)) in opt.vars.iter().enumerate() {
        map.insert(format!("adam_m.{n}"), opt.m[k].clone());
        map.insert(format!("adam_v.{n}"), opt.v[k].clone());
    }
    if let Some(b) = best {
        for (n, t) in b {
            map.insert(format!("best.{n}"), t.clone());
        }
    }
    // Tensors first (a new file per epoch), then the JSON that names them, replaced atomically;
    // a crash at any point leaves a JSON that names a complete tensors file.
    let tensors = format!("epoch-{:04}.safetensors", p.epoch);
    let tmp = dir.join(format!("{tensors}.tmp"));
    candle_core::safetensors::save(&map, &tmp)?;
    std::fs::rename(&tmp, dir.join(&tensors))?;
    let p = Progress { tensors: tensors.clone(), ..p.clone() };
    let tmp = dir.join(format!("{CHECKPOINT_FILE}.tmp"));
    std::fs::write(&tmp, serde_json::to_vec_pretty(&p)?)?;
    std::fs::rename(&tmp, dir.join(CHECKPOINT_FILE))?;
    for e in std::fs::read_dir(dir)? {
        let name = e?.file_name().to_string_lossy().to_string();
        if name.starts_with("epoch-") && name.ends_with(".safetensors") && name != tensors {
            let _ = std::fs::remove_file(dir.join(name));
        }
    }
    Ok(())
}

/// A checkpoint's progress, best state and weight average.
type Resumed = (Progress, Option<NetState>, Option<NetState>);

/// Loads a checkpoint into `net` and `opt`; returns the progress, the best state and the average.
fn load_checkpoint(dir: &Path, config: &str, net: &dyn Net, opt: &mut AdamW) -> anyhow::Result<Option<Resumed>> {
    let path = dir.join(CHECKPOINT_FILE);
    if !path.exists() {
        return Ok(None);
    }
    let p: Progress = serde_json::from_slice(&std::fs::read(&path)?).map_err(|e| anyhow::anyhow!("reading checkpoint {}: {e}", path.display()))?;
    anyhow::ensure!(
        p.config == config,
        "checkpoint {} was made with another training configuration; remove the folder or run with the same settings",
        path.display()
    );
    let tpath = dir.join(&p.tensors);
    let map = candle_core::safetensors::load(&tpath, &candle_core::Device::Cpu).map_err(|e| anyhow::anyhow!("reading {}: {e}", tpath.display()))?;
    let take = |prefix: &str| -> NetState {
        let mut v: NetState = map.iter().filter_map(|(k, t)| k.strip_prefix(prefix).map(|n| (n.to_string(), t.clone()))).collect();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v
    };
    net.set_state(&take("net."))?;
    for (k, (n, _, _)) in opt.vars.iter().enumerate() {
        let get = |pre: &str| map.get(&format!("{pre}.{n}")).cloned().ok_or_else(|| anyhow::anyhow!("checkpoint lacks {pre}.{n}"));
        opt.m[k] = get("adam_m")?;
        opt.v[k] = get("adam_v")?;
    }
    opt.t = p.adam_t;
    let some = |s: NetState| if s.is_empty() { None } else { Some(s) };
    Ok(Some((p.clone(), some(take("best.")), some(take("ema.")))))
}

fn epoch_rng(seed: u64, epoch: usize) -> StdRng {
    StdRng::seed_from_u64(seed ^ (epoch as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

/// The per-batch loss: (smoothed, focal, class-weighted) cross-entropy, plus distillation and
/// the regulariser when configured.
fn batch_loss(
    net: &dyn Net,
    logits: &Tensor,
    targets: &[u8],
    teacher: Option<&Tensor>,
    cw: &[f32; 3],
    cfg: &TrainConfig,
) -> candle_core::Result<Tensor> {
    let b = targets.len();
    let dev = logits.device();
    let ls = cfg.label_smoothing as f32;
    let mut q = vec![ls / 3.0; b * 3];
    let mut w = Vec::with_capacity(b);
    for (i, &t) in targets.iter().enumerate() {
        q[i * 3 + t as usize] += 1.0 - ls;
        w.push(cw[t as usize]);
    }
    let w_sum: f64 = w.iter().map(|&v| v as f64).sum();
    let q = Tensor::from_vec(q, (b, 3), dev)?;
    let w = Tensor::from_vec(w, b, dev)?;
    let logp = candle_nn::ops::log_softmax(logits, D::Minus1)?;
    let mut per = (logp.mul(&q)?.sum(1)? * -1.0)?; // [b]
    if let Some(gamma) = cfg.focal_gamma {
        let idx = Tensor::from_vec(targets.iter().map(|&t| t as u32).collect::<Vec<_>>(), b, dev)?;
        let p_y = logp.gather(&idx.unsqueeze(1)?, 1)?.squeeze(1)?.exp()?;
        let factor = (p_y.affine(-1.0, 1.0)?.relu()? + 1e-12)?.powf(gamma)?;
        per = per.mul(&factor)?;
    }
    let ce = (per.mul(&w)?.sum_all()? / w_sum)?;
    let mut loss = match (&cfg.distill, teacher) {
        (Some(d), Some(t)) => {
            let tt = d.temperature;
            let log_ps = candle_nn::ops::log_softmax(&(logits / tt)?, D::Minus1)?;
            let log_pt = candle_nn::ops::log_softmax(&(t / tt)?, D::Minus1)?;
            let kl = (log_pt.exp()?.mul(&(log_pt - log_ps)?)?.sum_all()? / b as f64)?;
            ((ce * d.alpha)? + (kl * (d.beta * tt * tt))?)?
        }
        _ => ce,
    };
    if let Some(r) = &cfg.regularizer {
        if r.gamma > 0.0 {
            let mut reg = Tensor::zeros((), DType::F32, dev)?;
            let mut count = 0usize;
            for wt in net.weight_tensors() {
                count += wt.elem_count();
                let a = wt.abs()?;
                if r.l1 > 0.0 {
                    reg = (reg + (a.sum_all()? * r.l1)?)?;
                }
                if r.l2 > 0.0 {
                    reg = (reg + (a.affine(1.0, -r.tau)?.relu()?.sum_all()? * r.l2)?)?;
                }
            }
            loss = (loss + (reg * (r.gamma / count.max(1) as f64))?)?;
        }
    }
    Ok(loss)
}

/// Trains `net` in place on `data`, validating every epoch; keeps the parameters of the epoch
/// with the best validation macro-F1 and returns the history. With `checkpoint = Some(dir)`,
/// the full state (parameters, optimizer moments, schedule, history, best epoch) is written
/// after every epoch, and a run started on a folder that holds a checkpoint of the same
/// configuration resumes after its last completed epoch, with the same result as an
/// uninterrupted run.
pub fn fit(
    net: &dyn Net,
    data: &TrainData,
    val_x: &[f32],
    val_y: &[u8],
    cfg: &TrainConfig,
    checkpoint: Option<&Path>,
) -> anyhow::Result<TrainHistory> {
    fit_until(net, data, val_x, val_y, cfg, checkpoint, None)
}

/// [`fit`] that returns after epoch `stop_after` (if given) as an interrupted run would, with
/// its checkpoint written and the current (not the best) parameters left in `net`.
pub fn fit_until(
    net: &dyn Net,
    data: &TrainData,
    val_x: &[f32],
    val_y: &[u8],
    cfg: &TrainConfig,
    checkpoint: Option<&Path>,
    stop_after: Option<usize>,
) -> anyhow::Result<TrainHistory> {
    let d = net.input_len();
    let (x, y) = (data.x, data.y);
    let n = y.len();
    anyhow::ensure!(n > 0, "empty training set");
    anyhow::ensure!(x.len() == n * d, "x has {} values, expected {n} x {d}", x.len());
    anyhow::ensure!(val_x.len() == val_y.len() * d, "val_x has {} values, expected {} x {d}", val_x.len(), val_y.len());
    anyhow::ensure!(!val_y.is_empty(), "empty validation set");
    anyhow::ensure!(y.iter().chain(val_y).all(|&c| (c as usize) < N_CLASSES), "label above 2");
    anyhow::ensure!(cfg.batch_size > 0 && cfg.epochs > 0 && cfg.subsample > 0, "batch_size, epochs and subsample must be > 0");
    anyhow::ensure!((0.0..1.0).contains(&cfg.label_smoothing), "label_smoothing must be in [0, 1)");
    if let Some(dd) = &cfg.distill {
        anyhow::ensure!(data.teacher.map(|t| t.len()) == Some(n), "distillation needs one teacher logit row per training window");
        anyhow::ensure!(dd.temperature > 0.0, "distillation temperature must be > 0");
    }
    let dev = candle_core::Device::Cpu;
    let cw = match &cfg.class_weights {
        ClassWeights::None => [1.0; 3],
        ClassWeights::Balanced => balanced_class_weights(y),
        ClassWeights::Manual(w) => *w,
    };
    let mut opt = AdamW::new(net.trainable(), cfg.weight_decay)?;
    let config_json = serde_json::to_string(cfg)?;

    let per_epoch = n / cfg.subsample;
    let batches_per_epoch = per_epoch.div_ceil(cfg.batch_size);
    let total_steps = (batches_per_epoch * cfg.epochs) as f64;
    let mut p = Progress {
        epoch: 0,
        step: 0,
        adam_t: 0,
        lr: cfg.lr,
        // Finite starts: JSON has no infinities (serde_json writes them as null, which a resume
        // could not read back). Any validation loss is below f64::MAX, any macro-F1 above -1.
        plateau_best: f64::MAX,
        plateau_bad: 0,
        history: Vec::new(),
        best_epoch: 0,
        best_f1: -1.0,
        step_time: 0.0,
        config: config_json.clone(),
        tensors: String::new(),
    };
    let mut best_snap: Option<NetState> = None;
    let mut ema: Option<NetState> = None;
    if let Some(d) = cfg.ema {
        anyhow::ensure!((0.0..1.0).contains(&d), "ema decay must be in [0, 1), got {d}");
    }
    if let Some(dir) = checkpoint {
        if let Some((q, b, e)) = load_checkpoint(dir, &config_json, net, &mut opt)? {
            tracing::info!(epoch = q.epoch, dir = %dir.display(), "resuming from checkpoint");
            p = q;
            best_snap = b;
            ema = e;
        }
    }
    let done_early = p.epoch > 0 && stopped_early(&p, cfg);
    let pb = if cfg.progress {
        let pb = indicatif::ProgressBar::with_draw_target(Some(total_steps as u64), indicatif::ProgressDrawTarget::stderr());
        pb.set_style(
            indicatif::ProgressStyle::with_template("{spinner} train [{elapsed_precise}] {wide_bar} {pos}/{len} batches (eta {eta}) {msg}")
                .unwrap(),
        );
        pb.set_position(p.step as u64);
        pb
    } else {
        indicatif::ProgressBar::hidden()
    };

    let mut bx: Vec<f32> = Vec::with_capacity(cfg.batch_size * d);
    let mut bt: Vec<f32> = Vec::with_capacity(cfg.batch_size * 3);
    let mut order: Vec<usize> = (0..n).collect();
    let all_vars: Vec<Var> = opt.vars.iter().map(|(_, v, _)| v.clone()).collect();
    let first = p.epoch + 1;
    for epoch in first..=cfg.epochs {
        if done_early {
            break;
        }
        let t_epoch = Instant::now();
        let mut rng = epoch_rng(cfg.seed, epoch);
        order.iter_mut().enumerate().for_each(|(i, o)| *o = i);
        order.shuffle(&mut rng);
        let (mut loss_sum, mut loss_n) = (0.0f64, 0usize);
        for idx in order[..per_epoch.max(1)].chunks(cfg.batch_size) {
            let t0 = Instant::now();
            if let Schedule::Cosine { min_factor } = cfg.schedule {
                let frac = p.step as f64 / total_steps;
                let min = cfg.lr * min_factor;
                p.lr = min + 0.5 * (cfg.lr - min) * (1.0 + (std::f64::consts::PI * frac).cos());
            }
            bx.clear();
            bt.clear();
            let mut by = Vec::with_capacity(idx.len());
            for &i in idx {
                bx.extend_from_slice(&x[i * d..(i + 1) * d]);
                by.push(y[i]);
                if let Some(t) = data.teacher {
                    bt.extend_from_slice(&t[i]);
                }
            }
            let xs = Tensor::from_slice(&bx, (idx.len(), d), &dev)?;
            let ts = if data.teacher.is_some() && cfg.distill.is_some() { Some(Tensor::from_slice(&bt, (idx.len(), 3), &dev)?) } else { None };
            let logits = net.forward_train(&xs, cfg.dropout, &mut rng)?;
            let loss = batch_loss(net, &logits, &by, ts.as_ref(), &cw, cfg)?;
            let grads = loss.backward()?;
            let mut scale = 1.0;
            if let Some(max_norm) = cfg.grad_clip {
                let mut sq = 0.0f64;
                for v in &all_vars {
                    if let Some(g) = grads.get(v.as_tensor()) {
                        sq += g.sqr()?.sum_all()?.to_scalar::<f32>()? as f64;
                    }
                }
                let norm = sq.sqrt();
                if norm > max_norm {
                    scale = max_norm / norm;
                }
            }
            opt.step(&grads, p.lr, scale)?;
            if let Some(decay) = cfg.ema {
                ema = Some(update_average(ema.take(), net.state()?, decay, opt.t)?);
            }
            let l = loss.to_scalar::<f32>()? as f64;
            anyhow::ensure!(l.is_finite(), "training loss is {l} at epoch {epoch}, step {}", p.step);
            loss_sum += l;
            loss_n += 1;
            p.step += 1;
            p.step_time += t0.elapsed().as_secs_f64();
            pb.inc(1);
            if p.step % 20 == 0 {
                pb.set_message(format!("epoch {epoch}/{} loss {:.4}", cfg.epochs, loss_sum / loss_n as f64));
            }
        }
        // With weight averaging the average is what is validated, selected and shipped; the
        // optimiser keeps stepping the raw weights.
        let raw = match &ema {
            Some(avg) => {
                let raw = net.state()?;
                net.set_state(avg)?;
                Some(raw)
            }
            None => None,
        };
        let (val_loss, m) = evaluate(net, val_x, val_y)?;
        let validated = if m.macro_f1 > p.best_f1 { Some(net.state()?) } else { None };
        if let Some(raw) = &raw {
            net.set_state(raw)?;
        }
        let stats = EpochStats {
            epoch,
            train_loss: loss_sum / loss_n.max(1) as f64,
            val_loss,
            val_accuracy: m.accuracy,
            val_macro_f1: m.macro_f1,
            lr: p.lr,
            seconds: t_epoch.elapsed().as_secs_f64(),
        };
        let line = format!(
            "epoch {epoch:>3}: train_loss {:.4}  val_loss {:.4}  val_acc {:.4}  val_macro_f1 {:.4}  lr {:.2e}  ({:.1}s)",
            stats.train_loss, stats.val_loss, stats.val_accuracy, stats.val_macro_f1, stats.lr, stats.seconds
        );
        // The bar is hidden off a terminal (logs, CI): the epoch line goes to the log then.
        if pb.is_hidden() {
            tracing::info!("{line}");
        } else {
            pb.println(line);
        }
        p.history.push(stats);
        if let Some(state) = validated {
            p.best_f1 = m.macro_f1;
            p.best_epoch = epoch;
            best_snap = Some(state);
        }
        if let Schedule::Plateau { factor, patience } = cfg.schedule {
            if val_loss < p.plateau_best * (1.0 - 1e-4) {
                p.plateau_best = val_loss;
                p.plateau_bad = 0;
            } else {
                p.plateau_bad += 1;
                if p.plateau_bad > patience {
                    p.lr *= factor;
                    p.plateau_bad = 0;
                    pb.println(format!("plateau: learning rate now {:.2e}", p.lr));
                }
            }
        }
        p.epoch = epoch;
        p.adam_t = opt.t;
        if let Some(dir) = checkpoint {
            save_checkpoint(dir, &p, net, &opt, &best_snap, &ema)?;
        }
        if stopped_early(&p, cfg) {
            pb.println(format!("early stop: no better val macro-F1 for {} epochs", epoch - p.best_epoch));
            break;
        }
        if stop_after == Some(epoch) {
            best_snap = None;
            break;
        }
    }
    pb.finish_and_clear();
    if let Some(s) = &best_snap {
        net.set_state(s)?;
    }
    Ok(TrainHistory {
        epochs: p.history,
        best_epoch: p.best_epoch,
        best_val_macro_f1: p.best_f1,
        class_weights: cw,
        ms_per_batch: 1000.0 * p.step_time / p.step.max(1) as f64,
        n_train: n,
        n_val: val_y.len(),
    })
}

/// One step of the weight average: `avg = d * avg + (1 - d) * state` with
/// `d = min(decay, (1 + t) / (10 + t))` at optimiser step `t`; the first step starts it.
fn update_average(avg: Option<NetState>, state: NetState, decay: f64, t: usize) -> candle_core::Result<NetState> {
    let Some(avg) = avg else { return Ok(state) };
    let d = decay.min((1.0 + t as f64) / (10.0 + t as f64));
    // Paired by name: a checkpoint gives the average back in another order than `Net::state`.
    let mut avg: std::collections::HashMap<String, Tensor> = avg.into_iter().collect();
    state
        .into_iter()
        .map(|(n, s)| {
            let a = avg.remove(&n).ok_or_else(|| candle_core::Error::Msg(format!("weight average lacks {n}")))?;
            Ok((n, ((a * d)? + (s * (1.0 - d))?)?.detach()))
        })
        .collect()
}

fn stopped_early(p: &Progress, cfg: &TrainConfig) -> bool {
    matches!(cfg.patience, Some(k) if p.epoch - p.best_epoch >= k)
}
