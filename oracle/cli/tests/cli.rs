//! The data commands on any archive root: the project's synthetic archives (daily and monthly
//! layouts), corrupted files, and the real archive in ../shared/data when it is there.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use veriregime_core::data::{synth_candles, write_daily_archive, SynthConfig};
use veriregime_core::features::LOOKBACK;
use veriregime_zk::prover::project_root;

fn bin(args: &[&str], root: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_veriregime")).current_dir(project_root()).args(args).arg("--data").arg(root).output().unwrap()
}

fn ok(o: &Output) -> String {
    assert!(o.status.success(), "failed: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn synth_root(days: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let candles = synth_candles(&SynthConfig { minutes: days * 1440, ..Default::default() });
    write_daily_archive(dir.path(), "BTCUSDT", &candles).unwrap();
    dir
}

#[test]
fn features_writes_one_row_per_decision_minute() {
    let root = synth_root(3);
    let out = root.path().join("f.csv");
    let o = Command::new(env!("CARGO_BIN_EXE_veriregime"))
        .args(["features", "--from", "2024-01-02", "--to", "2024-01-02", "--out"])
        .arg(&out)
        .arg("--data")
        .arg(root.path())
        .output()
        .unwrap();
    ok(&o);
    let text = std::fs::read_to_string(&out).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        "open_time,close,ema5,ema10,ema20,rsi14,macd,vol_ma5,vol_ma10,ema5_gap,ema10_gap,ema20_gap,rsi14_c,macd_pct,vol_ratio_5_10,vol_level_10_60,fwd_return_pct,label"
    );
    let rows: Vec<&str> = lines.collect();
    // 2024-01-02 has a full day before it as warm-up and a day after for labels.
    assert_eq!(rows.len(), 1440);
    assert!(rows[0].starts_with("1704153600000,"));
    for r in &rows {
        let cols: Vec<&str> = r.split(',').collect();
        assert_eq!(cols.len(), 18);
        assert!(["0", "1", "2"].contains(&cols[17]), "{r}");
        let ret: f64 = cols[16].parse().unwrap();
        let label = if ret > 0.2 { "2" } else if ret < -0.2 { "0" } else { "1" };
        assert_eq!(cols[17], label);
    }
    // The first day has no warm-up before it: the first decision minute needs LOOKBACK candles.
    let o = Command::new(env!("CARGO_BIN_EXE_veriregime"))
        .args(["features", "--from", "2024-01-01", "--to", "2024-01-01", "--out"])
        .arg(&out)
        .arg("--data")
        .arg(root.path())
        .output()
        .unwrap();
    ok(&o);
    assert_eq!(std::fs::read_to_string(&out).unwrap().lines().count() - 1, 1440 - (LOOKBACK - 1));
}

#[test]
fn eval_prints_one_json_line_for_any_archive_root() {
    let root = synth_root(2);
    let o = bin(&["eval", "--model", "models/student", "--from", "2024-01-01", "--to", "2024-01-01", "--json"], root.path());
    let out = ok(&o);
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    let n = v["n"].as_u64().unwrap();
    assert_eq!(n as usize, 1440 - (LOOKBACK - 1));
    assert!(v["accuracy"].as_f64().unwrap() >= 0.0 && v["macro_f1"].as_f64().unwrap() <= 1.0);
    for c in ["SELL", "HOLD", "BUY"] {
        assert!(v["per_class"][c]["f1"].is_number(), "{v}");
    }
    let total: u64 = v["confusion"].as_array().unwrap().iter().flat_map(|r| r.as_array().unwrap()).map(|x| x.as_u64().unwrap()).sum();
    assert_eq!(total, n);
}

/// Writes one monthly archive file (the monthly layout) from synthetic candles.
fn write_monthly(root: &Path, candles: &[veriregime_core::data::Candle]) -> PathBuf {
    let dir = root.join("spot/monthly/klines/BTCUSDT/1m");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("BTCUSDT-1m-2024-01.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    zip.start_file("BTCUSDT-1m-2024-01.csv", zip::write::SimpleFileOptions::default()).unwrap();
    for c in candles {
        // Microsecond timestamps, as Binance's archives from 2025 on use.
        writeln!(zip, "{},{},{},{},{},{},{},1,10,1,1,0", c.open_time * 1000, c.open, c.high, c.low, c.close, c.volume, c.close_time * 1000 + 999).unwrap();
    }
    zip.finish().unwrap();
    path
}

#[test]
fn verify_reads_monthly_files_and_reports_gaps() {
    let dir = tempfile::tempdir().unwrap();
    let mut candles = synth_candles(&SynthConfig { minutes: 2 * 1440, ..Default::default() });
    // A 80-minute outage on day 2, 12:40..13:59, as Binance had on 2023-03-24.
    let start = 1440 + 12 * 60 + 40;
    candles.drain(start..start + 80);
    write_monthly(dir.path(), &candles);
    let o = bin(&["data", "verify", "--json"], dir.path());
    let v: serde_json::Value = serde_json::from_str(ok(&o).trim()).unwrap();
    assert_eq!(v["rows"], 2 * 1440 - 80);
    assert_eq!(v["days"], 31);
    let gaps = v["gaps"].as_array().unwrap();
    assert_eq!(gaps.len(), 1);
    assert_eq!(gaps[0]["missing_minutes"], 80);
    assert_eq!(gaps[0]["from"], 1704153600000i64 + (12 * 60 + 40) * 60_000);
}

#[test]
fn a_corrupt_row_is_an_error_naming_file_and_line() {
    let root = synth_root(1);
    let file = root.path().join("spot/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2024-01-01.zip");
    let mut text = String::new();
    {
        use std::io::Read;
        let mut z = zip::ZipArchive::new(std::fs::File::open(&file).unwrap()).unwrap();
        z.by_index(0).unwrap().read_to_string(&mut text).unwrap();
    }
    let mut rows: Vec<String> = text.lines().map(String::from).collect();
    rows[99] = rows[99].replacen(',', ",-", 1); // negative open price on line 100
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&file).unwrap());
    zip.start_file("BTCUSDT-1m-2024-01-01.csv", zip::write::SimpleFileOptions::default()).unwrap();
    zip.write_all((rows.join("\n") + "\n").as_bytes()).unwrap();
    zip.finish().unwrap();
    let o = bin(&["data", "verify"], root.path());
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("BTCUSDT-1m-2024-01-01.zip, line 100") && err.contains("open price"), "{err}");
}

#[test]
fn verify_refuses_a_day_file_without_rows_instead_of_reporting_a_gap() {
    let root = synth_root(2);
    let file = root.path().join("spot/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2024-01-02.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&file).unwrap());
    zip.start_file("BTCUSDT-1m-2024-01-02.csv", zip::write::SimpleFileOptions::default()).unwrap();
    zip.finish().unwrap();
    let o = bin(&["data", "verify"], root.path());
    assert!(!o.status.success(), "exit 0: {}", String::from_utf8_lossy(&o.stdout));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("BTCUSDT-1m-2024-01-02.zip") && err.contains("is empty"), "{err}");
}

/// The real archive, when ../shared/data is beside the project.
fn shared() -> Option<PathBuf> {
    let p = project_root().join("../shared/data/binance-vision");
    if p.is_dir() {
        Some(p)
    } else {
        eprintln!("SKIPPED: {} is absent (real Binance data lives there)", p.display());
        None
    }
}

/// The shipped teacher and student were fitted on one range: a fresh preparation of it matches
/// both cards' normalisers (so the research commands accept them), and one day less does not.
#[test]
fn real_archive_preparation_matches_the_shipped_normalisers() {
    let Some(root) = shared() else { return };
    use veriregime_lab::model::ModelCard;
    let models = project_root().join("models");
    let (t, s) = (ModelCard::read(models.join("teacher")).unwrap(), ModelCard::read(models.join("student")).unwrap());
    let p = veriregime_lab::model::study::prepare(&root, &t.data.symbol, &t.data.from, &t.data.to).unwrap();
    for c in [&t, &s] {
        assert!(c.normalization.same_as(&p.norm), "{}: {:?}", c.name, c.normalization.largest_difference(&p.norm));
    }
    let shorter = veriregime_lab::model::study::prepare(&root, &t.data.symbol, "2023-01-01", &t.data.to).unwrap();
    assert!(!t.normalization.same_as(&shorter.norm));
}

#[test]
fn real_archive_has_the_known_outage_and_full_days() {
    let Some(root) = shared() else { return };
    let o = bin(&["data", "verify", "--json", "--from", "2023-01-01", "--to", "2023-01-31"], &root);
    let v: serde_json::Value = serde_json::from_str(ok(&o).trim()).unwrap();
    assert_eq!(v["rows"], 44_640);
    assert!(v["gaps"].as_array().unwrap().is_empty());
    let o = bin(&["data", "verify", "--json", "--from", "2023-03-24", "--to", "2023-03-24"], &root);
    let v: serde_json::Value = serde_json::from_str(ok(&o).trim()).unwrap();
    assert_eq!(v["rows"], 1360);
    assert_eq!(v["gaps"][0]["missing_minutes"], 80);
    assert_eq!(v["gaps"][0]["from"], 1679661600000i64); // 2023-03-24 12:40 UTC
}

#[test]
fn real_archive_eval_of_the_shipped_student() {
    let Some(root) = shared() else { return };
    let o = bin(&["eval", "--from", "2024-03-25", "--to", "2024-03-30", "--json"], &root);
    let v: serde_json::Value = serde_json::from_str(ok(&o).trim()).unwrap();
    assert!(v["n"].as_u64().unwrap() > 6 * 1400);
    // Better than always answering the majority class on macro-F1 (which would score <= 1/3 * ~0.6).
    assert!(v["macro_f1"].as_f64().unwrap() > 0.25, "{v}");
}

/// `train study --quick` on a synthetic archive: every artefact of the study is written, the
/// shipped folders load and agree with the report, and a rerun resumes (trains nothing again).
#[test]
fn train_study_writes_the_report_and_resumes() {
    let root = synth_root(8);
    let out = root.path().join("models");
    let ck = root.path().join("ck");
    let study = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_veriregime"))
            .args(["train", "study", "--quick", "--from", "2024-01-02", "--to", "2024-01-07", "--out"])
            .arg(&out)
            .arg("--checkpoints")
            .arg(&ck)
            .arg("--data")
            .arg(root.path())
            .args(extra)
            .output()
            .unwrap()
    };
    let run = || {
        let o = study(&["--force"]);
        (ok(&o), String::from_utf8_lossy(&o.stderr).into_owned())
    };
    let (stdout, _) = run();
    let v: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    let report = std::fs::read_to_string(out.join("REPORT.md")).unwrap();
    for section in ["## Data", "## All models", "## Goals", "## Teacher", "## Training speed", "## Distillation", "## Students"] {
        assert!(report.contains(section), "REPORT.md lacks {section}");
    }
    let r: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("REPORT.json")).unwrap()).unwrap();
    assert_eq!(r["teacher"], v["teacher"]);
    assert_eq!(r["shipped_student"], v["shipped_student"]);
    assert_eq!(r["teacher_variants"].as_array().unwrap().len(), 2);
    assert_eq!(r["students"].as_array().unwrap().len(), 2);
    assert_eq!(r["no_teacher"].as_array().unwrap().len(), 2);
    assert!(r["baselines"].as_array().unwrap().iter().any(|b| b["name"] == "majority"));
    assert!(r["baselines"].as_array().unwrap().iter().any(|b| b["name"] == "logistic"));
    // Splits: chronological, label counts per split add up to the windows.
    let n: u64 = r["label_counts"][0].as_array().unwrap().iter().map(|c| c.as_u64().unwrap()).sum();
    assert_eq!(n, r["data"]["n_train"].as_u64().unwrap());
    for png in ["students.png", "teacher/training.png", "teacher/confusion_test.png", "student/training.png"] {
        assert!(std::fs::metadata(out.join(png)).unwrap().len() > 1000, "{png}");
    }
    // The shipped folders load (hash, feature spec) and carry the study's test figures.
    let (tc, _) = veriregime_lab::model::ModelCard::load(out.join("teacher")).unwrap();
    assert_eq!(tc.param_count, veriregime_lab::model::SEED_TEACHER_PARAMS);
    let t = r["teacher_variants"].as_array().unwrap().iter().find(|t| t["name"] == r["teacher"]).unwrap();
    assert_eq!(tc.metrics["test"].macro_f1, t["test"]["macro_f1"].as_f64().unwrap());
    let (sc, _) = veriregime_lab::model::ModelCard::load(out.join("student")).unwrap();
    assert!(sc.training.unwrap().config.distill.is_some(), "the shipped student is distilled");
    // Every student's card records the recipe it was trained with, its own sizes included.
    let logistic = r["baselines"].as_array().unwrap().iter().filter(|b| b["name"] == "logistic");
    for s in r["students"].as_array().unwrap().iter().chain(r["no_teacher"].as_array().unwrap()).chain(logistic) {
        let card = veriregime_lab::model::ModelCard::read(out.join(s["dir"].as_str().unwrap())).unwrap();
        let veriregime_lab::model::Architecture::Mlp(arch) = card.architecture else { panic!("{} is not an MLP", s["name"]) };
        assert_eq!(card.training.unwrap().config.student, arch, "{}", s["name"]);
    }

    // A rerun into a folder that holds a study is refused without --force, and changes nothing.
    let before = std::fs::read(out.join("REPORT.json")).unwrap();
    let o = study(&[]);
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success() && e.contains("--force") && e.contains("already holds a study"), "{e}");
    assert_eq!(std::fs::read(out.join("REPORT.json")).unwrap(), before);

    // Rerun: every run is found in the checkpoint folder, the report is the same.
    let (_, stderr) = run();
    assert!(stderr.matches("already trained").count() >= 8, "{stderr}");
    let r2: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("REPORT.json")).unwrap()).unwrap();
    assert_eq!(r2["students"], r["students"]);
    assert_eq!(r2["teacher_variants"], r["teacher_variants"]);

    // The accuracy / macro-F1 fronts of the teachers (and one extra folder), recorded in the report.
    let frontier = |extra: &Path| {
        Command::new(env!("CARGO_BIN_EXE_veriregime"))
            .args(["train", "frontier", "--from", "2024-01-02", "--to", "2024-01-07", "--models"])
            .arg(&out)
            .arg("--extra")
            .arg(extra)
            .arg("--data")
            .arg(root.path())
            .output()
            .unwrap()
    };
    let before = std::fs::read(out.join("REPORT.json")).unwrap();
    let o = frontier(&out.join("no-such-teacher"));
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("no-such-teacher"), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(std::fs::read(out.join("REPORT.json")).unwrap(), before, "a refused frontier run leaves the report alone");
    ok(&frontier(&out.join("teacher")));
    let fr: veriregime_lab::model::study::StudyResults = serde_json::from_slice(&std::fs::read(out.join("REPORT.json")).unwrap()).unwrap();
    let fr = fr.frontier.expect("frontier recorded");
    assert_eq!(fr.models.iter().map(|m| m.name.as_str()).collect::<Vec<_>>().last(), Some(&"teacher"));
    assert_eq!(fr.models.len(), 3);
    for (m, t) in fr.models.iter().zip(r["teacher_variants"].as_array().unwrap()) {
        // With no offset the front starts from the model as the study scored it (tract vs candle).
        assert_eq!(m.name, t["name"].as_str().unwrap());
        assert!((m.as_trained.val_accuracy - t["val"]["accuracy"].as_f64().unwrap()).abs() < 1e-3, "{}", m.name);
        assert!(!m.front.is_empty());
    }
    assert!(std::fs::read_to_string(out.join("REPORT.md")).unwrap().contains("## Accuracy against macro-F1"));
    assert!(std::fs::metadata(out.join("frontier.png")).unwrap().len() > 1000);

    // The activation ablation: the shipped student's recipe, distilled from the shipped teacher
    // (whose normaliser, read back from its card, must match the freshly fitted one).
    let ablation = || {
        let o = Command::new(env!("CARGO_BIN_EXE_veriregime"))
            .args(["train", "activations", "--from", "2024-01-02", "--to", "2024-01-07", "--hidden", "8", "--activations", "relu,square", "--teacher"])
            .arg(out.join("teacher"))
            .arg("--recipe")
            .arg(out.join("student"))
            .arg("--out")
            .arg(out.join("ablation"))
            .arg("--checkpoints")
            .arg(&ck)
            .arg("--data")
            .arg(root.path())
            .output()
            .unwrap();
        ok(&o);
        String::from_utf8_lossy(&o.stderr).into_owned()
    };
    ablation();
    let recipe = sc_recipe(&out);
    for (dir, act) in [("act-relu-8", veriregime_lab::model::Activation::Relu), ("act-square-8", veriregime_lab::model::Activation::Square)] {
        let (c, _) = veriregime_lab::model::ModelCard::load(out.join("ablation").join(dir)).unwrap();
        let cfg = c.training.unwrap().config;
        assert_eq!(cfg.student.activation, act);
        assert_eq!(cfg.student.hidden, vec![8]);
        assert_eq!((cfg.distill, cfg.regularizer, cfg.epochs), (recipe.distill.clone(), recipe.regularizer.clone(), recipe.epochs));
    }
    assert_eq!(ablation().matches("already trained with this recipe").count(), 2);

    // The Hessian-guided quantisation study of the shipped student, with its quantised folders.
    let hess = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_veriregime"))
            .args(["train", "hessian", "--from", "2024-01-02", "--to", "2024-01-07", "--budgets", "3,4", "--probes", "8", "--batch", "512"])
            .args(extra)
            .arg("--student")
            .arg(out.join("student"))
            .arg("--out")
            .arg(out.join("hessian"))
            .arg("--export-dir")
            .arg(out.join("quantised"))
            .arg("--data")
            .arg(root.path())
            .output()
            .unwrap()
    };
    ok(&hess(&["--export-budget", "4"]));
    let q: veriregime_lab::model::quant::QuantStudy = serde_json::from_slice(&std::fs::read(out.join("hessian/hessian.json")).unwrap()).unwrap();
    let layers = match veriregime_lab::model::ModelCard::read(out.join("student")).unwrap().architecture {
        veriregime_lab::model::Architecture::Mlp(c) => c.hidden.len() + 1,
        a => panic!("the shipped student is {a:?}"),
    };
    assert_eq!(q.layers.len(), layers);
    assert!(q.layers.iter().all(|l| l.trace.is_finite() && l.trace_se >= 0.0 && l.params > 0), "{:?}", q.layers);
    assert_eq!(q.points.len(), 2 * 3);
    for p in &q.points {
        assert_eq!(p.bits.len(), layers);
        assert!(p.avg_bits <= p.budget_bits as f64 + 1e-9, "{p:?} over its budget");
        assert_eq!(p.param_scale, *p.frac_bits.iter().max().unwrap());
    }
    let md = std::fs::read_to_string(out.join("hessian/HESSIAN.md")).unwrap();
    assert!(md.contains("| fc1.weight |") && md.contains("| 4 | hessian |"), "{md}");
    assert!(out.join("hessian/hessian.png").is_file());
    for scheme in ["uniform", "mse", "hessian"] {
        let (c, _) = veriregime_lab::model::ModelCard::load(out.join(format!("quantised/student-{scheme}-b4"))).unwrap();
        let qi = c.quantization.expect("quantisation recorded");
        assert_eq!(qi.bits, q.points.iter().find(|p| p.scheme.name() == scheme && p.budget_bits == 4).unwrap().bits);
        assert!(c.parity_max_abs_diff.unwrap() < 1e-4);
    }
    // Bad input: an export budget that was not studied is refused before any work.
    let o = hess(&["--export-budget", "5"]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("--export-budget 5"));

    // Shipping a student from outside the sweep. A copy of the ablation's ReLU student whose card
    // claims the best validation macro-F1 must win (smallest MLP, best F1); one whose normaliser
    // differs, or a missing folder, is refused by name and leaves models/student as it was.
    let ship = |candidates: &[&Path]| {
        let list = candidates.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(",");
        Command::new(env!("CARGO_BIN_EXE_veriregime")).args(["train", "ship", "--candidates", &list, "--models"]).arg(&out).output().unwrap()
    };
    let tweak = |from: &str, to: &str, edit: &dyn Fn(&mut serde_json::Value)| {
        let dir = out.join("ablation").join(to);
        veriregime_lab::model::study::copy_model_dir(&out.join("ablation").join(from), &dir).unwrap();
        let mut card: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.join("card.json")).unwrap()).unwrap();
        edit(&mut card);
        card["name"] = to.into();
        std::fs::write(dir.join("card.json"), serde_json::to_vec(&card).unwrap()).unwrap();
        dir
    };
    let best = tweak("act-relu-8", "best-relu-8", &|c| c["metrics"]["val"]["macro_f1"] = 0.99.into());
    let other = tweak("act-square-8", "other-norm", &|c| c["normalization"]["mean"][0] = 123.0.into());
    let before = std::fs::read(out.join("student/card.json")).unwrap();
    for (bad, what) in [(&other, "another normaliser"), (&out.join("ablation/none"), "ablation/none")] {
        let o = ship(&[&out.join("ablation/act-square-8"), bad]);
        assert!(!o.status.success());
        let e = String::from_utf8_lossy(&o.stderr);
        assert!(e.contains(what) && e.contains(&bad.display().to_string()), "{e}");
        assert_eq!(std::fs::read(out.join("student/card.json")).unwrap(), before);
    }
    let v: serde_json::Value = serde_json::from_str(ok(&ship(&[&out.join("ablation/act-square-8"), &best])).trim()).unwrap();
    assert_eq!(v["shipped_student"], "best-relu-8");
    let r3: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("REPORT.json")).unwrap()).unwrap();
    assert_eq!(r3["shipped_student"], "best-relu-8");
    assert_eq!(r3["shipped_from"]["candidates"].as_array().unwrap().len(), r3["students"].as_array().unwrap().len() + 2);
    assert_eq!(r3["students"], r["students"]);
    let (sc3, _) = veriregime_lab::model::ModelCard::load(out.join("student")).unwrap();
    assert_eq!(sc3.name, "best-relu-8");
    assert_eq!(sc3.training.unwrap().config.student.activation, veriregime_lab::model::Activation::Relu);
    let md = std::fs::read_to_string(out.join("REPORT.md")).unwrap();
    assert!(md.contains("Shipped by `veriregime train ship`") && md.contains("| best-relu-8 |") && md.contains("`models/student` = `best-relu-8`"), "{md}");
    let goal = md.lines().find(|l| l.starts_with("- `best-relu-8`: rho")).unwrap_or_else(|| panic!("{md}"));
    assert!(goal.contains("beats the same-size MLP without a teacher on test macro-F1"), "{goal}");

    // A fee-aware target: labels at +-0.5 %, recorded in the card, scored against them.
    let fee = out.join("ablation/labels-0.5");
    let o = Command::new(env!("CARGO_BIN_EXE_veriregime"))
        .args(["train", "student", "--from", "2024-01-02", "--to", "2024-01-07", "--hidden", "8", "--activation", "relu", "--epochs", "1", "--label-threshold", "0.5", "--out"])
        .arg(&fee)
        .arg("--data")
        .arg(root.path())
        .output()
        .unwrap();
    ok(&o);
    let (fc, _) = veriregime_lab::model::ModelCard::load(&fee).unwrap();
    assert_eq!((fc.thresholds.buy_above_pct, fc.thresholds.sell_below_pct), (0.5, -0.5));
    assert!(fc.data.split.contains("labels BUY above 0.5 %"), "{}", fc.data.split);
    let seed_labels: u64 = r["label_counts"][2][1].as_u64().unwrap();
    assert!(fc.metrics["test"].per_class.hold.support > seed_labels, "wider thresholds, more HOLD labels");
    research_commands_are_safe(root.path(), &out, &fee);

    // Is the signal worth following: the policy grid on validation, judged on test, in the report.
    let o = Command::new(env!("CARGO_BIN_EXE_veriregime"))
        .args(["train", "policy", "--symbols", "BTCUSDT", "--fee-sweep", "0,30", "--models"])
        .arg(&out)
        .arg("--model")
        .arg(format!("{},{}", out.join("student").display(), fee.display()))
        .arg("--data")
        .arg(root.path())
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(ok(&o).trim()).unwrap();
    assert_eq!(v["models"].as_array().unwrap().len(), 2);
    let policy = veriregime_core::policy::PolicyFile::read(&out.join("policy.json")).unwrap();
    assert_eq!(policy.model_onnx_sha256, sc3.onnx_sha256);
    assert_eq!(v["models"][0]["chosen"], policy.spec.to_string());
    let md = std::fs::read_to_string(out.join("REPORT.md")).unwrap();
    assert!(md.contains("## Is the signal worth following?") && md.contains("| labels-0.5 | ±0.5 % |"), "{md}");
    assert!(std::fs::metadata(out.join("value/student-BTCUSDT-test.png")).unwrap().len() > 10_000);
    let vr: veriregime_lab::model::study::StudyResults = serde_json::from_slice(&std::fs::read(out.join("REPORT.json")).unwrap()).unwrap();
    let vr = vr.value.expect("value recorded");
    assert_eq!(vr.models[0].markets[0].test_fee_sweep.len(), 2);
    assert_eq!(vr.models[0].markets[0].test.chosen.trades % 2, 0, "an open position is sold at the end");

    // Bad input: a range the archive does not hold is an error naming it; nothing is written.
    let o = Command::new(env!("CARGO_BIN_EXE_veriregime"))
        .args(["train", "study", "--quick", "--from", "2024-02-01", "--to", "2024-02-03", "--out"])
        .arg(root.path().join("none"))
        .arg("--checkpoints")
        .arg(root.path().join("none-ck"))
        .arg("--data")
        .arg(root.path())
        .output()
        .unwrap();
    assert!(!o.status.success());
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(e.contains("2024-02-01"), "{e}");
    assert!(!root.path().join("none").join("REPORT.md").exists());
}

/// Issue 24's researcher: training never overwrites a model folder without --force; a card's
/// recipe retrains as it is; `eval --split` scores exactly the card's splits; dates are strict; a
/// range past the archive or inside the training data is named.
fn research_commands_are_safe(root: &Path, out: &Path, fee: &Path) {
    use veriregime_lab::model::ModelCard;
    let bin = |args: &[&str], extra: &[&std::ffi::OsStr]| Command::new(env!("CARGO_BIN_EXE_veriregime")).args(args).args(extra).arg("--data").arg(root).output().unwrap();
    let student = |extra: &[&str], out: &Path| {
        let base = ["train", "student", "--from", "2024-01-02", "--to", "2024-01-07", "--epochs", "1"];
        bin(&[&base[..], extra].concat(), &["--out".as_ref(), out.as_os_str()])
    };
    // The same student into the same folder: refused, the folder untouched; --force replaces it.
    let card = std::fs::read(fee.join("card.json")).unwrap();
    let o = student(&["--hidden", "8", "--activation", "relu", "--label-threshold", "0.5"], fee);
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success() && e.contains("already holds a model") && e.contains("--force"), "{e}");
    assert_eq!(std::fs::read(fee.join("card.json")).unwrap(), card);
    // The recipe of a card, retrained: the same configuration and thresholds, the same weights.
    let again = out.join("ablation/labels-0.5-again");
    let o = student(&["--recipe-from", fee.join("card.json").to_str().unwrap()], &again);
    let v: serde_json::Value = serde_json::from_str(ok(&o).trim()).unwrap();
    assert!(v["wall_s"].as_f64().unwrap() >= v["stages_s"]["data"].as_f64().unwrap() + v["stages_s"]["train_and_write"].as_f64().unwrap() - 1e-3, "{v}");
    let (a, b) = (ModelCard::read(fee).unwrap(), ModelCard::read(&again).unwrap());
    assert_eq!(a.training.as_ref().unwrap().config, b.training.as_ref().unwrap().config);
    assert_eq!(a.thresholds, b.thresholds);
    assert_eq!(a.onnx_sha256, b.onnx_sha256, "same recipe, same seed, same data: the same model");
    // A distilled recipe needs its teacher; a labels-only one refuses one; recipe flags conflict.
    let o = student(&["--recipe-from", out.join("student").to_str().unwrap()], &out.join("x1"));
    assert!(!o.status.success() && String::from_utf8_lossy(&o.stderr).contains("give --teacher"), "{}", String::from_utf8_lossy(&o.stderr));
    let o = student(&["--recipe-from", fee.to_str().unwrap(), "--teacher", out.join("teacher").to_str().unwrap()], &out.join("x2"));
    assert!(!o.status.success() && String::from_utf8_lossy(&o.stderr).contains("labels only"), "{}", String::from_utf8_lossy(&o.stderr));
    let o = student(&["--recipe-from", fee.to_str().unwrap(), "--hidden", "4"], &out.join("x3"));
    assert!(!o.status.success() && String::from_utf8_lossy(&o.stderr).contains("cannot be used with"), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(!out.join("x1").exists() && !out.join("x2").exists() && !out.join("x3").exists());

    // eval --split: the card's own windows, the card's own figures.
    let shipped = out.join("student");
    let sc = ModelCard::read(&shipped).unwrap();
    for split in ["train", "val", "test"] {
        let o = bin(&["eval", "--split", split, "--json"], &["--model".as_ref(), shipped.as_os_str()]);
        let m: veriregime_core::model::Metrics = serde_json::from_str(ok(&o).trim()).unwrap();
        let n = [sc.data.n_train, sc.data.n_val, sc.data.n_test][["train", "val", "test"].iter().position(|s| *s == split).unwrap()];
        assert_eq!(m.n, n as u64, "{split}");
        if let Some(card_m) = sc.metrics.get(split) {
            assert_eq!(m.confusion, card_m.confusion, "{split}: eval --split scores what the card recorded");
        }
        let warned = String::from_utf8_lossy(&o.stderr).contains("not out of sample");
        assert_eq!(warned, split != "test", "{split}: {}", String::from_utf8_lossy(&o.stderr));
    }
    // Days: a two-digit year, a range past the archive, a range of training days.
    let eval = |from: &str, to: &str| bin(&["eval", "--from", from, "--to", to, "--json"], &["--model".as_ref(), shipped.as_os_str()]);
    let o = eval("24-01-02", "24-01-03");
    assert!(!o.status.success() && String::from_utf8_lossy(&o.stderr).contains("is not YYYY-MM-DD"), "{}", String::from_utf8_lossy(&o.stderr));
    let o = eval("2024-01-05", "2024-02-01");
    assert!(!o.status.success() && String::from_utf8_lossy(&o.stderr).contains("runs past"), "{}", String::from_utf8_lossy(&o.stderr));
    let o = eval("2024-01-02", "2024-01-03");
    ok(&o);
    assert!(String::from_utf8_lossy(&o.stderr).contains("train split"), "{}", String::from_utf8_lossy(&o.stderr));
}

fn sc_recipe(out: &Path) -> veriregime_lab::model::TrainConfig {
    veriregime_lab::model::ModelCard::read(out.join("student")).unwrap().training.unwrap().config
}

/// The shipped models are the study's: their cards carry the report's figures, the teacher is
/// the seed's architecture, the student is distilled, and both load (hash and feature spec).
#[test]
fn shipped_models_match_the_report() {
    use veriregime_lab::model::{Architecture, ModelCard, SEED_TEACHER_PARAMS};
    let models = project_root().join("models");
    let r: serde_json::Value = serde_json::from_slice(&std::fs::read(models.join("REPORT.json")).unwrap()).unwrap();
    let (tc, _) = ModelCard::load(models.join("teacher")).unwrap();
    let (sc, _) = ModelCard::load(models.join("student")).unwrap();
    assert_eq!(tc.param_count, SEED_TEACHER_PARAMS);
    assert!(matches!(tc.architecture, Architecture::Cnn(_)));
    assert!(matches!(sc.architecture, Architecture::Mlp(_)));
    let find = |list: &str, name: &serde_json::Value| {
        r[list].as_array().unwrap().iter().find(|x| &x["name"] == name).cloned().unwrap_or_else(|| panic!("{name} not in {list}"))
    };
    let t = find("teacher_variants", &r["teacher"]);
    // The shipped student is one of the study's sizes, or the one `train ship` recorded.
    let s = if r["shipped_from"].is_object() { r["shipped_from"].clone() } else { find("students", &r["shipped_student"]) };
    assert_eq!(s["name"], r["shipped_student"]);
    for (card, rec) in [(&tc, &t), (&sc, &s)] {
        for split in ["val", "test"] {
            assert_eq!(card.metrics[split].macro_f1, rec[split]["macro_f1"].as_f64().unwrap(), "{} {split}", card.name);
            assert_eq!(card.metrics[split].accuracy, rec[split]["accuracy"].as_f64().unwrap(), "{} {split}", card.name);
        }
        assert!(card.parity_max_abs_diff.unwrap() < 1e-3);
    }
    assert!(sc.training.as_ref().unwrap().config.distill.is_some());
    // The circuit proves this student.
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(project_root().join("circuits/student/manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["sha256"]["network.onnx"], sc.onnx_sha256.as_str());
}

#[test]
fn real_archive_eval_of_the_shipped_teacher() {
    let Some(root) = shared() else { return };
    let o = bin(&["eval", "--model", "models/teacher", "--from", "2024-03-25", "--to", "2024-03-30", "--json"], &root);
    let v: serde_json::Value = serde_json::from_str(ok(&o).trim()).unwrap();
    assert!(v["n"].as_u64().unwrap() > 6 * 1400);
    assert!(v["macro_f1"].as_f64().unwrap() > 0.25, "{v}");
}

/// `backtest --json`'s outcome of one strategy: return and trades, and the rest of the accounts.
fn outcome(v: &serde_json::Value, which: &str) -> (f64, u64) {
    let o = &v[which];
    for f in ["return_before_costs", "timing", "turnover", "exposure", "max_drawdown", "round_trips"] {
        assert!(o[f].is_number(), "{which}.{f} missing: {v}");
    }
    (o["return"].as_f64().unwrap_or_else(|| panic!("{which}.return: {v}")), o["trades"].as_u64().unwrap_or_else(|| panic!("{which}.trades: {v}")))
}

#[test]
fn backtest_prints_policy_and_baselines_and_names_bad_input() {
    let root = synth_root(3);
    let args = ["backtest", "--from", "2024-01-02", "--to", "2024-01-02", "--json"];
    let v: serde_json::Value = serde_json::from_str(ok(&bin(&args, root.path())).trim()).unwrap();
    assert_eq!(v["rounds"], 1440);
    assert_eq!(outcome(&v, "always_flat"), (0.0, 0));
    // Bought once, sold at the end.
    assert_eq!(outcome(&v, "buy_and_hold").1, 2);
    let (ret, trades) = outcome(&v, "policy");
    assert!(trades % 2 == 0 && ret >= -1.0, "{v}");
    assert_eq!(v["policy_spec"]["persist"], 1);
    for c in ["SELL", "HOLD", "BUY"] {
        assert!(v["edge"][c]["n"].is_u64(), "{v}");
    }
    // Without costs the accounts equal the gross ones.
    let free: serde_json::Value = serde_json::from_str(ok(&bin(&[&args[..], &["--fee-bps", "0"]].concat(), root.path())).trim()).unwrap();
    assert_eq!(free["policy"]["return"], free["policy"]["return_before_costs"]);
    // A policy that never qualifies a signal does nothing.
    let calm: serde_json::Value = serde_json::from_str(ok(&bin(&[&args[..], &["--policy", "margin=1000"]].concat(), root.path())).trim()).unwrap();
    assert_eq!(outcome(&calm, "policy"), (0.0, 0));
    // Bad input is named.
    for (extra, what) in [(&["--policy", "persist=0"][..], "persist"), (&["--policy", "hold=3"][..], "unknown parameter"), (&["--fee-bps=-1"][..], "fee")] {
        let o = bin(&[&args[..], extra].concat(), root.path());
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success() && err.contains(what), "{extra:?}: {err}");
    }
    let o = bin(&["backtest", "--from", "2030-01-01", "--to", "2030-01-02"], root.path());
    assert!(!o.status.success() && String::from_utf8_lossy(&o.stderr).contains("does not meet the range"), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn real_archive_backtest_of_the_shipped_student() {
    let Some(root) = shared() else { return };
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("eq.png");
    let args = ["backtest", "--symbol", "ETHUSDT", "--from", "2024-03-01", "--to", "2024-03-03", "--json", "--png"];
    let o = bin(&[&args[..], &[png.to_str().unwrap()]].concat(), &root);
    let v: serde_json::Value = serde_json::from_str(ok(&o).trim()).unwrap();
    assert_eq!((v["symbol"].as_str(), v["rounds"].as_u64()), (Some("ETHUSDT"), Some(3 * 1440)));
    let (ret, trades) = outcome(&v, "policy");
    // The vault rule trades on real signals, and fees cost it.
    assert!(trades > 10, "{v}");
    assert!(ret < v["policy"]["return_before_costs"].as_f64().unwrap(), "{v}");
    assert!(v["policy"]["turnover"].as_f64().unwrap() >= trades as f64 * 0.5, "{v}");
    assert_eq!(outcome(&v, "always_flat"), (0.0, 0));
    assert_eq!(outcome(&v, "buy_and_hold").1, 2);
    assert!(std::fs::metadata(&png).unwrap().len() > 10_000);
    // The model's own test split, to the minute: the card's test accuracy and macro-F1.
    let o = bin(&["backtest", "--split", "test", "--json"], &root);
    let v: serde_json::Value = serde_json::from_str(ok(&o).trim()).unwrap();
    let card: serde_json::Value = serde_json::from_slice(&std::fs::read(project_root().join("models/student/card.json")).unwrap()).unwrap();
    assert_eq!(v["classification"]["n"], card["metrics"]["test"]["n"]);
    assert!((v["classification"]["accuracy"].as_f64().unwrap() - card["metrics"]["test"]["accuracy"].as_f64().unwrap()).abs() < 1e-12, "{v}");
    // The committed policy file replays.
    let o = bin(&["backtest", "--split", "test", "--json", "--policy", "models/policy.json"], &root);
    let p: serde_json::Value = serde_json::from_str(ok(&o).trim()).unwrap();
    assert!(outcome(&p, "policy").1 < outcome(&v, "policy").1, "{p}");
}
