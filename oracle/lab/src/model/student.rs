//! The student MLP (candle): `input -> hidden.. -> 3` with an activation after every hidden layer:
//! by default the polynomial `y = a*x^2 + b*x` (learnable scalars `a`, `b` per hidden layer); the
//! activation ablation also trains `x^2`, ReLU and SiLU students (see [`Activation`]).

use candle_core::{DType, Device, Tensor, Var};
use candle_nn::{Linear, Module, VarBuilder, VarMap};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

pub use veriregime_core::model::spec::{Activation, StudentConfig, N_CLASSES};

/// Learnable polynomial activation `y = a*x^2 + b*x` (`a`, `b`: tensors of shape `[1]`).
#[derive(Debug, Clone)]
pub struct PolyAct {
    pub a: Tensor,
    pub b: Tensor,
}

impl PolyAct {
    pub fn new(vb: VarBuilder) -> candle_core::Result<Self> {
        Ok(PolyAct { a: vb.get(1, "a")?, b: vb.get(1, "b")? })
    }
}

impl Module for PolyAct {
    /// Same operation order as the ONNX graph: `Add(Mul(Mul(x, x), a), Mul(x, b))`.
    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let sq = x.mul(x)?.broadcast_mul(&self.a)?;
        sq.add(&x.broadcast_mul(&self.b)?)
    }
}

/// The student MLP. Its parameters live in a [`VarMap`] under the names of
/// [`StudentConfig::param_names`].
pub struct Student {
    pub config: StudentConfig,
    varmap: VarMap,
    linears: Vec<Linear>,
    acts: Vec<PolyAct>,
    device: Device,
}

impl std::fmt::Debug for Student {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Student").field("config", &self.config).finish_non_exhaustive()
    }
}

impl Student {
    /// A freshly initialised student, deterministic in `seed`: weights uniform in
    /// `±sqrt(3 / fan_in)` (variance `1/fan_in`, which keeps the signal scale through the
    /// near-identity activations), biases 0, activations at `act_a_init`, `act_b_init`.
    pub fn new(config: StudentConfig, seed: u64) -> anyhow::Result<Student> {
        let device = Device::Cpu;
        let mut rng = StdRng::seed_from_u64(seed);
        let varmap = VarMap::new();
        {
            let mut data = varmap.data().lock().unwrap();
            let dims = config.layer_dims();
            for (l, &(i, o)) in dims.iter().enumerate() {
                let bound = (3.0 / i as f32).sqrt();
                let w: Vec<f32> = (0..i * o).map(|_| rng.gen_range(-bound..bound)).collect();
                let w = Tensor::from_vec(w, (o, i), &device)?;
                data.insert(format!("fc{}.weight", l + 1), Var::from_tensor(&w)?);
                let b = Tensor::zeros(o, DType::F32, &device)?;
                data.insert(format!("fc{}.bias", l + 1), Var::from_tensor(&b)?);
                if l + 1 < dims.len() && config.activation.learnable() {
                    let a = Tensor::new(&[config.act_a_init], &device)?;
                    let bb = Tensor::new(&[config.act_b_init], &device)?;
                    data.insert(format!("act{}.a", l + 1), Var::from_tensor(&a)?);
                    data.insert(format!("act{}.b", l + 1), Var::from_tensor(&bb)?);
                }
            }
        }
        Self::from_varmap(config, varmap)
    }

    /// Builds the modules from a VarMap that already holds every parameter.
    fn from_varmap(config: StudentConfig, varmap: VarMap) -> anyhow::Result<Student> {
        let device = Device::Cpu;
        let vb = VarBuilder::from_varmap(&varmap, DType::F32, &device);
        let dims = config.layer_dims();
        let mut linears = Vec::new();
        let mut acts = Vec::new();
        for (l, &(i, o)) in dims.iter().enumerate() {
            linears.push(candle_nn::linear(i, o, vb.pp(format!("fc{}", l + 1)))?);
            if l + 1 < dims.len() && config.activation.learnable() {
                acts.push(PolyAct::new(vb.pp(format!("act{}", l + 1)))?);
            }
        }
        Ok(Student { config, varmap, linears, acts, device })
    }

    /// A student from named parameter values (row-major; weights `[out, in]`), e.g. read back
    /// from an ONNX file. Every name of [`StudentConfig::param_names`] must be present.
    pub fn from_params(
        config: StudentConfig,
        params: &std::collections::HashMap<String, Vec<f32>>,
    ) -> anyhow::Result<Student> {
        let device = Device::Cpu;
        let varmap = VarMap::new();
        {
            let mut data = varmap.data().lock().unwrap();
            let dims = config.layer_dims();
            for name in config.param_names() {
                let v = params.get(&name).ok_or_else(|| anyhow::anyhow!("missing parameter {name}"))?;
                let prefix = &name[..name.find('.').unwrap()];
                let l: usize = prefix.trim_start_matches(|c: char| c.is_ascii_alphabetic()).parse()?;
                let (i, o) = dims[l - 1];
                let t = if name.ends_with(".weight") {
                    Tensor::from_slice(v, (o, i), &device)?
                } else if name.ends_with(".bias") {
                    Tensor::from_slice(v, o, &device)?
                } else {
                    Tensor::from_slice(v, 1, &device)?
                };
                data.insert(name, Var::from_tensor(&t)?);
            }
        }
        Self::from_varmap(config, varmap)
    }

    pub fn device(&self) -> &Device {
        &self.device
    }

    pub fn varmap(&self) -> &VarMap {
        &self.varmap
    }

    pub fn param_count(&self) -> usize {
        self.config.param_count()
    }

    /// Current values of every parameter, in [`StudentConfig::param_names`] order, flattened
    /// row-major, with their shapes.
    pub fn params(&self) -> anyhow::Result<Vec<(String, Vec<usize>, Vec<f32>)>> {
        let data = self.varmap.data().lock().unwrap();
        let mut out = Vec::new();
        for name in self.config.param_names() {
            let v = data.get(&name).ok_or_else(|| anyhow::anyhow!("missing parameter {name}"))?;
            let t = v.as_tensor();
            out.push((name, t.dims().to_vec(), t.flatten_all()?.to_vec1::<f32>()?));
        }
        Ok(out)
    }

    /// The activation coefficients `(a, b)` of every hidden layer (none for parameter-free activations).
    pub fn activation_coefs(&self) -> anyhow::Result<Vec<(f32, f32)>> {
        self.acts
            .iter()
            .map(|p| Ok((p.a.to_vec1::<f32>()?[0], p.b.to_vec1::<f32>()?[0])))
            .collect()
    }

    /// Logits `[batch, 3]` of a `[batch, input]` tensor. With `dropout = Some((p, rng))`, inverted
    /// dropout with rate `p` (seeded masks) is applied after each activation (training only).
    pub fn forward_t(
        &self,
        xs: &Tensor,
        mut dropout: Option<(f32, &mut StdRng)>,
    ) -> candle_core::Result<Tensor> {
        let mut h = xs.clone();
        for (l, lin) in self.linears.iter().enumerate() {
            h = lin.forward(&h)?;
            if l + 1 < self.linears.len() {
                h = match self.config.activation {
                    Activation::Quadratic => self.acts[l].forward(&h)?,
                    Activation::Square => h.mul(&h)?,
                    Activation::Relu => h.relu()?,
                    Activation::Silu => candle_nn::ops::silu(&h)?,
                };
                if let Some((p, rng)) = dropout.as_mut() {
                    if *p > 0.0 {
                        let keep = 1.0 - *p;
                        let scale = 1.0 / keep;
                        let mask: Vec<f32> = (0..h.elem_count())
                            .map(|_| if rng.gen::<f32>() < keep { scale } else { 0.0 })
                            .collect();
                        let mask = Tensor::from_vec(mask, h.shape(), h.device())?;
                        h = h.mul(&mask)?;
                    }
                }
            }
        }
        Ok(h)
    }

    /// Predicted classes (argmax of the logits) of `n` flat windows.
    pub fn predict(&self, x: &[f32]) -> anyhow::Result<Vec<u8>> {
        Ok(super::net::Net::logits(self, x)?.iter().map(super::metrics::argmax3).collect())
    }

    /// Saves the parameters as safetensors (names of [`StudentConfig::param_names`]).
    pub fn save_safetensors(&self, path: impl AsRef<std::path::Path>) -> anyhow::Result<()> {
        self.varmap.save(path)?;
        Ok(())
    }

    /// Loads a student saved with [`Student::save_safetensors`].
    pub fn load_safetensors(
        config: StudentConfig,
        path: impl AsRef<std::path::Path>,
    ) -> anyhow::Result<Student> {
        let s = Student::new(config, 0)?;
        let mut vm = s.varmap.clone();
        vm.load(path)?;
        Ok(s)
    }

    /// Snapshot of all parameter values (for keeping the best epoch).
    pub(crate) fn snapshot(&self) -> anyhow::Result<Vec<(String, Tensor)>> {
        let data = self.varmap.data().lock().unwrap();
        data.iter().map(|(k, v)| Ok((k.clone(), v.as_tensor().copy()?))).collect()
    }

    /// Restores a [`Student::snapshot`].
    pub(crate) fn restore(&self, snap: &[(String, Tensor)]) -> anyhow::Result<()> {
        let data = self.varmap.data().lock().unwrap();
        for (k, t) in snap {
            data.get(k).ok_or_else(|| anyhow::anyhow!("missing parameter {k}"))?.set(t)?;
        }
        Ok(())
    }
}

impl super::net::Net for Student {
    fn input_len(&self) -> usize {
        self.config.input
    }

    fn param_count(&self) -> usize {
        self.config.param_count()
    }

    fn forward_train(&self, xs: &Tensor, dropout: f32, rng: &mut StdRng) -> candle_core::Result<Tensor> {
        self.forward_t(xs, Some((dropout, rng)))
    }

    fn forward_eval(&self, xs: &Tensor) -> candle_core::Result<Tensor> {
        self.forward_t(xs, None)
    }

    fn trainable(&self) -> Vec<(String, Var, bool)> {
        let data = self.varmap.data().lock().unwrap();
        self.config.param_names().into_iter().map(|n| (n.clone(), data[&n].clone(), n.ends_with(".weight"))).collect()
    }

    fn state(&self) -> anyhow::Result<super::net::NetState> {
        self.snapshot()
    }

    fn set_state(&self, s: &super::net::NetState) -> anyhow::Result<()> {
        self.restore(s)
    }

    fn weight_tensors(&self) -> Vec<Tensor> {
        self.linears.iter().map(|l| l.weight().clone()).collect()
    }

    fn architecture(&self) -> super::net::Architecture {
        super::net::Architecture::Mlp(self.config.clone())
    }

    fn onnx(&self) -> anyhow::Result<tract_onnx::pb::ModelProto> {
        super::onnx::to_onnx_proto(self)
    }

    fn activation_coefs(&self) -> anyhow::Result<Vec<(f32, f32)>> {
        Student::activation_coefs(self)
    }
}
