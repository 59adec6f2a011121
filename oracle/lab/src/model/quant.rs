//! Hessian-guided mixed-precision quantisation of a student's weights (issue 7).
//!
//! 1. **Sensitivity.** For each weight matrix `W_l`, Hutchinson's estimator of the trace of its
//!    block of the loss Hessian: `Tr(H_l) = E[v_l^T (H v)_l]` over Rademacher probes `v`. candle
//!    has no double backward, so `H v` is a central difference of gradients,
//!    `(g(w + eps v) - g(w - eps v)) / (2 eps)` (exact for a quadratic loss; a unit test checks it
//!    against the closed-form trace of a softmax regression). One probe perturbs every layer at
//!    once: the cross-layer terms have mean zero, so each layer's estimate stays unbiased.
//! 2. **Quantisation** as a circuit does it: a `b`-bit layer is stored as `round(w * 2^k)` in
//!    `[-2^(b-1), 2^(b-1) - 1]`, with the power-of-two scale `2^k` the largest that holds
//!    `max |w|` ([`frac_bits`]). `k` is what EZKL calls the parameter scale. Biases and the
//!    activation coefficients stay in float here (the circuit quantises them at its one
//!    parameter scale; its fidelity measures that).
//! 3. **Allocation** under a budget of `B` bits per weight on average: minimise
//!    `Omega = sum_l (Tr(H_l) / n_l) * ||Q_b(W_l) - W_l||^2` (HAWQ-v2's criterion) subject to
//!    `sum_l n_l b_l <= B * N`, by exhaustive search over the bit choices. The control "mse"
//!    minimises the same error with every layer's curvature set equal, so the Hessian's own
//!    contribution shows; "uniform" gives every layer `B` bits.
//! 4. **Circuit.** EZKL 23 has one parameter scale per circuit, so a mixed allocation needs
//!    `param_scale = max_l k_l` ([`QuantPoint::param_scale`]): the layers with fewer bits lie on a
//!    coarser grid inside it.

use super::metrics::Metrics;
use super::net::Net;
use super::student::Student;
use super::train::evaluate;
use candle_core::{Device, Tensor};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Curvature of the loss with respect to one weight matrix.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayerSensitivity {
    /// Parameter name, e.g. `fc1.weight`.
    pub name: String,
    pub params: usize,
    /// Hutchinson estimate of `Tr(H_l)` (mean cross-entropy on the sensitivity batch).
    pub trace: f64,
    /// Standard error of `trace` over the probes.
    pub trace_se: f64,
    pub max_abs: f32,
}

impl LayerSensitivity {
    /// Average curvature per weight, `Tr(H_l) / n_l`.
    pub fn mean_trace(&self) -> f64 {
        self.trace / self.params as f64
    }
}

/// Hutchinson estimates of the per-layer Hessian traces of the mean cross-entropy of `student`
/// on the windows `x` (flat) with labels `y`, from `probes` Rademacher probes (seeded) and
/// finite differences of step `eps`. The student's weights are restored afterwards.
pub fn hutchinson(student: &Student, x: &[f32], y: &[u8], probes: usize, eps: f64, seed: u64) -> anyhow::Result<Vec<LayerSensitivity>> {
    let d = student.config.input;
    anyhow::ensure!(probes >= 2, "at least 2 probes are needed for a standard error");
    anyhow::ensure!(!y.is_empty() && x.len() == y.len() * d, "sensitivity batch: {} values for {} labels of {d}", x.len(), y.len());
    let dev = Device::Cpu;
    let xs = Tensor::from_slice(x, (y.len(), d), &dev)?;
    let ys = Tensor::from_vec(y.iter().map(|&c| c as u32).collect::<Vec<_>>(), y.len(), &dev)?;
    let weights: Vec<_> = student.trainable().into_iter().filter(|(n, _, _)| n.ends_with(".weight")).collect();
    let original: Vec<Tensor> = weights.iter().map(|(_, v, _)| v.as_tensor().copy()).collect::<candle_core::Result<_>>()?;
    let grads = || -> anyhow::Result<Vec<Tensor>> {
        let loss = candle_nn::loss::cross_entropy(&student.forward_t(&xs, None)?, &ys)?;
        let g = loss.backward()?;
        weights
            .iter()
            .map(|(n, v, _)| g.get(v.as_tensor()).cloned().ok_or_else(|| anyhow::anyhow!("no gradient for {n}")))
            .collect()
    };
    let set = |sign: f64, vs: &[Tensor]| -> anyhow::Result<()> {
        for ((_, var, _), (w0, v)) in weights.iter().zip(original.iter().zip(vs)) {
            var.set(&(w0 + (v * (sign * eps))?)?)?;
        }
        Ok(())
    };
    let mut rng = StdRng::seed_from_u64(seed);
    let mut samples = vec![Vec::with_capacity(probes); weights.len()];
    let result = (|| -> anyhow::Result<()> {
        for _ in 0..probes {
            let vs: Vec<Tensor> = original
                .iter()
                .map(|w| {
                    let r: Vec<f32> = (0..w.elem_count()).map(|_| if rng.gen::<bool>() { 1.0 } else { -1.0 }).collect();
                    Tensor::from_vec(r, w.shape(), &dev)
                })
                .collect::<candle_core::Result<_>>()?;
            set(1.0, &vs)?;
            let plus = grads()?;
            set(-1.0, &vs)?;
            let minus = grads()?;
            for (l, v) in vs.iter().enumerate() {
                let hv = ((&plus[l] - &minus[l])? / (2.0 * eps))?;
                samples[l].push((v * hv)?.sum_all()?.to_scalar::<f32>()? as f64);
            }
        }
        Ok(())
    })();
    for ((_, var, _), w0) in weights.iter().zip(&original) {
        var.set(w0)?;
    }
    result?;
    weights
        .iter()
        .zip(&original)
        .zip(samples)
        .map(|(((name, _, _), w0), s)| {
            let n = s.len() as f64;
            let mean = s.iter().sum::<f64>() / n;
            let var = s.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
            let max_abs = w0.abs()?.flatten_all()?.max(0)?.to_scalar::<f32>()?;
            Ok(LayerSensitivity { name: name.clone(), params: w0.elem_count(), trace: mean, trace_se: (var / n).sqrt(), max_abs })
        })
        .collect()
}

/// Fraction bits `k` of a `bits`-bit signed fixed-point grid (step `2^-k`) that still holds
/// `max_abs`: the largest `k` with `max_abs * 2^k <= 2^(bits-1)`.
pub fn frac_bits(max_abs: f32, bits: u32) -> i32 {
    let e = if max_abs > 0.0 { (max_abs as f64).log2().ceil() as i32 } else { 0 };
    bits as i32 - 1 - e
}

/// `w` quantised to `bits` bits (see [`frac_bits`]; values rounded to the nearest step and
/// clamped to the signed range), and the fraction bits used.
pub fn quantize(w: &[f32], bits: u32) -> (Vec<f32>, i32) {
    assert!((2..=24).contains(&bits), "bit width {bits} out of 2..=24");
    let max_abs = w.iter().fold(0f32, |m, v| m.max(v.abs()));
    let k = frac_bits(max_abs, bits);
    let step = 2f64.powi(k);
    let (lo, hi) = (-(2f64.powi(bits as i32 - 1)), 2f64.powi(bits as i32 - 1) - 1.0);
    (w.iter().map(|&v| ((v as f64 * step).round().clamp(lo, hi) / step) as f32).collect(), k)
}

/// `sum (a - b)^2`.
pub fn sq_error(a: &[f32], b: &[f32]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (*x as f64 - *y as f64).powi(2)).sum()
}

pub use veriregime_core::model::spec::{QuantInfo, Scheme};

/// The choice index per layer minimising `sum_l cost[l][c_l]` subject to
/// `sum_l sizes[l] * choices[c_l] <= budget` (exhaustive; `None` when nothing fits).
pub fn allocate(sizes: &[usize], cost: &[Vec<f64>], choices: &[u32], budget: u64) -> anyhow::Result<Option<Vec<usize>>> {
    let (l, c) = (sizes.len(), choices.len());
    anyhow::ensure!(cost.len() == l && cost.iter().all(|r| r.len() == c), "cost table is not layers x choices");
    anyhow::ensure!((c as f64).powi(l as i32) <= 2e7, "{c} bit choices over {l} layers is too many combinations to search");
    let mut idx = vec![0usize; l];
    let mut best: Option<(f64, Vec<usize>)> = None;
    loop {
        let bits: u64 = idx.iter().zip(sizes).map(|(&i, &n)| n as u64 * choices[i] as u64).sum();
        if bits <= budget {
            let omega: f64 = idx.iter().enumerate().map(|(j, &i)| cost[j][i]).sum();
            if best.as_ref().is_none_or(|(b, _)| omega < *b) {
                best = Some((omega, idx.clone()));
            }
        }
        let mut j = 0;
        while j < l {
            idx[j] += 1;
            if idx[j] < c {
                break;
            }
            idx[j] = 0;
            j += 1;
        }
        if j == l {
            return Ok(best.map(|b| b.1));
        }
    }
}

/// One quantised student.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuantPoint {
    pub scheme: Scheme,
    /// The budget: average bits per weight allowed.
    pub budget_bits: u32,
    /// Bits per weight matrix, first layer first.
    pub bits: Vec<u32>,
    /// Fraction bits per layer (each layer's own EZKL parameter scale).
    pub frac_bits: Vec<i32>,
    /// The one EZKL parameter scale that holds every layer exactly: `max frac_bits`.
    pub param_scale: i32,
    /// Weight bits actually used, averaged over the weights.
    pub avg_bits: f64,
    /// `sum_l (Tr(H_l)/n_l) ||Q(W_l) - W_l||^2`.
    pub omega: f64,
    pub val: Metrics,
    pub test: Metrics,
}

impl QuantPoint {
    /// What the card of this point's model folder records; `source` is the float model's ONNX hash.
    pub fn info(&self, source: &str) -> QuantInfo {
        QuantInfo {
            scheme: self.scheme,
            budget_bits: self.budget_bits,
            bits: self.bits.clone(),
            frac_bits: self.frac_bits.clone(),
            param_scale: self.param_scale,
            source_onnx_sha256: source.to_string(),
        }
    }
}

/// Settings of a sensitivity and allocation study.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuantConfig {
    pub probes: usize,
    pub eps: f64,
    pub seed: u64,
    /// Bit widths a layer may take.
    pub choices: Vec<u32>,
    /// Average bits per weight to allocate.
    pub budgets: Vec<u32>,
}

impl Default for QuantConfig {
    fn default() -> Self {
        QuantConfig { probes: 100, eps: 1e-3, seed: 42, choices: (2..=12).collect(), budgets: vec![2, 3, 4, 5, 6, 8] }
    }
}

/// A whole study: sensitivities, the float model's scores, and every scheme at every budget.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuantStudy {
    pub model: String,
    pub architecture: String,
    pub source_onnx_sha256: String,
    pub config: QuantConfig,
    /// Windows in the sensitivity batch (training split).
    pub batch: usize,
    pub layers: Vec<LayerSensitivity>,
    pub float_val: Metrics,
    pub float_test: Metrics,
    pub points: Vec<QuantPoint>,
    pub data: String,
    pub wall_s: f64,
}

/// Windows and labels.
pub struct Labelled<'a> {
    pub x: &'a [f32],
    pub y: &'a [u8],
}

/// A copy of `student` with each weight matrix quantised to its entry of `bits`; returns it with
/// the fraction bits used per layer.
pub fn quantized_student(student: &Student, bits: &[u32]) -> anyhow::Result<(Student, Vec<i32>)> {
    let mut params = HashMap::new();
    let mut ks = Vec::new();
    let mut layer = 0;
    for (name, _, v) in student.params()? {
        if name.ends_with(".weight") {
            let b = *bits.get(layer).ok_or_else(|| anyhow::anyhow!("{} bit widths for more weight matrices", bits.len()))?;
            let (q, k) = quantize(&v, b);
            params.insert(name, q);
            ks.push(k);
            layer += 1;
        } else {
            params.insert(name, v);
        }
    }
    anyhow::ensure!(layer == bits.len(), "{} bit widths for {layer} weight matrices", bits.len());
    Ok((Student::from_params(student.config.clone(), &params)?, ks))
}

/// Runs the study on `student`: sensitivities on `batch`, then for every budget and scheme the
/// allocation and the quantised model's scores on `val` and `test`. `progress` is told each step.
pub fn study(
    student: &Student,
    batch: Labelled,
    val: Labelled,
    test: Labelled,
    cfg: &QuantConfig,
    mut progress: impl FnMut(&str),
) -> anyhow::Result<(Vec<LayerSensitivity>, Metrics, Metrics, Vec<QuantPoint>)> {
    anyhow::ensure!(!cfg.budgets.is_empty() && !cfg.choices.is_empty(), "no budgets or no bit choices");
    progress("Hessian traces");
    let layers = hutchinson(student, batch.x, batch.y, cfg.probes, cfg.eps, cfg.seed)?;
    let (_, float_val) = evaluate(student, val.x, val.y)?;
    let (_, float_test) = evaluate(student, test.x, test.y)?;
    let weights: Vec<Vec<f32>> = student.params()?.into_iter().filter(|p| p.0.ends_with(".weight")).map(|p| p.2).collect();
    let sizes: Vec<usize> = weights.iter().map(|w| w.len()).collect();
    let n_total: u64 = sizes.iter().map(|&n| n as u64).sum();
    // err[l][c]: squared error of layer l at choices[c].
    let err: Vec<Vec<f64>> = weights.iter().map(|w| cfg.choices.iter().map(|&b| sq_error(w, &quantize(w, b).0)).collect()).collect();
    let mut points = Vec::new();
    for &budget in &cfg.budgets {
        for scheme in [Scheme::Uniform, Scheme::Mse, Scheme::Hessian] {
            progress(&format!("{} at {budget} bits", scheme.name()));
            let bits: Vec<u32> = match scheme {
                Scheme::Uniform => vec![budget; sizes.len()],
                _ => {
                    let cost: Vec<Vec<f64>> = err
                        .iter()
                        .zip(&layers)
                        .map(|(e, s)| e.iter().map(|v| v * if scheme == Scheme::Hessian { s.mean_trace() } else { 1.0 }).collect())
                        .collect();
                    let pick = allocate(&sizes, &cost, &cfg.choices, budget as u64 * n_total)?
                        .ok_or_else(|| anyhow::anyhow!("no allocation of bits {:?} fits {budget} bits per weight", cfg.choices))?;
                    pick.iter().map(|&i| cfg.choices[i]).collect()
                }
            };
            let (q, frac) = quantized_student(student, &bits)?;
            let omega = weights
                .iter()
                .zip(&layers)
                .zip(&bits)
                .map(|((w, s), &b)| s.mean_trace() * sq_error(w, &quantize(w, b).0))
                .sum();
            let (_, v) = evaluate(&q, val.x, val.y)?;
            let (_, t) = evaluate(&q, test.x, test.y)?;
            points.push(QuantPoint {
                scheme,
                budget_bits: budget,
                avg_bits: bits.iter().zip(&sizes).map(|(&b, &n)| b as f64 * n as f64).sum::<f64>() / n_total as f64,
                param_scale: *frac.iter().max().expect("layers"),
                bits,
                frac_bits: frac,
                omega,
                val: v,
                test: t,
            });
        }
    }
    Ok((layers, float_val, float_test, points))
}

impl QuantStudy {
    pub const MD: &'static str = "HESSIAN.md";
    pub const JSON: &'static str = "hessian.json";
    pub const PNG: &'static str = "hessian.png";

    pub fn point(&self, scheme: Scheme, budget: u32) -> Option<&QuantPoint> {
        self.points.iter().find(|p| p.scheme == scheme && p.budget_bits == budget)
    }

    /// The report: sensitivities, then one row per budget and scheme.
    pub fn markdown(&self) -> String {
        let pct = |v: f64| format!("{:.2} %", 100.0 * v);
        let mut s = format!(
            "# Hessian-guided quantisation of {}\n\n{} (ONNX sha256 `{}`). Data: {}. Run time {:.0} s.\n\n",
            self.model,
            self.architecture,
            &self.source_onnx_sha256[..12.min(self.source_onnx_sha256.len())],
            self.data,
            self.wall_s
        );
        s += &format!(
            "Per-layer Hessian traces of the mean cross-entropy on {} training windows: Hutchinson, {} Rademacher probes, \
             Hessian-vector products by central differences (eps {}), seed {}.\n\n",
            self.batch, self.config.probes, self.config.eps, self.config.seed
        );
        s += "| layer | weights | max abs | Tr(H) | standard error | Tr(H) / n |\n|---|---:|---:|---:|---:|---:|\n";
        for l in &self.layers {
            s += &format!("| {} | {} | {:.4} | {:.4e} | {:.1e} | {:.3e} |\n", l.name, l.params, l.max_abs, l.trace, l.trace_se, l.mean_trace());
        }
        s += &format!(
            "\nFloat model: validation {} / F1 {:.4}, test {} / F1 {:.4}.\n\n",
            pct(self.float_val.accuracy),
            self.float_val.macro_f1,
            pct(self.float_test.accuracy),
            self.float_test.macro_f1
        );
        s += &format!(
            "Each budget allows its number of bits per weight on average; a layer may take {:?} bits. \
             Weights are rounded to a power-of-two grid as in the circuit; biases and activation coefficients stay float. \
             \"param scale\" is the one EZKL parameter scale that holds every layer exactly (the largest layer scale).\n\n",
            self.config.choices
        );
        s += "| budget | scheme | bits per layer | avg bits | layer scales | param scale | Omega | val acc | val F1 | test acc | test F1 |\n\
              |---:|---|---|---:|---|---:|---:|---:|---:|---:|---:|\n";
        for p in &self.points {
            let join = |v: Vec<String>| v.join("/");
            s += &format!(
                "| {} | {} | {} | {:.2} | {} | {} | {:.3e} | {} | {:.4} | {} | {:.4} |\n",
                p.budget_bits,
                p.scheme.name(),
                join(p.bits.iter().map(|b| b.to_string()).collect()),
                p.avg_bits,
                join(p.frac_bits.iter().map(|b| b.to_string()).collect()),
                p.param_scale,
                p.omega,
                pct(p.val.accuracy),
                p.val.macro_f1,
                pct(p.test.accuracy),
                p.test.macro_f1
            );
        }
        let same = |a: Scheme| {
            self.points.iter().filter(|p| p.scheme == a).all(|p| self.point(Scheme::Uniform, p.budget_bits).is_some_and(|u| u.bits == p.bits))
        };
        if same(Scheme::Mse) {
            s += "\nThe \"mse\" allocation is the uniform one at every budget: with curvature left out, equal bits minimise the error \
                  (the layers' weight ranges are alike), so every difference between \"hessian\" and \"uniform\" is the Hessian's doing.\n";
        }
        s
    }

    /// Test accuracy and macro-F1 against the bit budget, one line per scheme, the float model
    /// dashed.
    pub fn plot(&self, path: &std::path::Path) -> anyhow::Result<()> {
        use super::plot::Series;
        use plotters::style::{BLACK, BLUE, GREEN, RED};
        let series = |f: fn(&Metrics) -> f64, float: f64| -> Vec<Series> {
            let mut v: Vec<Series> = [(Scheme::Uniform, BLUE), (Scheme::Mse, GREEN), (Scheme::Hessian, RED)]
                .into_iter()
                .map(|(sc, c)| (sc.name(), c, self.points.iter().filter(|p| p.scheme == sc).map(|p| (p.budget_bits as f64, f(&p.test))).collect()))
                .collect();
            let (lo, hi) = self.points.iter().map(|p| p.budget_bits as f64).fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| (a.min(x), b.max(x)));
            v.push(("float", BLACK, vec![(lo, float), (hi, float)]));
            v
        };
        super::plot::plot_lines(
            &format!("{}: weight bits vs test scores", self.model),
            "bits per weight (average)",
            &[("test accuracy", series(|m| m.accuracy, self.float_test.accuracy)), ("test macro-F1", series(|m| m.macro_f1, self.float_test.macro_f1))],
            path,
        )
    }

    /// Writes `HESSIAN.md`, `hessian.json` and `hessian.png` into `dir`, each whole or not at all.
    pub fn write(&self, dir: &std::path::Path) -> anyhow::Result<()> {
        veriregime_core::write_atomic(&dir.join(Self::JSON), (serde_json::to_string_pretty(self)? + "\n").as_bytes())?;
        veriregime_core::write_atomic(&dir.join(Self::MD), self.markdown().as_bytes())?;
        veriregime_core::replace_file(&dir.join(Self::PNG), |tmp| self.plot(tmp))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::StudentConfig;

    /// For softmax regression (no hidden layer) the Hessian of the mean cross-entropy over W is
    /// `mean_i (diag(p_i) - p_i p_i^T) (x) x_i x_i^T`, so `Tr(H) = mean_i sum_c p_ic (1 - p_ic) |x_i|^2`.
    #[test]
    fn hutchinson_matches_the_closed_form_trace_of_softmax_regression() {
        let cfg = StudentConfig { input: 12, hidden: vec![], ..StudentConfig::default() };
        let s = Student::new(cfg, 7).unwrap();
        let mut rng = StdRng::seed_from_u64(3);
        let n = 64;
        let x: Vec<f32> = (0..n * 12).map(|_| rng.gen_range(-1.5..1.5)).collect();
        let y: Vec<u8> = (0..n).map(|i| (i % 3) as u8).collect();
        let logits = s.logits(&x).unwrap();
        let exact: f64 = logits
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let m = l.iter().fold(f32::MIN, |a, &b| a.max(b));
                let e: Vec<f64> = l.iter().map(|v| ((v - m) as f64).exp()).collect();
                let z: f64 = e.iter().sum();
                let curv: f64 = e.iter().map(|v| (v / z) * (1.0 - v / z)).sum();
                curv * x[i * 12..(i + 1) * 12].iter().map(|v| (*v as f64).powi(2)).sum::<f64>()
            })
            .sum::<f64>()
            / n as f64;
        let before = s.params().unwrap();
        let est = hutchinson(&s, &x, &y, 400, 1e-2, 1).unwrap();
        assert_eq!(est.len(), 1);
        assert_eq!(est[0].params, 36);
        let rel = (est[0].trace - exact).abs() / exact;
        assert!(rel < 4.0 * est[0].trace_se / exact + 0.02, "estimate {} vs exact {exact} (se {})", est[0].trace, est[0].trace_se);
        assert_eq!(s.params().unwrap(), before, "weights are restored");
    }

    #[test]
    fn quantisation_uses_the_power_of_two_grid_that_holds_the_largest_weight() {
        assert_eq!(frac_bits(0.3, 8), 8); // 0.3 * 2^8 = 76.8 <= 128
        assert_eq!(frac_bits(0.5, 8), 8); // 0.5 * 2^8 = 128: the top code clamps to 127
        assert_eq!(frac_bits(1.7, 4), 2);
        let w = [0.3f32, -0.3, 0.01, 0.0, 0.124];
        let (q, k) = quantize(&w, 4);
        assert_eq!(k, 4);
        assert_eq!(q, vec![0.3125, -0.3125, 0.0, 0.0, 0.125]);
        let (q, _) = quantize(&[0.5, -0.5], 3); // k = 3: codes 4 and -4; +4 clamps to 3
        assert_eq!(q, vec![0.375, -0.5]);
        // More bits never increase the error.
        let mut rng = StdRng::seed_from_u64(1);
        let w: Vec<f32> = (0..500).map(|_| rng.gen_range(-0.4..0.4)).collect();
        let errs: Vec<f64> = (2..=12).map(|b| sq_error(&w, &quantize(&w, b).0)).collect();
        assert!(errs.windows(2).all(|e| e[1] <= e[0]), "{errs:?}");
    }

    #[test]
    fn allocation_is_the_cheapest_that_fits_the_budget() {
        // Two layers of 10 and 1000 weights; the small one is very sensitive.
        let sizes = [10, 1000];
        let choices = [2, 4, 8];
        let cost = vec![vec![100.0, 10.0, 1.0], vec![3.0, 2.0, 1.0]];
        // 5 bits on average: the small layer takes 8 bits for almost nothing, the big one 4.
        assert_eq!(allocate(&sizes, &cost, &choices, 5 * 1010).unwrap().unwrap(), vec![2, 1]);
        // 4 bits: 8 + 4 no longer fits (4080 > 4040); 8 + 2 (cost 4) beats 4 + 4 (cost 12).
        assert_eq!(allocate(&sizes, &cost, &choices, 4 * 1010).unwrap().unwrap(), vec![2, 0]);
        // 2 bits on average leaves nothing for the small layer.
        assert_eq!(allocate(&sizes, &cost, &choices, 2 * 1010).unwrap().unwrap(), vec![0, 0]);
        assert_eq!(allocate(&sizes, &cost, &choices, 1000).unwrap(), None);
    }

    #[test]
    fn quantized_student_changes_only_the_weights() {
        let s = Student::new(StudentConfig::with_hidden(&[8, 4]), 5).unwrap();
        let (q, k) = quantized_student(&s, &[3, 4, 5]).unwrap();
        assert_eq!(k.len(), 3);
        for ((name, _, a), (_, _, b)) in s.params().unwrap().into_iter().zip(q.params().unwrap()) {
            if name.ends_with(".weight") {
                assert_ne!(a, b, "{name} quantised");
            } else {
                assert_eq!(a, b, "{name} kept");
            }
        }
        assert!(quantized_student(&s, &[3, 4]).is_err());
    }
}
