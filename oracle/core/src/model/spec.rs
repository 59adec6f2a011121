//! The plain data a model card records: architectures (student MLP, teacher CNN) and training
//! settings and outcome. The lab trains with them; everything that reads a card (the node, the
//! auditor) needs only these types, not the training code.

use crate::features;
use serde::{Deserialize, Serialize};

pub use super::onnx::N_CLASSES;


/// The activation after each hidden layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Activation {
    /// `a*x^2 + b*x` with learnable `a`, `b` per layer (the seed's polynomial activation).
    #[default]
    Quadratic,
    /// `x^2` (the seed's "square" activation; no parameters).
    Square,
    Relu,
    /// `x * sigmoid(x)`: smooth, needs a lookup table in a circuit.
    Silu,
}

impl Activation {
    pub fn describe(self) -> &'static str {
        match self {
            Activation::Quadratic => "a*x^2+b*x",
            Activation::Square => "x^2",
            Activation::Relu => "ReLU",
            Activation::Silu => "SiLU",
        }
    }

    /// Whether the activation has the learnable `a`, `b` of each layer.
    pub fn learnable(self) -> bool {
        self == Activation::Quadratic
    }

    pub fn is_default(&self) -> bool {
        *self == Activation::Quadratic
    }
}

/// Architecture of a student MLP.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StudentConfig {
    /// Input length (60 minutes x 7 features = 420).
    pub input: usize,
    /// Hidden layer sizes, e.g. `[128, 64, 32]`.
    pub hidden: Vec<usize>,
    /// Initial quadratic coefficient `a` of every activation.
    pub act_a_init: f32,
    /// Initial linear coefficient `b` of every activation.
    pub act_b_init: f32,
    /// Activation after each hidden layer (cards written before the ablation have none: quadratic).
    #[serde(default, skip_serializing_if = "Activation::is_default")]
    pub activation: Activation,
}

impl Default for StudentConfig {
    /// 420 -> 128 -> 64 -> 32 -> 3, activations initialised at `a = 0.05`, `b = 1`: close to the
    /// identity at start, so the signal scale is kept by the variance-preserving init and the
    /// quadratic term grows only as far as training wants it. On a synthetic 20k-window benchmark
    /// (4 epochs) `a` in 0..0.25 trained stably (first-epoch loss 0.59-0.67); `a = 0.5` started at
    /// loss 1.19 and ended clearly worse.
    fn default() -> Self {
        StudentConfig {
            input: features::INPUT_LEN,
            hidden: vec![128, 64, 32],
            act_a_init: 0.05,
            act_b_init: 1.0,
            activation: Activation::Quadratic,
        }
    }
}

impl StudentConfig {
    pub fn with_hidden(hidden: &[usize]) -> Self {
        StudentConfig { hidden: hidden.to_vec(), ..Default::default() }
    }

    /// `(in, out)` of every linear layer, first to last.
    pub fn layer_dims(&self) -> Vec<(usize, usize)> {
        let mut dims = Vec::new();
        let mut prev = self.input;
        for &h in &self.hidden {
            dims.push((prev, h));
            prev = h;
        }
        dims.push((prev, N_CLASSES));
        dims
    }

    /// Number of parameters (weights, biases, and 2 per learnable activation).
    pub fn param_count(&self) -> usize {
        let acts = if self.activation.learnable() { 2 * self.hidden.len() } else { 0 };
        self.layer_dims().iter().map(|(i, o)| i * o + o).sum::<usize>() + acts
    }

    /// Parameter names in a fixed order: `fc1.weight`, `fc1.bias`, `act1.a`, `act1.b`, `fc2.weight`,
    /// ... `fcL.weight`, `fcL.bias` (L = hidden layers + 1; no `act` names when the activation has
    /// no parameters). These are the VarBuilder paths and the ONNX initializer names.
    pub fn param_names(&self) -> Vec<String> {
        let n = self.hidden.len() + 1;
        let mut names = Vec::new();
        for l in 1..=n {
            names.push(format!("fc{l}.weight"));
            names.push(format!("fc{l}.bias"));
            if l < n && self.activation.learnable() {
                names.push(format!("act{l}.a"));
                names.push(format!("act{l}.b"));
            }
        }
        names
    }
}


/// Architecture of the teacher CNN (defaults: the seed's).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TeacherConfig {
    /// Input channels (features) and time steps.
    pub features: usize,
    pub window: usize,
    /// `(out_channels, kernel)` of each conv block.
    pub convs: Vec<(usize, usize)>,
    pub bn_eps: f64,
    /// Running-statistics momentum (PyTorch's convention: `new = (1-m) * old + m * batch`).
    pub bn_momentum: f64,
}

impl Default for TeacherConfig {
    fn default() -> Self {
        TeacherConfig {
            features: features::N_FEATURES,
            window: features::WINDOW,
            convs: vec![(64, 5), (128, 3)],
            bn_eps: 1e-5,
            bn_momentum: 0.1,
        }
    }
}

/// The seed's teacher has exactly this many trainable parameters with 7 features.
pub const SEED_TEACHER_PARAMS: usize = 27_779;

impl TeacherConfig {
    pub fn input_len(&self) -> usize {
        self.features * self.window
    }

    /// Trainable parameters: conv weights and biases, BN gamma and beta, FC.
    pub fn param_count(&self) -> usize {
        let mut c_in = self.features;
        let mut n = 0;
        for &(c, k) in &self.convs {
            n += c * c_in * k + c + 2 * c;
            c_in = c;
        }
        n + c_in * N_CLASSES + N_CLASSES
    }

    /// Multiply-accumulates of one inference (convolutions and FC).
    pub fn macs(&self) -> usize {
        let (mut c_in, mut t, mut n) = (self.features, self.window, 0);
        for &(c, k) in &self.convs {
            n += t * c * c_in * k;
            c_in = c;
            t /= 2;
        }
        n + c_in * N_CLASSES
    }
}


/// A model card's architecture: a student MLP or the teacher CNN (untagged in JSON; the fields
/// tell them apart).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Architecture {
    Mlp(StudentConfig),
    Cnn(TeacherConfig),
}

impl Architecture {
    /// A short human name, e.g. `MLP 420-128-64-32-3 (a*x^2+b*x)` or `CNN conv 64k5, 128k3`.
    pub fn describe(&self) -> String {
        match self {
            Architecture::Mlp(c) => {
                let mut dims = vec![c.input];
                dims.extend(&c.hidden);
                dims.push(N_CLASSES);
                format!("MLP {} ({})", dims.iter().map(|d| d.to_string()).collect::<Vec<_>>().join("-"), c.activation.describe())
            }
            Architecture::Cnn(c) => format!(
                "1D-CNN {}, GAP, FC(3)",
                c.convs.iter().map(|(ch, k)| format!("Conv({ch}, k={k})+BN+ReLU+MaxPool(2)")).collect::<Vec<_>>().join(", ")
            ),
        }
    }

    /// Multiply-accumulates of one inference.
    pub fn macs(&self) -> usize {
        match self {
            Architecture::Mlp(c) => c.layer_dims().iter().map(|(i, o)| i * o).sum(),
            Architecture::Cnn(c) => c.macs(),
        }
    }
}

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

/// Learning-rate schedule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Schedule {
    Constant,
    /// Cosine decay per batch from `lr` to `lr * min_factor` over all epochs.
    Cosine { min_factor: f64 },
    /// ReduceLROnPlateau on the validation loss: `lr *= factor` after `patience` epochs without
    /// a lower validation loss (PyTorch's default threshold: relative 1e-4).
    Plateau { factor: f64, patience: usize },
}

/// Knowledge distillation (Hinton et al.): `alpha * CE(y, s) + beta * T^2 * KL(softmax(t/T) ||
/// softmax(s/T))`, with the teacher's logits given per training window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Distill {
    pub alpha: f64,
    pub beta: f64,
    pub temperature: f64,
}

/// Sparsity / range regulariser on the weight matrices, added with factor `gamma`:
/// `l1 * sum |w| + l2 * sum ReLU(|w| - tau)` (the second term pushes weights into `[-tau, tau]`,
/// which keeps the quantised range, and so the circuit's lookups, small). Sums are divided by
/// the number of weights, so the factors do not depend on the model size.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Regularizer {
    pub gamma: f64,
    pub l1: f64,
    pub l2: f64,
    pub tau: f64,
}

/// Training settings. Everything is deterministic in `seed` (init, shuffling, subsets, dropout).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TrainConfig {
    /// Student architecture (used by [`train`]; ignored when training a teacher with [`fit`]).
    pub student: StudentConfig,
    pub epochs: usize,
    pub batch_size: usize,
    /// Peak AdamW learning rate.
    pub lr: f64,
    /// Decoupled weight decay on the weight matrices and kernels (not on biases, batch-norm
    /// affine parameters nor activation coefficients).
    pub weight_decay: f64,
    pub schedule: Schedule,
    /// Clip the global gradient norm to this value; `None` disables.
    pub grad_clip: Option<f64>,
    /// Inverted dropout after every hidden activation of a student (0 disables).
    pub dropout: f32,
    pub class_weights: ClassWeights,
    /// Label smoothing of the cross-entropy targets (0 disables; the seed uses 0.1).
    pub label_smoothing: f64,
    /// Focal loss exponent: each sample's loss is multiplied by `(1 - p_y)^gamma`.
    pub focal_gamma: Option<f64>,
    /// Stop after this many epochs without a better validation macro-F1.
    pub patience: Option<usize>,
    /// Weight averaging: keep an exponential moving average of the full state (parameters and
    /// batch-norm statistics) with this decay per step, and validate, select and ship the
    /// average instead of the last step's weights. The per-step decay is
    /// `min(decay, (1 + t) / (10 + t))`, so early steps are not frozen into the average.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ema: Option<f64>,
    /// Each epoch trains on a fresh random `1/subsample` of the training windows (1 = all).
    /// Neighbouring windows overlap by 59 of 60 minutes, so a subset loses little per epoch.
    pub subsample: usize,
    pub distill: Option<Distill>,
    pub regularizer: Option<Regularizer>,
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
            schedule: Schedule::Cosine { min_factor: 0.05 },
            grad_clip: Some(5.0),
            dropout: 0.0,
            class_weights: ClassWeights::None,
            label_smoothing: 0.0,
            focal_gamma: None,
            patience: None,
            ema: None,
            subsample: 1,
            distill: None,
            regularizer: None,
            seed: 42,
            progress: true,
        }
    }
}

impl TrainConfig {
    /// The seed's teacher recipe: AdamW (lr 1e-3, weight decay 1e-4), batch 256, label smoothing
    /// 0.1, ReduceLROnPlateau (0.5, 5), up to 50 epochs, early stopping after 10.
    pub fn seed_teacher() -> TrainConfig {
        TrainConfig {
            epochs: 50,
            schedule: Schedule::Plateau { factor: 0.5, patience: 5 },
            grad_clip: None,
            label_smoothing: 0.1,
            patience: Some(10),
            ..Default::default()
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


/// How bits are spread over the layers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Scheme {
    /// The same bits for every layer.
    Uniform,
    /// Minimises the plain squared weight error under the budget (every layer's curvature equal).
    Mse,
    /// Minimises the curvature-weighted error (HAWQ-v2).
    Hessian,
}

impl Scheme {
    pub fn name(self) -> &'static str {
        match self {
            Scheme::Uniform => "uniform",
            Scheme::Mse => "mse",
            Scheme::Hessian => "hessian",
        }
    }
}

/// What a quantised model folder's card records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuantInfo {
    pub scheme: Scheme,
    pub budget_bits: u32,
    pub bits: Vec<u32>,
    pub frac_bits: Vec<i32>,
    pub param_scale: i32,
    /// The float model it was quantised from.
    pub source_onnx_sha256: String,
}

