//! Student model: training, metrics, ONNX export, tract parity, model card, plots.

use rand::rngs::StdRng;
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};
use veriregime_core::features::{self, Normalizer, INPUT_LEN, N_FEATURES};
use veriregime_lab::model::*;

/// `n` windows of N(0,1) noise (clipped like real inputs); the label depends on the mean of
/// feature 0 over the last 10 minutes minus that of feature 3: SELL below -0.35, BUY above 0.35.
fn synthetic(n: usize, seed: u64) -> (Vec<f32>, Vec<u8>) {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut x = Vec::with_capacity(n * INPUT_LEN);
    let mut y = Vec::with_capacity(n);
    for _ in 0..n {
        let w: Vec<f32> = (0..INPUT_LEN)
            .map(|_| {
                let v: f32 = StandardNormal.sample(&mut rng);
                v.clamp(-5.0, 5.0)
            })
            .collect();
        let s: f32 = (50..60).map(|m| w[m * N_FEATURES] - w[m * N_FEATURES + 3]).sum::<f32>() / 10.0;
        y.push(if s < -0.35 { 0 } else if s > 0.35 { 2 } else { 1 });
        x.extend(w);
    }
    (x, y)
}

fn tiny_cfg() -> TrainConfig {
    TrainConfig {
        student: StudentConfig::with_hidden(&[16, 8]),
        epochs: 20,
        batch_size: 64,
        lr: 3e-3,
        weight_decay: 1e-4,
        progress: false,
        seed: 7,
        ..Default::default()
    }
}

fn tiny_trained() -> (Student, TrainHistory, Vec<f32>, Vec<u8>) {
    let (x, y) = synthetic(5000, 1);
    let (vx, vy) = synthetic(600, 2);
    let (s, h) = train(&x, &y, &vx, &vy, tiny_cfg()).unwrap();
    (s, h, vx, vy)
}

fn png_size(path: &std::path::Path) -> (u32, u32) {
    let b = std::fs::read(path).unwrap();
    assert!(b.len() > 100, "PNG too small");
    assert_eq!(&b[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    assert_eq!(&b[12..16], b"IHDR");
    (u32::from_be_bytes(b[16..20].try_into().unwrap()), u32::from_be_bytes(b[20..24].try_into().unwrap()))
}

fn json_close(a: &serde_json::Value, b: &serde_json::Value) {
    use serde_json::Value::*;
    match (a, b) {
        (Number(x), Number(y)) => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            assert!((x - y).abs() <= 1e-12 * x.abs().max(1.0), "{x} != {y}");
        }
        (Array(x), Array(y)) => {
            assert_eq!(x.len(), y.len());
            x.iter().zip(y).for_each(|(u, v)| json_close(u, v));
        }
        (Object(x), Object(y)) => {
            assert_eq!(x.keys().collect::<Vec<_>>(), y.keys().collect::<Vec<_>>());
            x.iter().for_each(|(k, u)| json_close(u, &y[k]));
        }
        _ => assert_eq!(a, b),
    }
}

#[test]
fn metrics_on_hand_made_confusion() {
    // rows = true, cols = pred
    let c = [[5, 3, 2], [1, 8, 1], [0, 2, 8]];
    let mut yt = Vec::new();
    let mut yp = Vec::new();
    for t in 0..3u8 {
        for p in 0..3u8 {
            for _ in 0..c[t as usize][p as usize] {
                yt.push(t);
                yp.push(p);
            }
        }
    }
    let m = Metrics::compute(&yt, &yp);
    assert_eq!(m.n, 30);
    assert_eq!(m.confusion, c);
    assert!((m.accuracy - 21.0 / 30.0).abs() < 1e-12);
    let (ps, rs) = (5.0 / 6.0, 0.5);
    let (ph, rh) = (8.0 / 13.0, 0.8);
    let (pb, rb) = (8.0 / 11.0, 0.8);
    let f = |p: f64, r: f64| 2.0 * p * r / (p + r);
    assert!((m.per_class.sell.precision - ps).abs() < 1e-12);
    assert!((m.per_class.sell.recall - rs).abs() < 1e-12);
    assert!((m.per_class.hold.precision - ph).abs() < 1e-12);
    assert!((m.per_class.buy.f1 - f(pb, rb)).abs() < 1e-12);
    assert_eq!(m.per_class.hold.support, 10);
    assert!((m.macro_f1 - (f(ps, rs) + f(ph, rh) + f(pb, rb)) / 3.0).abs() < 1e-12);
    assert_eq!(Metrics::from_confusion(c), m);

    let j = serde_json::to_value(&m).unwrap();
    let keys: Vec<&String> = j.as_object().unwrap().keys().collect();
    for k in ["n", "accuracy", "macro_f1", "per_class", "confusion"] {
        assert!(j.get(k).is_some(), "missing {k} in {keys:?}");
    }
    assert!(j["per_class"]["SELL"]["f1"].is_number());
    assert_eq!(j["confusion"][0][1], 3);
    let back: Metrics = serde_json::from_value(j.clone()).unwrap();
    json_close(&serde_json::to_value(&back).unwrap(), &j);

    // A class absent from both labels and predictions is left out of the macro average.
    let m = Metrics::compute(&[0, 0, 2, 2], &[0, 0, 2, 0]);
    assert!((m.macro_f1 - (0.8 + 2.0 / 3.0) / 2.0).abs() < 1e-12);
    assert_eq!(Metrics::compute(&[], &[]).n, 0);
    assert_eq!(argmax3(&[1.0, 3.0, 3.0]), 1);
}

#[test]
fn learns_separable_data_deterministically() {
    let (s, h, vx, vy) = tiny_trained();
    let counts = class_counts(&vy);
    let chance = *counts.iter().max().unwrap() as f64 / vy.len() as f64;
    let m = Metrics::compute(&vy, &s.predict(&vx).unwrap());
    eprintln!("val counts {counts:?}, best epoch {} of {}, {m:?}", h.best_epoch, h.epochs.len());
    eprintln!("activation coefs {:?}; ms/batch(64) {:.3}", s.activation_coefs().unwrap(), h.ms_per_batch);
    assert!(m.accuracy > 0.8, "val accuracy {} (majority class {chance})", m.accuracy);
    assert!(m.macro_f1 > 0.75);
    assert_eq!(h.epochs.len(), 20);
    assert!((h.best_val_macro_f1 - m.macro_f1).abs() < 1e-9, "the best epoch's parameters are kept");
    assert!(h.epochs.last().unwrap().train_loss < h.epochs[0].train_loss);
    // Same seed, same result.
    let (x, y) = synthetic(5000, 1);
    let (s2, h2) = train(&x, &y, &vx, &vy, tiny_cfg()).unwrap();
    assert_eq!(h2.epochs.iter().map(|e| e.train_loss).collect::<Vec<_>>(), h.epochs.iter().map(|e| e.train_loss).collect::<Vec<_>>());
    assert_eq!(s2.logits(&vx[..INPUT_LEN * 4]).unwrap(), s.logits(&vx[..INPUT_LEN * 4]).unwrap());

    // Balanced class weights, dropout and patience run too.
    let cfg = TrainConfig { class_weights: ClassWeights::Balanced, dropout: 0.1, patience: Some(2), epochs: 4, ..tiny_cfg() };
    let (_, h3) = train(&x, &y, &vx, &vy, cfg).unwrap();
    let bw = balanced_class_weights(&y);
    assert_eq!(h3.class_weights, bw);
    assert!(h3.epochs.len() <= 4);

    // Plots.
    let dir = tempfile::tempdir().unwrap();
    // VR_PLOT_DIR=/some/dir keeps the plots for a look.
    let keep = std::env::var_os("VR_PLOT_DIR").map(std::path::PathBuf::from);
    let out = keep.unwrap_or_else(|| dir.path().to_path_buf());
    let p = out.join("history.png");
    plot_history(&h, "tiny", &p).unwrap();
    assert_eq!(png_size(&p), (1500, 540));
    let p = out.join("confusion.png");
    plot_confusion(&m, "val", &p).unwrap();
    assert_eq!(png_size(&p), (640, 600));
    eprintln!("fonts available: {}", fonts_available());
}

#[test]
fn onnx_export_matches_candle() {
    let (x, _) = synthetic(300, 3);
    // Default architecture (420-128-64-32-3), untrained but with non-trivial activations.
    let mut cfg = StudentConfig::default();
    cfg.act_a_init = 0.2;
    cfg.act_b_init = 0.9;
    let s = Student::new(cfg, 11).unwrap();
    assert_eq!(s.param_count(), 420 * 128 + 128 + 128 * 64 + 64 + 64 * 32 + 32 + 32 * 3 + 3 + 6);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("network.onnx");
    let sha = export_onnx(&s, &path).unwrap();
    assert_eq!(sha, sha256_file(&path).unwrap());

    // Graph uses plain ops only, input [1, 420], output [1, 3].
    let proto = to_onnx_proto(&s).unwrap();
    let g = proto.graph.as_ref().unwrap();
    assert!(g.node.iter().all(|n| ["Gemm", "Mul", "Add"].contains(&n.op_type.as_str())));
    assert_eq!(g.node.iter().filter(|n| n.op_type == "Gemm").count(), 4);
    assert_eq!(g.input.len(), 1);
    assert_eq!(g.input[0].name, "input");
    assert_eq!(g.output[0].name, "output");
    assert_eq!(proto.opset_import[0].version, 13);
    assert_eq!(proto.ir_version, 8);
    let names: Vec<&str> = g.initializer.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, s.config.param_names().iter().map(|s| s.as_str()).collect::<Vec<_>>());

    let m = OnnxModel::load(&path).unwrap();
    assert_eq!(m.input_len(), INPUT_LEN);
    let d = parity(&s, &m, &x).unwrap();
    eprintln!("parity max |tract - candle| = {d:e}");
    assert!(d < 1e-4, "parity {d}");
    // Batch of one, and the batch gives the same as one by one.
    let one = m.logits(&x[..INPUT_LEN]).unwrap();
    assert_eq!(one.len(), 1);
    let batch = m.logits(&x).unwrap();
    assert_eq!(batch.len(), 300);
    for i in [0, 17, 299] {
        let single = m.logits(&x[i * INPUT_LEN..(i + 1) * INPUT_LEN]).unwrap()[0];
        for k in 0..3 {
            assert!((single[k] - batch[i][k]).abs() < 1e-4);
        }
    }
    assert!(m.logits(&x[..INPUT_LEN - 1]).is_err());

    // safetensors round trip.
    let st = dir.path().join("student.safetensors");
    s.save_safetensors(&st).unwrap();
    let back = Student::load_safetensors(s.config.clone(), &st).unwrap();
    assert_eq!(back.logits(&x[..INPUT_LEN * 5]).unwrap(), s.logits(&x[..INPUT_LEN * 5]).unwrap());

    // ONNX -> candle round trip.
    let back = student_from_onnx(&path, (0.0, 1.0)).unwrap();
    assert_eq!(back.config.hidden, vec![128, 64, 32]);
    assert_eq!(back.logits(&x[..INPUT_LEN * 5]).unwrap(), s.logits(&x[..INPUT_LEN * 5]).unwrap());
}

#[test]
fn model_dir_and_card_round_trip() {
    let (s, h, vx, vy) = tiny_trained();
    let rows: Vec<[f64; N_FEATURES]> = (0..100).map(|i| [i as f64, 1.0, 2.0, 3.0, 4.0, 5.0, (i % 7) as f64]).collect();
    let norm = Normalizer::fit(rows.iter());
    let mut card = ModelCard::new("tiny", features::FEATURE_SPEC, norm.clone(), &s);
    card.data = DataInfo {
        symbol: "BTCUSDT".into(),
        interval: "1m".into(),
        from: "2024-01-01".into(),
        to: "2024-01-31".into(),
        split: "synthetic".into(),
        n_train: 5000,
        n_val: vy.len(),
        n_test: 0,
        train_class_counts: [1, 2, 3],
    };
    card.set_training(&tiny_cfg(), &h, &s).unwrap();
    let m = Metrics::compute(&vy, &s.predict(&vx).unwrap());
    card.metrics.insert("val".into(), m.clone());
    let dir = tempfile::tempdir().unwrap();
    let mdir = dir.path().join("student");
    let p = save_model_dir(&mdir, &s, &mut card, &vx[..INPUT_LEN * 64]).unwrap();
    assert!(p < 1e-4, "parity {p}");
    assert_eq!(card.parity_max_abs_diff, Some(p));
    assert_eq!(card.parity_windows, 64);
    assert!(mdir.join("network.onnx").exists() && mdir.join("card.json").exists());

    let (back, model) = ModelCard::load(&mdir).unwrap();
    // serde_json without `float_roundtrip` may change the last digit of an f64.
    json_close(&serde_json::to_value(&back).unwrap(), &serde_json::to_value(&card).unwrap());
    assert_eq!(back.onnx_sha256, card.onnx_sha256);
    assert_eq!(back.architecture, card.architecture);
    assert_eq!(back.normalization, norm);
    assert_eq!(back.window, 60);
    assert_eq!(back.horizon, 60);
    assert_eq!(back.classes, vec!["SELL", "HOLD", "BUY"]);
    assert_eq!(back.thresholds.buy_above_pct, 0.2);
    assert_eq!(back.thresholds.sell_below_pct, -0.2);
    assert_eq!(back.onnx_sha256.len(), 64);
    assert_eq!(Metrics::compute(&vy, &model.predict(&vx).unwrap()).confusion, m.confusion);
    let j: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(mdir.join("card.json")).unwrap()).unwrap();
    for k in ["feature_spec", "normalization", "window", "horizon", "thresholds", "classes", "data", "metrics", "training", "parity_max_abs_diff", "param_count", "onnx_sha256"] {
        assert!(j.get(k).is_some(), "card.json lacks {k}");
    }

    // training.png is drawn again from history.json (no retraining), which a folder may lack.
    assert!(replot_model_dir(&mdir).unwrap_err().to_string().contains(HISTORY_FILE));
    save_history(&h, &mdir).unwrap();
    let png = replot_model_dir(&mdir).unwrap();
    assert_eq!(png, mdir.join(TRAINING_PNG));
    assert_eq!(png_size(&png), (1500, 540));
    let back: TrainHistory = serde_json::from_str(&std::fs::read_to_string(mdir.join(HISTORY_FILE)).unwrap()).unwrap();
    assert_eq!(back.epochs.len(), h.epochs.len());
    assert_eq!(back.best_epoch, h.best_epoch);
    // The training loss is named after what the run minimised.
    assert_eq!(train_loss_name(&tiny_cfg()), "cross-entropy");
    let kd = TrainConfig { distill: Some(Distill { alpha: 0.2, beta: 0.8, temperature: 2.0 }), ..tiny_cfg() };
    assert!(train_loss_name(&kd).starts_with("distillation loss (0.2 CE + 0.8"), "{}", train_loss_name(&kd));

    // A modified network is refused; so is another feature spec.
    let mut bytes = std::fs::read(mdir.join("network.onnx")).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(mdir.join("network.onnx"), &bytes).unwrap();
    assert!(ModelCard::load(&mdir).is_err());
    let mut other = card.clone();
    other.feature_spec = "vr-features-0".into();
    other.save(&mdir).unwrap();
    assert!(ModelCard::load(&mdir).unwrap_err().to_string().contains("feature spec"));
}

/// Timing of the default architecture: `cargo test --release --test model -- --ignored --nocapture`.
#[test]
#[ignore]
fn bench_default_batch_256() {
    let (x, y) = synthetic(20_480, 5);
    let (vx, vy) = synthetic(2_000, 6);
    let cfg = TrainConfig { epochs: 2, batch_size: 256, progress: true, ..Default::default() };
    let t = std::time::Instant::now();
    let (s, h) = train(&x, &y, &vx, &vy, cfg).unwrap();
    eprintln!(
        "default 420-128-64-32-3: {:.2} ms per batch of 256 ({} windows x 2 epochs in {:.1}s), val acc {:.3}",
        h.ms_per_batch,
        y.len(),
        t.elapsed().as_secs_f64(),
        h.epochs.last().unwrap().val_accuracy
    );
    let t = std::time::Instant::now();
    let _ = s.logits(&vx).unwrap();
    eprintln!("candle eval: {:.3} ms per 1000 windows", t.elapsed().as_secs_f64() * 1000.0 / 2.0);
    let dir = tempfile::tempdir().unwrap();
    export_onnx(&s, dir.path().join("n.onnx")).unwrap();
    let m = OnnxModel::load(dir.path().join("n.onnx")).unwrap();
    let t = std::time::Instant::now();
    let _ = m.logits(&vx).unwrap();
    eprintln!("tract eval: {:.3} ms per 1000 windows", t.elapsed().as_secs_f64() * 1000.0 / 2.0);
    eprintln!("tract parity on 2000 windows: {:e}", parity(&s, &m, &vx).unwrap());
}


/// Timing of the teacher CNN (the seed's recipe) on synthetic data:
/// `cargo test --release --test model bench_teacher -- --ignored --nocapture`.
#[test]
#[ignore]
fn bench_teacher_batch_256() {
    let (x, y) = synthetic(10_240, 5);
    let (vx, vy) = synthetic(2_000, 6);
    let teacher = Teacher::new(TeacherConfig::default(), 1).unwrap();
    let cfg = TrainConfig { epochs: 2, ..TrainConfig::seed_teacher() };
    let h = fit(&teacher, &TrainData { x: &x, y: &y, teacher: None }, &vx, &vy, &cfg, None).unwrap();
    eprintln!(
        "teacher: {:.1} ms per batch of 256, val acc {:.3} after 2 epochs",
        h.ms_per_batch,
        h.epochs.last().unwrap().val_accuracy
    );
    let t = std::time::Instant::now();
    let _ = teacher.logits(&vx).unwrap();
    eprintln!("teacher candle eval: {:.3} ms per 1000 windows", t.elapsed().as_secs_f64() * 1000.0 / 2.0);
}

#[test]
fn teacher_onnx_matches_candle_after_training() {
    let (x, y) = synthetic(1024, 11);
    let (vx, vy) = synthetic(300, 12);
    let t = Teacher::new(TeacherConfig::default(), 3).unwrap();
    assert_eq!(t.param_count(), SEED_TEACHER_PARAMS);
    // Two short epochs move the batch-norm statistics away from (0, 1), so the folding is tested.
    let cfg = TrainConfig { epochs: 2, batch_size: 128, progress: false, ..TrainConfig::seed_teacher() };
    let h = fit(&t, &TrainData { x: &x, y: &y, teacher: None }, &vx, &vy, &cfg, None).unwrap();
    assert_eq!(h.epochs.len(), 2);
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("teacher.onnx");
    write_onnx(&t.onnx().unwrap(), &p).unwrap();
    let m = OnnxModel::load(&p).unwrap();
    let d = parity(&t, &m, &vx).unwrap();
    assert!(d < 1e-4, "tract vs candle: {d}");
    assert_eq!(m.predict(&vx).unwrap(), Net::logits(&t, &vx).unwrap().iter().map(argmax3).collect::<Vec<_>>());
    // The graph uses only ops EZKL and tract both support.
    let ops: Vec<String> = t.onnx().unwrap().graph.unwrap().node.iter().map(|n| n.op_type.clone()).collect();
    for op in &ops {
        assert!(["Reshape", "Transpose", "Conv", "Relu", "MaxPool", "GlobalAveragePool", "Flatten", "Gemm"].contains(&op.as_str()), "{op}");
    }
}

#[test]
fn an_interrupted_run_resumes_to_the_same_result() {
    let (x, y) = synthetic(2000, 21);
    let (vx, vy) = synthetic(300, 22);
    let cfg = TrainConfig { epochs: 4, batch_size: 64, subsample: 2, progress: false, ..TrainConfig::seed_teacher() };
    let data = TrainData { x: &x, y: &y, teacher: None };
    let whole = Teacher::new(TeacherConfig::default(), 5).unwrap();
    let h_whole = fit(&whole, &data, &vx, &vy, &cfg, None).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let ck = dir.path().join("ck");
    let first = Teacher::new(TeacherConfig::default(), 5).unwrap();
    let h1 = fit_until(&first, &data, &vx, &vy, &cfg, Some(&ck), Some(2)).unwrap();
    assert_eq!(h1.epochs.len(), 2);
    assert!(ck.join(CHECKPOINT_FILE).exists());
    // A new process: a fresh model (another init seed even) picks the run up after epoch 2.
    let resumed = Teacher::new(TeacherConfig::default(), 999).unwrap();
    let h2 = fit(&resumed, &data, &vx, &vy, &cfg, Some(&ck)).unwrap();
    assert_eq!(h2.epochs.len(), 4);
    // Equal up to float rounding (candle's parallel reductions may differ in the last bit).
    for (a, b) in h2.epochs.iter().zip(&h_whole.epochs) {
        assert!((a.train_loss - b.train_loss).abs() < 1e-6 && (a.val_loss - b.val_loss).abs() < 1e-6, "{a:?} vs {b:?}");
    }
    assert_eq!(h2.best_epoch, h_whole.best_epoch);
    let (la, lb) = (Net::logits(&resumed, &vx).unwrap(), Net::logits(&whole, &vx).unwrap());
    let diff = la.iter().zip(&lb).flat_map(|(p, q)| p.iter().zip(q).map(|(u, v)| (u - v).abs())).fold(0.0f32, f32::max);
    assert!(diff < 1e-4, "resumed vs whole logits differ by {diff}");

    // Another configuration on the same folder is refused, naming the folder.
    let other = TrainConfig { lr: 5e-4, ..cfg };
    let e = fit(&Teacher::new(TeacherConfig::default(), 5).unwrap(), &data, &vx, &vy, &other, Some(&ck)).unwrap_err();
    assert!(e.to_string().contains("another training configuration") && e.to_string().contains("ck"), "{e}");
}

#[test]
fn weight_averaging_ships_the_average_and_resumes_exactly() {
    let (x, y) = synthetic(2000, 23);
    let (vx, vy) = synthetic(300, 24);
    let base = TrainConfig { epochs: 4, batch_size: 64, lr: 3e-3, progress: false, student: StudentConfig::with_hidden(&[16]), ..Default::default() };
    let data = TrainData { x: &x, y: &y, teacher: None };
    let plain = Student::new(base.student.clone(), 7).unwrap();
    fit(&plain, &data, &vx, &vy, &base, None).unwrap();
    // The same run with an average over the last steps ends on other weights: the average.
    let cfg = TrainConfig { ema: Some(0.9), ..base.clone() };
    let whole = Student::new(cfg.student.clone(), 7).unwrap();
    let h_whole = fit(&whole, &data, &vx, &vy, &cfg, None).unwrap();
    let (lp, lw) = (Net::logits(&plain, &vx).unwrap(), Net::logits(&whole, &vx).unwrap());
    let moved = lp.iter().zip(&lw).flat_map(|(p, q)| p.iter().zip(q).map(|(u, v)| (u - v).abs())).fold(0.0f32, f32::max);
    assert!(moved > 1e-3, "weight averaging changed nothing ({moved})");
    // Interrupted after epoch 2 and resumed, the average continues where it stopped.
    let dir = tempfile::tempdir().unwrap();
    let ck = dir.path().join("ck");
    fit_until(&Student::new(cfg.student.clone(), 7).unwrap(), &data, &vx, &vy, &cfg, Some(&ck), Some(2)).unwrap();
    let resumed = Student::new(cfg.student.clone(), 7).unwrap();
    let h2 = fit(&resumed, &data, &vx, &vy, &cfg, Some(&ck)).unwrap();
    for (a, b) in h2.epochs.iter().zip(&h_whole.epochs) {
        assert!((a.val_loss - b.val_loss).abs() < 1e-6, "{a:?} vs {b:?}");
    }
    assert_eq!(h2.best_epoch, h_whole.best_epoch);
    let lr = Net::logits(&resumed, &vx).unwrap();
    let diff = lr.iter().zip(&lw).flat_map(|(p, q)| p.iter().zip(q).map(|(u, v)| (u - v).abs())).fold(0.0f32, f32::max);
    assert!(diff < 1e-4, "resumed vs whole logits differ by {diff}");
    // A decay outside [0, 1) is refused.
    let bad = TrainConfig { ema: Some(1.0), ..base };
    let e = fit(&Student::new(bad.student.clone(), 7).unwrap(), &data, &vx, &vy, &bad, None).unwrap_err();
    assert!(e.to_string().contains("ema decay"), "{e}");
}

#[test]
fn a_cosine_schedule_run_resumes_too() {
    // The plateau tracker is unused under a cosine schedule; it must still survive the JSON round trip.
    let (x, y) = synthetic(1000, 25);
    let (vx, vy) = synthetic(200, 26);
    let cfg = TrainConfig { epochs: 3, batch_size: 64, progress: false, student: StudentConfig::with_hidden(&[8]), ..Default::default() };
    assert!(matches!(cfg.schedule, Schedule::Cosine { .. }));
    let data = TrainData { x: &x, y: &y, teacher: None };
    let dir = tempfile::tempdir().unwrap();
    let ck = dir.path().join("ck");
    fit_until(&Student::new(cfg.student.clone(), 3).unwrap(), &data, &vx, &vy, &cfg, Some(&ck), Some(1)).unwrap();
    let h = fit(&Student::new(cfg.student.clone(), 3).unwrap(), &data, &vx, &vy, &cfg, Some(&ck)).unwrap();
    assert_eq!(h.epochs.len(), 3);
}

#[test]
fn distillation_follows_the_teacher_and_the_regulariser_bounds_weights() {
    let (x, y) = synthetic(4000, 31);
    let (vx, vy) = synthetic(500, 32);
    // A "teacher" whose soft targets disagree with the labels: it calls every window BUY-ish.
    let teacher: Vec<[f32; 3]> = (0..y.len()).map(|_| [-4.0, 0.0, 4.0]).collect();
    let base = TrainConfig { epochs: 6, batch_size: 64, lr: 3e-3, progress: false, student: StudentConfig::with_hidden(&[16]), ..Default::default() };
    let kd = TrainConfig { distill: Some(Distill { alpha: 0.0, beta: 1.0, temperature: 2.0 }), ..base.clone() };
    let s = Student::new(kd.student.clone(), 1).unwrap();
    fit(&s, &TrainData { x: &x, y: &y, teacher: Some(&teacher) }, &vx, &vy, &kd, None).unwrap();
    let buy = s.predict(&vx).unwrap().iter().filter(|&&c| c == 2).count();
    assert!(buy as f64 > 0.7 * vy.len() as f64, "pure distillation follows the teacher: {buy} BUY of {}", vy.len());
    let labelled_buy = vy.iter().filter(|&&c| c == 2).count();
    assert!(buy > labelled_buy + vy.len() / 4, "{buy} BUY predicted, {labelled_buy} BUY labels");
    // Distillation without teacher logits is refused.
    let e = fit(&s, &TrainData { x: &x, y: &y, teacher: None }, &vx, &vy, &kd, None).unwrap_err();
    assert!(e.to_string().contains("teacher logit"), "{e}");

    // l2 * ReLU(|w| - tau) pushes weights into [-tau, tau].
    let max_abs = |reg: Option<Regularizer>| {
        let cfg = TrainConfig { regularizer: reg, ..base.clone() };
        let s = Student::new(cfg.student.clone(), 1).unwrap();
        fit(&s, &TrainData { x: &x, y: &y, teacher: None }, &vx, &vy, &cfg, None).unwrap();
        let w = s.params().unwrap();
        let all: Vec<f32> = w.iter().filter(|(n, _, _)| n.ends_with(".weight")).flat_map(|(_, _, v)| v.clone()).collect();
        all.iter().filter(|v| v.abs() > 0.05).count() as f64 / all.len() as f64
    };
    let free = max_abs(None);
    let bounded = max_abs(Some(Regularizer { gamma: 1.0, l1: 0.0, l2: 100.0, tau: 0.05 }));
    assert!(bounded < 0.5 * free, "share of |w| > tau: {bounded} with the regulariser, {free} without");
}

/// Every ablation activation trains, exports to ONNX with its own ops, keeps tract/candle parity
/// and reads back as the same activation; parameter-free activations have no `act` parameters.
#[test]
fn each_activation_trains_and_exports_with_parity() {
    let (x, y) = synthetic(600, 5);
    for (act, op) in [(Activation::Quadratic, "Add"), (Activation::Square, "Mul"), (Activation::Relu, "Relu"), (Activation::Silu, "Sigmoid")] {
        let cfg = TrainConfig { student: StudentConfig { hidden: vec![16, 8], activation: act, ..Default::default() }, ..tiny_cfg() };
        let s = Student::new(cfg.student.clone(), 3).unwrap();
        let base = 420 * 16 + 16 + 16 * 8 + 8 + 8 * 3 + 3;
        assert_eq!(s.param_count(), if act == Activation::Quadratic { base + 4 } else { base }, "{act:?}");
        let h = veriregime_lab::model::fit(&s, &TrainData { x: &x, y: &y, teacher: None }, &x, &y, &cfg, None).unwrap();
        assert!(h.epochs.iter().all(|e| e.train_loss.is_finite()), "{act:?}: {:?}", h.epochs);
        let g = to_onnx_proto(&s).unwrap().graph.unwrap();
        assert!(g.node.iter().any(|n| n.op_type == op), "{act:?} exports no {op}");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("network.onnx");
        export_onnx(&s, &path).unwrap();
        let d = parity(&s, &OnnxModel::load(&path).unwrap(), &x).unwrap();
        assert!(d < 1e-4, "{act:?}: parity {d}");
        assert_eq!(student_from_onnx(&path, (0.0, 1.0)).unwrap().config.activation, act);
    }
}
