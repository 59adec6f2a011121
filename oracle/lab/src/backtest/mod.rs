//! Is the signal worth following? A minute-by-minute replay of a consumer policy
//! ([`veriregime_core::policy`], the rule a vault follows) on real candles, with the one feature
//! module and the model's tract inference, against buy-and-hold and always-flat.
//!
//! # Execution and accounting
//! - Capital starts at 1 (stable). A round exists for every decision minute of the range (each needs
//!   [`veriregime_core::features::LOOKBACK`] contiguous candles, as for the oracle); its signal and
//!   logits are the model's on the canonical window.
//! - An action decided at minute `t` fills at the close of minute `t + delay` ([`Costs::delay_minutes`];
//!   the oracle's round needs ~3 s from the candle close and the vault's swap another transaction, so
//!   the default is one minute). If that minute is missing (a gap), at the next candle there is; a fill
//!   due after the range is dropped.
//! - A fill trades the whole holding: buying spends all stable at `close * (1 + slippage)` and pays the
//!   fee on what it spends; selling receives `qty * close * (1 - slippage)` less the fee. Fees and
//!   slippage are in basis points of the notional traded.
//! - Equity is marked at every candle close of the range. At the end an open position is valued as if
//!   sold at the last close with fee and slippage (that closing sale counts as a trade).
//!
//! # Metrics ([`Outcome`])
//! `return` (after costs, a fraction), `return_before_costs` (same fills, no fee or slippage),
//! `timing` (log growth before costs less `exposure` times the market's: what the choice of minutes
//! earned over being long the same share of minutes at random), `trades` (fills), `round_trips`,
//! `turnover` (value traded over the starting capital), `exposure` (share of the minute-to-minute
//! intervals held long), `max_drawdown` (largest fall from a running peak, a fraction),
//! `sharpe` (mean over standard deviation of the per-minute returns, times sqrt(525,600): annualised
//! for a market that trades every minute of the year; none when the equity never moves), `hit_rate`
//! (share of round trips closed with more stable than they started with), and the mean forward
//! 60-minute return after the policy's buys and after its sells.
//! Per model and range ([`Report`]): accuracy and macro-F1 against the card's labels, and the gross
//! edge: the mean forward 60-minute return after each predicted class.

pub mod plot;
pub mod publishing;
pub mod select;

use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::path::Path;
use veriregime_core::data::{Archive, Series, MINUTE_MS};
use veriregime_core::features::{Dataset, Sample, CLASS_NAMES, INPUT_LEN};
use veriregime_core::model::{Metrics, ModelCard, OnnxModel};
use veriregime_core::policy::{Action, Follower, PolicySpec, Position, Round};

/// Per-minute returns in a year of a market open around the clock.
pub const MINUTES_PER_YEAR: f64 = 525_600.0;

/// Random rearrangements behind a policy's `timing_p`, and their seed.
pub const LUCK_DRAWS: usize = 1000;
pub const LUCK_SEED: u64 = 42;

/// What trading costs, and when an action fills.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Costs {
    /// Fee per fill, basis points of the notional.
    pub fee_bps: f64,
    /// Price moved against each fill, basis points.
    pub slippage_bps: f64,
    /// Minutes from the decision minute's close to the fill.
    pub delay_minutes: u32,
}

impl Costs {
    pub fn validate(&self) -> anyhow::Result<()> {
        anyhow::ensure!(self.fee_bps.is_finite() && (0.0..10_000.0).contains(&self.fee_bps), "fee {} bps is not in 0..10000", self.fee_bps);
        anyhow::ensure!(
            self.slippage_bps.is_finite() && (0.0..10_000.0).contains(&self.slippage_bps),
            "slippage {} bps is not in 0..10000",
            self.slippage_bps
        );
        Ok(())
    }

    /// No fee, no slippage, same delay.
    pub fn free(&self) -> Costs {
        Costs { fee_bps: 0.0, slippage_bps: 0.0, ..*self }
    }

    /// What a buy and a sell cost together, percent of the notional (at small costs, about
    /// `2 * (fee + slippage)`).
    pub fn round_trip_pct(&self) -> f64 {
        let (f, s) = (self.fee_bps / 1e4, self.slippage_bps / 1e4);
        100.0 * (1.0 - (1.0 - f) * (1.0 - f) * (1.0 - s) / (1.0 + s))
    }
}

/// A market over a range: its candles, its decision minutes and the features of each.
#[derive(Debug)]
pub struct Market {
    pub symbol: String,
    /// Decision minutes in `[from, to)` (epoch ms).
    pub from: i64,
    pub to: i64,
    pub series: Series,
    pub ds: Dataset,
    /// Every decision minute of the range (labelled or not).
    pub samples: Vec<Sample>,
}

impl Market {
    /// Reads the range (with a day of warm-up before and a day after, where the archive has them)
    /// and computes every decision minute's features.
    pub fn load(root: &Path, symbol: &str, from: i64, to: i64) -> anyhow::Result<Market> {
        let pb = veriregime_core::progress::spinner(format!("reading {symbol} archives"));
        let series = veriregime_core::range::load_with_margins(&Archive::new(root, symbol), from, to)?;
        pb.set_message(format!("{symbol}: features of {} candles", series.candles.len()));
        let ds = Dataset::from_series(&series);
        let samples = ds.samples(from, to, false);
        pb.finish_and_clear();
        anyhow::ensure!(
            !samples.is_empty(),
            "{symbol}: no decision minute in {}..{} (each needs {} contiguous candles)",
            veriregime_core::data::fmt_minute(from),
            veriregime_core::data::fmt_minute(to),
            veriregime_core::features::LOOKBACK
        );
        Ok(Market { symbol: symbol.into(), from, to, series, ds, samples })
    }

    /// The model's logits of every decision minute (tract, batches of 4096, a progress bar on stderr).
    pub fn logits(&self, card: &ModelCard, model: &OnnxModel) -> anyhow::Result<Vec<[f32; 3]>> {
        let pb = indicatif::ProgressBar::new(self.samples.len() as u64);
        pb.set_style(
            indicatif::ProgressStyle::with_template("{spinner} {msg} [{elapsed_precise}] {wide_bar} {pos}/{len} windows").expect("valid template"),
        );
        pb.set_message(format!("{} on {}", card.name, self.symbol));
        let mut out = Vec::with_capacity(self.samples.len());
        for chunk in self.samples.chunks(4096) {
            let x = self.ds.windows(chunk, &card.normalization);
            debug_assert_eq!(x.len(), chunk.len() * INPUT_LEN);
            out.extend(model.logits(&x)?);
            pb.inc(chunk.len() as u64);
        }
        pb.finish_and_clear();
        Ok(out)
    }

    /// The replay of `[from, to)` (inside the market's range) with these logits (one per sample).
    pub fn replay(&self, logits: &[[f32; 3]], from: i64, to: i64) -> anyhow::Result<Replay> {
        anyhow::ensure!(logits.len() == self.samples.len(), "{} logits for {} decision minutes", logits.len(), self.samples.len());
        let closes: Vec<(i64, f64)> = self.series.candles.iter().filter(|c| c.open_time >= from && c.open_time < to).map(|c| (c.open_time, c.close)).collect();
        let mut rounds = Vec::new();
        for (s, l) in self.samples.iter().zip(logits) {
            if s.open_time < from || s.open_time >= to {
                continue;
            }
            let at = closes.binary_search_by_key(&s.open_time, |c| c.0).map_err(|_| anyhow::anyhow!("decision minute {} has no candle", s.open_time))?;
            let logits = [l[0] as f64, l[1] as f64, l[2] as f64];
            rounds.push(RoundAt { at, round: Round::from_logits(s.open_time / 1000, logits), fwd_return_pct: s.fwd_return_pct });
        }
        anyhow::ensure!(!rounds.is_empty(), "{}: no decision minute in {}..{}", self.symbol, veriregime_core::data::fmt_minute(from), veriregime_core::data::fmt_minute(to));
        Ok(Replay { closes, rounds })
    }
}

/// A round and where it sits in the replay.
#[derive(Debug, Clone, Copy)]
pub struct RoundAt {
    /// Index of its decision minute in [`Replay::closes`].
    pub at: usize,
    pub round: Round,
    /// Forward 60-minute return in percent, when known.
    pub fwd_return_pct: Option<f64>,
}

/// The prices and rounds of one range.
#[derive(Debug, Clone)]
pub struct Replay {
    /// `(open time ms, close)` of every candle of the range, in order (gaps stay gaps).
    pub closes: Vec<(i64, f64)>,
    /// The rounds in order.
    pub rounds: Vec<RoundAt>,
}

/// An order: at `closes[at]`'s close, decided to hold `target`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Order {
    pub at: usize,
    pub target: Position,
}

/// What a strategy did over a replay (see the module docs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    #[serde(rename = "return")]
    pub ret: f64,
    pub return_before_costs: f64,
    /// `ln(1 + return_before_costs) - exposure * ln(last close / first close)`: the log growth the
    /// timing earned over holding the same share of the minutes at random (whose expected log growth
    /// is `exposure` times the market's); about 0 for buy-and-hold and always-flat.
    pub timing: f64,
    pub trades: u64,
    pub round_trips: u64,
    pub turnover: f64,
    pub exposure: f64,
    pub max_drawdown: f64,
    pub sharpe: Option<f64>,
    pub hit_rate: Option<f64>,
    /// Mean forward 60-minute return (percent) after the decisions to buy, and to sell.
    pub buy_fwd_return_pct: Option<f64>,
    pub sell_fwd_return_pct: Option<f64>,
    /// Of random rearrangements of this outcome's long and flat spells (the same spells, so the
    /// same exposure and trades, in random order), the share whose log growth before costs is at
    /// least this one's: how often luck times as well ([`Replay::timing_luck`]; set where computed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timing_p: Option<f64>,
    /// Equity at every marked minute `(open time ms, equity)`; not serialised.
    #[serde(skip)]
    pub equity: Vec<(i64, f64)>,
    /// Whether each minute-to-minute interval was held long; not serialised.
    #[serde(skip)]
    pub held: Vec<bool>,
}

impl Replay {
    /// The replay of `[from, to)` of `symbol` in the archive at `root` with the model's logits: what
    /// `backtest` and `publishing` replay.
    pub fn load(root: &Path, symbol: &str, card: &ModelCard, onnx: &OnnxModel, from: i64, to: i64) -> anyhow::Result<Replay> {
        let market = Market::load(root, symbol, from, to)?;
        let logits = market.logits(card, onnx)?;
        market.replay(&logits, from, to)
    }

    /// The orders a policy gives on this replay's rounds.
    pub fn follow(&self, spec: PolicySpec) -> anyhow::Result<Vec<Order>> {
        spec.validate()?;
        let mut f = Follower::new(spec);
        let mut out = Vec::new();
        for r in &self.rounds {
            match f.step(&r.round)? {
                Action::None => {}
                Action::Buy => out.push(Order { at: r.at, target: Position::Long }),
                Action::Sell => out.push(Order { at: r.at, target: Position::Flat }),
            }
        }
        Ok(out)
    }

    /// Buy at the first round, hold to the end.
    pub fn buy_and_hold(&self) -> Vec<Order> {
        vec![Order { at: self.rounds[0].at, target: Position::Long }]
    }

    /// The accounts of `orders` (in increasing `at`) under `costs`.
    pub fn account(&self, orders: &[Order], costs: &Costs) -> Outcome {
        let mut book = Book::new(costs);
        let mut pending: VecDeque<(i64, Position)> = VecDeque::new();
        let mut next = orders.iter().peekable();
        let delay_ms = costs.delay_minutes as i64 * MINUTE_MS;
        let mut equity = Vec::with_capacity(self.closes.len());
        let mut held = Vec::with_capacity(self.closes.len());
        for (k, &(t, price)) in self.closes.iter().enumerate() {
            while pending.front().is_some_and(|&(due, _)| due <= t) {
                let (_, target) = pending.pop_front().expect("checked");
                book.fill(target, price);
            }
            while let Some(o) = next.next_if(|o| o.at <= k) {
                if o.at < k {
                    continue;
                }
                if delay_ms == 0 {
                    book.fill(o.target, price);
                } else {
                    pending.push_back((t + delay_ms, o.target));
                }
            }
            if k + 1 < self.closes.len() {
                held.push(book.qty > 0.0);
            }
            equity.push((t, book.value(price)));
        }
        let last = self.closes.last().map(|c| c.1).unwrap_or(1.0);
        book.fill(Position::Flat, last);
        if let Some(e) = equity.last_mut() {
            e.1 = book.cash;
        }
        let (mut peak, mut mdd) = (1.0f64, 0.0f64);
        let mut rets = Vec::with_capacity(equity.len());
        let mut prev = 1.0;
        for &(_, e) in &equity {
            peak = peak.max(e);
            mdd = mdd.max(1.0 - e / peak);
            rets.push(e / prev - 1.0);
            prev = e;
        }
        let n = rets.len().max(1) as f64;
        let mean = rets.iter().sum::<f64>() / n;
        let sd = (rets.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / n).sqrt();
        let fwd_mean = |target: Position| {
            let v: Vec<f64> = orders
                .iter()
                .filter(|o| o.target == target)
                .filter_map(|o| self.rounds.binary_search_by_key(&o.at, |r| r.at).ok().and_then(|i| self.rounds[i].fwd_return_pct))
                .collect();
            (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
        };
        Outcome {
            ret: book.cash - 1.0,
            return_before_costs: 0.0,
            timing: 0.0,
            trades: book.trades,
            round_trips: book.round_trips,
            turnover: book.turnover,
            exposure: held.iter().filter(|&&h| h).count() as f64 / held.len().max(1) as f64,
            max_drawdown: mdd,
            sharpe: (sd > 0.0).then(|| mean / sd * MINUTES_PER_YEAR.sqrt()),
            hit_rate: (book.round_trips > 0).then(|| book.wins as f64 / book.round_trips as f64),
            buy_fwd_return_pct: fwd_mean(Position::Long),
            sell_fwd_return_pct: fwd_mean(Position::Flat),
            timing_p: None,
            equity,
            held,
        }
    }

    /// [`Replay::account`] under `costs`, with `return_before_costs` from the same orders without costs.
    pub fn outcome(&self, orders: &[Order], costs: &Costs) -> Outcome {
        let mut o = self.account(orders, costs);
        o.return_before_costs = self.account(orders, &costs.free()).ret;
        o.timing = o.return_before_costs.ln_1p() - o.exposure * self.market_log_growth();
        o
    }

    /// Sets `o.timing_p` from `draws` random rearrangements (seeded) of its spells: the share of
    /// arrangements (counting the outcome itself) whose log growth before costs is at least the
    /// outcome's. A permutation test of the timing that keeps exposure and the number and lengths of
    /// holding periods; about 0.5 for timing no better than luck, small for timing luck rarely
    /// matches.
    pub fn timing_luck(&self, o: &mut Outcome, draws: usize, seed: u64) {
        use rand::seq::SliceRandom;
        let logret: Vec<f64> = self.closes.windows(2).map(|w| (w[1].1 / w[0].1).ln()).collect();
        debug_assert_eq!(logret.len(), o.held.len());
        // Spells: (long?, log growth if held).
        let mut spells: Vec<(bool, f64)> = Vec::new();
        for (&h, &r) in o.held.iter().zip(&logret) {
            match spells.last_mut() {
                Some((l, g)) if *l == h => *g += r,
                _ => spells.push((h, r)),
            }
        }
        let actual: f64 = spells.iter().filter(|s| s.0).map(|s| s.1).sum();
        // A spell's growth depends on where it lands: rearrange lengths, not growths.
        let mut lens: Vec<(bool, usize)> = Vec::new();
        for &h in &o.held {
            match lens.last_mut() {
                Some((l, n)) if *l == h => *n += 1,
                _ => lens.push((h, 1)),
            }
        }
        let mut prefix = Vec::with_capacity(logret.len() + 1);
        prefix.push(0.0);
        for r in &logret {
            prefix.push(prefix.last().copied().unwrap_or(0.0) + r);
        }
        let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(seed);
        let mut at_least = 1usize;
        for _ in 0..draws {
            lens.shuffle(&mut rng);
            let (mut i, mut g) = (0usize, 0.0f64);
            for &(long, n) in &lens {
                if long {
                    g += prefix[i + n] - prefix[i];
                }
                i += n;
            }
            if g >= actual - 1e-12 {
                at_least += 1;
            }
        }
        o.timing_p = Some(at_least as f64 / (draws + 1) as f64);
    }

    /// `ln(last close / first close)`: the market's log growth over the range.
    pub fn market_log_growth(&self) -> f64 {
        match (self.closes.first(), self.closes.last()) {
            (Some(a), Some(b)) => (b.1 / a.1).ln(),
            _ => 0.0,
        }
    }

    /// Accuracy and macro-F1 against labels at `card`'s thresholds, on the rounds whose forward
    /// return is known.
    pub fn classification(&self, card: &ModelCard) -> Metrics {
        let (t, p): (Vec<u8>, Vec<u8>) = self.rounds.iter().filter_map(|r| r.fwd_return_pct.map(|f| (card.thresholds.label(f), r.round.signal))).unzip();
        Metrics::compute(&t, &p)
    }

    /// The gross edge: per predicted class, the rounds and their mean forward return.
    pub fn edge(&self) -> Edge {
        let mut sum = [0.0f64; 3];
        let mut n = [0u64; 3];
        for r in &self.rounds {
            if let Some(f) = r.fwd_return_pct {
                sum[r.round.signal as usize] += f;
                n[r.round.signal as usize] += 1;
            }
        }
        let class = |k: usize| ClassEdge { n: n[k], mean_fwd_return_pct: (n[k] > 0).then(|| sum[k] / n[k] as f64) };
        let all: u64 = n.iter().sum();
        let (sell, hold, buy) = (class(0), class(1), class(2));
        let buy_minus_sell_pct = buy.mean_fwd_return_pct.zip(sell.mean_fwd_return_pct).map(|(b, s)| b - s);
        Edge { sell, hold, buy, buy_minus_sell_pct, all_mean_fwd_return_pct: (all > 0).then(|| sum.iter().sum::<f64>() / all as f64) }
    }
}

/// The holdings while accounting.
struct Book {
    fee: f64,
    slip: f64,
    cash: f64,
    qty: f64,
    trades: u64,
    round_trips: u64,
    wins: u64,
    turnover: f64,
    entry_cash: f64,
}

impl Book {
    fn new(c: &Costs) -> Book {
        Book { fee: c.fee_bps / 1e4, slip: c.slippage_bps / 1e4, cash: 1.0, qty: 0.0, trades: 0, round_trips: 0, wins: 0, turnover: 0.0, entry_cash: 0.0 }
    }

    fn value(&self, price: f64) -> f64 {
        self.cash + self.qty * price
    }

    fn fill(&mut self, target: Position, price: f64) {
        match target {
            Position::Long if self.qty == 0.0 && self.cash > 0.0 => {
                self.entry_cash = self.cash;
                self.turnover += self.cash;
                self.qty = self.cash * (1.0 - self.fee) / (price * (1.0 + self.slip));
                self.cash = 0.0;
                self.trades += 1;
            }
            Position::Flat if self.qty > 0.0 => {
                let gross = self.qty * price * (1.0 - self.slip);
                self.turnover += self.qty * price;
                self.cash = gross * (1.0 - self.fee);
                self.qty = 0.0;
                self.trades += 1;
                self.round_trips += 1;
                if self.cash > self.entry_cash {
                    self.wins += 1;
                }
            }
            _ => {}
        }
    }
}

/// The mean forward return after one predicted class.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ClassEdge {
    pub n: u64,
    pub mean_fwd_return_pct: Option<f64>,
}

/// The gross edge of a model over a range (rounds with a known forward return).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Edge {
    #[serde(rename = "SELL")]
    pub sell: ClassEdge,
    #[serde(rename = "HOLD")]
    pub hold: ClassEdge,
    #[serde(rename = "BUY")]
    pub buy: ClassEdge,
    /// Mean forward return after BUY minus after SELL, percentage points.
    pub buy_minus_sell_pct: Option<f64>,
    /// Mean forward return over every round.
    pub all_mean_fwd_return_pct: Option<f64>,
}

/// Accuracy and macro-F1 of a range (the backtest's summary of [`Metrics`]).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Classification {
    pub n: u64,
    pub accuracy: f64,
    pub macro_f1: f64,
}

impl From<&Metrics> for Classification {
    fn from(m: &Metrics) -> Self {
        Classification { n: m.n, accuracy: m.accuracy, macro_f1: m.macro_f1 }
    }
}

/// One backtest: a model and a policy on one market and range, against the baselines.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub model: String,
    pub onnx_sha256: String,
    pub symbol: String,
    /// First and last decision minute (`YYYY-MM-DD HH:MM` UTC) of the range.
    pub from: String,
    pub to: String,
    pub minutes: usize,
    pub rounds: usize,
    pub costs: Costs,
    pub round_trip_cost_pct: f64,
    /// The policy's name as given and its parameters.
    pub policy_name: String,
    pub policy_spec: PolicySpec,
    pub classification: Classification,
    pub edge: Edge,
    pub policy: Outcome,
    pub buy_and_hold: Outcome,
    pub always_flat: Outcome,
}

impl Report {
    /// Runs `spec` and the baselines on `replay`.
    pub fn run(card: &ModelCard, symbol: &str, replay: &Replay, policy_name: &str, spec: PolicySpec, costs: &Costs) -> anyhow::Result<Report> {
        costs.validate()?;
        let orders = replay.follow(spec)?;
        let fmt = veriregime_core::data::fmt_minute;
        Ok(Report {
            model: card.name.clone(),
            onnx_sha256: card.onnx_sha256.clone(),
            symbol: symbol.into(),
            from: fmt(replay.rounds[0].round.minute * 1000),
            to: fmt(replay.rounds[replay.rounds.len() - 1].round.minute * 1000),
            minutes: replay.closes.len(),
            rounds: replay.rounds.len(),
            costs: *costs,
            round_trip_cost_pct: costs.round_trip_pct(),
            policy_name: policy_name.into(),
            policy_spec: spec,
            classification: Classification::from(&replay.classification(card)),
            edge: replay.edge(),
            policy: {
                let mut o = replay.outcome(&orders, costs);
                replay.timing_luck(&mut o, LUCK_DRAWS, LUCK_SEED);
                o
            },
            buy_and_hold: replay.outcome(&replay.buy_and_hold(), costs),
            always_flat: replay.outcome(&[], costs),
        })
    }

    /// A few lines for a terminal.
    pub fn text(&self) -> String {
        use std::fmt::Write;
        let mut s = String::new();
        let pct = |v: f64| format!("{:+.2} %", 100.0 * v);
        let opt = |v: Option<f64>, f: &dyn Fn(f64) -> String| v.map(f).unwrap_or_else(|| "-".into());
        let _ = writeln!(
            s,
            "{} on {} {}..{} ({} rounds), fee {} bps + slippage {} bps per fill (round trip {:.3} %), fill {} min after the decision",
            self.model, self.symbol, self.from, self.to, self.rounds, self.costs.fee_bps, self.costs.slippage_bps, self.round_trip_cost_pct, self.costs.delay_minutes
        );
        let _ = writeln!(s, "classification: accuracy {:.4}, macro-F1 {:.4} ({} labelled rounds)", self.classification.accuracy, self.classification.macro_f1, self.classification.n);
        let e = &self.edge;
        let f = |c: &ClassEdge| format!("{} x {}", c.n, opt(c.mean_fwd_return_pct, &|v| format!("{v:+.4} %")));
        let _ = writeln!(
            s,
            "gross edge (mean forward 60-min return after each predicted class): SELL {}, HOLD {}, BUY {}; BUY - SELL {}",
            f(&e.sell),
            f(&e.hold),
            f(&e.buy),
            opt(e.buy_minus_sell_pct, &|v| format!("{v:+.4} points"))
        );
        let _ = writeln!(s, "{:<14} {:>9} {:>9} {:>7} {:>7} {:>9} {:>8} {:>8} {:>7} {:>6}", "", "return", "no costs", "timing", "trades", "turnover", "exposure", "max DD", "Sharpe", "hits");
        for (name, o) in [(format!("policy {}", self.policy_name), &self.policy), ("buy-and-hold".into(), &self.buy_and_hold), ("always-flat".into(), &self.always_flat)] {
            let _ = writeln!(
                s,
                "{:<14} {:>9} {:>9} {:>7.3} {:>7} {:>8.1}x {:>7.1}% {:>7.1}% {:>7} {:>6}",
                name.chars().take(14).collect::<String>(),
                pct(o.ret),
                pct(o.return_before_costs),
                o.timing,
                o.trades,
                o.turnover,
                100.0 * o.exposure,
                100.0 * o.max_drawdown,
                opt(o.sharpe, &|v| format!("{v:.2}")),
                opt(o.hit_rate, &|v| format!("{:.0}%", 100.0 * v))
            );
        }
        let _ = write!(
            s,
            "policy: {}; timing = log growth before costs - exposure x the market's; random rearrangements of its holding periods time at least as well in {} of {LUCK_DRAWS}",
            self.policy_spec,
            opt(self.policy.timing_p, &|p| format!("{:.1} %", 100.0 * p))
        );
        s
    }
}

/// Class names, for reports.
pub fn class_name(c: usize) -> &'static str {
    CLASS_NAMES[c]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A replay of given closes at consecutive minutes, with a round at each listed minute.
    fn replay(closes: &[f64], rounds: &[(usize, [f64; 3])]) -> Replay {
        let closes: Vec<(i64, f64)> = closes.iter().enumerate().map(|(i, &c)| (i as i64 * MINUTE_MS, c)).collect();
        let rounds = rounds.iter().map(|&(at, l)| RoundAt { at, round: Round::from_logits(closes[at].0 / 1000, l), fwd_return_pct: Some(1.0) }).collect();
        Replay { closes, rounds }
    }

    const BUY: [f64; 3] = [0.0, 0.0, 1.0];
    const SELL: [f64; 3] = [1.0, 0.0, 0.0];
    const HOLD: [f64; 3] = [0.0, 1.0, 0.0];

    fn costs(fee: f64, slip: f64, delay: u32) -> Costs {
        Costs { fee_bps: fee, slippage_bps: slip, delay_minutes: delay }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn fees_and_slippage_are_charged_on_each_fill() {
        // Buy at 100, sell at 110 (no delay): 10 % gross; 10 bps fee and 5 bps slippage per fill.
        let r = replay(&[100.0, 110.0, 110.0], &[(0, BUY), (1, SELL)]);
        let orders = r.follow(PolicySpec::VAULT).unwrap();
        assert_eq!(orders, vec![Order { at: 0, target: Position::Long }, Order { at: 1, target: Position::Flat }]);
        let o = r.outcome(&orders, &costs(10.0, 5.0, 0));
        let qty = 0.999 / (100.0 * 1.0005);
        let cash = qty * 110.0 * 0.9995 * 0.999;
        assert!(close(o.ret, cash - 1.0), "{}", o.ret);
        assert!(close(o.return_before_costs, 0.1));
        assert_eq!((o.trades, o.round_trips, o.hit_rate), (2, 1, Some(1.0)));
        // Turnover: 1 bought, qty * 110 sold.
        assert!(close(o.turnover, 1.0 + qty * 110.0));
        // Long over the first of the two intervals.
        assert!(close(o.exposure, 0.5));
        // Timing: ln(1.1) earned while long half the time in a market that grew by ln(1.1).
        assert!(close(o.timing, 1.1f64.ln() * 0.5));
        // The costs of the round trip, as the report states them.
        assert!(close(costs(10.0, 5.0, 0).round_trip_pct(), 100.0 * (1.0 - 0.999 * 0.999 * 0.9995 / 1.0005)));
    }

    #[test]
    fn a_delay_fills_at_a_later_close_and_an_open_position_is_sold_at_the_end() {
        // Decided at minute 0 (close 100), filled at minute 1 (close 50); never sold: liquidated at 75.
        let r = replay(&[100.0, 50.0, 75.0], &[(0, BUY)]);
        let o = r.outcome(&r.follow(PolicySpec::VAULT).unwrap(), &costs(0.0, 0.0, 1));
        assert!(close(o.ret, 0.5), "{}", o.ret);
        assert_eq!((o.trades, o.round_trips), (2, 1));
        assert!(close(o.exposure, 0.5));
        let e: Vec<f64> = o.equity.iter().map(|e| e.1).collect();
        assert_eq!(e, vec![1.0, 1.0, 1.5]);
        // A fill due after the range is dropped.
        let r = replay(&[100.0, 50.0], &[(1, BUY)]);
        let o = r.outcome(&r.follow(PolicySpec::VAULT).unwrap(), &costs(10.0, 0.0, 1));
        assert_eq!((o.ret, o.trades), (0.0, 0));
    }

    #[test]
    fn drawdown_sharpe_and_hits_follow_the_equity() {
        // Long from 100 to 120, then 60, sold at 90: a loss; peak 1.2, trough 0.6.
        let r = replay(&[100.0, 120.0, 60.0, 90.0, 90.0], &[(0, BUY), (3, SELL)]);
        let o = r.outcome(&r.follow(PolicySpec::VAULT).unwrap(), &costs(0.0, 0.0, 0));
        assert!(close(o.max_drawdown, 0.5));
        assert!(close(o.ret, -0.1));
        assert_eq!(o.hit_rate, Some(0.0));
        assert!(o.sharpe.is_some());
        // Always-flat: nothing moves.
        let flat = r.outcome(&[], &costs(10.0, 0.0, 0));
        assert_eq!((flat.ret, flat.trades, flat.turnover, flat.exposure, flat.max_drawdown, flat.sharpe, flat.hit_rate), (0.0, 0, 0.0, 0.0, 0.0, None, None));
        // Buy-and-hold: one buy, the closing sale, the market's move less costs.
        let bh = r.outcome(&r.buy_and_hold(), &costs(10.0, 0.0, 0));
        assert!(close(bh.ret, 0.9 * 0.999 * 0.999 - 1.0));
        assert_eq!(bh.trades, 2);
    }

    #[test]
    fn luck_rarely_times_a_perfect_policy_and_often_times_a_bad_one() {
        // A zigzag market: long on every rise is perfect timing, long on every fall the worst.
        let closes: Vec<f64> = (0..201).map(|i| if i % 2 == 0 { 100.0 } else { 101.0 }).collect();
        let n = closes.len();
        let good: Vec<(usize, [f64; 3])> = (0..n).map(|i| (i, if i % 2 == 0 { BUY } else { SELL })).collect();
        let r = replay(&closes, &good);
        let c = costs(0.0, 0.0, 0);
        let mut o = r.outcome(&r.follow(PolicySpec::VAULT).unwrap(), &c);
        assert!(close(o.exposure, 0.5));
        r.timing_luck(&mut o, 200, 7);
        assert!(o.timing_p.unwrap() < 0.01, "{:?}", o.timing_p);
        let bad: Vec<(usize, [f64; 3])> = (0..n).map(|i| (i, if i % 2 == 1 { BUY } else { SELL })).collect();
        let r = replay(&closes, &bad);
        let mut o = r.outcome(&r.follow(PolicySpec::VAULT).unwrap(), &c);
        r.timing_luck(&mut o, 200, 7);
        assert!(o.timing_p.unwrap() > 0.99, "{:?}", o.timing_p);
        // Buy-and-hold has one arrangement up to the first flat minute: luck does as well.
        let mut bh = r.outcome(&r.buy_and_hold(), &c);
        r.timing_luck(&mut bh, 50, 7);
        assert!(bh.timing_p.unwrap() > 0.3, "{:?}", bh.timing_p);
    }

    #[test]
    fn churn_costs_turnover_and_a_min_hold_cuts_it() {
        // The price never moves; the signal flips every minute.
        let closes = vec![100.0; 20];
        let rounds: Vec<(usize, [f64; 3])> = (0..20).map(|i| (i, if i % 2 == 0 { BUY } else { SELL })).collect();
        let r = replay(&closes, &rounds);
        let c = costs(10.0, 0.0, 0);
        let vault = r.outcome(&r.follow(PolicySpec::VAULT).unwrap(), &c);
        assert_eq!(vault.trades, 20);
        assert!(close(vault.ret, 0.999f64.powi(20) - 1.0));
        assert!(vault.turnover > 19.0 && vault.turnover < 20.0);
        let calm = r.outcome(&r.follow(PolicySpec { min_hold: 10, ..PolicySpec::VAULT }).unwrap(), &c);
        assert_eq!(calm.trades, 2);
        assert!(calm.ret > vault.ret);
    }

    #[test]
    fn edge_and_classification_use_the_predicted_classes() {
        let mut r = replay(&[1.0; 4], &[(0, BUY), (1, SELL), (2, HOLD), (3, BUY)]);
        for (k, f) in [0.5, -0.3, 0.0, 0.1].iter().enumerate() {
            r.rounds[k].fwd_return_pct = Some(*f);
        }
        let e = r.edge();
        assert_eq!((e.buy.n, e.sell.n, e.hold.n), (2, 1, 1));
        assert!(close(e.buy.mean_fwd_return_pct.unwrap(), 0.3));
        assert!(close(e.buy_minus_sell_pct.unwrap(), 0.6));
        let card = ModelCard::with_architecture(
            "t",
            veriregime_core::features::FEATURE_SPEC,
            veriregime_core::features::Normalizer::fit(std::iter::empty()),
            veriregime_core::model::Architecture::Mlp(Default::default()),
            0,
        );
        // Labels at +-0.2 %: BUY, SELL, HOLD, HOLD; predicted BUY, SELL, HOLD, BUY.
        let m = r.classification(&card);
        assert_eq!((m.n, m.accuracy), (4, 0.75));
    }
}
