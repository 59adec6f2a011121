//! The accuracy / macro-F1 trade-off of a trained model: constant offsets added to its SELL and
//! BUY logits (HOLD is the reference) move its decisions between the majority class and the
//! rare ones. Sweeping them traces every point one set of weights can reach, so two models, or a
//! model and a published figure, are compared on the whole front rather than at one threshold.

use super::metrics::{decide, Metrics};
use serde::{Deserialize, Serialize};

/// The offsets swept on each of SELL and BUY: `-RANGE..=RANGE` in steps of `STEP`.
pub const OFFSET_RANGE: f32 = 1.0;
pub const OFFSET_STEP: f32 = 0.025;

/// One offset pair and what it gives on validation and test.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct OffsetPoint {
    pub sell: f32,
    pub buy: f32,
    pub val_accuracy: f64,
    pub val_macro_f1: f64,
    pub test_accuracy: f64,
    pub test_macro_f1: f64,
}

/// A model's front and the points that matter against a target `(accuracy, macro-F1)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelFront {
    pub name: String,
    /// Model folder, as given.
    pub dir: String,
    /// Training recipe, one line.
    pub recipe: String,
    /// No offset: the model as shipped.
    pub as_trained: OffsetPoint,
    /// Validation Pareto front (no other offset is better on both), by rising accuracy.
    pub front: Vec<OffsetPoint>,
    /// The best validation accuracy among offsets whose validation macro-F1 reaches the target's.
    pub best_accuracy_at_target_f1: Option<OffsetPoint>,
    /// The best validation macro-F1 among offsets whose validation accuracy reaches the target's.
    pub best_f1_at_target_accuracy: Option<OffsetPoint>,
    /// Whether some offset strictly beats the target on both validation figures.
    pub beats_target: bool,
}

/// The fronts of several models against one target (the seed's reported validation figures).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrontierRecord {
    pub created: String,
    pub target_accuracy: f64,
    pub target_macro_f1: f64,
    pub offset_range: f32,
    pub offset_step: f32,
    pub models: Vec<ModelFront>,
}

/// The swept offsets, symmetric around 0 (0 itself included exactly).
pub fn offsets() -> Vec<f32> {
    let k = (OFFSET_RANGE / OFFSET_STEP).round() as i32;
    (-k..=k).map(|i| i as f32 * OFFSET_STEP).collect()
}

/// Accuracy and macro-F1 of `logits` shifted by `(sell, buy)`, decided as everywhere else
/// ([`decide`]: HOLD wins ties, then SELL).
pub fn score(logits: &[[f32; 3]], y: &[u8], sell: f32, buy: f32) -> (f64, f64) {
    let mut c = [[0u64; 3]; 3];
    for (l, &t) in logits.iter().zip(y) {
        c[t as usize][decide([l[0] + sell, l[1], l[2] + buy]) as usize] += 1;
    }
    let m = Metrics::from_confusion(c);
    (m.accuracy, m.macro_f1)
}

/// Sweeps every offset pair on validation, keeps the front and the two target points, and scores
/// those (only) on test.
#[allow(clippy::too_many_arguments)]
pub fn model_front(
    name: &str,
    dir: &str,
    recipe: &str,
    val: (&[[f32; 3]], &[u8]),
    test: (&[[f32; 3]], &[u8]),
    target: (f64, f64),
) -> ModelFront {
    let grid = offsets();
    let mut pts: Vec<(f32, f32, f64, f64)> = Vec::with_capacity(grid.len() * grid.len());
    for &s in &grid {
        for &b in &grid {
            let (a, f) = score(val.0, val.1, s, b);
            pts.push((s, b, a, f));
        }
    }
    let with_test = |p: &(f32, f32, f64, f64)| {
        let (ta, tf) = score(test.0, test.1, p.0, p.1);
        OffsetPoint { sell: p.0, buy: p.1, val_accuracy: p.2, val_macro_f1: p.3, test_accuracy: ta, test_macro_f1: tf }
    };
    let zero = pts.iter().find(|p| p.0 == 0.0 && p.1 == 0.0).expect("0 is on the grid");
    let as_trained = with_test(zero);
    let front: Vec<OffsetPoint> = pareto(&pts).iter().map(with_test).collect();
    // Each of these is a point of the front: the best accuracy at a macro-F1 floor is the
    // front's most accurate point above the floor, and the other way round.
    let (ta, tf) = target;
    let best_accuracy_at_target_f1 = front.iter().rev().find(|p| p.val_macro_f1 >= tf).copied();
    let best_f1_at_target_accuracy = front.iter().find(|p| p.val_accuracy >= ta).copied();
    ModelFront {
        name: name.to_string(),
        dir: dir.to_string(),
        recipe: recipe.to_string(),
        as_trained,
        beats_target: front.iter().any(|p| p.val_accuracy > ta && p.val_macro_f1 > tf),
        front,
        best_accuracy_at_target_f1,
        best_f1_at_target_accuracy,
    }
}

/// The points no other point beats on both accuracy and macro-F1 (`(.., .., accuracy, f1)`), by
/// rising accuracy; of equal points the first is kept.
fn pareto(pts: &[(f32, f32, f64, f64)]) -> Vec<(f32, f32, f64, f64)> {
    let mut order: Vec<usize> = (0..pts.len()).collect();
    // Highest accuracy first; among equal accuracies the best F1 first.
    order.sort_by(|&i, &j| pts[j].2.total_cmp(&pts[i].2).then(pts[j].3.total_cmp(&pts[i].3)).then(i.cmp(&j)));
    let mut out = Vec::new();
    let mut best_f1 = f64::NEG_INFINITY;
    for i in order {
        if pts[i].3 > best_f1 {
            best_f1 = pts[i].3;
            out.push(pts[i]);
        }
    }
    out.reverse();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_front_keeps_only_undominated_points_by_rising_accuracy() {
        let pts = [(0.0, 0.0, 0.50, 0.30), (0.1, 0.0, 0.48, 0.35), (0.2, 0.0, 0.47, 0.34), (0.3, 0.0, 0.45, 0.40), (0.4, 0.0, 0.50, 0.29)];
        let f = pareto(&pts);
        assert_eq!(f.iter().map(|p| p.0).collect::<Vec<_>>(), vec![0.3, 0.1, 0.0]);
    }

    #[test]
    fn offsets_trade_accuracy_for_macro_f1_and_the_targets_are_found() {
        // HOLD-heavy labels; the logits favour HOLD a little, so offsets towards SELL/BUY buy
        // recall on the rare classes at the price of accuracy.
        let y: Vec<u8> = (0..600).map(|i| if i % 3 == 0 { (i / 3 % 2 * 2) as u8 } else { 1 }).collect();
        let logits: Vec<[f32; 3]> = y
            .iter()
            .enumerate()
            .map(|(i, &t)| {
                let hint = if i % 5 == 0 { 0.0 } else { 0.3 };
                match t {
                    0 => [hint, 0.2, 0.0],
                    2 => [0.0, 0.2, hint],
                    _ => [0.0, 0.2 + (i % 7) as f32 * 0.05, 0.0],
                }
            })
            .collect();
        let (a0, f0) = score(&logits, &y, 0.0, 0.0);
        let m = model_front("m", "d", "r", (&logits, &y), (&logits, &y), (a0, f0));
        assert_eq!((m.as_trained.val_accuracy, m.as_trained.val_macro_f1), (a0, f0));
        assert_eq!(m.as_trained.test_accuracy, a0, "test is scored with the same offsets");
        // The front rises in accuracy and falls in macro-F1.
        assert!(m.front.windows(2).all(|w| w[0].val_accuracy <= w[1].val_accuracy && w[0].val_macro_f1 > w[1].val_macro_f1));
        // Against its own point, the best picks are at least as good as the model itself.
        let a = m.best_accuracy_at_target_f1.unwrap();
        assert!(a.val_accuracy >= a0 && a.val_macro_f1 >= f0);
        let f = m.best_f1_at_target_accuracy.unwrap();
        assert!(f.val_macro_f1 >= f0 && f.val_accuracy >= a0);
        // The picks read off the front equal a search over every offset pair.
        let target = (a0 - 0.05, f0 - 0.05);
        let t = model_front("m", "d", "r", (&logits, &y), (&logits, &y), target);
        let all: Vec<(f64, f64)> = offsets().iter().flat_map(|&s| offsets().into_iter().map(move |b| (s, b))).map(|(s, b)| score(&logits, &y, s, b)).collect();
        let best_acc = all.iter().filter(|p| p.1 >= target.1).map(|p| p.0).fold(f64::NEG_INFINITY, f64::max);
        let best_f1 = all.iter().filter(|p| p.0 >= target.0).map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
        assert_eq!(t.best_accuracy_at_target_f1.map(|p| p.val_accuracy), Some(best_acc).filter(|v| v.is_finite()));
        assert_eq!(t.best_f1_at_target_accuracy.map(|p| p.val_macro_f1), Some(best_f1).filter(|v| v.is_finite()));
        assert_eq!(t.beats_target, all.iter().any(|p| p.0 > target.0 && p.1 > target.1));
        assert!(t.best_accuracy_at_target_f1.is_some() && t.best_f1_at_target_accuracy.is_some(), "a target inside the front: {a0} {f0}");
        // An unreachable target: nothing beats it, and no point reaches its macro-F1.
        let far = model_front("m", "d", "r", (&logits, &y), (&logits, &y), (1.0, 1.0));
        assert!(!far.beats_target && far.best_accuracy_at_target_f1.is_none() && far.best_f1_at_target_accuracy.is_none());
        // The grid holds 0 exactly and is symmetric.
        let g = offsets();
        assert!(g.contains(&0.0) && g.len() % 2 == 1 && (g[0] + g[g.len() - 1]).abs() < 1e-6);
    }
}
