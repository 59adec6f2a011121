//! The teacher: the seed's 1D-CNN (Algorithm 1) in candle.
//!
//! `Conv1D(7->64, k=5) + BN + ReLU + MaxPool(2)`, `Conv1D(64->128, k=3) + BN + ReLU + MaxPool(2)`,
//! global average pool over time, `FC(128->3)`: 27,779 trainable parameters. Convolutions use
//! "same" zero padding (2 and 1), so the time axis goes 60 -> 30 -> 15.
//!
//! The window arrives time-major (`minute * 7 + feature`, as every model here reads it). Each
//! convolution is computed as an unfold (index_select of the padded time axis) followed by one
//! matrix product, which candle's CPU backend runs as a single GEMM forward and backward; this
//! was several times faster than `conv1d` on the 2-core machine (see the report).
//!
//! Parameter names follow the ONNX initializers: `conv1.weight` `[64, 7, 5]` (out, in, k),
//! `conv1.bias`, `bn1.weight` (gamma), `bn1.bias` (beta), `bn1.running_mean`, `bn1.running_var`
//! (buffers, not trained), `conv2.*`, `bn2.*`, `fc.weight` `[3, 128]`, `fc.bias`.

use super::net::{Net, NetState};
use super::student::N_CLASSES;
pub use veriregime_core::model::spec::{TeacherConfig, SEED_TEACHER_PARAMS};
use candle_core::{DType, Device, Tensor, Var};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use std::sync::Mutex;

/// The teacher CNN; trainable parameters are candle [`Var`]s, BN running statistics are buffers.
pub struct Teacher {
    pub config: TeacherConfig,
    /// Trainable, in [`Teacher::param_names`] order.
    vars: Vec<(String, Var)>,
    /// `bn{l}.running_mean`, `bn{l}.running_var`.
    buffers: Mutex<Vec<(String, Tensor)>>,
    /// Unfold indices of each conv's padded time axis.
    unfold: Vec<Tensor>,
    device: Device,
}

impl std::fmt::Debug for Teacher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Teacher").field("config", &self.config).finish_non_exhaustive()
    }
}

impl Teacher {
    /// A fresh teacher deterministic in `seed`: PyTorch's default init (weights and biases
    /// uniform in `±1/sqrt(fan_in)`), BN gamma 1, beta 0, running mean 0, var 1.
    pub fn new(config: TeacherConfig, seed: u64) -> anyhow::Result<Teacher> {
        let device = Device::Cpu;
        let mut rng = StdRng::seed_from_u64(seed);
        let mut uniform = |n: usize, fan_in: usize| -> Vec<f32> {
            let b = 1.0 / (fan_in as f32).sqrt();
            (0..n).map(|_| rng.gen_range(-b..b)).collect()
        };
        let mut vars = Vec::new();
        let mut buffers = Vec::new();
        let mut c_in = config.features;
        for (l, &(c, k)) in config.convs.iter().enumerate() {
            let l = l + 1;
            let fan = c_in * k;
            vars.push((format!("conv{l}.weight"), Tensor::from_vec(uniform(c * c_in * k, fan), (c, c_in, k), &device)?));
            vars.push((format!("conv{l}.bias"), Tensor::from_vec(uniform(c, fan), c, &device)?));
            vars.push((format!("bn{l}.weight"), Tensor::ones(c, DType::F32, &device)?));
            vars.push((format!("bn{l}.bias"), Tensor::zeros(c, DType::F32, &device)?));
            buffers.push((format!("bn{l}.running_mean"), Tensor::zeros(c, DType::F32, &device)?));
            buffers.push((format!("bn{l}.running_var"), Tensor::ones(c, DType::F32, &device)?));
            c_in = c;
        }
        vars.push(("fc.weight".into(), Tensor::from_vec(uniform(N_CLASSES * c_in, c_in), (N_CLASSES, c_in), &device)?));
        vars.push(("fc.bias".into(), Tensor::from_vec(uniform(N_CLASSES, c_in), N_CLASSES, &device)?));
        let vars = vars.into_iter().map(|(n, t)| Ok((n, Var::from_tensor(&t)?))).collect::<candle_core::Result<_>>()?;
        Self::assemble(config, vars, buffers)
    }

    fn assemble(config: TeacherConfig, vars: Vec<(String, Var)>, buffers: Vec<(String, Tensor)>) -> anyhow::Result<Teacher> {
        let device = Device::Cpu;
        let mut unfold = Vec::new();
        let mut t = config.window;
        for &(_, k) in &config.convs {
            anyhow::ensure!(k % 2 == 1, "kernel sizes must be odd for same padding, got {k}");
            anyhow::ensure!(t % 2 == 0, "time axis {t} is not even before a MaxPool(2)");
            let idx: Vec<u32> = (0..t).flat_map(|i| (0..k).map(move |j| (i + j) as u32)).collect();
            unfold.push(Tensor::from_vec(idx, t * k, &device)?);
            t /= 2;
        }
        let teacher = Teacher { config, vars, buffers: Mutex::new(buffers), unfold, device };
        anyhow::ensure!(
            teacher.vars.iter().map(|(_, v)| v.elem_count()).sum::<usize>() == teacher.config.param_count(),
            "parameter count mismatch"
        );
        Ok(teacher)
    }

    fn var(&self, name: &str) -> &Tensor {
        self.vars.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_tensor()).expect("known parameter")
    }

    /// One conv block on `[B, T, C]`: unfold + GEMM, batch norm (batch statistics and a running
    /// update when training, running statistics otherwise), ReLU, MaxPool(2) -> `[B, T/2, C']`.
    fn block(&self, h: &Tensor, l: usize, train: bool) -> candle_core::Result<Tensor> {
        let (b, t, c_in) = h.dims3()?;
        let (c, k) = self.config.convs[l - 1];
        let pad = k / 2;
        let hp = h.pad_with_zeros(1, pad, pad)?;
        let cols = hp.index_select(&self.unfold[l - 1], 1)?.reshape((b * t, k * c_in))?;
        // weight [c, c_in, k] -> [k, c_in, c] -> [k*c_in, c] so that row j*c_in + ci matches cols.
        let w = self.var(&format!("conv{l}.weight")).permute((2, 1, 0))?.reshape((k * c_in, c))?;
        let y = cols.matmul(&w)?.broadcast_add(self.var(&format!("conv{l}.bias")))?; // [b*t, c]
        let eps = self.config.bn_eps;
        let (mean, var) = if train {
            let mean = y.mean(0)?;
            let var = y.sqr()?.mean(0)?.sub(&mean.sqr()?)?.relu()?;
            let m = self.config.bn_momentum;
            let n = (b * t) as f64;
            let mut bufs = self.buffers.lock().unwrap();
            let unbiased = (var.detach() * (n / (n - 1.0).max(1.0)))?;
            let new_m = ((&bufs[2 * (l - 1)].1 * (1.0 - m))? + (mean.detach() * m)?)?;
            let new_v = ((&bufs[2 * (l - 1) + 1].1 * (1.0 - m))? + (unbiased * m)?)?;
            bufs[2 * (l - 1)].1 = new_m;
            bufs[2 * (l - 1) + 1].1 = new_v;
            (mean, var)
        } else {
            let bufs = self.buffers.lock().unwrap();
            (bufs[2 * (l - 1)].1.clone(), bufs[2 * (l - 1) + 1].1.clone())
        };
        // y * scale + shift with per-channel scale = gamma / sqrt(var + eps), shift = beta - mean * scale.
        let scale = (var + eps)?.sqrt()?.recip()?.mul(self.var(&format!("bn{l}.weight")))?;
        let shift = self.var(&format!("bn{l}.bias")).sub(&mean.mul(&scale)?)?;
        let y = y.broadcast_mul(&scale)?.broadcast_add(&shift)?;
        // MaxPool before ReLU: max and ReLU commute (ReLU is monotone), and ReLU then runs on half.
        y.reshape((b, t / 2, 2, c))?.max(2)?.relu()
    }

    /// Logits `[B, 3]` of `[B, 420]` time-major windows.
    pub fn forward(&self, xs: &Tensor, train: bool) -> candle_core::Result<Tensor> {
        let b = xs.dim(0)?;
        let mut h = xs.reshape((b, self.config.window, self.config.features))?;
        for l in 1..=self.config.convs.len() {
            h = self.block(&h, l, train)?;
        }
        let pooled = h.mean(1)?; // [B, C]
        pooled.matmul(&self.var("fc.weight").t()?)?.broadcast_add(self.var("fc.bias"))
    }

    /// BN folded into the preceding convolution (eval mode): `W' = W * g`, `b' = (b - mean) * g + beta`
    /// with `g = gamma / sqrt(var + eps)`. Returns `(weight [c, c_in, k], bias [c])` per conv.
    pub fn folded_convs(&self) -> anyhow::Result<Vec<(Vec<usize>, Vec<f32>, Vec<f32>)>> {
        let bufs = self.buffers.lock().unwrap();
        let mut out = Vec::new();
        for l in 1..=self.config.convs.len() {
            let w = self.var(&format!("conv{l}.weight"));
            let dims = w.dims().to_vec();
            let g = (bufs[2 * (l - 1) + 1].1.clone() + self.config.bn_eps)?
                .sqrt()?
                .recip()?
                .mul(self.var(&format!("bn{l}.weight")))?;
            let wf = w.broadcast_mul(&g.reshape((dims[0], 1, 1))?)?.flatten_all()?.to_vec1::<f32>()?;
            let bf = self
                .var(&format!("conv{l}.bias"))
                .sub(&bufs[2 * (l - 1)].1)?
                .mul(&g)?
                .add(self.var(&format!("bn{l}.bias")))?
                .to_vec1::<f32>()?;
            out.push((dims, wf, bf));
        }
        Ok(out)
    }

    /// The FC layer `(weight [3, C], bias [3])`.
    pub fn fc(&self) -> anyhow::Result<(Vec<usize>, Vec<f32>, Vec<f32>)> {
        let w = self.var("fc.weight");
        Ok((w.dims().to_vec(), w.flatten_all()?.to_vec1()?, self.var("fc.bias").to_vec1()?))
    }

    pub fn device(&self) -> &Device {
        &self.device
    }
}

impl Net for Teacher {
    fn input_len(&self) -> usize {
        self.config.input_len()
    }

    fn param_count(&self) -> usize {
        self.config.param_count()
    }

    fn forward_train(&self, xs: &Tensor, _dropout: f32, _rng: &mut StdRng) -> candle_core::Result<Tensor> {
        self.forward(xs, true)
    }

    fn forward_eval(&self, xs: &Tensor) -> candle_core::Result<Tensor> {
        self.forward(xs, false)
    }

    fn trainable(&self) -> Vec<(String, Var, bool)> {
        // Weight decay on conv and FC weights only (not on biases nor BN affine parameters).
        self.vars
            .iter()
            .map(|(n, v)| (n.clone(), v.clone(), n.ends_with(".weight") && !n.starts_with("bn")))
            .collect()
    }

    fn state(&self) -> anyhow::Result<NetState> {
        let mut s: NetState = self.vars.iter().map(|(n, v)| Ok((n.clone(), v.as_tensor().copy()?))).collect::<anyhow::Result<_>>()?;
        for (n, t) in self.buffers.lock().unwrap().iter() {
            s.push((n.clone(), t.copy()?));
        }
        Ok(s)
    }

    fn set_state(&self, s: &NetState) -> anyhow::Result<()> {
        let mut bufs = self.buffers.lock().unwrap();
        for (n, t) in s {
            if let Some((_, v)) = self.vars.iter().find(|(m, _)| m == n) {
                v.set(t)?;
            } else if let Some(b) = bufs.iter_mut().find(|(m, _)| m == n) {
                b.1 = t.copy()?;
            } else {
                anyhow::bail!("unknown teacher tensor {n}");
            }
        }
        Ok(())
    }

    fn weight_tensors(&self) -> Vec<Tensor> {
        self.vars.iter().filter(|(n, _)| n.ends_with(".weight") && !n.starts_with("bn")).map(|(_, v)| v.as_tensor().clone()).collect()
    }

    fn architecture(&self) -> super::net::Architecture {
        super::net::Architecture::Cnn(self.config.clone())
    }

    fn onnx(&self) -> anyhow::Result<tract_onnx::pb::ModelProto> {
        super::onnx::teacher_onnx_proto(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_architecture_has_27779_parameters() {
        let cfg = TeacherConfig::default();
        assert_eq!(cfg.param_count(), SEED_TEACHER_PARAMS);
        let t = Teacher::new(cfg, 1).unwrap();
        let n: usize = t.trainable().iter().map(|(_, v, _)| v.elem_count()).sum();
        assert_eq!(n, SEED_TEACHER_PARAMS);
    }

    #[test]
    fn unfold_conv_matches_a_direct_convolution() {
        let t = Teacher::new(TeacherConfig::default(), 3).unwrap();
        let mut rng = StdRng::seed_from_u64(9);
        let x: Vec<f32> = (0..2 * 420).map(|_| rng.gen_range(-1.0..1.0)).collect();
        let xs = Tensor::from_slice(&x, (2, 60, 7), &Device::Cpu).unwrap();
        let got = t.block(&xs, 1, false).unwrap().to_vec3::<f32>().unwrap();
        // Direct: same padding, eval BN (mean 0, var 1, gamma 1, beta 0), ReLU, max of pairs.
        let w = t.var("conv1.weight").to_vec3::<f32>().unwrap();
        let bias = t.var("conv1.bias").to_vec1::<f32>().unwrap();
        let s = 1.0 / (1.0f32 + 1e-5).sqrt();
        for bi in 0..2 {
            for c in 0..64 {
                let conv = |ti: usize| {
                    let mut acc = bias[c];
                    for j in 0..5 {
                        let tt = ti as i64 + j as i64 - 2;
                        if (0..60).contains(&tt) {
                            for ci in 0..7 {
                                acc += w[c][ci][j] * x[bi * 420 + tt as usize * 7 + ci];
                            }
                        }
                    }
                    (acc * s).max(0.0)
                };
                for p in 0..30 {
                    let want = conv(2 * p).max(conv(2 * p + 1));
                    assert!((got[bi][p][c] - want).abs() < 1e-4, "b{bi} c{c} p{p}: {} vs {want}", got[bi][p][c]);
                }
            }
        }
    }
}
