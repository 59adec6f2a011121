//! Test vectors of the consumer policy (`veriregime_core::policy`) for its on-chain mirror:
//! `test/fixtures/policy_vectors.json` holds a sequence of rounds as the oracle stores them (decision
//! minute in unix seconds, signal, logits as integers at scale 2^OUTPUT_SCALE) and, for several
//! parameter sets, the action of every round. A vault contract implementing the rule must give the
//! same actions when driven with these rounds one by one (see the module docs of
//! `oracle/core/src/policy.rs`). This test regenerates the vectors and checks that the committed file
//! is exactly what the implementation gives; `VERIREGIME_WRITE_POLICY_VECTORS=1` rewrites it.

use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use veriregime_core::policy::{Action, Follower, PolicySpec, Round, MINUTE_S};

/// The committed circuit's output scale (logits are `x / 2^13`).
const OUTPUT_SCALE: u32 = 13;
const ROUNDS: usize = 600;

#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct VectorRound {
    minute: i64,
    signal: u8,
    logits: [i64; 3],
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Case {
    policy: PolicySpec,
    /// `margin * 2^output_scale`: the integer the contract compares logit leads with.
    margin_fixed: i64,
    min_hold_seconds: i64,
    max_hold_seconds: i64,
    /// One character per round: `.` none, `B` buy (stable -> risk), `S` sell (risk -> stable).
    actions: String,
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Vectors {
    format: String,
    about: String,
    output_scale: u32,
    rounds: Vec<VectorRound>,
    cases: Vec<Case>,
}

fn path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../test/fixtures/policy_vectors.json")
}

/// Rounds from a seeded random walk of the logits (so that signals come in runs, as real ones do),
/// with a few minutes missing (skipped rounds).
fn rounds() -> Vec<VectorRound> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(23);
    let scale = (1i64 << OUTPUT_SCALE) as f64;
    let mut l = [0.0f64; 3];
    let mut minute = 1_706_000_000 / MINUTE_S * MINUTE_S;
    let mut out = Vec::with_capacity(ROUNDS);
    for _ in 0..ROUNDS {
        minute += if rng.gen_bool(0.03) { MINUTE_S * rng.gen_range(2..5) } else { MINUTE_S };
        for x in &mut l {
            *x = 0.85 * *x + rng.gen_range(-0.6..0.6);
        }
        let mut logits = l.map(|x| (x * scale).round() as i64);
        // Exact ties at the top now and then, to pin the tie rule: BUY = HOLD (HOLD), SELL = BUY (SELL).
        let top = *logits.iter().max().expect("three");
        let u: f64 = rng.gen();
        if u < 0.02 {
            logits = [logits[0].min(top - 1), top, top];
        } else if u < 0.04 {
            logits = [top, logits[1].min(top - 1), top];
        }
        out.push(VectorRound { minute, signal: veriregime_core::model::decide(logits), logits });
    }
    out
}

fn cases(rounds: &[VectorRound]) -> Vec<Case> {
    let scale = (1i64 << OUTPUT_SCALE) as f64;
    let specs = [
        PolicySpec::VAULT,
        PolicySpec { margin: 0.75, persist: 5, min_hold: 0, max_hold: 0 },
        PolicySpec { margin: 0.25, persist: 2, min_hold: 0, max_hold: 0 },
        PolicySpec { margin: 0.25, persist: 2, min_hold: 15, max_hold: 0 },
        PolicySpec { margin: 0.0, persist: 1, min_hold: 5, max_hold: 10 },
        PolicySpec { margin: 0.5, persist: 3, min_hold: 30, max_hold: 20 },
    ];
    specs
        .iter()
        .map(|&spec| {
            let mut f = Follower::new(spec);
            let actions = rounds
                .iter()
                .map(|r| {
                    let round = Round { minute: r.minute, signal: r.signal, logits: r.logits.map(|x| x as f64 / scale) };
                    match f.step(&round).expect("valid rounds") {
                        Action::None => '.',
                        Action::Buy => 'B',
                        Action::Sell => 'S',
                    }
                })
                .collect();
            Case {
                policy: spec,
                margin_fixed: (spec.margin * scale).round() as i64,
                min_hold_seconds: spec.min_hold as i64 * MINUTE_S,
                max_hold_seconds: spec.max_hold as i64 * MINUTE_S,
                actions,
            }
        })
        .collect()
}

#[test]
fn the_committed_policy_vectors_are_what_the_rule_gives() {
    let rounds = rounds();
    let cases = cases(&rounds);
    // The vectors exercise the rule: every case trades both ways, and the cases differ.
    for c in &cases {
        assert!(c.actions.contains('B') && c.actions.contains('S'), "{:?} never trades both ways: {}", c.policy, c.actions);
        assert_eq!((c.margin_fixed as f64) / (1i64 << OUTPUT_SCALE) as f64, c.policy.margin, "margin not exact at the scale");
    }
    for (i, a) in cases.iter().enumerate() {
        for b in &cases[i + 1..] {
            assert_ne!(a.actions, b.actions, "{:?} and {:?} act alike", a.policy, b.policy);
        }
    }
    assert!(rounds.iter().any(|r| r.signal == 1 && r.logits[1] == r.logits[2] && r.logits[0] < r.logits[1]), "no BUY/HOLD tie in the vectors");
    assert!(rounds.iter().any(|r| r.signal == 0 && r.logits[0] == r.logits[2] && r.logits[1] < r.logits[0]), "no SELL/BUY tie in the vectors");
    let v = Vectors {
        format: "veriregime-policy-vectors-1".into(),
        about: "Rounds as the oracle stores them (decision minute in unix seconds, signal 0 SELL / 1 HOLD / 2 BUY, logits \
                as integers at scale 2^output_scale) and, per policy, the action of each round when the rounds are \
                delivered one by one in order, starting flat: the rule of oracle/core/src/policy.rs. Written by \
                oracle/core/tests/policy_vectors.rs (VERIREGIME_WRITE_POLICY_VECTORS=1)."
            .into(),
        output_scale: OUTPUT_SCALE,
        rounds: Vec::new(),
        cases,
    };
    let v_rounds = rounds;
    // Pretty, but one line per round.
    let mut text = serde_json::to_string_pretty(&v).unwrap();
    let lines: Vec<String> = v_rounds.iter().map(|r| format!("    {}", serde_json::to_string(r).unwrap())).collect();
    text = text.replacen("\"rounds\": []", &format!("\"rounds\": [\n{}\n  ]", lines.join(",\n")), 1) + "\n";
    let back: Vectors = serde_json::from_str(&text).unwrap();
    assert_eq!((back.rounds, back.cases), (v_rounds, v.cases), "the file does not read back");
    let p = path();
    if std::env::var_os("VERIREGIME_WRITE_POLICY_VECTORS").is_some() {
        std::fs::write(&p, &text).unwrap();
    }
    let committed = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e} (VERIREGIME_WRITE_POLICY_VECTORS=1 writes it)", p.display()));
    assert!(committed == text, "{} differs from what the rule gives now; if the rule changed on purpose, rewrite it with VERIREGIME_WRITE_POLICY_VECTORS=1", p.display());
}
