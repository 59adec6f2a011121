//! `models/REPORT.md` and its JSON twin `models/REPORT.json`, written from [`StudyResults`].

use super::frontier::{FrontierRecord, OffsetPoint};
use super::metrics::Metrics;
use super::plot;
use super::study::{RunRecord, StudyResults};
use veriregime_core::features::CLASS_NAMES;
use plotters::prelude::*;
use std::fmt::Write;
use std::path::Path;

pub const REPORT_FILE: &str = "REPORT.md";
pub const RESULTS_FILE: &str = "REPORT.json";
pub const STUDENTS_PNG: &str = "students.png";
pub const FRONTIER_PNG: &str = "frontier.png";

/// The seed's reported validation figures of its distilled student (reference only).
pub const SEED_VAL_ACCURACY: f64 = 0.5054;
pub const SEED_VAL_MACRO_F1: f64 = 0.3875;

fn pct(v: f64) -> String {
    format!("{:.2} %", 100.0 * v)
}

fn row(r: &RunRecord, teacher: &RunRecord, mark: &str) -> String {
    row_of(&format!("{}{mark}", r.name), &r.kind, r.params, r.macs, &r.val, &r.test, teacher)
}

#[allow(clippy::too_many_arguments)]
fn row_of(name: &str, kind: &str, params: usize, macs: usize, val: &Metrics, test: &Metrics, teacher: &RunRecord) -> String {
    format!(
        "| {} | {} | {} | {} | {} | {:.4} | {} | {:.4} | {} | {} |",
        name,
        kind,
        if params > 0 { params.to_string() } else { "-".into() },
        if macs > 0 { macs.to_string() } else { "-".into() },
        pct(val.accuracy),
        val.macro_f1,
        pct(test.accuracy),
        test.macro_f1,
        pct(test.accuracy / teacher.test.accuracy),
        pct(test.macro_f1 / teacher.test.macro_f1),
    )
}

fn per_class(out: &mut String, name: &str, m: &Metrics) {
    let _ = writeln!(out, "\n**{name}** (test, n = {}): confusion rows = true, columns = predicted (SELL, HOLD, BUY): `{:?}`\n", m.n, m.confusion);
    let _ = writeln!(out, "| class | precision | recall | F1 | support |\n|---|---|---|---|---|");
    for (c, cname) in CLASS_NAMES.iter().enumerate() {
        let k = m.per_class.get(c);
        let _ = writeln!(out, "| {cname} | {:.4} | {:.4} | {:.4} | {} |", k.precision, k.recall, k.f1, k.support);
    }
}

fn yes(ok: bool) -> &'static str {
    if ok {
        "yes"
    } else {
        "no"
    }
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "**met**"
    } else {
        "**not met**"
    }
}

/// Writes `out/REPORT.md`, `out/REPORT.json`, `out/students.png` and, with a frontier,
/// `out/frontier.png`.
pub fn write_report(r: &StudyResults, out: &Path) -> anyhow::Result<()> {
    veriregime_core::write_atomic(&out.join(RESULTS_FILE), (serde_json::to_string_pretty(r)? + "\n").as_bytes())?;
    plot_students(r, &out.join(STUDENTS_PNG))?;
    if let Some(f) = &r.frontier {
        plot_frontier(f, &r.teacher, &out.join(FRONTIER_PNG))?;
    }

    let runs_s: f64 = r.teacher_variants.iter().chain(&r.baselines).chain(&r.grid).chain(&r.students).chain(&r.no_teacher).map(|x| x.wall_s).sum::<f64>()
        + r.subsample_ablation.iter().map(|(_, x)| x.wall_s).sum::<f64>();
    let teacher = r.teacher_variants.iter().find(|t| t.name == r.teacher).expect("chosen teacher is recorded");
    // (name, test metrics) of the shipped student: one of the sweep's, or one `train ship` chose.
    let shipped = match &r.shipped_from {
        Some(x) => (x.name.as_str(), &x.test),
        None => r.students.iter().find(|s| s.name == r.shipped_student).map(|s| (s.name.as_str(), &s.test)).expect("shipped student is recorded"),
    };
    let mut s = String::new();
    let _ = writeln!(s, "# Teacher, students and distillation on BTCUSDT 1m\n");
    let _ = writeln!(
        s,
        "Written by `veriregime train study` on {} ({}); every figure below was measured by its runs, on {}. \
         `REPORT.json` beside this file holds the same figures. Training time: the runs' wall times add up to \
         **{:.1} min**; the last invocation took {:.1} min (runs finished earlier are read back from the checkpoint \
         folder, not retrained).\n",
        r.created,
        r.data.symbol,
        r.machine,
        runs_s / 60.0,
        r.wall_s / 60.0
    );
    let _ = writeln!(s, "Shipped: `models/teacher` = `{}`, `models/student` = `{}`.\n", r.teacher, r.shipped_student);

    // Data.
    let _ = writeln!(s, "## Data\n");
    let _ = writeln!(
        s,
        "{}..{} ({}), {}.\n\n| split | windows | SELL | HOLD | BUY |\n|---|---|---|---|---|",
        r.data.from, r.data.to, r.data.interval, r.data.split
    );
    for (name, c) in ["train", "val", "test"].iter().zip(&r.label_counts) {
        let n: u64 = c.iter().sum();
        let f = |k: usize| format!("{} ({:.1} %)", c[k], 100.0 * c[k] as f64 / n.max(1) as f64);
        let _ = writeln!(s, "| {name} | {n} | {} | {} | {} |", f(0), f(1), f(2));
    }
    let _ = writeln!(
        s,
        "\nThe seed's own label table (its Table 3) is not in this repository, so only its headline figures \
         (validation accuracy {}, macro-F1 {}) are compared below. HOLD dominates every split; the share of \
         SELL/BUY moves with the market's volatility between periods, which is why accuracy and macro-F1 \
         differ between validation and test.\n",
        pct(SEED_VAL_ACCURACY),
        SEED_VAL_MACRO_F1
    );

    // Summary.
    let _ = writeln!(s, "## All models\n");
    let _ = writeln!(
        s,
        "rho = test accuracy / teacher's test accuracy; F1 ret. = test macro-F1 / teacher's.\n\n\
         | model | kind | params | MACs | val acc | val macro-F1 | test acc | test macro-F1 | rho | F1 ret. |\n|---|---|---|---|---|---|---|---|---|---|"
    );
    let _ = writeln!(s, "{}", row(teacher, teacher, " (shipped: `models/teacher`)"));
    // The shipped student comes second: `train ship` may have taken it from outside the sweep.
    if let Some(x) = &r.shipped_from {
        let name = format!("**{}** (shipped: `models/student`, from `{}`)", x.name, x.dir);
        let _ = writeln!(s, "{}", row_of(&name, "student (`train ship`)", x.params, x.macs, &x.val, &x.test, teacher));
    }
    for x in r.students.iter().chain(&r.no_teacher).chain(&r.baselines) {
        let mark = if r.shipped_from.is_none() && x.name == r.shipped_student { " (shipped: `models/student`)" } else { "" };
        let _ = writeln!(s, "{}", row(x, teacher, mark));
    }
    let _ = writeln!(s, "| seed (reported, val only) | student | 64329 | 64096 | {} | {} | - | - | - | - |", pct(SEED_VAL_ACCURACY), SEED_VAL_MACRO_F1);
    let _ = writeln!(s, "\n![test macro-F1 against multiply-accumulates; the shipped student is the star](students.png)\n");

    // Goals.
    let _ = writeln!(s, "## Goals\n");
    let best_baseline = r.baselines.iter().chain(&r.no_teacher).map(|b| (b.test.macro_f1, b.name.as_str())).fold((0.0, ""), |a, b| if b.0 > a.0 { b } else { a });
    let _ = writeln!(
        s,
        "- Teacher beats every baseline on test macro-F1: {} ({:.4} vs best baseline `{}` {:.4}).",
        verdict(teacher.test.macro_f1 > best_baseline.0),
        teacher.test.macro_f1,
        best_baseline.1,
        best_baseline.0
    );
    let _ = writeln!(
        s,
        "- Teacher beats the seed's reported figures (val accuracy {}, macro-F1 {}): accuracy {} ({}), macro-F1 {} ({:.4}).",
        pct(SEED_VAL_ACCURACY),
        SEED_VAL_MACRO_F1,
        verdict(teacher.val.accuracy > SEED_VAL_ACCURACY),
        pct(teacher.val.accuracy),
        verdict(teacher.val.macro_f1 > SEED_VAL_MACRO_F1),
        teacher.val.macro_f1
    );
    if let Some(f) = &r.frontier {
        let beats: Vec<&str> = f.models.iter().filter(|m| m.beats_target).map(|m| m.name.as_str()).collect();
        let best_acc = f.models.iter().filter_map(|m| m.best_accuracy_at_target_f1.map(|p| (p, m))).max_by(|a, b| a.0.val_accuracy.total_cmp(&b.0.val_accuracy));
        let best_f1 = f.models.iter().filter_map(|m| m.best_f1_at_target_accuracy.map(|p| (p, m))).max_by(|a, b| a.0.val_macro_f1.total_cmp(&b.0.val_macro_f1));
        let _ = write!(
            s,
            "  At any decision offset (see [Accuracy against macro-F1](#accuracy-against-macro-f1)), {} of the {} teachers traced beats both figures at once{}",
            if beats.is_empty() { "none".to_string() } else { beats.len().to_string() },
            f.models.len(),
            if beats.is_empty() { "" } else { ":" }
        );
        if beats.is_empty() {
            if let (Some((a, am)), Some((b, bm))) = (best_acc, best_f1) {
                let _ = write!(
                    s,
                    ". Best points reached: validation accuracy {} at macro-F1 {:.4} (`{}`), and macro-F1 {:.4} at accuracy {} (`{}`).",
                    pct(a.val_accuracy),
                    a.val_macro_f1,
                    am.name,
                    b.val_macro_f1,
                    pct(b.val_accuracy),
                    bm.name
                );
            }
        } else {
            for m in f.models.iter().filter(|m| m.beats_target) {
                // The point beating the accuracy by the most among those at the seed's F1 or above.
                if let Some(p) = m.best_accuracy_at_target_f1 {
                    let _ = write!(
                        s,
                        " `{}` at offsets {:+.3}/{:+.3}: validation {} / {:.4}, margins {:+.2} points / {:+.4} (test {} / {:.4});",
                        m.name,
                        p.sell,
                        p.buy,
                        pct(p.val_accuracy),
                        p.val_macro_f1,
                        100.0 * (p.val_accuracy - f.target_accuracy),
                        p.val_macro_f1 - f.target_macro_f1,
                        pct(p.test_accuracy),
                        p.test_macro_f1
                    );
                }
            }
            let _ = write!(s, " the offsets were chosen on validation itself.");
        }
        let _ = writeln!(s);
    }
    let sweep = r.students.iter().map(|st| (st.name.as_str(), st.macs, &st.test));
    for (name, macs, test) in sweep.chain(r.shipped_from.iter().map(|x| (x.name.as_str(), x.macs, &x.test))) {
        let nt = no_teacher_baseline(&r.no_teacher, macs);
        let rho = test.accuracy / teacher.test.accuracy;
        let fr = test.macro_f1 / teacher.test.macro_f1;
        let _ = write!(
            s,
            "- `{}`: rho {} (goal >= 98 %: {}; seed's criteria 80 / 85 / 90 %: {} / {} / {}), macro-F1 retention {} (goal >= 95 %: {})",
            name,
            pct(rho),
            verdict(rho >= 0.98),
            yes(rho >= 0.80),
            yes(rho >= 0.85),
            yes(rho >= 0.90),
            pct(fr),
            verdict(fr >= 0.95)
        );
        if let Some(nt) = nt {
            let _ = write!(
                s,
                "; beats {} on test macro-F1: {} ({:.4} vs {:.4})",
                if nt.macs == macs {
                    "the same-size MLP without a teacher".to_string()
                } else {
                    format!("`{}`, a larger MLP ({} MACs) trained without a teacher", nt.name, nt.macs)
                },
                verdict(test.macro_f1 > nt.test.macro_f1),
                test.macro_f1,
                nt.test.macro_f1
            );
        }
        let _ = writeln!(s, ".");
    }
    if let (Some(big_nt), Some(lr)) = (r.no_teacher.first(), r.baselines.iter().find(|b| b.name == "logistic")) {
        let _ = writeln!(
            s,
            "- The seed's claim that naive shallow MLPs lose 20-40 % {}: the seed-size MLP trained on labels reaches {} of the \
             teacher's test accuracy and {} of its macro-F1; logistic regression {} and {}.",
            {
                let loss = 1.0 - big_nt.test.macro_f1 / teacher.test.macro_f1;
                if (0.2..=0.4).contains(&loss) { "**holds** for macro-F1" } else { "**does not hold** here" }
            },
            pct(big_nt.test.accuracy / teacher.test.accuracy),
            pct(big_nt.test.macro_f1 / teacher.test.macro_f1),
            pct(lr.test.accuracy / teacher.test.accuracy),
            pct(lr.test.macro_f1 / teacher.test.macro_f1)
        );
    }
    let _ = writeln!(
        s,
        "- Training speed (goal: teacher + students + baselines <= 60 min on this 2-core machine): the last `train study` \
         invocation took {:.1} min; its runs' wall times add up to {:.1} min (a run resumed from a checkpoint counts from \
         its resume; with nothing cached the invocation's time is the whole study's): {}.\n",
        r.wall_s / 60.0,
        runs_s / 60.0,
        verdict(r.wall_s <= 3600.0 && runs_s <= 3600.0)
    );

    if let Some(v) = &r.value {
        s.push_str(&crate::backtest::select::markdown(v));
        s.push('\n');
    }

    // Teacher variants.
    let _ = writeln!(s, "## Teacher\n");
    let _ = writeln!(
        s,
        "The seed's Algorithm 1: Conv1D(64, k=5) + BN + ReLU + MaxPool(2), Conv1D(128, k=3) + BN + ReLU + MaxPool(2), \
         global average pool, FC(3); {} trainable parameters (asserted), \"same\" padding. Batch norm is folded into the \
         convolutions in the ONNX file. Variants of the seed's recipe and its planned remedies; the shipped teacher is the \
         best validation macro-F1 (model selection and early stopping on every {}-th validation window, reported \
         figures on all).\n",
        teacher.params, r.plan.val_monitor_stride
    );
    let _ = writeln!(s, "| variant | recipe | best epoch / run | wall | ms/batch | val acc | val macro-F1 | test acc | test macro-F1 |\n|---|---|---|---|---|---|---|---|---|");
    for t in &r.teacher_variants {
        let _ = writeln!(
            s,
            "| {}{} | {} | {} / {} | {:.0} s | {:.0} | {} | {:.4} | {} | {:.4} |",
            t.name,
            if t.name == r.teacher { " (shipped)" } else { "" },
            t.description,
            t.best_epoch,
            t.epochs_run,
            t.wall_s,
            t.ms_per_batch,
            pct(t.val.accuracy),
            t.val.macro_f1,
            pct(t.test.accuracy),
            t.test.macro_f1
        );
    }
    let seed_t = r.teacher_variants.first();
    let _ = writeln!(
        s,
        "\nWinner: `{}` ({}). Against the seed's plain recipe (`{}`): validation macro-F1 {:+.4}, test macro-F1 {:+.4}, \
         test accuracy {:+.2} points.",
        teacher.name,
        teacher.description,
        seed_t.map(|t| t.name.as_str()).unwrap_or("-"),
        teacher.val.macro_f1 - seed_t.map(|t| t.val.macro_f1).unwrap_or(0.0),
        teacher.test.macro_f1 - seed_t.map(|t| t.test.macro_f1).unwrap_or(0.0),
        100.0 * (teacher.test.accuracy - seed_t.map(|t| t.test.accuracy).unwrap_or(0.0))
    );
    let _ = writeln!(s, "\nCurves: `study/<variant>/training.png`; confusion: `study/<variant>/confusion_test.png`.");
    per_class(&mut s, &r.teacher, &teacher.test);
    if let Some(f) = &r.frontier {
        frontier_section(&mut s, f);
    }

    // Speed.
    let _ = writeln!(s, "\n## Training speed\n");
    let _ = writeln!(
        s,
        "A teacher step (batch 256, forward + backward + AdamW) costs {:.0} ms here (the issue's probe: ~320 ms with candle's conv1d). \
         What made it faster: convolutions as unfold + one GEMM on the time-major window, max-pool before ReLU, and mimalloc \
         (glibc returned the freed megabyte buffers to the kernel every step; a quarter of the step was page faults). \
         Neighbouring windows share 59 of 60 minutes, so each epoch draws a fresh random subset (1/{} for the teacher). \
         The ablation below measures on validation what subsampling costs, on the seed-size MLP trained on labels: \
         at the same number of epochs (less compute) and at the same number of steps (same compute):\n",
        teacher.ms_per_batch,
        teacher.config.as_ref().map(|c| c.subsample).unwrap_or(1)
    );
    let _ = writeln!(s, "| windows per epoch | epochs | steps | wall | val acc | val macro-F1 |\n|---|---|---|---|---|---|");
    for (k, a) in &r.subsample_ablation {
        let bs = a.config.as_ref().map(|c| c.batch_size).unwrap_or(256);
        let steps = a.epochs_run * (r.data.n_train / k).div_ceil(bs);
        let _ = writeln!(s, "| 1/{k} | {} | {steps} | {:.0} s | {} | {:.4} |", a.epochs_run, a.wall_s, pct(a.val.accuracy), a.val.macro_f1);
    }

    // Distillation.
    let _ = writeln!(s, "\n## Distillation\n");
    let _ = writeln!(
        s,
        "L = alpha CE(y, s) + beta T^2 KL(softmax(t/T) || softmax(s/T)) + gamma (l1 mean|W| + l2 mean ReLU(|w| - tau)) \
         (means over all weights, so the factors do not depend on the model size). Grid on the MLP {:?} with the shipped \
         teacher's logits (from its ONNX file), {}; winner by validation macro-F1.\n",
        r.plan.grid_hidden,
        r.grid.first().and_then(|g| g.config.as_ref()).map(|c| format!("{} epochs, 1/{} windows per epoch", c.epochs, c.subsample)).unwrap_or_default()
    );
    let _ = writeln!(s, "| # | alpha | beta | T | gamma | l1 | l2 | tau | val acc | val macro-F1 |\n|---|---|---|---|---|---|---|---|---|---|");
    for (i, (g, (d, reg))) in r.grid.iter().zip(&r.plan.grid).enumerate() {
        let (gm, l1, l2, tau) = reg.as_ref().map(|x| (x.gamma, x.l1, x.l2, x.tau)).unwrap_or((0.0, 0.0, 0.0, 0.0));
        let _ = writeln!(
            s,
            "| {i}{} | {} | {} | {} | {gm} | {l1} | {l2} | {tau} | {} | {:.4} |",
            if i == r.grid_winner { " (winner)" } else { "" },
            d.alpha,
            d.beta,
            d.temperature,
            pct(g.val.accuracy),
            g.val.macro_f1
        );
    }

    // Students.
    let _ = writeln!(s, "\n## Students\n");
    let _ = writeln!(
        s,
        "Each size distilled with the grid's winner and trained without a teacher on the same recipe ({}). The shipped \
         student is the smallest whose validation macro-F1 is within 0.01 of the best distilled student: proving time grows \
         with the circuit, and the circuits benchmark trades the rest.\n",
        super::study::describe_cfg(&r.plan.student_cfg)
    );
    let _ = writeln!(s, "| student | params | MACs (of seed's) | best epoch / run | wall | val macro-F1 | test acc | test macro-F1 | no teacher: test acc | test macro-F1 |\n|---|---|---|---|---|---|---|---|---|---|");
    let seed_macs = r.students.first().map(|x| x.macs).unwrap_or(1) as f64;
    for st in &r.students {
        let nt = r.no_teacher.iter().find(|n| n.macs == st.macs);
        let _ = writeln!(
            s,
            "| {}{} | {} | {} ({:.0} %) | {} / {} | {:.0} s | {:.4} | {} | {:.4} | {} | {} |",
            st.name,
            if st.name == r.shipped_student { " (shipped)" } else { "" },
            st.params,
            st.macs,
            100.0 * st.macs as f64 / seed_macs,
            st.best_epoch,
            st.epochs_run,
            st.wall_s,
            st.val.macro_f1,
            pct(st.test.accuracy),
            st.test.macro_f1,
            nt.map(|n| pct(n.test.accuracy)).unwrap_or_default(),
            nt.map(|n| format!("{:.4}", n.test.macro_f1)).unwrap_or_default(),
        );
    }
    if let Some(x) = &r.shipped_from {
        let _ = writeln!(
            s,
            "\n### Shipped by `veriregime train ship`\n\nThe same rule, applied by `veriregime train ship` on {} to the students above and to the folders it was given (every row below), shipped `{}` (`{}`: {}, {} MACs, {} parameters) as `models/student`:\n\n| candidate | MACs | val macro-F1 | |\n|---|---|---|---|",
            x.created, x.name, x.dir, x.architecture, x.macs, x.params
        );
        let best = x.candidates.iter().map(|c| c.2).fold(f64::NEG_INFINITY, f64::max);
        for (name, macs, f1) in &x.candidates {
            let verdict = if *name == x.name {
                "**shipped**"
            } else if *f1 >= best - super::study::SHIP_F1_SLACK {
                "within the slack, larger"
            } else {
                "below the slack"
            };
            let _ = writeln!(s, "| {name} | {macs} | {f1:.4} | {verdict} |");
        }
        let _ = writeln!(s, "\nTest: accuracy {}, macro-F1 {:.4}.", pct(x.test.accuracy), x.test.macro_f1);
    }
    per_class(&mut s, shipped.0, shipped.1);
    let _ = writeln!(
        s,
        "\nEvery model folder under `study/` holds `network.onnx` (written from Rust, tract parity checked on 2,000 test \
         windows), `card.json`, `training.png` and `confusion_test.png`.\n\nReproduce: `veriregime train study --data \
         ../shared/data/binance-vision --out models --force` (`--force`: it overwrites the shipped models; resumes from \
         `target/train-checkpoints` if interrupted). `veriregime eval --split test --model models/student --data ROOT` \
         scores one model's test split exactly as above."
    );
    veriregime_core::write_atomic(&out.join(REPORT_FILE), s.as_bytes())
}

fn err<E: std::fmt::Debug>(e: E) -> anyhow::Error {
    anyhow::anyhow!("plotting: {e:?}")
}

/// The teachers' accuracy / macro-F1 fronts against the seed's point.
fn frontier_section(s: &mut String, f: &FrontierRecord) {
    let _ = writeln!(s, "\n## Accuracy against macro-F1\n");
    let _ = writeln!(
        s,
        "Accuracy rewards HOLD, the largest class of every split; macro-F1 rewards SELL and BUY. One set of weights can \
         be moved along that trade-off by adding constant offsets to its SELL and BUY logits (HOLD is the reference). \
         `veriregime train frontier` swept every pair in -{r}..{r} (step {st}) on validation, on {n} teachers, on {c}. \
         The offsets are chosen on the validation split they are scored on, so those figures are optimistic; \
         test is scored with the same offsets.\n",
        r = f.offset_range,
        st = f.offset_step,
        n = f.models.len(),
        c = f.created
    );
    let _ = writeln!(
        s,
        "| teacher | recipe | as trained: val acc / F1 | best val acc at val F1 >= {tf} | (test acc / F1) | best val F1 at val acc >= {ta} | (test acc / F1) | beats both |\n|---|---|---|---|---|---|---|---|",
        tf = f.target_macro_f1,
        ta = pct(f.target_accuracy)
    );
    let point = |p: &Option<OffsetPoint>, acc_first: bool| match p {
        Some(p) if acc_first => (
            format!("{} (F1 {:.4}; offsets {:+.3}/{:+.3})", pct(p.val_accuracy), p.val_macro_f1, p.sell, p.buy),
            format!("{} / {:.4}", pct(p.test_accuracy), p.test_macro_f1),
        ),
        Some(p) => (
            format!("{:.4} (acc {}; offsets {:+.3}/{:+.3})", p.val_macro_f1, pct(p.val_accuracy), p.sell, p.buy),
            format!("{} / {:.4}", pct(p.test_accuracy), p.test_macro_f1),
        ),
        None => ("none".into(), "-".into()),
    };
    for m in &f.models {
        let (a, at) = point(&m.best_accuracy_at_target_f1, true);
        let (b, bt) = point(&m.best_f1_at_target_accuracy, false);
        let _ = writeln!(
            s,
            "| {} | {} | {} / {:.4} | {a} | {at} | {b} | {bt} | {} |",
            m.name,
            m.recipe,
            pct(m.as_trained.val_accuracy),
            m.as_trained.val_macro_f1,
            yes(m.beats_target)
        );
    }
    let at_acc: Vec<f64> = f.models.iter().filter_map(|m| m.best_f1_at_target_accuracy.map(|p| p.val_macro_f1)).collect();
    if !at_acc.is_empty() {
        let (lo, hi) = at_acc.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| (a.min(v), b.max(v)));
        let _ = writeln!(
            s,
            "\nAt the seed's validation accuracy ({}) the teachers' fronts reach a macro-F1 of {:.4} to {:.4}, against the seed's {}: \
             the seed's point lies {}.",
            pct(f.target_accuracy),
            lo,
            hi,
            f.target_macro_f1,
            if hi < f.target_macro_f1 {
                "above every front"
            } else if lo > f.target_macro_f1 {
                "below every front"
            } else {
                "among the fronts, so a recipe here moves a model along much the same trade-off rather than past the seed"
            }
        );
    }
    let _ = writeln!(s, "\n![validation accuracy against macro-F1](frontier.png)");
}

/// Validation macro-F1 against accuracy: each teacher's front (a line of its own colour), its
/// as-trained point (a marker of its own shape, same colour), and the seed's reported point (a
/// black cross) with dashed guides through it: a point above and to the right of both beats the
/// seed on both figures. The key sits beside the chart, so it covers no data.
fn plot_frontier(f: &FrontierRecord, shipped_teacher: &str, path: &Path) -> anyhow::Result<()> {
    let text = plot::fonts_available();
    let root = BitMapBackend::new(path, (1180, 660)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let area = if text {
        root.titled("Teachers: validation accuracy against macro-F1, over SELL/BUY logit offsets", ("sans-serif", 21)).map_err(err)?
    } else {
        root.clone()
    };
    let (left, right) = area.split_horizontally(area.dim_in_pixel().0 as i32 - if text { 360 } else { 0 });
    let all = f.models.iter().flat_map(|m| m.front.iter().chain([&m.as_trained]));
    let (xs, ys): (Vec<f64>, Vec<f64>) = all.map(|p| (p.val_accuracy, p.val_macro_f1)).chain([(f.target_accuracy, f.target_macro_f1)]).unzip();
    // Zoom on the part of the fronts around the seed's point and the models as trained.
    let x0 = xs.iter().cloned().fold(1.0, f64::min).max(f.target_accuracy - 0.04);
    let x1 = xs.iter().cloned().fold(0.0, f64::max) + 0.002;
    let y0 = ys.iter().cloned().fold(1.0, f64::min).max(f.target_macro_f1 - 0.08);
    let y1 = ys.iter().cloned().fold(0.0, f64::max) + 0.005;
    let mut b = ChartBuilder::on(&left);
    b.margin(15);
    if text {
        b.x_label_area_size(45).y_label_area_size(65);
    }
    let mut chart = b.build_cartesian_2d(x0..x1, y0..y1).map_err(err)?;
    if text {
        let xfmt = |v: &f64| format!("{:.1} %", 100.0 * v);
        let yfmt = |v: &f64| format!("{v:.3}");
        chart
            .configure_mesh()
            .x_desc("validation accuracy")
            .y_desc("validation macro-F1")
            .x_label_formatter(&xfmt)
            .y_label_formatter(&yfmt)
            .light_line_style(BLACK.mix(0.04))
            .label_style(("sans-serif", 13))
            .draw()
            .map_err(err)?;
    }
    let guide = BLACK.mix(0.45).stroke_width(1);
    chart.draw_series(DashedLineSeries::new(vec![(f.target_accuracy, y0), (f.target_accuracy, y1)], 5, 5, guide)).map_err(err)?;
    chart.draw_series(DashedLineSeries::new(vec![(x0, f.target_macro_f1), (x1, f.target_macro_f1)], 5, 5, guide)).map_err(err)?;
    let mut key = vec![plot::KeyEntry::note("Teachers (line: front; marker: as trained)")];
    let mut marks = Vec::new();
    for (k, m) in f.models.iter().enumerate() {
        let c = plot::PALETTE[k % plot::PALETTE.len()];
        let shape = plot::MARKERS[k % plot::MARKERS.len()];
        let shipped = m.name == shipped_teacher;
        let w = if shipped { 4 } else { 2 };
        let pts: Vec<(f64, f64)> = m.front.iter().map(|p| (p.val_accuracy, p.val_macro_f1)).filter(|p| p.0 >= x0 && p.1 >= y0).collect();
        chart.draw_series(LineSeries::new(pts, c.stroke_width(w))).map_err(err)?;
        let p = (m.as_trained.val_accuracy, m.as_trained.val_macro_f1);
        if p.0 >= x0 && p.1 >= y0 {
            marks.push((chart.backend_coord(&p), shape, c));
        }
        key.push(plot::KeyEntry {
            bold: false,
            text: if shipped { format!("{} (shipped)", m.name) } else { m.name.clone() },
            line: Some((c.to_rgba(), w, false)),
            marker: Some((shape, c)),
        });
    }
    // Markers last, on top of every line.
    for (at, shape, c) in marks {
        plot::draw_marker(&root, at, shape, 6, c)?;
    }
    plot::draw_marker(&root, chart.backend_coord(&(f.target_accuracy, f.target_macro_f1)), plot::Marker::Cross, 9, BLACK)?;
    if text {
        key.push(plot::KeyEntry::note(""));
        key.push(plot::KeyEntry::note("Target"));
        key.push(plot::KeyEntry::marker(
            &format!("seed's reported point ({:.2} %, {:.4})", 100.0 * f.target_accuracy, f.target_macro_f1),
            plot::Marker::Cross,
            BLACK,
        ));
        key.push(plot::KeyEntry { bold: false, text: "through it: up and right beats both".into(), line: Some((BLACK.mix(0.45), 1, true)), marker: None });
        key.push(plot::KeyEntry::note(""));
        key.push(plot::KeyEntry::note("Front"));
        key.push(plot::KeyEntry::text("the SELL/BUY logit offsets (each"));
        key.push(plot::KeyEntry::text(&format!("-{r} to {r}, step {st}) that no other", r = f.offset_range, st = f.offset_step)));
        key.push(plot::KeyEntry::text("offset beats on both figures"));
        plot::draw_key(&right.margin(40, 0, 0, 0), &key, 14)?;
    }
    root.present().map_err(err)?;
    Ok(())
}

/// Test macro-F1 against multiply-accumulates (log scale): distilled students, the same MLPs
/// without a teacher, the shipped student (a star: `train ship` may have taken it from outside
/// the sweep), and horizontal lines for the teacher and logistic regression.
fn plot_students(r: &StudyResults, path: &Path) -> anyhow::Result<()> {
    let text = plot::fonts_available();
    let root = BitMapBackend::new(path, (1100, 580)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let area = if text { root.titled("Students: test macro-F1 against multiply-accumulates", ("sans-serif", 22)).map_err(err)? } else { root.clone() };
    let (left, right) = area.split_horizontally(area.dim_in_pixel().0 as i32 - if text { 350 } else { 0 });
    let pts = |v: &[RunRecord]| v.iter().filter(|x| x.macs > 0).map(|x| (x.macs as f64, x.test.macro_f1)).collect::<Vec<_>>();
    let (ds, nt) = (pts(&r.students), pts(&r.no_teacher));
    let teacher = r.teacher_variants.iter().find(|t| t.name == r.teacher);
    let teacher_f1 = teacher.map(|t| t.test.macro_f1).unwrap_or(0.0);
    let logistic = r.baselines.iter().find(|b| b.name == "logistic").map(|b| b.test.macro_f1);
    // The shipped student: chosen by `train ship`, or one of the sweep's.
    let shipped: Option<(String, f64, f64)> = match &r.shipped_from {
        Some(x) => Some((x.name.clone(), x.macs as f64, x.test.macro_f1)),
        None => r.students.iter().find(|s| s.name == r.shipped_student).map(|s| (s.name.clone(), s.macs as f64, s.test.macro_f1)),
    };
    let ys: Vec<f64> = ds.iter().chain(&nt).map(|p| p.1).chain([teacher_f1]).chain(logistic).chain(shipped.iter().map(|s| s.2)).collect();
    let (lo, hi) = (ys.iter().cloned().fold(1.0, f64::min) - 0.02, ys.iter().cloned().fold(0.0, f64::max) + 0.02);
    let xs: Vec<f64> = ds.iter().chain(&nt).map(|p| p.0).chain(shipped.iter().map(|s| s.1)).collect();
    anyhow::ensure!(!xs.is_empty(), "no students to plot");
    let (xl, xh) = (xs.iter().cloned().fold(f64::INFINITY, f64::min) / 1.5, xs.iter().cloned().fold(0.0, f64::max) * 1.5);
    let mut b = ChartBuilder::on(&left);
    b.margin(15).margin_right(25);
    if text {
        b.x_label_area_size(45).y_label_area_size(65);
    }
    let (ticks, light) = plot::log_ticks(xl, xh);
    let mut chart = b.build_cartesian_2d((xl..xh).log_scale().with_key_points(ticks).with_light_points(light), lo..hi).map_err(err)?;
    if text {
        let xfmt = |v: &f64| if *v >= 1000.0 { format!("{}k", v / 1000.0) } else { format!("{v:.0}") };
        let yfmt = |v: &f64| format!("{v:.2}");
        chart
            .configure_mesh()
            .x_desc("multiply-accumulates per inference (log scale)")
            .y_desc("test macro-F1")
            .x_label_formatter(&xfmt)
            .y_label_formatter(&yfmt)
            .light_line_style(BLACK.mix(0.04))
            .label_style(("sans-serif", 13))
            .draw()
            .map_err(err)?;
    }
    let teal = RGBColor(0, 128, 128);
    let (red, gold) = (RGBColor(214, 39, 40), RGBColor(255, 170, 0));
    chart.draw_series(LineSeries::new(vec![(xl, teacher_f1), (xh, teacher_f1)], BLACK.stroke_width(1))).map_err(err)?;
    if let Some(l) = logistic {
        chart.draw_series(DashedLineSeries::new(vec![(xl, l), (xh, l)], 8, 5, BLUE.stroke_width(1))).map_err(err)?;
    }
    chart.draw_series(LineSeries::new(ds.clone(), teal.stroke_width(3))).map_err(err)?;
    chart.draw_series(LineSeries::new(nt.clone(), red.stroke_width(2))).map_err(err)?;
    // Markers, then the sweep's sizes written beside them where they cover nothing.
    let mut at = Vec::new();
    let mut labels = Vec::new();
    for (x, p) in r.students.iter().filter(|x| x.macs > 0).zip(&ds) {
        at.push((chart.backend_coord(p), plot::Marker::Circle, teal, 6));
        labels.push(x_label(x));
    }
    for p in &nt {
        // The same sizes as the distilled ones, labelled there.
        at.push((chart.backend_coord(p), plot::Marker::Cross, red, 7));
        labels.push(String::new());
    }
    if let Some((name, m, f1)) = &shipped {
        at.push((chart.backend_coord(&(*m, *f1)), plot::Marker::Star, gold, 10));
        labels.push(name.clone());
    }
    for &(p, m, c, rad) in &at {
        plot::draw_marker(&root, p, m, rad, c)?;
    }
    if text {
        let font = ("sans-serif", 13).into_font();
        let sizes: Vec<(u32, u32)> = labels
            .iter()
            .map(|l| if l.is_empty() { (0, 0) } else { root.estimate_text_size(l, &TextStyle::from(font.clone())).unwrap_or((8 * l.len() as u32, 13)) })
            .collect();
        let pa = chart.plotting_area();
        let ((px0, py0), (px1, py1)) =
            (pa.get_base_pixel(), (pa.get_base_pixel().0 + pa.dim_in_pixel().0 as i32, pa.get_base_pixel().1 + pa.dim_in_pixel().1 as i32));
        // Labels stay off the lines too.
        let px = |v: &[(f64, f64)]| v.iter().map(|p| chart.backend_coord(p)).collect::<Vec<_>>();
        let mut avoid = plot::sample_polyline(&px(&ds), 4);
        avoid.extend(plot::sample_polyline(&px(&nt), 4));
        avoid.extend(plot::sample_polyline(&px(&[(xl, teacher_f1), (xh, teacher_f1)]), 4));
        let pos = plot::place_labels(&at.iter().map(|a| a.0).collect::<Vec<_>>(), &sizes, 10, (px0, py0, px1, py1), &avoid);
        for (l, (xy, _)) in labels.iter().zip(pos).filter(|(l, _)| !l.is_empty()) {
            root.draw(&Text::new(l.clone(), xy, font.color(&BLACK))).map_err(err)?;
        }
        let mut key = vec![
            plot::KeyEntry::note("Students (labels: hidden sizes)"),
            plot::KeyEntry { bold: false, text: "distilled from the teacher".into(), line: Some((teal.to_rgba(), 3, false)), marker: Some((plot::Marker::Circle, teal)) },
            plot::KeyEntry {
                bold: false,
                text: "same MLP, trained without a teacher".into(),
                line: Some((red.to_rgba(), 2, false)),
                marker: Some((plot::Marker::Cross, red)),
            },
        ];
        if let Some((name, m, _)) = &shipped {
            key.push(plot::KeyEntry::marker(&format!("shipped: {name} ({m:.0} MACs)"), plot::Marker::Star, gold));
        }
        key.push(plot::KeyEntry::note(""));
        key.push(plot::KeyEntry::note("References (no size)"));
        key.push(plot::KeyEntry { bold: false, text: format!("teacher ({})", r.teacher), line: Some((BLACK.to_rgba(), 1, false)), marker: None });
        if logistic.is_some() {
            key.push(plot::KeyEntry { bold: false, text: "logistic regression".into(), line: Some((BLUE.to_rgba(), 1, true)), marker: None });
        }
        plot::draw_key(&right.margin(40, 0, 0, 0), &key, 14)?;
    }
    root.present().map_err(err)?;
    Ok(())
}

/// A sweep point's label: its hidden sizes ("128-64-32"), else its name.
fn x_label(x: &RunRecord) -> String {
    match &x.architecture {
        Some(super::net::Architecture::Mlp(c)) => c.hidden.iter().map(|h| h.to_string()).collect::<Vec<_>>().join("-"),
        _ => x.name.clone(),
    }
}

/// The MLP trained without a teacher that a student of `macs` multiply-accumulates is judged against:
/// the same size, or for a size the study did not train, the smallest larger one (a harder baseline).
fn no_teacher_baseline(no_teacher: &[RunRecord], macs: usize) -> Option<&RunRecord> {
    no_teacher.iter().filter(|n| n.macs >= macs).min_by_key(|n| n.macs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(name: &str, macs: usize) -> RunRecord {
        RunRecord {
            name: name.into(),
            kind: "baseline".into(),
            description: String::new(),
            architecture: None,
            params: macs,
            macs,
            config: None,
            best_epoch: 0,
            epochs_run: 0,
            wall_s: 0.0,
            ms_per_batch: 0.0,
            val: Metrics::default(),
            test: Metrics::default(),
            dir: None,
            val_f1_curve: vec![],
        }
    }

    /// The committed study (`models/REPORT.json`), re-rendered into a scratch folder.
    #[test]
    fn the_report_lists_and_plots_the_shipped_student() {
        let models = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models");
        let r = crate::recipes::read_results(&models).unwrap();
        let out = tempfile::tempdir().unwrap();
        write_report(&r, out.path()).unwrap();
        let md = std::fs::read_to_string(out.path().join(REPORT_FILE)).unwrap();
        let table: Vec<&str> = md.split("## All models").nth(1).unwrap().split("\n## ").next().unwrap().lines().filter(|l| l.starts_with("| ")).collect();
        let shipped = r.shipped_from.as_ref().map(|x| x.name.clone()).unwrap_or(r.shipped_student.clone());
        let rows: Vec<&&str> = table.iter().filter(|l| l.contains("shipped: `models/student`")).collect();
        assert_eq!(rows.len(), 1, "{table:#?}");
        assert!(rows[0].contains(&shipped), "{}", rows[0]);
        assert!(table.iter().any(|l| l.contains("shipped: `models/teacher`")), "{table:#?}");
        for png in [STUDENTS_PNG, FRONTIER_PNG] {
            assert!(std::fs::metadata(out.path().join(png)).unwrap().len() > 10_000, "{png}");
        }
    }

    #[test]
    fn a_student_is_judged_against_the_same_size_or_the_smallest_larger_mlp_without_a_teacher() {
        let nt = [run("big", 64_096), run("small", 14_000), run("mid", 29_024)];
        assert_eq!(no_teacher_baseline(&nt, 14_000).unwrap().name, "small");
        assert_eq!(no_teacher_baseline(&nt, 8_630).unwrap().name, "small");
        assert_eq!(no_teacher_baseline(&nt, 20_000).unwrap().name, "mid");
        assert!(no_teacher_baseline(&nt, 70_000).is_none());
    }
}
