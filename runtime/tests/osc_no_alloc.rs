//! The OSC sinks' per-event work on the scheduler thread (encoding `/dirt/play` or a
//! template into a bundle and the non-blocking send) does not allocate once the sink's
//! reserved buffers have seen a first event.
#![cfg(feature = "osc")]
#![allow(clippy::unwrap_used)]

use std::net::UdpSocket;
use std::time::Instant;

use patter_pattern::{Event, Time, TimeSpan, Value};
use patter_runtime::sink::osc::OscSink;
use patter_runtime::sink::{EventTimes, Sink};

#[path = "support/counting_alloc.rs"]
mod counting_alloc;

use counting_alloc::allocations_in;

fn event() -> Event {
    let mut params: Vec<(patter_pattern::Key, Value)> = vec![
        (patter_pattern::Key::new("s"), Value::str("bd:3")),
        (patter_pattern::Key::new("cut"), Value::Num(1.0)),
        (patter_pattern::Key::new("speed"), Value::Num(1.5)),
        (patter_pattern::Key::new("midinote"), Value::Num(60.0)),
        (patter_pattern::Key::new("amp"), Value::Num(0.4)),
    ];
    params.sort_by(|a, b| a.0.cmp(&b.0));
    Event {
        player: 2,
        whole: TimeSpan::new(Time::ZERO, Time::new(1, 4)),
        beat: Time::ONE,
        dur: Time::ONE,
        sustain: 0.5,
        params: params.into(),
    }
}

#[test]
fn dirt_and_template_sinks_do_not_allocate_per_event() {
    // Somewhere to send to (never read: the kernel drops what overflows its buffer).
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = sock.local_addr().unwrap();
    let origin = Instant::now();
    let mut dirt = OscSink::open(&format!("dirt:{addr}"), origin).unwrap();
    let mut osc = OscSink::open(
        &format!("osc:{addr}/note?args=midinote:i,amp,s:s,beat"),
        origin,
    )
    .unwrap();
    let e = event();
    let times = EventTimes {
        onset: 1.0,
        release: 1.25,
    };
    dirt.schedule(&e, times);
    osc.schedule(&e, times);
    let n = allocations_in(|| {
        for _ in 0..500 {
            dirt.schedule(&e, times);
            osc.schedule(&e, times);
        }
    });
    assert_eq!(n, 0);
    let m = dirt.metrics();
    assert_eq!(m.sent + m.errors, 501);
}
