//! External input (MIDI controllers, keyboards, pedals) handed to the scheduler.
//!
//! Contract: whatever reads a device (a midir callback, a JACK process callback) stamps each
//! message with the engine's time (seconds since [`crate::Engine::origin`]) and pushes it
//! into the engine's [`InputQueue`]. A push never blocks, locks or allocates, so it is safe
//! from a real-time callback; when the queue is full the message is dropped and counted
//! (a stuck scheduler must not back-pressure a device driver). The scheduler thread drains
//! the queue on each tick and turns messages into controls, triggers and held notes.

use std::sync::atomic::{AtomicU64, Ordering};

use crossbeam_queue::ArrayQueue;

/// One incoming MIDI channel message (running status already resolved; sysex and
/// real-time messages are not carried).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MidiIn {
    /// When it arrived, in seconds since the engine's origin.
    pub at: f64,
    /// Which input it came from (an index the opener assigns; see [`InputQueue::push`]).
    pub port: u16,
    /// The message bytes; only the first `len` are meaningful.
    pub bytes: [u8; 3],
    /// Number of bytes (1 to 3).
    pub len: u8,
}

impl MidiIn {
    /// Build from raw bytes: a channel message (status 0x80–0xEF) with its data bytes.
    /// None for anything else (sysex, clock, active sensing) or a truncated message.
    pub fn from_bytes(at: f64, port: u16, raw: &[u8]) -> Option<MidiIn> {
        let status = *raw.first()?;
        let len = match status & 0xF0 {
            0x80 | 0x90 | 0xA0 | 0xB0 | 0xE0 => 3,
            0xC0 | 0xD0 => 2,
            _ => return None,
        };
        if raw.len() < len {
            return None;
        }
        let mut bytes = [0u8; 3];
        bytes[..len].copy_from_slice(&raw[..len]);
        if bytes[1..len].iter().any(|b| b & 0x80 != 0) {
            return None;
        }
        Some(MidiIn {
            at,
            port,
            bytes,
            len: len as u8,
        })
    }

    /// MIDI channel, 0–15.
    pub fn channel(&self) -> u8 {
        self.bytes[0] & 0x0F
    }

    /// The message kind: the status byte's high nibble (0x80 note off, 0x90 note on, 0xB0
    /// control change, …).
    pub fn kind(&self) -> u8 {
        self.bytes[0] & 0xF0
    }
}

/// A bounded, lock-free queue of input messages from any number of device threads to the
/// scheduler.
pub struct InputQueue {
    queue: ArrayQueue<MidiIn>,
    dropped: AtomicU64,
    received: AtomicU64,
}

impl InputQueue {
    /// Messages the queue holds before it drops: at the scheduler's 5 ms tick this is
    /// far more than a controller can send (a 14-bit CC sweep sends ~1000 messages/s).
    pub const CAPACITY: usize = 4096;

    /// An empty queue.
    pub fn new() -> InputQueue {
        InputQueue {
            queue: ArrayQueue::new(Self::CAPACITY),
            dropped: AtomicU64::new(0),
            received: AtomicU64::new(0),
        }
    }

    /// Hand a message to the scheduler. Never blocks; false (and counted) when full.
    pub fn push(&self, msg: MidiIn) -> bool {
        self.received.fetch_add(1, Ordering::Relaxed);
        if self.queue.push(msg).is_err() {
            self.dropped.fetch_add(1, Ordering::Relaxed);
            return false;
        }
        true
    }

    /// Take the oldest message (the scheduler's side).
    pub fn pop(&self) -> Option<MidiIn> {
        self.queue.pop()
    }

    /// Messages dropped because the queue was full.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Messages pushed, dropped or not.
    pub fn received(&self) -> u64 {
        self.received.load(Ordering::Relaxed)
    }
}

impl Default for InputQueue {
    fn default() -> Self {
        InputQueue::new()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn channel_messages_parse_and_others_are_refused() {
        let cc = MidiIn::from_bytes(1.5, 2, &[0xB3, 74, 100]).unwrap();
        assert_eq!((cc.kind(), cc.channel(), cc.len, cc.port), (0xB0, 3, 3, 2));
        let pc = MidiIn::from_bytes(0.0, 0, &[0xC0, 5]).unwrap();
        assert_eq!((pc.len, pc.bytes), (2, [0xC0, 5, 0]));
        assert!(MidiIn::from_bytes(0.0, 0, &[0xF8]).is_none());
        assert!(MidiIn::from_bytes(0.0, 0, &[0xF0, 1, 2, 0xF7]).is_none());
        assert!(MidiIn::from_bytes(0.0, 0, &[0x90, 60]).is_none());
        assert!(MidiIn::from_bytes(0.0, 0, &[0x90, 0x80, 1]).is_none());
        assert!(MidiIn::from_bytes(0.0, 0, &[]).is_none());
    }

    #[test]
    fn a_full_queue_drops_and_counts_without_blocking() {
        let q = InputQueue::new();
        let m = MidiIn::from_bytes(0.0, 0, &[0x90, 60, 100]).unwrap();
        for _ in 0..InputQueue::CAPACITY {
            assert!(q.push(m));
        }
        assert!(!q.push(m));
        assert_eq!(
            (q.dropped(), q.received()),
            (1, InputQueue::CAPACITY as u64 + 1)
        );
        assert_eq!(q.pop(), Some(m));
    }
}
