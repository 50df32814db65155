//! The ring's two ends over a `/dev/shm` segment: one [`Writer`] (the process that
//! creates the segment) and one [`Reader`] (any other process of the same user).
//!
//! Real-time contract: [`Writer::push`] and [`Reader::try_read`] never allocate, lock, block
//! or make a system call; each is a few loads and stores plus one release store. When the
//! ring is full the writer drops the newest record and counts it in the header's overrun
//! counter (a stalled or absent reader never slows the music down, and the reader can see
//! what it missed). Records already in the ring are never overwritten, so a reader never
//! sees a record change under it.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;
use std::sync::atomic::Ordering;

use memmap2::{MmapMut, MmapOptions};

use crate::layout::{
    ClockRef, Header, Record, DEFAULT_CAPACITY, HEADER_SIZE, MAGIC, MAX_CAPACITY, MIN_CAPACITY,
    RECORD_SIZE, VERSION,
};

/// Where POSIX shared-memory segments live on Linux.
const SHM_DIR: &str = "/dev/shm";

/// What can go wrong opening or creating a segment.
#[derive(Debug)]
pub enum ShmError {
    /// The name is empty, too long, or has a `/` or a NUL in it.
    BadName(String),
    /// No segment by that name.
    NotFound(String),
    /// Another live writer holds the segment.
    InUse {
        /// Segment name.
        name: String,
        /// The writer's process id.
        pid: u32,
    },
    /// The segment is not a patter ring (or not one this reader understands).
    Incompatible(String),
    /// An operating-system error.
    Io(String, io::Error),
}

impl std::fmt::Display for ShmError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ShmError::BadName(n) => write!(
                f,
                "`{n}` is not a usable segment name (1–200 characters, no `/`)"
            ),
            ShmError::NotFound(n) => write!(
                f,
                "no shared-memory segment `{n}` (is `patter play --out shm:{n}` running?)"
            ),
            ShmError::InUse { name, pid } => write!(
                f,
                "segment `{name}` belongs to a running writer (process {pid}); choose another name"
            ),
            ShmError::Incompatible(why) => write!(f, "not a patter event ring: {why}"),
            ShmError::Io(what, e) => write!(f, "{what}: {e}"),
        }
    }
}

impl std::error::Error for ShmError {}

/// The file behind a segment name (`/dev/shm/NAME`).
pub fn segment_path(name: &str) -> Result<PathBuf, ShmError> {
    let ok = !name.is_empty()
        && name.len() <= 200
        && name != "."
        && name != ".."
        && !name.contains('/')
        && !name.contains('\0');
    if !ok {
        return Err(ShmError::BadName(name.to_string()));
    }
    Ok(PathBuf::from(SHM_DIR).join(name))
}

/// The ring size for a requested capacity: a power of two within the limits.
pub fn ring_capacity(requested: usize) -> usize {
    requested
        .clamp(MIN_CAPACITY, MAX_CAPACITY)
        .checked_next_power_of_two()
        .unwrap_or(MAX_CAPACITY)
        .min(MAX_CAPACITY)
}

/// True when a process with this id exists (signal 0 checks without sending anything).
fn pid_alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    if pid <= 0 {
        return false;
    }
    // SAFETY: kill with signal 0 sends nothing; it only checks that the process exists.
    let rc = unsafe { libc::kill(pid, 0) };
    rc == 0 || io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

fn header(map: &[u8]) -> &Header {
    // SAFETY: every map handed here is at least HEADER_SIZE bytes (checked when it is made)
    // and page-aligned, which satisfies Header's 8-byte alignment; the header's plain fields
    // are written once before `magic` is published and its shared fields are atomics.
    unsafe { &*(map.as_ptr() as *const Header) }
}

/// Process id of the live writer holding the segment at `path`, if any.
fn live_writer(path: &std::path::Path) -> Option<u32> {
    let file = File::open(path).ok()?;
    if file.metadata().ok()?.len() < HEADER_SIZE as u64 {
        return None;
    }
    // SAFETY: a read-only map of a file we only read through atomics and the header's
    // fixed fields; the length was checked above.
    let map = unsafe { MmapOptions::new().len(HEADER_SIZE).map(&file) }.ok()?;
    let h = header(&map);
    let pid = h.writer_pid.load(Ordering::Acquire);
    let alive = h.magic.load(Ordering::Acquire) == MAGIC
        && h.writer_alive.load(Ordering::Acquire) == 1
        && pid_alive(pid);
    alive.then_some(pid)
}

/// The writing end. Dropping it marks the writer gone and removes the segment.
pub struct Writer {
    name: String,
    path: PathBuf,
    map: MmapMut,
    mask: u64,
    head: u64,
    cached_tail: u64,
    overruns: u64,
    clock: ClockRef,
}

impl Writer {
    /// Create the segment `NAME` (`/dev/shm/NAME`, mode 0600) with room for `capacity`
    /// records (rounded up to a power of two). A segment left by a writer that crashed is
    /// replaced; one held by a live writer is refused.
    pub fn create(name: &str, capacity: usize, clock: ClockRef) -> Result<Writer, ShmError> {
        let path = segment_path(name)?;
        let capacity = ring_capacity(capacity);
        let len = HEADER_SIZE + capacity * RECORD_SIZE;
        let io_err = |what: &str, e| ShmError::Io(format!("{what} {}", path.display()), e);
        let open = || {
            OpenOptions::new()
                .read(true)
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&path)
        };
        let file = match open() {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                if let Some(pid) = live_writer(&path) {
                    return Err(ShmError::InUse {
                        name: name.to_string(),
                        pid,
                    });
                }
                // Stale: its writer died without cleaning up (or it is not ours at all).
                match std::fs::remove_file(&path) {
                    Ok(()) => {}
                    Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                    Err(e) => return Err(io_err("cannot remove stale segment", e)),
                }
                open().map_err(|e| io_err("cannot create", e))?
            }
            Err(e) => return Err(io_err("cannot create", e)),
        };
        let made = (|| {
            file.set_len(len as u64)?;
            // SAFETY: the file was just created by us with exclusive creation and sized to
            // `len`; other processes only touch it through the header's atomics and slots
            // published by `write_pos`.
            unsafe { MmapOptions::new().len(len).map_mut(&file) }
        })();
        let mut map = match made {
            Ok(m) => m,
            Err(e) => {
                let _ = std::fs::remove_file(&path);
                return Err(io_err("cannot map", e));
            }
        };
        let h = map.as_mut_ptr() as *mut Header;
        // SAFETY: `h` points at the start of a fresh, zeroed, page-aligned map at least
        // HEADER_SIZE long; nobody reads the plain fields before `magic` is published below.
        unsafe {
            (*h).version = VERSION;
            (*h).record_size = RECORD_SIZE as u32;
            (*h).capacity = capacity as u32;
            (*h).header_size = HEADER_SIZE as u32;
            (*h).clock_monotonic_ns = clock.monotonic_ns;
            (*h).clock_realtime_ns = clock.realtime_ns;
        }
        let hdr = header(&map);
        hdr.write_pos.store(0, Ordering::Relaxed);
        hdr.read_pos.store(0, Ordering::Relaxed);
        hdr.overruns.store(0, Ordering::Relaxed);
        hdr.writer_pid.store(std::process::id(), Ordering::Relaxed);
        hdr.writer_alive.store(1, Ordering::Relaxed);
        hdr.magic.store(MAGIC, Ordering::Release);
        Ok(Writer {
            name: name.to_string(),
            path,
            map,
            mask: capacity as u64 - 1,
            head: 0,
            cached_tail: 0,
            overruns: 0,
            clock,
        })
    }

    /// Create with the default capacity.
    pub fn create_default(name: &str, clock: ClockRef) -> Result<Writer, ShmError> {
        Writer::create(name, DEFAULT_CAPACITY, clock)
    }

    /// The segment's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The clock reference written in the header.
    pub fn clock(&self) -> ClockRef {
        self.clock
    }

    /// Records the ring holds.
    pub fn capacity(&self) -> usize {
        self.mask as usize + 1
    }

    /// Records published so far.
    pub fn written(&self) -> u64 {
        self.head
    }

    /// Records dropped because the ring was full.
    pub fn overruns(&self) -> u64 {
        self.overruns
    }

    /// Publish a record, or hand it back when the ring is full (not counted as an
    /// overrun: for producers that can wait, like benchmarks). `seq` is filled in.
    pub fn try_push(&mut self, mut rec: Record) -> Result<(), Record> {
        let hdr = header(&self.map);
        if self.head.wrapping_sub(self.cached_tail) > self.mask {
            self.cached_tail = hdr.read_pos.load(Ordering::Acquire);
            if self.head.wrapping_sub(self.cached_tail) > self.mask {
                return Err(rec);
            }
        }
        rec.seq = self.head as u32;
        let offset = HEADER_SIZE + ((self.head & self.mask) as usize) * RECORD_SIZE;
        // SAFETY: offset + RECORD_SIZE <= map length (slot index is masked to the
        // capacity the map was sized for); the slot is free (position >= read_pos), so the
        // reader does not read it until the release store of write_pos below.
        unsafe {
            std::ptr::write_volatile(self.map.as_mut_ptr().add(offset) as *mut Record, rec);
        }
        self.head += 1;
        header(&self.map)
            .write_pos
            .store(self.head, Ordering::Release);
        Ok(())
    }

    /// Publish a record; when the ring is full drop it (the newest) and count the overrun.
    /// Returns whether it was published.
    pub fn push(&mut self, rec: Record) -> bool {
        match self.try_push(rec) {
            Ok(()) => true,
            Err(_) => {
                self.overruns += 1;
                header(&self.map)
                    .overruns
                    .store(self.overruns, Ordering::Release);
                false
            }
        }
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        header(&self.map).writer_alive.store(0, Ordering::Release);
        // Readers keep their mapping; the name goes so a new writer starts clean.
        let _ = std::fs::remove_file(&self.path);
    }
}

/// The reading end: maps an existing segment and consumes its records in order.
pub struct Reader {
    map: MmapMut,
    mask: u64,
    tail: u64,
    cached_head: u64,
    clock: ClockRef,
}

impl Reader {
    /// Open the segment `NAME` written by a running (or finished) writer. Reading starts at
    /// the first record no reader has consumed yet.
    pub fn open(name: &str) -> Result<Reader, ShmError> {
        let path = segment_path(name)?;
        let file = match OpenOptions::new().read(true).write(true).open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(ShmError::NotFound(name.to_string()))
            }
            Err(e) => return Err(ShmError::Io(format!("cannot open {}", path.display()), e)),
        };
        let len = file
            .metadata()
            .map_err(|e| ShmError::Io(format!("cannot stat {}", path.display()), e))?
            .len();
        if len < HEADER_SIZE as u64 {
            return Err(ShmError::Incompatible(format!(
                "{len} bytes is shorter than the header"
            )));
        }
        let len = usize::try_from(len)
            .map_err(|_| ShmError::Incompatible("segment too large".to_string()))?;
        // SAFETY: we map the file's current length; the writer never shrinks it, and shared
        // state is only accessed through the header's atomics and published slots.
        let map = unsafe { MmapOptions::new().len(len).map_mut(&file) }
            .map_err(|e| ShmError::Io(format!("cannot map {}", path.display()), e))?;
        let h = header(&map);
        if h.magic.load(Ordering::Acquire) != MAGIC {
            return Err(ShmError::Incompatible(
                "bad magic (not initialised yet, or another program's segment)".to_string(),
            ));
        }
        if h.version != VERSION {
            return Err(ShmError::Incompatible(format!(
                "layout version {} (this reader knows {VERSION})",
                h.version
            )));
        }
        let cap = h.capacity as usize;
        if h.record_size as usize != RECORD_SIZE
            || h.header_size as usize != HEADER_SIZE
            || !cap.is_power_of_two()
            || HEADER_SIZE + cap * RECORD_SIZE > len
        {
            return Err(ShmError::Incompatible(format!(
                "record size {}, header size {}, capacity {cap} do not fit {len} bytes",
                h.record_size, h.header_size
            )));
        }
        let clock = ClockRef {
            monotonic_ns: h.clock_monotonic_ns,
            realtime_ns: h.clock_realtime_ns,
        };
        let tail = h.read_pos.load(Ordering::Acquire);
        Ok(Reader {
            map,
            mask: cap as u64 - 1,
            tail,
            cached_head: tail,
            clock,
        })
    }

    /// The next record, if one is waiting.
    pub fn try_read(&mut self) -> Option<Record> {
        let hdr = header(&self.map);
        if self.tail == self.cached_head {
            self.cached_head = hdr.write_pos.load(Ordering::Acquire);
            if self.tail == self.cached_head {
                return None;
            }
            if self.cached_head.wrapping_sub(self.tail) > self.mask + 1 {
                // Positions that cannot be (a second reader moved read_pos): resynchronise.
                self.tail = self.cached_head;
                hdr.read_pos.store(self.tail, Ordering::Release);
                return None;
            }
        }
        let offset = HEADER_SIZE + ((self.tail & self.mask) as usize) * RECORD_SIZE;
        // SAFETY: offset + RECORD_SIZE <= map length (checked at open against the capacity
        // the mask comes from); the slot was published by the acquire load of write_pos and
        // the writer does not reuse it until read_pos passes it.
        let rec =
            unsafe { std::ptr::read_volatile(self.map.as_ptr().add(offset) as *const Record) };
        self.tail += 1;
        // Publishing every record would bounce read_pos's cache line to the writer for each
        // one; every 64 records, or once caught up, frees slots soon enough.
        if self.tail == self.cached_head || self.tail % 64 == 0 {
            hdr.read_pos.store(self.tail, Ordering::Release);
        }
        Some(rec)
    }

    /// Every record waiting now, in order.
    pub fn drain(&mut self) -> impl Iterator<Item = Record> + '_ {
        std::iter::from_fn(move || self.try_read())
    }

    /// Skip what is waiting and read only records written from now on (a live display
    /// that does not care about the past).
    pub fn skip_to_latest(&mut self) {
        let hdr = header(&self.map);
        self.tail = hdr.write_pos.load(Ordering::Acquire);
        self.cached_head = self.tail;
        hdr.read_pos.store(self.tail, Ordering::Release);
    }

    /// Records waiting.
    pub fn available(&self) -> u64 {
        header(&self.map)
            .write_pos
            .load(Ordering::Acquire)
            .wrapping_sub(self.tail)
    }

    /// The position of the next record read (its `seq` is this number's low 32 bits).
    pub fn position(&self) -> u64 {
        self.tail
    }

    /// Records the writer dropped because the ring was full.
    pub fn overruns(&self) -> u64 {
        header(&self.map).overruns.load(Ordering::Acquire)
    }

    /// True while the writer runs (its flag is set and its process exists).
    pub fn writer_alive(&self) -> bool {
        let h = header(&self.map);
        h.writer_alive.load(Ordering::Acquire) == 1
            && pid_alive(h.writer_pid.load(Ordering::Acquire))
    }

    /// Where engine time sits on this machine's clocks.
    pub fn clock(&self) -> ClockRef {
        self.clock
    }

    /// Records the ring holds.
    pub fn capacity(&self) -> usize {
        self.mask as usize + 1
    }
}

impl Drop for Reader {
    fn drop(&mut self) {
        // Hand back the slots read since the last publication.
        header(&self.map)
            .read_pos
            .store(self.tail, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn unique(tag: &str) -> String {
        format!("patter-test-{tag}-{}", std::process::id())
    }

    fn rec(note: u8) -> Record {
        Record {
            kind: 1,
            note,
            ..Record::default()
        }
    }

    #[test]
    fn records_arrive_in_order_with_sequence_numbers() {
        let name = unique("order");
        let mut w = Writer::create(&name, 8, ClockRef::now()).unwrap();
        let mut r = Reader::open(&name).unwrap();
        for round in 0..5u8 {
            for i in 0..6u8 {
                assert!(w.push(rec(round * 10 + i)));
            }
            let got: Vec<(u32, u8)> = r.drain().map(|x| (x.seq, x.note)).collect();
            let want: Vec<(u32, u8)> = (0..6u8)
                .map(|i| (u32::from(round) * 6 + u32::from(i), round * 10 + i))
                .collect();
            assert_eq!(got, want);
        }
        assert_eq!(w.overruns(), 0);
    }

    #[test]
    fn a_full_ring_drops_the_newest_and_counts_it() {
        let name = unique("full");
        let mut w = Writer::create(&name, 4, ClockRef::now()).unwrap();
        let mut r = Reader::open(&name).unwrap();
        let published: Vec<bool> = (0..7u8).map(|i| w.push(rec(i))).collect();
        assert_eq!(published, vec![true, true, true, true, false, false, false]);
        assert_eq!(w.overruns(), 3);
        assert_eq!(r.overruns(), 3);
        let notes: Vec<u8> = r.drain().map(|x| x.note).collect();
        assert_eq!(notes, vec![0, 1, 2, 3]);
        // Room again: the stream goes on with contiguous sequence numbers.
        assert!(w.push(rec(9)));
        let next = r.try_read().unwrap();
        assert_eq!((next.seq, next.note), (4, 9));
    }

    #[test]
    fn segment_is_owner_only_and_removed_on_drop() {
        let name = unique("perm");
        let path = segment_path(&name).unwrap();
        let w = Writer::create(&name, 16, ClockRef::now()).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        drop(w);
        assert!(!path.exists());
        assert!(matches!(Reader::open(&name), Err(ShmError::NotFound(_))));
    }

    #[test]
    fn a_live_writer_keeps_its_segment_and_a_stale_one_is_replaced() {
        let name = unique("stale");
        let first = Writer::create(&name, 16, ClockRef::now()).unwrap();
        assert!(matches!(
            Writer::create(&name, 16, ClockRef::now()),
            Err(ShmError::InUse { .. })
        ));
        // A crash leaves the file with the alive flag set and a dead pid.
        let path = segment_path(&name).unwrap();
        std::mem::forget(first);
        {
            let file = OpenOptions::new()
                .read(true)
                .write(true)
                .open(&path)
                .unwrap();
            let map = unsafe { MmapOptions::new().len(HEADER_SIZE).map_mut(&file) }.unwrap();
            // No process has pid i32::MAX (above pid_max).
            header(&map)
                .writer_pid
                .store(i32::MAX as u32, Ordering::Release);
        }
        let mut second = Writer::create(&name, 16, ClockRef::now()).unwrap();
        let mut r = Reader::open(&name).unwrap();
        assert!(r.writer_alive());
        assert!(second.push(rec(42)));
        assert_eq!(r.try_read().unwrap().note, 42);
        drop(second);
        assert!(!r.writer_alive());
    }

    #[test]
    fn garbage_files_are_refused_by_readers_and_replaced_by_writers() {
        let name = unique("garbage");
        let path = segment_path(&name).unwrap();
        std::fs::write(&path, vec![0xAB; 300]).unwrap();
        assert!(matches!(
            Reader::open(&name),
            Err(ShmError::Incompatible(_))
        ));
        std::fs::write(&path, b"short").unwrap();
        assert!(matches!(
            Reader::open(&name),
            Err(ShmError::Incompatible(_))
        ));
        let w = Writer::create(&name, 16, ClockRef::now()).unwrap();
        assert!(Reader::open(&name).is_ok());
        drop(w);
    }

    #[test]
    fn bad_names_are_errors() {
        for bad in ["", "a/b", "..", "x\0y", &"n".repeat(300)] {
            assert!(matches!(segment_path(bad), Err(ShmError::BadName(_))));
        }
        assert_eq!(ring_capacity(0), 2);
        assert_eq!(ring_capacity(1000), 1024);
        assert_eq!(ring_capacity(usize::MAX), MAX_CAPACITY);
    }

    #[test]
    fn clock_reference_maps_engine_seconds_both_ways() {
        let c = ClockRef {
            monotonic_ns: 5_000_000_000,
            realtime_ns: 0,
        };
        assert_eq!(c.to_monotonic_ns(1.5), 6_500_000_000);
        assert!((c.to_engine_seconds(6_500_000_000) - 1.5).abs() < 1e-12);
        assert_eq!(c.to_monotonic_ns(f64::NAN), 5_000_000_000);
        assert_eq!(c.to_monotonic_ns(-10.0), 0);
    }
}
