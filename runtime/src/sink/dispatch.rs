//! The MIDI dispatch loop: sends each message at its deadline.
//!
//! Real-time contract: after [`Dispatcher::new`], [`Dispatcher::run_once`] never allocates,
//! locks or blocks (proved by `tests/rt_no_alloc.rs` with a counting allocator, with a
//! negative control). Messages arrive through a bounded lock-free queue and wait in a heap
//! whose capacity is reserved up front.
//!
//! Policies, stated: when the heap is full a note-on is dropped (counted) and a note-off is
//! sent at once (a late release beats a stuck note); a note-on more than `drop_late_after`
//! past its deadline is dropped (counted: a very late note is worse than a missing one);
//! note-offs and controls are always sent. Every note-on sent is tracked, so releasing all
//! notes sends exactly the note-offs that are owed.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use crossbeam_queue::ArrayQueue;

use super::SinkCounters;
use crate::midi::MidiMsg;

/// A MIDI output the dispatcher writes to.
pub trait MidiPort: Send {
    /// Send one message due at `at_ns` (engine nanoseconds); false when the device refused
    /// it. A port that sends immediately ignores `at_ns`; a JACK port turns it into a frame
    /// offset inside the current cycle.
    fn send(&mut self, msg: &MidiMsg, at_ns: u64) -> bool;
}

/// A message with its deadline in engine nanoseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Deadline {
    /// When to send (nanoseconds since the engine's origin).
    pub at_ns: u64,
    /// Arrival order, to keep same-time messages in scheduling order.
    pub seq: u64,
    /// What to send.
    pub msg: MidiMsg,
}

/// Out-of-band requests to the dispatch thread.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Control {
    /// Send note-offs for every sounding note and drop everything queued.
    ReleaseAll,
    /// As `ReleaseAll`, then "all notes off" (CC 123) on all 16 channels.
    Panic,
    /// Send this message immediately, outside the schedule (clock start/stop).
    Now(MidiMsg),
}

/// Hand-over of a replacement port to the dispatch thread, and of the old one back, so a
/// port that went away (a USB interface unplugged) is reopened without the real-time thread
/// opening, allocating or dropping anything.
pub struct PortSwap<P> {
    incoming: ArrayQueue<P>,
    outgoing: ArrayQueue<P>,
    failed: std::sync::atomic::AtomicBool,
}

impl<P> PortSwap<P> {
    /// A new, empty hand-over.
    pub fn new() -> Arc<PortSwap<P>> {
        Arc::new(PortSwap {
            incoming: ArrayQueue::new(1),
            outgoing: ArrayQueue::new(2),
            failed: std::sync::atomic::AtomicBool::new(false),
        })
    }

    /// True while the port keeps refusing messages.
    pub fn is_failed(&self) -> bool {
        self.failed.load(Ordering::Acquire)
    }

    /// Supervisor side (never a real-time thread): drop ports handed back, and when the
    /// port has failed, try `open` once; true when a new port was handed over.
    pub fn supervise(&self, open: &mut dyn FnMut() -> Result<P, String>) -> bool {
        while let Some(old) = self.outgoing.pop() {
            drop(old);
        }
        if !self.is_failed() || !self.incoming.is_empty() {
            return false;
        }
        match open() {
            Ok(port) => self.incoming.push(port).is_ok(),
            Err(_) => false,
        }
    }
}

/// Consecutive refused messages after which a port counts as gone.
const FAILED_AFTER: u32 = 8;

/// Sounding notes per channel and key (a count, so overlapping notes of the same key are
/// released once per note-on).
struct Notes {
    count: [[u8; 128]; 16],
}

impl Notes {
    fn on(&mut self, msg: &MidiMsg) {
        if let Some(c) = self.slot(msg) {
            *c = c.saturating_add(1);
        }
    }

    fn off(&mut self, msg: &MidiMsg) {
        if let Some(c) = self.slot(msg) {
            *c = c.saturating_sub(1);
        }
    }

    fn slot(&mut self, msg: &MidiMsg) -> Option<&mut u8> {
        let chan = (msg.bytes[0] & 0x0f) as usize;
        let key = (msg.bytes[1] & 0x7f) as usize;
        self.count.get_mut(chan).and_then(|c| c.get_mut(key))
    }
}

/// The dispatch state. One per MIDI output; runs on its own thread.
pub struct Dispatcher<P: MidiPort> {
    input: Arc<ArrayQueue<Deadline>>,
    control: Arc<ArrayQueue<Control>>,
    heap: BinaryHeap<Reverse<Deadline>>,
    capacity: usize,
    notes: Notes,
    port: P,
    counters: Arc<SinkCounters>,
    drop_late_after_ns: u64,
    late_threshold_ns: u64,
    /// Token bucket for slow ports: (messages per second, tokens, last refill time).
    rate: Option<(f64, f64, u64)>,
    swap: Option<Arc<PortSwap<P>>>,
    fail_streak: u32,
}

impl<P: MidiPort> Dispatcher<P> {
    /// A dispatcher reading `input` and `control`, holding up to `capacity` messages.
    pub fn new(
        port: P,
        input: Arc<ArrayQueue<Deadline>>,
        control: Arc<ArrayQueue<Control>>,
        capacity: usize,
        counters: Arc<SinkCounters>,
    ) -> Self {
        Dispatcher {
            input,
            control,
            heap: BinaryHeap::with_capacity(capacity),
            capacity,
            notes: Notes {
                count: [[0; 128]; 16],
            },
            port,
            counters,
            drop_late_after_ns: 50_000_000,
            late_threshold_ns: 1_000_000,
            rate: None,
            swap: None,
            fail_streak: 0,
        }
    }

    /// Note-ons later than this are dropped (default 50 ms).
    pub fn set_drop_late_after(&mut self, ns: u64) {
        self.drop_late_after_ns = ns;
    }

    /// Take replacement ports from `swap` when this one fails.
    pub fn set_port_swap(&mut self, swap: Arc<PortSwap<P>>) {
        self.swap = Some(swap);
    }

    /// Limit the port to `per_second` messages (a DIN MIDI cable carries about 1000). When
    /// the limit is reached, note-ons are dropped and counted; note-offs and controls are
    /// always sent, so nothing is left hanging.
    pub fn set_rate_limit(&mut self, per_second: Option<f64>) {
        self.rate = per_second.filter(|r| *r > 0.0).map(|r| (r, r.min(64.0), 0));
    }

    /// Take a token for a note-on; false when the port is saturated.
    fn admit(&mut self, now_ns: u64) -> bool {
        let Some((rate, tokens, last)) = &mut self.rate else {
            return true;
        };
        let elapsed = now_ns.saturating_sub(*last) as f64 / 1e9;
        *last = now_ns;
        // A burst of up to 64 messages (or one second's worth, if less) may go at once.
        *tokens = (*tokens + elapsed * *rate).min(rate.min(64.0));
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }

    fn spend(&mut self) {
        if let Some((_, tokens, _)) = &mut self.rate {
            *tokens -= 1.0;
        }
    }

    /// The port.
    pub fn port(&self) -> &P {
        &self.port
    }

    /// The port, to prepare it for a cycle.
    pub fn port_mut(&mut self) -> &mut P {
        &mut self.port
    }

    /// Messages waiting.
    pub fn depth(&self) -> usize {
        self.heap.len() + self.input.len()
    }

    fn send(&mut self, msg: &MidiMsg, at_ns: u64, late_ns: u64) {
        if self.port.send(msg, at_ns) {
            self.fail_streak = 0;
            self.counters
                .record_sent(late_ns / 1000, self.late_threshold_ns / 1000);
            if msg.is_note_on() {
                self.notes.on(msg);
            } else if msg.is_note_off() {
                self.notes.off(msg);
            }
        } else {
            self.counters.errors.fetch_add(1, Ordering::Relaxed);
            self.fail_streak = self.fail_streak.saturating_add(1);
            if self.fail_streak >= FAILED_AFTER {
                if let Some(swap) = &self.swap {
                    swap.failed.store(true, Ordering::Release);
                }
            }
        }
    }

    fn release_all(&mut self) {
        self.heap.clear();
        while self.input.pop().is_some() {}
        for chan in 0..16u8 {
            for key in 0..128u8 {
                let owed = self
                    .notes
                    .count
                    .get(chan as usize)
                    .and_then(|c| c.get(key as usize))
                    .copied()
                    .unwrap_or(0);
                for _ in 0..owed {
                    self.send(&MidiMsg::note_off(chan, key), 0, 0);
                }
            }
        }
    }

    /// Do everything due at `now_ns`: control requests, new messages, sends. Returns the
    /// next deadline, if any. Never allocates, locks or blocks.
    pub fn run_once(&mut self, now_ns: u64) -> Option<u64> {
        self.run_until(now_ns, now_ns)
    }

    /// Like [`Dispatcher::run_once`], but sends everything due up to `horizon_ns` (a JACK
    /// cycle's end); lateness is measured against `now_ns` (the cycle's start).
    pub fn run_until(&mut self, now_ns: u64, horizon_ns: u64) -> Option<u64> {
        if let Some(swap) = &self.swap {
            if let Some(port) = swap.incoming.pop() {
                // The old port goes back to the supervisor to be dropped there. Notes that
                // sounded on it are gone with it; start counting afresh.
                let old = std::mem::replace(&mut self.port, port);
                let _ = swap.outgoing.push(old);
                self.notes = Notes {
                    count: [[0; 128]; 16],
                };
                self.fail_streak = 0;
                swap.failed.store(false, Ordering::Release);
            }
        }
        while let Some(c) = self.control.pop() {
            match c {
                Control::ReleaseAll => self.release_all(),
                Control::Panic => {
                    self.release_all();
                    for chan in 0..16 {
                        self.send(&MidiMsg::all_notes_off(chan), now_ns, 0);
                    }
                }
                Control::Now(msg) => self.send(&msg, now_ns, 0),
            }
        }
        while let Some(d) = self.input.pop() {
            if self.heap.len() >= self.capacity {
                if d.msg.is_note_on() {
                    self.counters.dropped.fetch_add(1, Ordering::Relaxed);
                } else {
                    self.send(&d.msg, now_ns, now_ns.saturating_sub(d.at_ns));
                }
                continue;
            }
            self.heap.push(Reverse(d));
        }
        while let Some(Reverse(top)) = self.heap.peek().copied() {
            if top.at_ns > horizon_ns {
                return Some(top.at_ns);
            }
            self.heap.pop();
            let late = now_ns.saturating_sub(top.at_ns);
            if top.msg.is_note_on()
                && (late > self.drop_late_after_ns || !self.admit(top.at_ns.max(now_ns)))
            {
                self.counters.dropped.fetch_add(1, Ordering::Relaxed);
                continue;
            }
            if !top.msg.is_note_on() {
                self.spend();
            }
            self.send(&top.msg, top.at_ns, late);
        }
        None
    }
}

/// A port that records what it is sent into preallocated memory (tests, no device).
pub struct RecordingPort {
    /// (message, sequence number) in sending order; never grows past its capacity.
    pub sent: Vec<MidiMsg>,
}

impl RecordingPort {
    /// Room for `capacity` messages (further messages are refused, not stored).
    pub fn with_capacity(capacity: usize) -> RecordingPort {
        RecordingPort {
            sent: Vec::with_capacity(capacity),
        }
    }
}

impl MidiPort for RecordingPort {
    fn send(&mut self, msg: &MidiMsg, _at_ns: u64) -> bool {
        if self.sent.len() < self.sent.capacity() {
            self.sent.push(*msg);
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn setup(
        capacity: usize,
    ) -> (
        Dispatcher<RecordingPort>,
        Arc<ArrayQueue<Deadline>>,
        Arc<ArrayQueue<Control>>,
    ) {
        let input = Arc::new(ArrayQueue::new(64));
        let control = Arc::new(ArrayQueue::new(8));
        let d = Dispatcher::new(
            RecordingPort::with_capacity(256),
            input.clone(),
            control.clone(),
            capacity,
            Arc::new(SinkCounters::default()),
        );
        (d, input, control)
    }

    #[test]
    fn sends_in_deadline_order_when_due() {
        let (mut d, input, _) = setup(16);
        input
            .push(Deadline {
                at_ns: 300,
                seq: 0,
                msg: MidiMsg::note_on(0, 62, 1),
            })
            .unwrap();
        input
            .push(Deadline {
                at_ns: 100,
                seq: 1,
                msg: MidiMsg::note_on(0, 60, 1),
            })
            .unwrap();
        assert_eq!(d.run_once(50), Some(100));
        assert!(d.port().sent.is_empty());
        assert_eq!(d.run_once(100), Some(300));
        assert_eq!(d.run_once(1000), None);
        let keys: Vec<u8> = d.port().sent.iter().map(|m| m.bytes[1]).collect();
        assert_eq!(keys, vec![60, 62]);
    }

    #[test]
    fn release_all_sends_exactly_the_owed_note_offs() {
        let (mut d, input, control) = setup(16);
        input
            .push(Deadline {
                at_ns: 0,
                seq: 0,
                msg: MidiMsg::note_on(1, 60, 100),
            })
            .unwrap();
        input
            .push(Deadline {
                at_ns: 0,
                seq: 1,
                msg: MidiMsg::note_on(1, 60, 100),
            })
            .unwrap();
        input
            .push(Deadline {
                at_ns: 0,
                seq: 2,
                msg: MidiMsg::note_on(2, 64, 100),
            })
            .unwrap();
        input
            .push(Deadline {
                at_ns: 10,
                seq: 3,
                msg: MidiMsg::note_off(2, 64),
            })
            .unwrap();
        input
            .push(Deadline {
                at_ns: 1_000_000_000,
                seq: 4,
                msg: MidiMsg::note_on(3, 1, 1),
            })
            .unwrap();
        d.run_once(20);
        control.push(Control::ReleaseAll).unwrap();
        assert_eq!(d.run_once(30), None, "queued notes are dropped");
        let offs: Vec<&[u8]> = d.port().sent.iter().skip(4).map(|m| m.as_slice()).collect();
        assert_eq!(offs, vec![&[0x81, 60, 0][..], &[0x81, 60, 0][..]]);
    }

    #[test]
    fn full_heap_drops_note_ons_but_sends_note_offs() {
        let (mut d, input, _) = setup(1);
        input
            .push(Deadline {
                at_ns: 100,
                seq: 0,
                msg: MidiMsg::note_on(0, 60, 1),
            })
            .unwrap();
        input
            .push(Deadline {
                at_ns: 100,
                seq: 1,
                msg: MidiMsg::note_on(0, 61, 1),
            })
            .unwrap();
        input
            .push(Deadline {
                at_ns: 100,
                seq: 2,
                msg: MidiMsg::note_off(0, 59),
            })
            .unwrap();
        d.run_once(0);
        assert_eq!(d.counters.dropped.load(Ordering::Relaxed), 1);
        assert_eq!(d.port().sent.len(), 1, "the note-off went out at once");
    }

    #[test]
    fn a_rate_limited_port_drops_note_ons_but_never_note_offs() {
        let (mut d, input, _) = setup(4096);
        d.set_rate_limit(Some(1000.0));
        // 200 notes within 10 ms: far more than a 1000 message/s cable carries.
        for i in 0..200u64 {
            let at = i * 50_000;
            input
                .push(Deadline {
                    at_ns: at,
                    seq: 2 * i,
                    msg: MidiMsg::note_on(0, (i % 128) as u8, 100),
                })
                .unwrap();
            input
                .push(Deadline {
                    at_ns: at + 10_000,
                    seq: 2 * i + 1,
                    msg: MidiMsg::note_off(0, (i % 128) as u8),
                })
                .unwrap();
            d.run_once(at);
        }
        let mut now = 0;
        while now <= 10_000_000 {
            d.run_once(now);
            now += 100_000;
        }
        let ons = d.port().sent.iter().filter(|m| m.is_note_on()).count() as u64;
        let offs = d.port().sent.iter().filter(|m| m.is_note_off()).count() as u64;
        let dropped = d.counters.dropped.load(Ordering::Relaxed);
        assert_eq!(
            ons + dropped,
            200,
            "every note-on is either sent or counted"
        );
        assert!(
            dropped > 100,
            "most note-ons are dropped at this rate: {dropped}"
        );
        assert_eq!(offs, 200, "note-offs are never dropped");
    }

    /// A port that refuses everything while "unplugged".
    struct Unpluggable {
        plugged: Arc<std::sync::atomic::AtomicBool>,
        sent: Arc<ArrayQueue<MidiMsg>>,
    }

    impl MidiPort for Unpluggable {
        fn send(&mut self, msg: &MidiMsg, _at_ns: u64) -> bool {
            self.plugged.load(Ordering::SeqCst) && self.sent.push(*msg).is_ok()
        }
    }

    #[test]
    fn a_port_that_goes_away_is_replaced_when_it_comes_back() {
        let plugged = Arc::new(std::sync::atomic::AtomicBool::new(true));
        let sent = Arc::new(ArrayQueue::new(1024));
        let input = Arc::new(ArrayQueue::new(1024));
        let control = Arc::new(ArrayQueue::new(8));
        let port = Unpluggable {
            plugged: plugged.clone(),
            sent: sent.clone(),
        };
        let mut d = Dispatcher::new(
            port,
            input.clone(),
            control,
            256,
            Arc::new(SinkCounters::default()),
        );
        let swap = PortSwap::new();
        d.set_port_swap(swap.clone());
        let mut open = {
            let (plugged, sent) = (plugged.clone(), sent.clone());
            move || {
                if plugged.load(Ordering::SeqCst) {
                    Ok(Unpluggable {
                        plugged: plugged.clone(),
                        sent: sent.clone(),
                    })
                } else {
                    Err("no such port".to_string())
                }
            }
        };
        let mut t = 0;
        let mut play = |d: &mut Dispatcher<Unpluggable>, n: u64| {
            for _ in 0..n {
                t += 1000;
                input
                    .push(Deadline {
                        at_ns: t,
                        seq: t,
                        msg: MidiMsg::note_on(0, 60, 100),
                    })
                    .unwrap();
                d.run_once(t);
            }
        };
        play(&mut d, 5);
        assert_eq!(sent.len(), 5);
        plugged.store(false, Ordering::SeqCst);
        play(&mut d, 10);
        assert!(
            swap.is_failed(),
            "eight refusals in a row mark the port as gone"
        );
        assert!(
            !swap.supervise(&mut open),
            "still unplugged: nothing to hand over"
        );
        plugged.store(true, Ordering::SeqCst);
        assert!(
            swap.supervise(&mut open),
            "plugged back: a new port is handed over"
        );
        play(&mut d, 3);
        assert!(!swap.is_failed());
        assert_eq!(sent.len(), 8, "messages flow again through the new port");
    }

    #[test]
    fn very_late_note_ons_are_dropped() {
        let (mut d, input, _) = setup(16);
        input
            .push(Deadline {
                at_ns: 0,
                seq: 0,
                msg: MidiMsg::note_on(0, 60, 1),
            })
            .unwrap();
        input
            .push(Deadline {
                at_ns: 0,
                seq: 1,
                msg: MidiMsg::note_off(0, 61),
            })
            .unwrap();
        d.run_once(60_000_000);
        assert_eq!(d.counters.dropped.load(Ordering::Relaxed), 1);
        assert_eq!(d.port().sent.len(), 1);
    }
}
