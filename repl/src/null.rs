//! The `null` output: plays nothing and keeps nothing, but counts what it is given, so a
//! silent session (tests, `--out null`, a machine without devices) still reports events.

use patter_pattern::Event;
use patter_runtime::sink::{EventTimes, Sink, SinkCounters, SinkMetrics};

/// Counts events; memory stays constant however long it runs.
#[derive(Default)]
pub struct NullSink {
    counters: SinkCounters,
}

impl Sink for NullSink {
    fn name(&self) -> &str {
        "null"
    }

    fn schedule(&mut self, _event: &Event, _times: EventTimes) {
        self.counters
            .sent
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    fn release_all(&mut self) {}

    fn metrics(&self) -> SinkMetrics {
        self.counters.snapshot("null", 0)
    }
}
