//! The segment layout, shared with the C header `runtime/include/patter_shm.h` and
//! documented in `docs/shm.md`: a 256-byte header followed by `capacity` 32-byte records.
//!
//! Every field is native-endian (the reader runs on the same machine). The positions are
//! free-running 64-bit counts; a record's slot is `position & (capacity - 1)`. Each position
//! lives on its own 64-byte cache line so the writer and the reader never contend for one.

use std::sync::atomic::{AtomicU32, AtomicU64};

/// `"PATTRSHM"` as a little-endian u64: the first eight bytes of every segment.
pub const MAGIC: u64 = u64::from_le_bytes(*b"PATTRSHM");
/// Layout version; a reader refuses any other.
pub const VERSION: u32 = 1;
/// Bytes per record.
pub const RECORD_SIZE: usize = 32;
/// Bytes before the first record.
pub const HEADER_SIZE: usize = 256;
/// The smallest ring (records).
pub const MIN_CAPACITY: usize = 2;
/// The largest ring (records): 128 MiB of records.
pub const MAX_CAPACITY: usize = 1 << 22;
/// The ring the sink makes unless told otherwise: 65536 records (2 MiB), several minutes
/// of dense music for a reader that has stalled.
pub const DEFAULT_CAPACITY: usize = 1 << 16;

/// The segment header. Fields other than the atomics are written once, before `magic` is
/// published, and never change afterwards.
#[repr(C)]
pub struct Header {
    /// [`MAGIC`] once the segment is initialised (stored last, with release ordering).
    pub magic: AtomicU64,
    /// [`VERSION`].
    pub version: u32,
    /// [`RECORD_SIZE`].
    pub record_size: u32,
    /// Records in the ring (a power of two).
    pub capacity: u32,
    /// [`HEADER_SIZE`].
    pub header_size: u32,
    /// Process id of the writer.
    pub writer_pid: AtomicU32,
    /// 1 while the writer runs; 0 after a clean exit.
    pub writer_alive: AtomicU32,
    /// The writer's `CLOCK_MONOTONIC` in nanoseconds at engine second 0.
    pub clock_monotonic_ns: u64,
    /// `CLOCK_REALTIME` in nanoseconds at that same moment (to map onto another clock).
    pub clock_realtime_ns: u64,
    _pad0: [u8; 16],
    /// Records published by the writer (the next position it writes).
    pub write_pos: AtomicU64,
    _pad1: [u8; 56],
    /// Records consumed by the reader (the next position it reads).
    pub read_pos: AtomicU64,
    _pad2: [u8; 56],
    /// Records the writer dropped because the ring was full.
    pub overruns: AtomicU64,
    _pad3: [u8; 56],
}

const _: () = assert!(std::mem::size_of::<Header>() == HEADER_SIZE);
const _: () = assert!(std::mem::offset_of!(Header, clock_monotonic_ns) == 32);
const _: () = assert!(std::mem::offset_of!(Header, write_pos) == 64);
const _: () = assert!(std::mem::offset_of!(Header, read_pos) == 128);
const _: () = assert!(std::mem::offset_of!(Header, overruns) == 192);

/// What a record says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Kind {
    /// A pitched note starts: `note`, `velocity`, `duration_us` (until its note-off).
    NoteOn = 1,
    /// A pitched note ends.
    NoteOff = 2,
    /// A control change: `note` is the controller number, `velocity` its 7-bit value,
    /// `value` the value as the pattern gave it.
    Control = 3,
    /// An unpitched event (a sample, a drum hit): `note` is its General MIDI drum note or 0.
    Trigger = 4,
    /// A program change: `note` is the program.
    Program = 5,
    /// Pitch bend: `value` in −1…1.
    Bend = 6,
    /// Stop: release every sounding note and discard every record received before this
    /// one that has not played yet (stop, pause, seek, panic).
    AllOff = 7,
}

impl Kind {
    /// The kind for a record's byte, if it is one.
    pub fn from_u8(b: u8) -> Option<Kind> {
        Some(match b {
            1 => Kind::NoteOn,
            2 => Kind::NoteOff,
            3 => Kind::Control,
            4 => Kind::Trigger,
            5 => Kind::Program,
            6 => Kind::Bend,
            7 => Kind::AllOff,
            _ => return None,
        })
    }

    /// A short name for printing.
    pub fn name(self) -> &'static str {
        match self {
            Kind::NoteOn => "note-on",
            Kind::NoteOff => "note-off",
            Kind::Control => "control",
            Kind::Trigger => "trigger",
            Kind::Program => "program",
            Kind::Bend => "bend",
            Kind::AllOff => "all-off",
        }
    }
}

/// One event record, 32 bytes.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Record {
    /// When it happens: `CLOCK_MONOTONIC` nanoseconds (usually in the future: readers
    /// schedule it).
    pub time_ns: u64,
    /// The low 32 bits of the record's position in the stream (set by the writer), so a
    /// reader can check that it saw every record in order.
    pub seq: u32,
    /// The player's index in the program.
    pub player: u16,
    /// A [`Kind`] as a byte.
    pub kind: u8,
    /// MIDI channel 0–15.
    pub channel: u8,
    /// Note (0–127), controller number or program.
    pub note: u8,
    /// Velocity (1–127) or 7-bit control value.
    pub velocity: u8,
    /// Reserved, 0.
    pub flags: u16,
    /// Length of the note or trigger in microseconds.
    pub duration_us: u32,
    /// One value: `amp` for notes and triggers, the control's value, the bend.
    pub value: f32,
    /// The onset in beats, for display (f32: approximate far into a piece).
    pub beat: f32,
}

const _: () = assert!(std::mem::size_of::<Record>() == RECORD_SIZE);
const _: () = assert!(std::mem::offset_of!(Record, seq) == 8);
const _: () = assert!(std::mem::offset_of!(Record, player) == 12);
const _: () = assert!(std::mem::offset_of!(Record, note) == 16);
const _: () = assert!(std::mem::offset_of!(Record, duration_us) == 20);
const _: () = assert!(std::mem::offset_of!(Record, value) == 24);
const _: () = assert!(std::mem::offset_of!(Record, beat) == 28);

impl Record {
    /// The record's kind, if its byte is a known one.
    pub fn kind(&self) -> Option<Kind> {
        Kind::from_u8(self.kind)
    }
}

/// Where engine time sits on the machine's clocks (stored in the header).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClockRef {
    /// `CLOCK_MONOTONIC` nanoseconds at engine second 0.
    pub monotonic_ns: u64,
    /// `CLOCK_REALTIME` nanoseconds at engine second 0.
    pub realtime_ns: u64,
}

impl ClockRef {
    /// Engine second 0 is now.
    pub fn now() -> ClockRef {
        ClockRef {
            monotonic_ns: monotonic_ns(),
            realtime_ns: realtime_ns(),
        }
    }

    /// Engine second 0 is `origin` (an engine's [`std::time::Instant`] origin).
    pub fn for_origin(origin: std::time::Instant) -> ClockRef {
        let elapsed = origin.elapsed().as_nanos() as u64;
        let now = ClockRef::now();
        ClockRef {
            monotonic_ns: now.monotonic_ns.saturating_sub(elapsed),
            realtime_ns: now.realtime_ns.saturating_sub(elapsed),
        }
    }

    /// Engine seconds to `CLOCK_MONOTONIC` nanoseconds (0 before the clock's start).
    pub fn to_monotonic_ns(&self, engine_seconds: f64) -> u64 {
        let offset = engine_seconds * 1e9;
        if !offset.is_finite() {
            return self.monotonic_ns;
        }
        (self.monotonic_ns as f64 + offset).clamp(0.0, u64::MAX as f64) as u64
    }

    /// `CLOCK_MONOTONIC` nanoseconds to engine seconds.
    pub fn to_engine_seconds(&self, monotonic_ns: u64) -> f64 {
        (monotonic_ns as i128 - self.monotonic_ns as i128) as f64 / 1e9
    }
}

fn clock_ns(clock: libc::clockid_t) -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; clock_gettime only writes it.
    let rc = unsafe { libc::clock_gettime(clock, &mut ts) };
    if rc != 0 {
        return 0;
    }
    (ts.tv_sec as u64)
        .saturating_mul(1_000_000_000)
        .saturating_add(ts.tv_nsec as u64)
}

/// `CLOCK_MONOTONIC` now, in nanoseconds (the clock record timestamps use).
pub fn monotonic_ns() -> u64 {
    clock_ns(libc::CLOCK_MONOTONIC)
}

/// `CLOCK_REALTIME` now, in nanoseconds.
pub fn realtime_ns() -> u64 {
    clock_ns(libc::CLOCK_REALTIME)
}
