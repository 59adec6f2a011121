//! Classification metrics for the three classes SELL (0), HOLD (1), BUY (2).

use serde::{Deserialize, Serialize};

/// Precision, recall, F1 and support of one class.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct ClassMetrics {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    /// Number of true samples of this class.
    pub support: u64,
}

/// Per-class metrics, serialised as `{"SELL": {...}, "HOLD": {...}, "BUY": {...}}` (class order).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct PerClass {
    #[serde(rename = "SELL")]
    pub sell: ClassMetrics,
    #[serde(rename = "HOLD")]
    pub hold: ClassMetrics,
    #[serde(rename = "BUY")]
    pub buy: ClassMetrics,
}

impl PerClass {
    /// Metrics of class `c` (0 = SELL, 1 = HOLD, 2 = BUY).
    pub fn get(&self, c: usize) -> &ClassMetrics {
        match c {
            0 => &self.sell,
            1 => &self.hold,
            2 => &self.buy,
            _ => panic!("class {c} out of range"),
        }
    }

    fn get_mut(&mut self, c: usize) -> &mut ClassMetrics {
        match c {
            0 => &mut self.sell,
            1 => &mut self.hold,
            2 => &mut self.buy,
            _ => panic!("class {c} out of range"),
        }
    }
}

/// Accuracy, macro-F1, per-class metrics and the confusion matrix (`confusion[true][pred]`).
///
/// Conventions (those of scikit-learn): a precision or recall with a zero denominator is 0, and
/// the macro-F1 is the unweighted mean F1 over the classes that occur in `y_true` or `y_pred`
/// (all three in any realistic split). On an empty set everything is 0.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Metrics {
    pub n: u64,
    pub accuracy: f64,
    pub macro_f1: f64,
    pub per_class: PerClass,
    /// Rows = true class, columns = predicted class.
    pub confusion: [[u64; 3]; 3],
}

impl Metrics {
    /// Metrics of predictions `y_pred` against labels `y_true` (classes 0..=2).
    ///
    /// Panics if the lengths differ or a class is above 2.
    pub fn compute(y_true: &[u8], y_pred: &[u8]) -> Metrics {
        assert_eq!(y_true.len(), y_pred.len(), "y_true and y_pred lengths differ");
        let mut c = [[0u64; 3]; 3];
        for (&t, &p) in y_true.iter().zip(y_pred) {
            assert!(t < 3 && p < 3, "class out of range: true {t}, pred {p}");
            c[t as usize][p as usize] += 1;
        }
        Metrics::from_confusion(c)
    }

    /// Metrics of a confusion matrix (`confusion[true][pred]`).
    pub fn from_confusion(confusion: [[u64; 3]; 3]) -> Metrics {
        let n: u64 = confusion.iter().flatten().sum();
        let correct: u64 = (0..3).map(|k| confusion[k][k]).sum();
        let mut per_class = PerClass::default();
        let (mut f1_sum, mut present) = (0.0, 0usize);
        for k in 0..3 {
            let tp = confusion[k][k] as f64;
            let support: u64 = confusion[k].iter().sum();
            let predicted: u64 = (0..3).map(|t| confusion[t][k]).sum();
            let precision = if predicted > 0 { tp / predicted as f64 } else { 0.0 };
            let recall = if support > 0 { tp / support as f64 } else { 0.0 };
            let f1 = if precision + recall > 0.0 {
                2.0 * precision * recall / (precision + recall)
            } else {
                0.0
            };
            *per_class.get_mut(k) = ClassMetrics { precision, recall, f1, support };
            if support > 0 || predicted > 0 {
                f1_sum += f1;
                present += 1;
            }
        }
        Metrics {
            n,
            accuracy: if n > 0 { correct as f64 / n as f64 } else { 0.0 },
            macro_f1: if present > 0 { f1_sum / present as f64 } else { 0.0 },
            per_class,
            confusion,
        }
    }
}

/// Index of the largest logit (first on ties).
pub fn argmax3(l: &[f32; 3]) -> u8 {
    decide(*l)
}

/// The class of three logits (SELL, HOLD, BUY): the argmax, where HOLD wins any tie it is part of
/// and a SELL/BUY tie goes to SELL. The oracle contract decides the same way
/// (contracts/libraries/SignalLib.sol), so evaluation, the daemon and the chain agree.
pub fn decide<T: PartialOrd + Copy>(l: [T; 3]) -> u8 {
    let (mut best, mut v) = (1u8, l[1]);
    if l[0] > v {
        best = 0;
        v = l[0];
    }
    if l[2] > v {
        best = 2;
    }
    best
}
