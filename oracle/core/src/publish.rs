//! When a minute's round is transmitted: on a change of the signal, or when the feed's heartbeat
//! would otherwise run out. The one rule, used by the node (whether to transmit the round it
//! computed) and by the lab's publishing replay (how many transmissions a day it costs).
//!
//! The feed's heartbeat (on chain, per feed, whole minutes) is the longest gap between the
//! decision minutes of consecutive rounds. A node transmits:
//! - the feed's first round, and a round whose model differs from the one on chain;
//! - a round whose signal differs from the one on chain;
//! - an unchanged round `heartbeat` after the one on chain ([`PublishRule::heartbeat_due`]).
//!
//! At the default heartbeat of 60 s every decision minute is transmitted. Every other minute is
//! "unchanged": computed, checked and recorded by the node, not transmitted. On chain (the
//! oracle's `currentSignal`) a round is **current** from its close (`decisionMinute + 60`) until
//! the next round, or until the round due a heartbeat after it is late
//! (`decisionMinute + 60 + heartbeat + maxDelay`), so a feed whose nodes are up never goes without
//! a current signal.
//! The node compares the float model's signal; a proof whose signal differs from it is never
//! submitted, so that is the signal a transmission would carry.

use crate::features::CLASS_NAMES;
use serde::{Deserialize, Serialize};

/// Seconds in a decision minute.
const MINUTE_S: u64 = 60;

/// The default and shortest heartbeat, seconds: a round every decision minute.
pub const EVERY_MINUTE_S: u64 = MINUTE_S;

/// The longest heartbeat the oracle accepts, seconds (its `MAX_HEARTBEAT`): a day.
pub const MAX_HEARTBEAT_S: u64 = 86_400;

/// The latest round of a feed as the chain has it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Published {
    /// Its class (0 SELL, 1 HOLD, 2 BUY).
    pub signal: u8,
    /// Its decision minute, epoch seconds.
    pub decision_minute_s: u64,
    /// Whether it was made by the model this round is computed with.
    pub same_model: bool,
}

/// Why a round is transmitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// The feed has no round yet.
    First,
    /// The round on chain was made by another model.
    Model,
    /// The signal differs from the one on chain.
    Changed,
    /// Unchanged, but the round on chain would stop being current.
    Heartbeat,
}

/// What to do with a computed round.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Transmit(Reason),
    /// Not transmitted: the round on chain says the same and stays current.
    Unchanged {
        /// The signal, and the decision minute (epoch s) of the round on chain that carries it.
        signal: u8,
        since_s: u64,
        /// The first decision minute (epoch s) that will be transmitted however the signal goes.
        heartbeat_due_s: u64,
    },
}

impl Decision {
    /// The reason recorded for a round that is not transmitted.
    pub fn unchanged_reason(&self) -> Option<String> {
        match *self {
            Decision::Transmit(_) => None,
            Decision::Unchanged { signal, since_s, heartbeat_due_s } => Some(format!(
                "unchanged: {} as on chain since minute {since_s}; the heartbeat transmits minute {heartbeat_due_s} at the latest",
                CLASS_NAMES[signal as usize]
            )),
        }
    }
}

/// A feed's publishing rule: its heartbeat, in seconds, as the oracle has it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishRule {
    pub heartbeat_s: u64,
}

impl PublishRule {
    /// `heartbeat_s` must be whole minutes from [`EVERY_MINUTE_S`] to [`MAX_HEARTBEAT_S`] (what the
    /// oracle accepts).
    pub fn new(heartbeat_s: u64) -> anyhow::Result<PublishRule> {
        if !(EVERY_MINUTE_S..=MAX_HEARTBEAT_S).contains(&heartbeat_s) || heartbeat_s % MINUTE_S != 0 {
            anyhow::bail!("a heartbeat must be whole minutes from {EVERY_MINUTE_S} to {MAX_HEARTBEAT_S} s, not {heartbeat_s} s");
        }
        Ok(PublishRule { heartbeat_s })
    }

    /// The first decision minute (epoch s) after `last_s` whose round is transmitted even when
    /// unchanged.
    pub fn heartbeat_due(&self, last_s: u64) -> u64 {
        last_s + self.heartbeat_s
    }

    /// Whether the round of `minute_s` with `signal` is transmitted, given what is on chain.
    pub fn decide(&self, latest: Option<Published>, minute_s: u64, signal: u8) -> Decision {
        let Some(p) = latest else { return Decision::Transmit(Reason::First) };
        if !p.same_model {
            return Decision::Transmit(Reason::Model);
        }
        if p.signal != signal {
            return Decision::Transmit(Reason::Changed);
        }
        let due = self.heartbeat_due(p.decision_minute_s);
        if minute_s >= due {
            return Decision::Transmit(Reason::Heartbeat);
        }
        Decision::Unchanged { signal, since_s: p.decision_minute_s, heartbeat_due_s: due }
    }

    /// Replays the rule over a feed's rounds, `(decision minute epoch s, signal)` in time order,
    /// each transmission becoming the round on chain: which of them are transmitted, and why.
    pub fn replay(&self, rounds: impl IntoIterator<Item = (u64, u8)>) -> Vec<(u64, Reason)> {
        let mut latest: Option<Published> = None;
        let mut sent = Vec::new();
        for (minute_s, signal) in rounds {
            if let Decision::Transmit(why) = self.decide(latest, minute_s, signal) {
                sent.push((minute_s, why));
                latest = Some(Published { signal, decision_minute_s: minute_s, same_model: true });
            }
        }
        sent
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: u64 = 1_700_000_040 - 1_700_000_040 % 60;

    fn on_chain(signal: u8, at: u64) -> Option<Published> {
        Some(Published { signal, decision_minute_s: at, same_model: true })
    }

    #[test]
    fn heartbeats_are_whole_minutes_up_to_a_day() {
        for bad in [0, 59, 150, MAX_HEARTBEAT_S + 60] {
            assert!(PublishRule::new(bad).is_err(), "{bad}");
        }
        assert_eq!(PublishRule::new(3600).unwrap().heartbeat_s, 3600);
        assert_eq!(PublishRule::new(MAX_HEARTBEAT_S).unwrap().heartbeat_s, MAX_HEARTBEAT_S);
    }

    #[test]
    fn the_default_heartbeat_transmits_every_minute() {
        let rule = PublishRule::new(EVERY_MINUTE_S).unwrap();
        let rounds = (0..10).map(|i| (T0 + 60 * i, 1u8));
        assert_eq!(rule.replay(rounds).len(), 10);
    }

    #[test]
    fn a_first_a_new_model_and_a_changed_signal_are_transmitted() {
        let rule = PublishRule::new(3600).unwrap();
        assert_eq!(rule.decide(None, T0, 1), Decision::Transmit(Reason::First));
        let other_model = Some(Published { signal: 1, decision_minute_s: T0, same_model: false });
        assert_eq!(rule.decide(other_model, T0 + 60, 1), Decision::Transmit(Reason::Model));
        assert_eq!(rule.decide(on_chain(1, T0), T0 + 60, 2), Decision::Transmit(Reason::Changed));
    }

    #[test]
    fn an_unchanged_signal_waits_for_the_heartbeat() {
        let rule = PublishRule::new(600).unwrap();
        let d = rule.decide(on_chain(2, T0), T0 + 540, 2);
        assert_eq!(d, Decision::Unchanged { signal: 2, since_s: T0, heartbeat_due_s: T0 + 600 });
        assert!(d.unchanged_reason().unwrap().starts_with("unchanged: BUY as on chain since minute"));
        assert_eq!(rule.decide(on_chain(2, T0), T0 + 600, 2), Decision::Transmit(Reason::Heartbeat));
        // A node that was down past the expiry transmits its first round back.
        assert_eq!(rule.decide(on_chain(2, T0), T0 + 7200, 2), Decision::Transmit(Reason::Heartbeat));
    }

    #[test]
    fn a_replay_transmits_each_change_and_a_heartbeat_in_each_long_stretch() {
        let rule = PublishRule::new(300).unwrap();
        // HOLD for 10 minutes, BUY for 2, HOLD for 3.
        let signals = [1u8, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 1, 1, 1];
        let rounds = signals.iter().enumerate().map(|(i, s)| (T0 + 60 * i as u64, *s));
        let sent = rule.replay(rounds);
        let at = |i: u64| T0 + 60 * i;
        assert_eq!(sent, vec![(at(0), Reason::First), (at(5), Reason::Heartbeat), (at(10), Reason::Changed), (at(12), Reason::Changed)]);
    }
}
