//! What a node checks alone before it signs a window: that the candles are the symbol's (kline
//! answers carry no symbol, so the window's last close is compared with the exchange's
//! symbol-tagged ticker price), and that no minute of the window moves more than markets move in a
//! minute (a circuit breaker, as Chainlink feeds bound the answers they accept). A window that
//! fails either is not signed, and the round is skipped with the reason.

use veriregime_core::data::{fmt_minute, Candle};

/// The bounds, as fractions (0.03 = 3 %).
#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    /// Largest gap between the window's last close and the ticker price read after it.
    pub max_ticker_deviation: f64,
    /// Largest move within a minute (high against low) or from one close to the next.
    pub max_minute_move: f64,
}

/// `Err`: why the window must not be signed.
pub fn check(symbol: &str, candles: &[Candle], ticker: f64, b: &Bounds) -> Result<(), String> {
    let last = candles.last().ok_or("an empty window")?;
    let dev = (last.close / ticker - 1.0).abs();
    if !dev.is_finite() || dev > b.max_ticker_deviation {
        return Err(format!(
            "the window's last close {} ({} UTC) is {:.2} % off the exchange's {symbol} ticker price {ticker} (bound {:.2} %): these candles are not {symbol}'s",
            last.close,
            fmt_minute(last.open_time),
            dev * 100.0,
            b.max_ticker_deviation * 100.0
        ));
    }
    for (i, c) in candles.iter().enumerate() {
        let within = c.high / c.low - 1.0;
        if within > b.max_minute_move {
            return Err(format!(
                "circuit breaker: the {} UTC candle spans {:.1} % (low {}, high {}), more than the {:.1} % any market moves in a minute",
                fmt_minute(c.open_time),
                within * 100.0,
                c.low,
                c.high,
                b.max_minute_move * 100.0
            ));
        }
        if i > 0 {
            let prev = candles[i - 1].close;
            let step = (c.close / prev - 1.0).abs();
            if step > b.max_minute_move {
                return Err(format!(
                    "circuit breaker: the close moved {:.1} % from {prev} to {} at {} UTC, more than the {:.1} % any market moves in a minute",
                    step * 100.0,
                    c.close,
                    fmt_minute(c.open_time),
                    b.max_minute_move * 100.0
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use veriregime_core::data::{synth_candles, SynthConfig};

    const B: Bounds = Bounds { max_ticker_deviation: 0.03, max_minute_move: 0.2 };

    #[test]
    fn a_spike_or_another_symbols_candles_are_refused_with_the_reason() {
        let c = synth_candles(&SynthConfig { minutes: 300, ..Default::default() });
        let last = c.last().unwrap().close;
        assert_eq!(check("BTCUSDT", &c, last * 1.001, &B), Ok(()));

        // Another symbol's candles: the ticker of the asked symbol is far from them.
        let e = check("BTCUSDT", &c, last * 20.0, &B).unwrap_err();
        assert!(e.contains("not BTCUSDT's") && e.contains("ticker"), "{e}");

        // A 100x spike in one candle, then back.
        let mut spiked = c.clone();
        let k = 200;
        spiked[k].high *= 100.0;
        spiked[k].close *= 100.0;
        let e = check("BTCUSDT", &spiked, last, &B).unwrap_err();
        assert!(e.starts_with("circuit breaker") && e.contains(&fmt_minute(spiked[k].open_time)), "{e}");
    }
}
