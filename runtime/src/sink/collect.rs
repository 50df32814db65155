//! A sink that keeps every event it is given, with its times (tests, `--out null`).

use std::sync::{Arc, Mutex};

use patter_pattern::Event;

use super::{EventTimes, Sink, SinkCounters, SinkMetrics};

/// Shared list of (event, times) received.
pub type Collected = Arc<Mutex<Vec<(Event, EventTimes)>>>;

/// Collects events; `release_all` calls are counted.
pub struct CollectSink {
    name: String,
    events: Collected,
    /// Number of times everything was released.
    pub releases: Arc<std::sync::atomic::AtomicU64>,
    counters: SinkCounters,
}

impl CollectSink {
    /// A collecting sink and the shared list it fills.
    pub fn new(name: &str) -> (CollectSink, Collected, Arc<std::sync::atomic::AtomicU64>) {
        let events: Collected = Arc::default();
        let releases = Arc::new(std::sync::atomic::AtomicU64::new(0));
        (
            CollectSink {
                name: name.to_string(),
                events: events.clone(),
                releases: releases.clone(),
                counters: SinkCounters::default(),
            },
            events,
            releases,
        )
    }
}

impl Sink for CollectSink {
    fn name(&self) -> &str {
        &self.name
    }

    fn schedule(&mut self, event: &Event, times: EventTimes) {
        if let Ok(mut v) = self.events.lock() {
            v.push((event.clone(), times));
        }
        self.counters
            .sent
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    fn release_all(&mut self) {
        self.releases
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    fn metrics(&self) -> SinkMetrics {
        self.counters.snapshot(&self.name, 0)
    }
}
