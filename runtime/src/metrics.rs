//! Engine metrics: per-sink counters, scheduler wake-up lateness and query cost.

use crate::sink::SinkMetrics;

/// Percentiles of a distribution, in microseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Percentiles {
    /// Samples.
    pub count: u64,
    /// Median.
    pub p50: u64,
    /// 99th percentile.
    pub p99: u64,
    /// Maximum.
    pub max: u64,
}

/// A fixed-size log-scale histogram of microsecond values (no allocation after creation).
#[derive(Clone, Debug)]
pub struct LatenessHistogram {
    /// Bucket i holds values in [2^(i/4)…); 4 buckets per octave up to ~1 hour.
    buckets: [u64; 128],
    count: u64,
    max: u64,
}

impl Default for LatenessHistogram {
    fn default() -> Self {
        LatenessHistogram {
            buckets: [0; 128],
            count: 0,
            max: 0,
        }
    }
}

impl LatenessHistogram {
    fn bucket(us: u64) -> usize {
        if us == 0 {
            return 0;
        }
        let x = (us as f64).log2() * 4.0;
        (x as usize + 1).min(127)
    }

    fn upper(bucket: usize) -> u64 {
        if bucket == 0 {
            return 0;
        }
        2f64.powf(bucket as f64 / 4.0).ceil() as u64
    }

    /// Add one sample.
    pub fn record(&mut self, us: u64) {
        if let Some(b) = self.buckets.get_mut(Self::bucket(us)) {
            *b += 1;
        }
        self.count += 1;
        self.max = self.max.max(us);
    }

    /// p50, p99 and max (bucket upper bounds: at most 19% above the true value).
    pub fn percentiles(&self) -> Percentiles {
        let q = |f: f64| -> u64 {
            let target = ((self.count as f64) * f).ceil() as u64;
            let mut seen = 0;
            for (i, n) in self.buckets.iter().enumerate() {
                seen += n;
                if seen >= target.max(1) {
                    return Self::upper(i).min(self.max);
                }
            }
            self.max
        };
        Percentiles {
            count: self.count,
            p50: q(0.5),
            p99: q(0.99),
            max: self.max,
        }
    }
}

/// One player's cost.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PlayerMetrics {
    /// Player name.
    pub name: String,
    /// Time spent querying it per scheduler window.
    pub query_us: Percentiles,
    /// Times its budget ran out (it is muted after the first).
    pub overruns: u64,
    /// Muted by the runtime.
    pub muted: bool,
}

/// Everything the engine reports.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Metrics {
    /// Per sink.
    pub sinks: Vec<SinkMetrics>,
    /// How late the scheduler thread woke, per tick.
    pub scheduler_wake_late_us: Percentiles,
    /// Time spent querying the program per tick.
    pub query_us: Percentiles,
    /// Events scheduled.
    pub events: u64,
    /// Events scheduled after their onset had passed.
    pub late_events: u64,
    /// Per player.
    pub players: Vec<PlayerMetrics>,
    /// MIDI input messages pushed into the engine's input queue.
    pub input_received: u64,
    /// MIDI input messages dropped because the input queue was full.
    pub input_dropped: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_close() {
        let mut h = LatenessHistogram::default();
        for i in 1..=1000u64 {
            h.record(i);
        }
        let p = h.percentiles();
        assert_eq!(p.count, 1000);
        assert!((500..=600).contains(&p.p50), "{p:?}");
        assert!((990..=1000).contains(&p.p99), "{p:?}");
        assert_eq!(p.max, 1000);
    }
}
