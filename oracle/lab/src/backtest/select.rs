//! Choosing a consumer policy on validation and judging it on test, per model and market: the
//! record behind the models report's "Is the signal worth following?" section, the equity-curve
//! PNGs, and `models/policy.json`.
//!
//! Every policy of a grid ([`Grid`]) is replayed on each market's validation split; the chosen one
//! is, among those the demo vault can run ([`PolicySpec::vault_implements`]: no hold timers), the
//! one with the largest worst-market validation return after costs (ties: the larger mean over
//! markets, then fewer trades). One policy serves every market, as one vault rule does. It is then
//! replayed, once, on each test split, beside the plain rule ([`PolicySpec::VAULT`]) and the
//! baselines. The grid's policies with timers are replayed too and listed among the best on
//! validation, for comparison.

use super::plot::plot_report;
use super::{Classification, Costs, Edge, Market, Outcome, Replay, Report};
use crate::model::study::split_range_of;
use serde::{Deserialize, Serialize};
use std::fmt::Write;
use std::path::{Path, PathBuf};
use veriregime_core::model::{ModelCard, Thresholds};
use veriregime_core::policy::{PolicyFile, PolicySpec};

/// The policies tried: every combination of the values below.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Grid {
    pub margin: Vec<f64>,
    pub persist: Vec<u32>,
    pub min_hold: Vec<u32>,
    pub max_hold: Vec<u32>,
}

impl Default for Grid {
    /// Margins in logit units up to where the shipped student's BUY and SELL signals thin out;
    /// holds of a quarter, one, four and twelve horizons.
    fn default() -> Grid {
        Grid {
            margin: vec![0.0, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0],
            persist: vec![1, 2, 3, 5, 10, 20],
            min_hold: vec![0, 15, 60, 240, 720],
            max_hold: vec![0, 60, 240],
        }
    }
}

impl Grid {
    pub fn specs(&self) -> Vec<PolicySpec> {
        let mut v = Vec::new();
        for &margin in &self.margin {
            for &persist in &self.persist {
                for &min_hold in &self.min_hold {
                    for &max_hold in &self.max_hold {
                        v.push(PolicySpec { margin, persist, min_hold, max_hold });
                    }
                }
            }
        }
        v
    }
}

/// One strategy's results on one split, in brief.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SplitValue {
    pub from: String,
    pub to: String,
    pub classification: Classification,
    pub edge: Edge,
    /// The vault's rule today.
    pub vault: Outcome,
    /// The chosen policy.
    pub chosen: Outcome,
    pub buy_and_hold: Outcome,
}

/// A model on one market.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MarketValue {
    pub symbol: String,
    pub val: SplitValue,
    pub test: SplitValue,
    /// The chosen policy on test at other fees (bps): `(fee, plain rule, chosen, buy-and-hold)` returns.
    pub test_fee_sweep: Vec<(f64, f64, f64, f64)>,
    /// Equity-curve PNG of the test split, relative to the models folder.
    pub test_png: Option<String>,
}

/// A policy's validation returns per market.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    pub spec: PolicySpec,
    pub val_returns: Vec<f64>,
    pub val_trades: Vec<u64>,
}

/// One model's value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelValue {
    pub name: String,
    pub dir: String,
    pub onnx_sha256: String,
    pub architecture: String,
    pub thresholds: Thresholds,
    /// Trained with class weights other than 1 (e.g. balanced).
    #[serde(default)]
    pub class_weighted: bool,
    pub chosen: PolicySpec,
    /// The best few of the grid on validation, best first.
    pub top: Vec<Candidate>,
    /// The plain rule's validation returns (for comparison with `top`).
    pub vault_val: Candidate,
    pub markets: Vec<MarketValue>,
}

/// Everything `veriregime train policy` measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ValueRecord {
    pub created: String,
    pub costs: Costs,
    pub symbols: Vec<String>,
    pub grid: Grid,
    pub n_policies: usize,
    pub models: Vec<ModelValue>,
    /// Fees (bps) of the sweep on test.
    pub fee_sweep_bps: Vec<f64>,
    pub wall_s: f64,
}

/// What to measure.
#[derive(Debug, Clone)]
pub struct ValueRun {
    pub data: PathBuf,
    pub symbols: Vec<String>,
    /// Model folders; the first is the shipped student, whose policy goes to `policy_file`.
    pub models: Vec<PathBuf>,
    pub costs: Costs,
    pub grid: Grid,
    pub fee_sweep_bps: Vec<f64>,
    /// The models folder (PNGs go to `models_dir/value/`, relative paths are recorded).
    pub models_dir: PathBuf,
    /// Model folders whose test equity curves are drawn (empty: the first model's).
    pub plot: Vec<PathBuf>,
    pub policy_file: PathBuf,
}

/// The policy a record chose: the largest worst-market return, then mean, then fewest trades.
pub fn best(candidates: &[Candidate]) -> usize {
    let key = |c: &Candidate| {
        let min = c.val_returns.iter().copied().fold(f64::INFINITY, f64::min);
        let mean = c.val_returns.iter().sum::<f64>() / c.val_returns.len().max(1) as f64;
        (min, mean, std::cmp::Reverse(c.val_trades.iter().sum::<u64>()))
    };
    (0..candidates.len())
        .max_by(|&a, &b| {
            let (ka, kb) = (key(&candidates[a]), key(&candidates[b]));
            ka.0.total_cmp(&kb.0).then(ka.1.total_cmp(&kb.1)).then(ka.2.cmp(&kb.2)).then(b.cmp(&a))
        })
        .expect("a non-empty grid")
}

fn brief(card: &ModelCard, r: &Replay, mut vault: Outcome, mut chosen: Outcome, bh: Outcome) -> SplitValue {
    let fmt = veriregime_core::data::fmt_minute;
    r.timing_luck(&mut vault, super::LUCK_DRAWS, super::LUCK_SEED);
    r.timing_luck(&mut chosen, super::LUCK_DRAWS, super::LUCK_SEED);
    SplitValue {
        from: fmt(r.rounds[0].round.minute * 1000),
        to: fmt(r.rounds[r.rounds.len() - 1].round.minute * 1000),
        classification: Classification::from(&r.classification(card)),
        edge: r.edge(),
        vault,
        chosen,
        buy_and_hold: bh,
    }
}

impl ValueRun {
    pub fn run(&self) -> anyhow::Result<ValueRecord> {
        let t0 = std::time::Instant::now();
        self.costs.validate()?;
        anyhow::ensure!(!self.models.is_empty() && !self.symbols.is_empty(), "no model or no market");
        let specs = self.grid.specs();
        anyhow::ensure!(!specs.is_empty(), "the policy grid is empty");
        for s in &specs {
            s.validate()?;
        }
        let mut loaded = Vec::new();
        for dir in &self.models {
            let (card, onnx) = ModelCard::load(dir).map_err(|e| anyhow::anyhow!("model folder {}: {e:#}", dir.display()))?;
            let val = split_range_of(&card, "val")?;
            let test = split_range_of(&card, "test")?;
            loaded.push((dir, card, onnx, val, test));
        }
        let from = loaded.iter().map(|l| l.3 .0).min().expect("non-empty");
        let to = loaded.iter().map(|l| l.4 .1).max().expect("non-empty");
        let mut values: Vec<Option<ModelValue>> = vec![None; loaded.len()];
        // Per model: per market (val replay, test replay).
        let mut replays: Vec<Vec<(Replay, Replay)>> = (0..loaded.len()).map(|_| Vec::new()).collect();
        for sym in &self.symbols {
            let market = Market::load(&self.data, sym, from, to)?;
            for (k, (_, card, onnx, val, test)) in loaded.iter().enumerate() {
                let logits = market.logits(card, onnx)?;
                replays[k].push((market.replay(&logits, val.0, val.1)?, market.replay(&logits, test.0, test.1)?));
            }
        }
        let pb = indicatif::ProgressBar::new((loaded.len() * specs.len()) as u64);
        pb.set_style(indicatif::ProgressStyle::with_template("{spinner} policies on validation [{elapsed_precise}] {wide_bar} {pos}/{len}").expect("valid template"));
        for (k, (dir, card, _, _, _)) in loaded.iter().enumerate() {
            let eval = |spec: PolicySpec| -> anyhow::Result<Candidate> {
                let mut c = Candidate { spec, val_returns: Vec::new(), val_trades: Vec::new() };
                for (val, _) in &replays[k] {
                    let o = val.account(&val.follow(spec)?, &self.costs);
                    c.val_returns.push(o.ret);
                    c.val_trades.push(o.trades);
                }
                Ok(c)
            };
            let mut cands = Vec::with_capacity(specs.len());
            for &s in &specs {
                cands.push(eval(s)?);
                pb.inc(1);
            }
            let runnable: Vec<Candidate> = cands.iter().filter(|c| c.spec.vault_implements()).cloned().collect();
            anyhow::ensure!(!runnable.is_empty(), "the policy grid holds no policy the vault can run (all have hold timers)");
            let chosen = runnable[best(&runnable)].spec;
            let mut order: Vec<usize> = (0..cands.len()).collect();
            order.sort_by(|&a, &b| {
                let m = |c: &Candidate| c.val_returns.iter().copied().fold(f64::INFINITY, f64::min);
                m(&cands[b]).total_cmp(&m(&cands[a]))
            });
            let top: Vec<Candidate> = order.iter().take(5).map(|&i| cands[i].clone()).collect();
            let mut markets = Vec::new();
            for ((val, test), sym) in replays[k].iter().zip(&self.symbols) {
                let run = |r: &Replay, spec: PolicySpec, costs: &Costs| -> anyhow::Result<Outcome> { Ok(r.outcome(&r.follow(spec)?, costs)) };
                let v = brief(card, val, run(val, PolicySpec::VAULT, &self.costs)?, run(val, chosen, &self.costs)?, val.outcome(&val.buy_and_hold(), &self.costs));
                let t = brief(card, test, run(test, PolicySpec::VAULT, &self.costs)?, run(test, chosen, &self.costs)?, test.outcome(&test.buy_and_hold(), &self.costs));
                let mut sweep = Vec::new();
                for &fee in &self.fee_sweep_bps {
                    let c = Costs { fee_bps: fee, ..self.costs };
                    sweep.push((fee, run(test, PolicySpec::VAULT, &c)?.ret, run(test, chosen, &c)?.ret, test.outcome(&test.buy_and_hold(), &c).ret));
                }
                let png = if (self.plot.is_empty() && k == 0) || self.plot.iter().any(|p| p == *dir) {
                    let rel = format!("value/{}-{}-test.png", crate::recipes::folder_name(dir, &card.name), sym);
                    let report = Report {
                        model: crate::recipes::folder_name(dir, &card.name),
                        onnx_sha256: card.onnx_sha256.clone(),
                        symbol: sym.clone(),
                        from: t.from.clone(),
                        to: t.to.clone(),
                        minutes: test.closes.len(),
                        rounds: test.rounds.len(),
                        costs: self.costs,
                        round_trip_cost_pct: self.costs.round_trip_pct(),
                        policy_name: format!("chosen ({})", describe(&chosen)),
                        policy_spec: chosen,
                        classification: t.classification,
                        edge: t.edge,
                        policy: t.chosen.clone(),
                        buy_and_hold: t.buy_and_hold.clone(),
                        always_flat: test.outcome(&[], &self.costs),
                    };
                    plot_report(&report, Some(("plain rule", &t.vault)), self.models_dir.join(&rel))?;
                    Some(rel)
                } else {
                    None
                };
                markets.push(MarketValue { symbol: sym.clone(), val: v, test: t, test_fee_sweep: sweep, test_png: png });
            }
            values[k] = Some(ModelValue {
                name: crate::recipes::folder_name(dir, &card.name),
                dir: dir.display().to_string(),
                onnx_sha256: card.onnx_sha256.clone(),
                architecture: card.architecture.describe(),
                thresholds: card.thresholds.clone(),
                class_weighted: card.training.as_ref().is_some_and(|t| t.class_weights.iter().any(|&w| (w - 1.0).abs() > 1e-6)),
                chosen,
                top,
                vault_val: eval(PolicySpec::VAULT)?,
                markets,
            });
        }
        pb.finish_and_clear();
        let models: Vec<ModelValue> = values.into_iter().map(|v| v.expect("every model measured")).collect();
        let first = &models[0];
        let file = PolicyFile {
            format: PolicyFile::FORMAT.into(),
            spec: first.chosen,
            model_onnx_sha256: first.onnx_sha256.clone(),
            chosen: format!(
                "`veriregime train policy`: the largest worst-market validation return after {} bps fee + {} bps slippage per fill (fill {} min after the decision) among the {} of {} policies the vault can run (no hold timers), markets {}",
                self.costs.fee_bps,
                self.costs.slippage_bps,
                self.costs.delay_minutes,
                specs.iter().filter(|s| s.vault_implements()).count(),
                specs.len(),
                self.symbols.join(", ")
            ),
        };
        veriregime_core::write_atomic(&self.policy_file, (serde_json::to_string_pretty(&file)? + "\n").as_bytes())?;
        Ok(ValueRecord {
            created: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            costs: self.costs,
            symbols: self.symbols.clone(),
            grid: self.grid.clone(),
            n_policies: specs.len(),
            models,
            fee_sweep_bps: self.fee_sweep_bps.clone(),
            wall_s: t0.elapsed().as_secs_f64(),
        })
    }
}

fn pct(v: f64) -> String {
    format!("{:+.1} %", 100.0 * v)
}

fn opt(v: Option<f64>, f: impl Fn(f64) -> String) -> String {
    v.map(f).unwrap_or_else(|| "-".into())
}

/// Timing in log points, with the share of random rearrangements that did as well.
fn timing(o: &Outcome) -> String {
    format!("{:+.1}{}", 100.0 * o.timing, o.timing_p.map(|p| format!(" ({p:.2})")).unwrap_or_default())
}

/// The policy in words.
pub fn describe(p: &PolicySpec) -> String {
    if *p == PolicySpec::VAULT {
        return "the plain rule (every BUY buys, every SELL sells)".into();
    }
    let mut parts = Vec::new();
    if p.margin > 0.0 {
        parts.push(format!("logit margin >= {}", p.margin));
    }
    if p.persist > 1 {
        parts.push(format!("{} consecutive minutes", p.persist));
    }
    if p.min_hold > 0 {
        parts.push(format!("at least {} min between changes", p.min_hold));
    }
    if p.max_hold > 0 {
        parts.push(format!("flat {} min after the last BUY", p.max_hold));
    }
    parts.join(", ")
}

/// Significance level of the timing test: a share of random rearrangements below it counts as
/// timing that luck rarely matches.
const TIMING_ALPHA: f64 = 0.05;

/// The plain verdict on the shipped model, from its test figures.
fn verdict(m: &ModelValue, c: &Costs) -> String {
    let n = m.markets.len();
    let names = |f: &dyn Fn(&MarketValue) -> bool| -> Vec<&str> { m.markets.iter().filter(|x| f(x)).map(|x| x.symbol.as_str()).collect() };
    let plain_loses = names(&|x| x.test.vault.ret < 0.0);
    let harms = names(&|x| x.test.chosen.ret < 0.0);
    let trails = names(&|x| x.test.chosen.ret < x.test.buy_and_hold.ret);
    let timed = names(&|x| x.test.chosen.timing_p.is_some_and(|p| p < TIMING_ALPHA) && x.test.chosen.timing > 0.0);
    let edges: Vec<f64> = m.markets.iter().filter_map(|x| x.test.edge.buy_minus_sell_pct).collect();
    let max_edge = edges.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let list = |v: &[&str]| if v.len() == n { "every market".to_string() } else if v.is_empty() { "no market".to_string() } else { v.join(", ") };
    let mut out = format!(
        "**Verdict.** The classification skill is real (test accuracy {:.1} % and macro-F1 {:.3} on {}; the baselines are in \
         the tables above), but the gross edge is at most {:+.3} points BUY - SELL, {} a round trip's {:.3} %: followed round \
         by round (the plain rule) the signal loses money after fees on {}. ",
        m.markets.first().map_or(f64::NAN, |x| 100.0 * x.test.classification.accuracy),
        m.markets.first().map_or(f64::NAN, |x| x.test.classification.macro_f1),
        m.markets.first().map_or("-", |x| x.symbol.as_str()),
        max_edge,
        if max_edge < c.round_trip_pct() { "less than" } else { "more than" },
        c.round_trip_pct(),
        list(&plain_loses)
    );
    if harms.is_empty() {
        out += "The chosen policy does no harm: it ends at or above always-flat on every market";
    } else {
        out += &format!("The chosen policy loses money on {}", list(&harms));
    }
    out += &format!(
        ", but it trails buy-and-hold on {} and its timing beats random rearrangements of its own holding periods \
         (share below {TIMING_ALPHA}) on {}. ",
        list(&trails),
        list(&timed)
    );
    if timed.is_empty() && trails.len() == n {
        out += "What it earns is exposure to markets that rose over the test period, not timing: the signal is not \
                worth following for its returns. Through the chosen policy a vault is long most of the time and earns \
                less than holding; following every signal costs it most of its money.";
    } else {
        out += "The signal's timing adds value after fees on the markets named; elsewhere the policy's gain is market exposure.";
    }
    out
}

/// The fee-aware labels, measured: the models whose labels are wider than the shipped one's.
fn fee_aware(v: &ValueRecord) -> Option<String> {
    let base = v.models.first()?.thresholds.buy_above_pct;
    let wider: Vec<&ModelValue> = v.models.iter().filter(|m| m.thresholds.buy_above_pct > base).collect();
    if wider.is_empty() {
        return None;
    }
    let same: Vec<&ModelValue> = v.models.iter().filter(|m| m.thresholds.buy_above_pct == base && !m.class_weighted).collect();
    let values = |ms: &[&ModelValue], f: &dyn Fn(&MarketValue) -> f64| -> Vec<f64> {
        let mut v: Vec<f64> = ms.iter().flat_map(|m| m.markets.iter().map(f)).collect();
        v.sort_by(f64::total_cmp);
        v
    };
    let median = |v: &[f64]| if v.is_empty() { f64::NAN } else { v[v.len() / 2] };
    let ret = |x: &MarketValue| x.test.vault.ret;
    let trades = |x: &MarketValue| x.test.vault.trades as f64;
    let span = |v: &[f64], f: &dyn Fn(f64) -> String| match (v.first(), v.last()) {
        (Some(a), Some(b)) => format!("{} .. {} (median {})", f(*a), f(*b), f(median(v))),
        _ => "-".into(),
    };
    let n_fmt = |x: f64| format!("{x:.0}");
    let silent: Vec<&str> = wider.iter().filter(|m| m.markets.iter().all(|x| x.test.vault.trades == 0)).map(|m| m.name.as_str()).collect();
    let active: Vec<&ModelValue> = wider.iter().copied().filter(|m| m.markets.iter().any(|x| x.test.vault.trades > 0)).collect();
    let plain: Vec<&ModelValue> = active.iter().copied().filter(|m| !m.class_weighted).collect();
    let weighted: Vec<&ModelValue> = active.iter().copied().filter(|m| m.class_weighted).collect();
    let cells = active.iter().map(|m| m.markets.len()).sum::<usize>();
    let timed = active.iter().flat_map(|m| &m.markets).filter(|x| x.test.chosen.timing_p.is_some_and(|p| p < TIMING_ALPHA) && x.test.chosen.timing > 0.0).count();
    let beats = active.iter().flat_map(|m| &m.markets).filter(|x| x.test.chosen.ret >= x.test.buy_and_hold.ret).count();
    let everywhere: Vec<&str> = active.iter().filter(|m| m.markets.iter().all(|x| x.test.chosen.ret >= x.test.buy_and_hold.ret)).map(|m| m.name.as_str()).collect();
    let (wr, br) = (values(&plain, &ret), values(&same, &ret));
    let (wt, bt) = (values(&plain, &trades), values(&same, &trades));
    let mut out = format!(
        "**Fee-aware labels, measured.** {} models were trained on labels wider than the shipped ±{base} % (BUY above +t %, SELL \
         below -t %, t from {} to {} %, with a round trip at {:.3} %), {} of them with class-balanced weights. On test, across \
         markets, the plain rule returns {} with {} trades for the unweighted ones, against {} with {} trades for the unweighted \
         ±{base} % models",
        wider.len(),
        wider.iter().map(|m| m.thresholds.buy_above_pct).fold(f64::INFINITY, f64::min),
        wider.iter().map(|m| m.thresholds.buy_above_pct).fold(f64::NEG_INFINITY, f64::max),
        v.costs.round_trip_pct(),
        wider.iter().filter(|m| m.class_weighted).count(),
        span(&wr, &pct),
        span(&wt, &n_fmt),
        span(&br, &pct),
        span(&bt, &n_fmt),
    );
    out += if median(&wr) > median(&br) && median(&wt) < median(&bt) { ": the wider target trades less and loses less. " } else { ". " };
    if !weighted.is_empty() {
        out += &format!(
            "Class-balanced weights undo that: {} with {} trades. ",
            span(&values(&weighted, &ret), &pct),
            span(&values(&weighted, &trades), &n_fmt)
        );
    }
    if !silent.is_empty() {
        out += &format!("{} never predicted BUY or SELL on test (no trades at all). ", silent.join(", "));
    }
    out += &format!(
        "With each model's chosen policy, {beats} of {cells} model-markets end at or above buy-and-hold ({} on every market), and \
         timing beats random rearrangements (share below {TIMING_ALPHA}) on {timed} of {cells}. ",
        if everywhere.is_empty() { "no model".to_string() } else { everywhere.join(", ") }
    );
    out += &if everywhere.is_empty() {
        format!(
            "Kept: the finding. The shipped student stays on ±{base} % labels: no fee-aware model beats holding on every market, \
             and shipping one means a new circuit, keys, fixtures and policy."
        )
    } else {
        format!("The shipped student is still on ±{base} % labels; shipping a fee-aware one means a new circuit, keys, fixtures and policy.")
    };
    Some(out)
}

/// Per-market cells joined: `a / b / c`.
fn per_market(m: &ModelValue, f: impl Fn(&MarketValue) -> String) -> String {
    m.markets.iter().map(f).collect::<Vec<_>>().join(" / ")
}

/// The models report's section (markdown).
pub fn markdown(v: &ValueRecord) -> String {
    let mut s = String::new();
    let c = &v.costs;
    let syms = v.symbols.join(" / ");
    let _ = writeln!(s, "## Is the signal worth following?\n");
    let _ = writeln!(
        s,
        "Written by `veriregime train policy` on {} ({:.0} s). A vault that follows the feed was replayed minute by minute by \
         the backtest (`veriregime backtest`; the rule is specified in `oracle/core/src/policy.rs`) on each market's validation \
         and test splits, the models' own to the minute: the one feature module, tract inference, a fill at the close {} min \
         after the decision minute, {} bps fee and {} bps slippage per fill (a round trip costs {:.3} %), an open position \
         sold at the end. The *plain rule* (the demo vault's until issue 23) buys with everything on every BUY, sells \
         everything on every SELL and keeps its position on HOLD. {} consumer policies (logit margin {:?}, persistence {:?} minutes, at \
         least {:?} minutes between changes, flat {:?} minutes after the last BUY; 0 = off) were tried on validation; the \
         *chosen* policy of a model is, among those without hold timers (the ones the demo vault runs: margin and \
         persistence are its constructor's parameters), the one with the largest worst-market validation return after costs \
         (one policy for all markets, as one vault rule is) and was replayed once on test. The shipped student's chosen \
         policy is `models/policy.json`: what `make demo` and `veriregime deploy` configure the vault with. The models were trained on BTCUSDT only: ETHUSDT and \
         SOLUSDT are markets they never saw, normalised with BTCUSDT's training statistics.\n",
        v.created,
        v.wall_s,
        c.delay_minutes,
        c.fee_bps,
        c.slippage_bps,
        c.round_trip_pct(),
        v.n_policies,
        v.grid.margin,
        v.grid.persist,
        v.grid.min_hold,
        v.grid.max_hold
    );
    let _ = writeln!(
        s,
        "*Timing* is what the choice of minutes earned, in log points (100 x natural log): the log growth before costs less \
         the exposure times the market's log growth over the split (being long the same share of minutes at random earns the \
         latter on average); buy-and-hold and always-flat have about 0. In brackets: the share of {} random rearrangements \
         of the same holding periods (same exposure, same trades) that earned at least as much before costs; about 0.5 is \
         luck's level, below 0.05 is timing luck rarely matches. Returns are after costs unless said otherwise. Every test \
         split here rose (buy-and-hold below), so any policy that stays long most of the time gains; timing says whether the \
         signal added to that.\n",
        super::LUCK_DRAWS
    );
    if let Some(m) = v.models.first() {
        let harmless: Vec<&str> = m.markets.iter().filter(|x| x.test.chosen.ret < 0.0).map(|x| x.symbol.as_str()).collect();
        let _ = writeln!(s, "**The shipped student (`{}`), on test ({syms}).**\n", m.name);
        let _ = writeln!(
            s,
            "- Gross edge: the mean forward 60-minute return after a BUY is {} points above the one after a SELL, against a \
             round trip of {:.3} %.",
            per_market(m, |x| opt(x.test.edge.buy_minus_sell_pct, |e| format!("{e:+.3}"))),
            c.round_trip_pct()
        );
        let _ = writeln!(
            s,
            "- The plain rule: {} after costs ({} trades), {} before costs, timing {} log points. Buy-and-hold: {}.",
            per_market(m, |x| pct(x.test.vault.ret)),
            per_market(m, |x| x.test.vault.trades.to_string()),
            per_market(m, |x| pct(x.test.vault.return_before_costs)),
            per_market(m, |x| timing(&x.test.vault)),
            per_market(m, |x| pct(x.test.buy_and_hold.ret))
        );
        let _ = writeln!(
            s,
            "- The chosen policy `{}` ({}): {} ({} trades, long {} of the time), timing {} log points. The goal \"after-fee \
             return >= always-flat on each market's test split\" is **{}**{}",
            m.chosen,
            describe(&m.chosen),
            per_market(m, |x| pct(x.test.chosen.ret)),
            per_market(m, |x| x.test.chosen.trades.to_string()),
            per_market(m, |x| format!("{:.0} %", 100.0 * x.test.chosen.exposure)),
            per_market(m, |x| timing(&x.test.chosen)),
            if harmless.is_empty() { "met" } else { "not met" },
            if harmless.is_empty() { ".".to_string() } else { format!(" on {}.", harmless.join(", ")) }
        );
        let _ = writeln!(s);
        let _ = writeln!(s, "{}\n", verdict(m, c));
    }
    let _ = writeln!(
        s,
        "Every model on test, per market ({syms}); accuracy and macro-F1 on BTCUSDT against the model's own labels:\n\n\
         | model | labels | BTC acc / macro-F1 | BUY - SELL edge (points) | plain rule: return (trades) | timing | chosen policy | chosen: return (trades) | timing | buy-and-hold |\n\
         |---|---|---|---|---|---|---|---|---|---|"
    );
    for m in &v.models {
        let btc = m.markets.first().map(|x| format!("{:.1} % / {:.3}", 100.0 * x.test.classification.accuracy, x.test.classification.macro_f1)).unwrap_or_default();
        let _ = writeln!(
            s,
            "| {} | ±{} % | {btc} | {} | {} | {} | `{}` | {} | {} | {} |",
            m.name,
            m.thresholds.buy_above_pct,
            per_market(m, |x| opt(x.test.edge.buy_minus_sell_pct, |e| format!("{e:+.3}"))),
            per_market(m, |x| format!("{} ({})", pct(x.test.vault.ret), x.test.vault.trades)),
            per_market(m, |x| timing(&x.test.vault)),
            m.chosen,
            per_market(m, |x| format!("{} ({})", pct(x.test.chosen.ret), x.test.chosen.trades)),
            per_market(m, |x| timing(&x.test.chosen)),
            per_market(m, |x| pct(x.test.buy_and_hold.ret))
        );
    }
    if let Some(f) = fee_aware(v) {
        let _ = writeln!(s, "\n{f}");
    }
    if let Some(m) = v.models.first() {
        let _ = writeln!(s, "\nThe shipped student in detail (returns after costs; validation, then test):\n");
        let _ = writeln!(
            s,
            "| market | split | accuracy | macro-F1 | after BUY / HOLD / SELL (fwd %) | plain rule: return, before costs, trades, turnover | chosen: return, before costs, trades, exposure, max DD, Sharpe, hit rate | buy-and-hold: return, max DD |\n|---|---|---|---|---|---|---|---|"
        );
        for x in &m.markets {
            for (name, sv) in [("val", &x.val), ("test", &x.test)] {
                let e = &sv.edge;
                let f = |c: &super::ClassEdge| opt(c.mean_fwd_return_pct, |v| format!("{v:+.3}"));
                let _ = writeln!(
                    s,
                    "| {} | {name} ({} .. {}) | {:.1} % | {:.3} | {} / {} / {} | {}, {}, {}, {:.0}x | {}, {}, {}, {:.0} %, {:.1} %, {}, {} | {}, {:.1} % |",
                    x.symbol,
                    sv.from,
                    sv.to,
                    100.0 * sv.classification.accuracy,
                    sv.classification.macro_f1,
                    f(&e.buy),
                    f(&e.hold),
                    f(&e.sell),
                    pct(sv.vault.ret),
                    pct(sv.vault.return_before_costs),
                    sv.vault.trades,
                    sv.vault.turnover,
                    pct(sv.chosen.ret),
                    pct(sv.chosen.return_before_costs),
                    sv.chosen.trades,
                    100.0 * sv.chosen.exposure,
                    100.0 * sv.chosen.max_drawdown,
                    opt(sv.chosen.sharpe, |v| format!("{v:.2}")),
                    opt(sv.chosen.hit_rate, |v| format!("{:.0} %", 100.0 * v)),
                    pct(sv.buy_and_hold.ret),
                    100.0 * sv.buy_and_hold.max_drawdown
                );
            }
        }
        let _ = writeln!(s, "\nIts best policies on validation ({syms}), and the plain rule's:\n\n| policy | validation return | trades |\n|---|---|---|");
        for (i, cand) in std::iter::once(&m.vault_val).chain(&m.top).enumerate() {
            let label = if i == 0 { "plain rule".to_string() } else if cand.spec == m.chosen { format!("`{}` (chosen)", cand.spec) } else { format!("`{}`", cand.spec) };
            let _ = writeln!(
                s,
                "| {label} | {} | {} |",
                cand.val_returns.iter().map(|r| pct(*r)).collect::<Vec<_>>().join(" / "),
                cand.val_trades.iter().map(|t| t.to_string()).collect::<Vec<_>>().join(" / ")
            );
        }
        if !v.fee_sweep_bps.is_empty() {
            let _ = writeln!(s, "\nIts test returns at other fees per fill ({} bps slippage), plain rule / chosen policy / buy-and-hold:\n", c.slippage_bps);
            let _ = writeln!(s, "| fee (bps) | {} |\n|---|{}", m.markets.iter().map(|x| x.symbol.as_str()).collect::<Vec<_>>().join(" | "), "---|".repeat(m.markets.len()));
            for (i, fee) in v.fee_sweep_bps.iter().enumerate() {
                let cells: Vec<String> = m.markets.iter().map(|x| x.test_fee_sweep.get(i).map(|w| format!("{} / {} / {}", pct(w.1), pct(w.2), pct(w.3))).unwrap_or_default()).collect();
                let _ = writeln!(s, "| {fee} | {} |", cells.join(" | "));
            }
        }
    }
    let _ = writeln!(s);
    for m in &v.models {
        for x in &m.markets {
            if let Some(p) = &x.test_png {
                let _ = writeln!(s, "![{} on {} test: equity after costs]({p})", m.name, x.symbol);
            }
        }
    }
    s
}

/// Where the policy file goes by default.
pub fn default_policy_file(models: &Path) -> PathBuf {
    models.join("policy.json")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cand(margin: f64, r: &[f64], t: &[u64]) -> Candidate {
        Candidate { spec: PolicySpec { margin, ..PolicySpec::VAULT }, val_returns: r.to_vec(), val_trades: t.to_vec() }
    }

    #[test]
    fn the_choice_is_the_best_worst_market_then_the_mean_then_fewer_trades() {
        let c = [cand(0.0, &[0.10, -0.05], &[10, 10]), cand(1.0, &[0.01, 0.00], &[4, 4]), cand(2.0, &[0.03, 0.00], &[4, 4]), cand(3.0, &[0.03, 0.00], &[2, 2])];
        assert_eq!(best(&c), 3);
        assert_eq!(best(&c[..3]), 2);
        assert_eq!(best(&c[..1]), 0);
    }

    #[test]
    fn the_grid_is_every_combination_and_valid() {
        let g = Grid::default();
        let specs = g.specs();
        assert_eq!(specs.len(), g.margin.len() * g.persist.len() * g.min_hold.len() * g.max_hold.len());
        assert!(specs.contains(&PolicySpec::VAULT));
        assert!(specs.iter().all(|s| s.validate().is_ok()));
    }
}
