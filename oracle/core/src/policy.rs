//! The consumer's trading rule: what a vault that follows a feed does with each round. This is the
//! specification and its one off-chain implementation; the backtest (`veriregime backtest`) replays
//! it on history, and a vault contract mirrors it (see "Mirroring it on chain" below).
//!
//! # Inputs
//! A sequence of rounds in increasing decision-minute order, each delivered once, as the oracle
//! stores them: the decision minute (unix seconds, a whole minute: the last minute of the input
//! window), the signal (0 SELL, 1 HOLD, 2 BUY; the argmax with [`crate::model::decide`]'s tie rule)
//! and the three logits in class order.
//!
//! # State
//! The position (`Flat`: all stable, or `Long`: all risk; the vault is long-only), the minute of the
//! last position change, the minute of the last confirmed BUY, and the current run of qualifying
//! signals (its class, length and last minute).
//!
//! # Parameters ([`PolicySpec`])
//! - `margin` (logit units, >= 0): a BUY or SELL *qualifies* only when its logit exceeds the larger of
//!   the other two by at least `margin`. 0 accepts every BUY and SELL signal.
//! - `persist` (rounds, >= 1): a qualifying signal is *confirmed* when it is the `persist`-th in a run
//!   of qualifying signals of the same class at consecutive minutes (a HOLD, a signal below the
//!   margin, the other class or a missing minute ends the run).
//! - `min_hold` (minutes): no position change within `min_hold` minutes of the previous one; a
//!   confirmed signal arriving earlier is dropped, not deferred (0: no limit).
//! - `max_hold` (minutes): while long, go flat at the first round at least `max_hold` minutes after
//!   the last confirmed BUY (0: never; stay long until a confirmed SELL).
//!
//! # Transition, per round
//! 1. `q` = the round's signal if it is BUY or SELL and qualifies, else none.
//! 2. The run: extended when `q` is the run's class at the minute after its last; restarted at 1 for
//!    another `q`; emptied when there is no `q`. `c` = `q` when the run's length is >= `persist`.
//! 3. `c` = BUY sets the last confirmed BUY to this minute.
//! 4. Target: `Long` on `c` = BUY, `Flat` on `c` = SELL; otherwise, when long with `max_hold` > 0 and
//!    the last confirmed BUY at least `max_hold` minutes ago, `Flat`; otherwise the position.
//! 5. If the target differs from the position and no change happened in the last `min_hold`
//!    minutes (or none yet), the position becomes the target and this minute is the last change:
//!    the round's action is `Buy` or `Sell`; otherwise the action is `None`.
//!
//! [`PolicySpec::VAULT`] (margin 0, persist 1, no hold limits) is the plain rule: BUY -> all risk,
//! SELL -> all stable, HOLD -> keep.
//!
//! # On chain
//! The demo vault (`contracts/DemoVault.sol`, `actionFor`) implements the rule without the hold
//! timers ([`PolicySpec::vault_implements`]): its constructor takes `margin` (as
//! `minLogitLeadWad = margin * 1e18`) and `persist`. The oracle stores every round's logits as
//! integers at scale `2^outputScale`; the vault compares `logit[c] - max(others) >=
//! ceil(margin * 2^outputScale)`, which for logits `x / 2^outputScale` (exact in f64: the oracle
//! bounds |x| below 2^31) is this implementation's comparison. Without timers the rule needs no
//! state but the position: the vault reads the run from the oracle's last `persist` rounds, so it
//! acts like this implementation fed every round, even when a keeper skipped one.
//! `test/DemoVaultPolicy.t.sol` drives the rounds of `test/fixtures/policy_vectors.json` (written
//! by `oracle/core/tests/policy_vectors.rs` from this implementation) through the real oracle and
//! vault and compares every round's action.

use serde::{Deserialize, Serialize};

/// Seconds in a minute (decision minutes are unix seconds, as on chain).
pub const MINUTE_S: i64 = 60;

/// One round of a feed, as the oracle stores it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Round {
    /// Unix seconds of the decision minute (a multiple of 60).
    pub minute: i64,
    /// 0 SELL, 1 HOLD, 2 BUY.
    pub signal: u8,
    /// Logits of SELL, HOLD, BUY.
    pub logits: [f64; 3],
}

impl Round {
    /// A round whose signal is the decision rule's on `logits`.
    pub fn from_logits(minute: i64, logits: [f64; 3]) -> Round {
        Round { minute, signal: crate::model::decide(logits), logits }
    }

    /// By how much the signal's logit exceeds the larger of the other two.
    pub fn margin(&self) -> f64 {
        let s = self.signal as usize;
        let other = (0..3).filter(|&k| k != s).map(|k| self.logits[k]).fold(f64::NEG_INFINITY, f64::max);
        self.logits[s] - other
    }
}

/// The vault's holding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Position {
    /// All stable.
    #[default]
    Flat,
    /// All risk.
    Long,
}

/// What one round made the vault do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    None,
    /// Stable -> risk.
    Buy,
    /// Risk -> stable.
    Sell,
}

/// The parameters of the rule (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PolicySpec {
    /// Minimum lead of a BUY or SELL logit over the other two, in logit units.
    pub margin: f64,
    /// Qualifying signals of one class at consecutive minutes needed to act (>= 1).
    pub persist: u32,
    /// Minimum minutes between two position changes (0: none).
    pub min_hold: u32,
    /// Minutes after the last confirmed BUY at which a long position is closed (0: never).
    pub max_hold: u32,
}

/// Errors of a policy specification.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum PolicyError {
    #[error("policy {0:?}: {1}")]
    Invalid(String, String),
}

impl PolicySpec {
    /// The demo vault's rule today: every BUY buys, every SELL sells, HOLD keeps.
    pub const VAULT: PolicySpec = PolicySpec { margin: 0.0, persist: 1, min_hold: 0, max_hold: 0 };

    /// Whether the demo vault can run this policy: it has no hold timers.
    pub fn vault_implements(&self) -> bool {
        self.min_hold == 0 && self.max_hold == 0
    }

    /// Checks the parameters' ranges.
    pub fn validate(&self) -> Result<(), PolicyError> {
        let bad = |why: &str| Err(PolicyError::Invalid(self.to_string(), why.into()));
        if !self.margin.is_finite() || self.margin < 0.0 {
            return bad("margin must be a finite number >= 0");
        }
        if self.persist == 0 {
            return bad("persist must be at least 1");
        }
        Ok(())
    }

    /// Parses `vault` or `margin=M,persist=P,min_hold=H,max_hold=X` (any subset; the others are the
    /// vault rule's).
    pub fn parse(s: &str) -> Result<PolicySpec, PolicyError> {
        let s = s.trim();
        if s == "vault" {
            return Ok(PolicySpec::VAULT);
        }
        let mut p = PolicySpec::VAULT;
        for part in s.split(',').map(str::trim).filter(|x| !x.is_empty()) {
            let bad = |why: String| PolicyError::Invalid(s.into(), why);
            let (k, v) = part.split_once('=').ok_or_else(|| bad(format!("{part:?} is not key=value")))?;
            let int = |v: &str| v.trim().parse::<u32>().map_err(|e| bad(format!("{k}: {v:?} is not a whole number: {e}")));
            match k.trim() {
                "margin" => p.margin = v.trim().parse().map_err(|e| bad(format!("margin: {v:?} is not a number: {e}")))?,
                "persist" => p.persist = int(v)?,
                "min_hold" => p.min_hold = int(v)?,
                "max_hold" => p.max_hold = int(v)?,
                other => return Err(bad(format!("unknown parameter {other:?} (margin, persist, min_hold, max_hold)"))),
            }
        }
        p.validate()?;
        Ok(p)
    }
}

impl std::fmt::Display for PolicySpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "margin={},persist={},min_hold={},max_hold={}", self.margin, self.persist, self.min_hold, self.max_hold)
    }
}

/// A policy chosen for a model, as a file (`models/policy.json`): what a vault deployment
/// configures and what `veriregime backtest --policy FILE` replays.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicyFile {
    pub format: String,
    pub spec: PolicySpec,
    /// sha256 of the ONNX file of the model it was chosen for.
    pub model_onnx_sha256: String,
    /// How it was chosen, in words.
    pub chosen: String,
}

impl PolicyFile {
    pub const FORMAT: &'static str = "veriregime-policy-1";

    /// Reads and checks a policy file.
    pub fn read(path: &std::path::Path) -> anyhow::Result<PolicyFile> {
        let s = std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("reading {}: {e}", path.display()))?;
        let f: PolicyFile = serde_json::from_str(&s).map_err(|e| anyhow::anyhow!("parsing {}: {e}", path.display()))?;
        anyhow::ensure!(f.format == Self::FORMAT, "{}: unknown policy format {:?}", path.display(), f.format);
        f.spec.validate().map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        Ok(f)
    }
}

/// A policy named on a command line: `vault`, `key=value,...` (see [`PolicySpec::parse`]) or the
/// path of a [`PolicyFile`]. Returns the spec and, for a file, the model it was chosen for.
pub fn resolve(name: &str) -> anyhow::Result<(PolicySpec, Option<String>)> {
    let path = std::path::Path::new(name);
    if name.ends_with(".json") || path.is_file() {
        let f = PolicyFile::read(path)?;
        return Ok((f.spec, Some(f.model_onnx_sha256)));
    }
    Ok((PolicySpec::parse(name)?, None))
}

/// A policy named on a command line (see [`resolve`]) for the model whose ONNX file has sha256
/// `onnx_sha256` (what a vault is configured with): a policy file chosen for another model is an
/// error naming both.
pub fn resolve_for(name: &str, onnx_sha256: &str) -> anyhow::Result<PolicySpec> {
    let (spec, chosen_for) = resolve(name)?;
    if let Some(sha) = chosen_for {
        anyhow::ensure!(sha == onnx_sha256, "policy {name} was chosen for the model with ONNX sha256 {sha}, not for {onnx_sha256}");
    }
    Ok(spec)
}

/// The rule's state while it follows a feed.
#[derive(Debug, Clone)]
pub struct Follower {
    pub spec: PolicySpec,
    pub position: Position,
    last_change: Option<i64>,
    last_buy: Option<i64>,
    /// (class, length, minute of its last round)
    run: Option<(u8, u32, i64)>,
    last_minute: Option<i64>,
}

/// Errors of following a feed.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum FollowError {
    #[error("round at {minute} does not follow the previous round at {previous}: rounds must come in increasing minute order")]
    OutOfOrder { minute: i64, previous: i64 },
    #[error("round at {minute}: not a whole minute of unix seconds")]
    NotAMinute { minute: i64 },
    #[error("round at {minute}: signal {signal} is not 0 (SELL), 1 (HOLD) or 2 (BUY)")]
    BadSignal { minute: i64, signal: u8 },
}

impl Follower {
    /// Starts flat.
    pub fn new(spec: PolicySpec) -> Follower {
        Follower { spec, position: Position::Flat, last_change: None, last_buy: None, run: None, last_minute: None }
    }

    /// Applies one round; returns what the vault does.
    pub fn step(&mut self, r: &Round) -> Result<Action, FollowError> {
        if r.minute % MINUTE_S != 0 {
            return Err(FollowError::NotAMinute { minute: r.minute });
        }
        if r.signal > 2 {
            return Err(FollowError::BadSignal { minute: r.minute, signal: r.signal });
        }
        if let Some(p) = self.last_minute {
            if r.minute <= p {
                return Err(FollowError::OutOfOrder { minute: r.minute, previous: p });
            }
        }
        self.last_minute = Some(r.minute);
        let s = &self.spec;
        let q = (r.signal != 1 && r.margin() >= s.margin).then_some(r.signal);
        self.run = match (q, self.run) {
            (Some(c), Some((rc, n, last))) if rc == c && r.minute == last + MINUTE_S => Some((c, n + 1, r.minute)),
            (Some(c), _) => Some((c, 1, r.minute)),
            (None, _) => None,
        };
        let confirmed = self.run.and_then(|(c, n, _)| (n >= s.persist).then_some(c));
        if confirmed == Some(2) {
            self.last_buy = Some(r.minute);
        }
        let target = match confirmed {
            Some(2) => Position::Long,
            Some(_) => Position::Flat,
            None => {
                let expired = self.last_buy.is_some_and(|b| r.minute - b >= s.max_hold as i64 * MINUTE_S);
                if self.position == Position::Long && s.max_hold > 0 && expired {
                    Position::Flat
                } else {
                    self.position
                }
            }
        };
        let free = self.last_change.is_none_or(|t| r.minute - t >= s.min_hold as i64 * MINUTE_S);
        if target == self.position || !free {
            return Ok(Action::None);
        }
        self.position = target;
        self.last_change = Some(r.minute);
        Ok(if target == Position::Long { Action::Buy } else { Action::Sell })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SELL: [f64; 3] = [2.0, 0.0, 0.0];
    const HOLD: [f64; 3] = [0.0, 1.0, 0.0];
    const BUY: [f64; 3] = [0.0, 0.0, 2.0];

    /// Actions of `spec` on rounds at consecutive minutes from 0 (`None` entries skip a minute).
    fn run(spec: PolicySpec, logits: &[Option<[f64; 3]>]) -> Vec<Action> {
        let mut f = Follower::new(spec);
        logits
            .iter()
            .enumerate()
            .filter_map(|(i, l)| l.map(|l| f.step(&Round::from_logits(i as i64 * MINUTE_S, l)).unwrap()))
            .collect()
    }

    use Action::{Buy as B, None as N, Sell as S};

    #[test]
    fn the_vault_rule_buys_on_buy_sells_on_sell_and_keeps_on_hold() {
        let a = run(PolicySpec::VAULT, &[Some(HOLD), Some(SELL), Some(BUY), Some(BUY), Some(HOLD), Some(SELL), Some(SELL), Some(BUY)]);
        assert_eq!(a, vec![N, N, B, N, N, S, N, B]);
    }

    #[test]
    fn a_margin_drops_weak_signals() {
        let weak_buy = [0.0, 0.5, 1.0]; // lead 0.5
        let spec = PolicySpec { margin: 0.6, ..PolicySpec::VAULT };
        assert_eq!(run(spec, &[Some(weak_buy), Some(BUY), Some([1.2, 1.0, 0.0]), Some(SELL)]), vec![N, B, N, S]);
        // Exactly at the margin qualifies.
        assert_eq!(run(PolicySpec { margin: 0.5, ..PolicySpec::VAULT }, &[Some(weak_buy)]), vec![B]);
    }

    #[test]
    fn persistence_needs_consecutive_minutes_of_the_same_class() {
        let spec = PolicySpec { persist: 3, ..PolicySpec::VAULT };
        assert_eq!(run(spec, &[Some(BUY), Some(BUY), Some(HOLD), Some(BUY), Some(BUY), Some(BUY), Some(BUY)]), vec![N, N, N, N, N, B, N]);
        // A missing minute ends the run.
        assert_eq!(run(spec, &[Some(BUY), Some(BUY), None, Some(BUY), Some(BUY), Some(BUY)]), vec![N, N, N, N, B]);
        // So does the other class; then SELL needs its own three.
        let a = run(spec, &[Some(BUY), Some(BUY), Some(BUY), Some(SELL), Some(BUY), Some(SELL), Some(SELL), Some(SELL)]);
        assert_eq!(a, vec![N, N, B, N, N, N, N, S]);
    }

    #[test]
    fn min_hold_drops_early_changes_and_max_hold_closes_stale_longs() {
        let spec = PolicySpec { min_hold: 3, ..PolicySpec::VAULT };
        // Bought at 0; the SELL at 1 and 2 is dropped, the one at 3 acts; the BUY at 4 is too early.
        assert_eq!(run(spec, &[Some(BUY), Some(SELL), Some(SELL), Some(SELL), Some(BUY), Some(HOLD), Some(HOLD), Some(BUY)]), vec![B, N, N, S, N, N, N, B]);
        let spec = PolicySpec { max_hold: 2, ..PolicySpec::VAULT };
        // The BUY at 1 refreshes the timer; flat at 3 (2 minutes after the last BUY).
        assert_eq!(run(spec, &[Some(BUY), Some(BUY), Some(HOLD), Some(HOLD), Some(HOLD)]), vec![B, N, N, S, N]);
        // Timeout and min_hold together: the exit waits for min_hold.
        let spec = PolicySpec { max_hold: 1, min_hold: 3, ..PolicySpec::VAULT };
        assert_eq!(run(spec, &[Some(BUY), Some(HOLD), Some(HOLD), Some(HOLD)]), vec![B, N, N, S]);
    }

    #[test]
    fn ties_follow_the_decision_rule() {
        // BUY and HOLD tied: HOLD, nothing happens even at margin 0.
        assert_eq!(run(PolicySpec::VAULT, &[Some([0.0, 1.0, 1.0])]), vec![N]);
        // SELL and BUY tied above HOLD: SELL with margin 0.
        let r = Round::from_logits(0, [1.0, 0.0, 1.0]);
        assert_eq!((r.signal, r.margin()), (0, 0.0));
    }

    #[test]
    fn bad_rounds_are_errors() {
        let mut f = Follower::new(PolicySpec::VAULT);
        f.step(&Round::from_logits(120, HOLD)).unwrap();
        assert_eq!(f.step(&Round::from_logits(120, BUY)), Err(FollowError::OutOfOrder { minute: 120, previous: 120 }));
        assert_eq!(f.step(&Round::from_logits(150, BUY)), Err(FollowError::NotAMinute { minute: 150 }));
        assert_eq!(f.step(&Round { minute: 180, signal: 3, logits: BUY }), Err(FollowError::BadSignal { minute: 180, signal: 3 }));
    }

    #[test]
    fn specs_parse_and_print_and_bad_ones_are_named() {
        assert_eq!(PolicySpec::parse("vault").unwrap(), PolicySpec::VAULT);
        let p = PolicySpec::parse("margin=1.5, persist=3,min_hold=60,max_hold=60").unwrap();
        assert_eq!(p, PolicySpec { margin: 1.5, persist: 3, min_hold: 60, max_hold: 60 });
        assert_eq!(PolicySpec::parse(&p.to_string()).unwrap(), p);
        for (s, what) in [("persist=0", "persist"), ("margin=-1", "margin"), ("hold=3", "unknown parameter"), ("margin", "key=value"), ("min_hold=x", "min_hold")] {
            let e = PolicySpec::parse(s).unwrap_err().to_string();
            assert!(e.contains(what), "{s}: {e}");
        }
    }
}
