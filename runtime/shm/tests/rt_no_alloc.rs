//! The ring's ends and the sink's per-event work never allocate: a counting global
//! allocator watches `Writer::push`, `Reader::try_read` and `ShmSink::schedule` (after the
//! sink's first event has grown its reserved buffer).
#![allow(clippy::unwrap_used)]

use std::time::Instant;

use patter_pattern::{Event, Key, Time, TimeSpan, Value};
use patter_runtime::sink::{EventTimes, Sink};
use patter_shm::{ClockRef, Reader, Record, ShmSink, Writer};

#[path = "../../tests/support/counting_alloc.rs"]
mod counting_alloc;

use counting_alloc::allocations_in;

fn event(params: Vec<(&str, Value)>) -> Event {
    let mut params: Vec<(Key, Value)> = params.into_iter().map(|(k, v)| (Key::new(k), v)).collect();
    params.sort_by(|a, b| a.0.cmp(&b.0));
    Event {
        player: 0,
        whole: TimeSpan::new(Time::ZERO, Time::new(1, 4)),
        beat: Time::ONE,
        dur: Time::ONE,
        sustain: 0.5,
        params: params.into(),
    }
}

#[test]
fn push_and_read_do_not_allocate() {
    let name = format!("patter-noalloc-ring-{}", std::process::id());
    let mut w = Writer::create(&name, 256, ClockRef::now()).unwrap();
    let mut r = Reader::open(&name).unwrap();
    let mut read = 0u64;
    let n = allocations_in(|| {
        for i in 0..10_000u64 {
            w.push(Record {
                time_ns: i,
                ..Record::default()
            });
            if i % 3 == 0 {
                while r.try_read().is_some() {
                    read += 1;
                }
            }
        }
    });
    assert_eq!(n, 0);
    assert!(read > 0);
}

#[test]
fn sink_schedule_does_not_allocate() {
    let name = format!("patter-noalloc-sink-{}", std::process::id());
    let mut s = ShmSink::create(&name, 1 << 16, Instant::now()).unwrap();
    let note = event(vec![
        ("midinote", Value::Num(60.0)),
        ("cc74", Value::Num(10.0)),
        ("amp", Value::Num(0.3)),
    ]);
    let drum = event(vec![("s", Value::str("bd"))]);
    let times = EventTimes {
        onset: 1.0,
        release: 1.25,
    };
    s.schedule(&note, times);
    let n = allocations_in(|| {
        for _ in 0..1000 {
            s.schedule(&note, times);
            s.schedule(&drum, times);
        }
        s.release_all();
    });
    assert_eq!(n, 0);
    assert_eq!(s.metrics().sent, 3 + 1000 * 4 + 1);
}
