//! The `jsonl:FILE` output: every scheduled event as a JSON line, appended as it is
//! scheduled (ahead of time, by the look-ahead). For tests and for watching what a session
//! does from another program (`tail -f`); it plays nothing.
//!
//! The scheduler thread only sends each event to a writer thread over a channel; the file
//! is written and flushed there, never on the scheduler thread.

use std::io::Write;
use std::sync::mpsc::{channel, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use patter_pattern::{Event, Value};
use patter_runtime::sink::{EventTimes, Sink, SinkCounters, SinkMetrics};

/// Appends events to a file as JSON lines.
pub struct JsonlSink {
    name: String,
    tx: Option<Sender<Event>>,
    writer: Option<JoinHandle<()>>,
    counters: SinkCounters,
}

impl JsonlSink {
    /// Create (truncate) `path`; `names` maps the engine's player slots to names.
    pub fn create(path: &str, names: Arc<Mutex<Vec<String>>>) -> std::io::Result<JsonlSink> {
        let file = std::fs::File::create(path)?;
        let (tx, rx) = channel::<Event>();
        let writer = std::thread::Builder::new()
            .name("patter-jsonl".into())
            .spawn(move || {
                let mut out = std::io::BufWriter::new(file);
                while let Ok(first) = rx.recv() {
                    for e in std::iter::once(first).chain(rx.try_iter()) {
                        let name = match names.lock() {
                            Ok(n) => n.get(e.player as usize).cloned(),
                            Err(p) => p.into_inner().get(e.player as usize).cloned(),
                        };
                        let _ = writeln!(out, "{}", line(&e, name.as_deref().unwrap_or("?")));
                    }
                    let _ = out.flush();
                }
            })?;
        Ok(JsonlSink {
            name: format!("jsonl:{path}"),
            tx: Some(tx),
            writer: Some(writer),
            counters: SinkCounters::default(),
        })
    }
}

fn json_value(v: &Value) -> serde_json::Value {
    match v {
        Value::Num(x) => serde_json::Number::from_f64(*x)
            .map(serde_json::Value::Number)
            .unwrap_or(serde_json::Value::Null),
        Value::Str(s) => serde_json::Value::String(s.to_string()),
        Value::Bool(b) => serde_json::Value::Bool(*b),
        Value::Rest => serde_json::Value::Null,
        Value::Chord(items) => serde_json::Value::Array(items.iter().map(json_value).collect()),
    }
}

fn line(e: &Event, player: &str) -> String {
    let mut m = serde_json::Map::new();
    m.insert("player".into(), player.into());
    m.insert("beat".into(), e.beat.ratio_string().into());
    m.insert("dur".into(), e.dur.ratio_string().into());
    for (k, v) in &e.params {
        if !m.contains_key(&**k) {
            m.insert(k.to_string(), json_value(v));
        }
    }
    serde_json::Value::Object(m).to_string()
}

impl Sink for JsonlSink {
    fn name(&self) -> &str {
        &self.name
    }

    fn schedule(&mut self, event: &Event, _times: EventTimes) {
        if let Some(tx) = &self.tx {
            if tx.send(event.clone()).is_ok() {
                self.counters
                    .sent
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
        }
    }

    fn release_all(&mut self) {}

    fn metrics(&self) -> SinkMetrics {
        self.counters.snapshot(&self.name, 0)
    }

    fn close(&mut self) {
        // Closing the channel ends the writer once it has written everything.
        self.tx = None;
        if let Some(w) = self.writer.take() {
            let _ = w.join();
        }
    }
}
