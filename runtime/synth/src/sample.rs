//! The sampler's data: WAV files in SuperDirt's folder layout, decoded and resampled to the
//! output rate on the control side into an immutable [`SampleBank`] that the real-time side
//! only reads.
//!
//! Layout: a sample root holds one folder per sound name; `s: "bd", n: 3` plays the fourth
//! WAV file (sorted by file name, byte order) of folder `bd`, wrapping modulo the count like
//! SuperDirt. When several roots hold a folder of the same name, the first root wins.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Longest sample kept, in seconds at the output rate: longer files are cut, so one huge
/// file cannot exhaust memory.
pub const MAX_SAMPLE_SECONDS: u64 = 300;

/// Most decoded sample values one [`SampleLibrary::load`] keeps (1 GiB of `f32`); files
/// past it stay silent, with a warning, so a huge library cannot exhaust memory.
pub const MAX_BANK_VALUES: usize = 1 << 28;

/// One decoded sound at the bank's rate: interleaved frames of one or two channels.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Sample {
    channels: u16,
    data: Vec<f32>,
}

impl Sample {
    /// A sample from interleaved `data` of `channels` channels (1 or 2; more are cut to the
    /// first two) recorded at `from_rate`, linearly resampled to `to_rate`.
    pub fn from_interleaved(data: &[f32], channels: u16, from_rate: u32, to_rate: u32) -> Sample {
        let ch = channels.max(1) as usize;
        let keep = ch.min(2);
        let frames = data.len() / ch;
        let frame = |i: usize, c: usize| {
            data.get(i * ch + c)
                .copied()
                .filter(|x| x.is_finite())
                .unwrap_or(0.0)
        };
        let max_frames = (MAX_SAMPLE_SECONDS * u64::from(to_rate.max(1))) as usize;
        let mut out = Vec::new();
        if from_rate == to_rate || from_rate == 0 || to_rate == 0 {
            let n = frames.min(max_frames);
            out.reserve(n * keep);
            for i in 0..n {
                for c in 0..keep {
                    out.push(frame(i, c));
                }
            }
        } else {
            // Output frame j sits at source position j · from / to, computed exactly in
            // integers so the result does not depend on float rounding of the ratio.
            let (from, to) = (u64::from(from_rate), u64::from(to_rate));
            let n = ((frames as u64 * to).div_ceil(from) as usize).min(max_frames);
            out.reserve(n * keep);
            for j in 0..n as u64 {
                let pos = j * from;
                let i = (pos / to) as usize;
                let frac = (pos % to) as f32 / to as f32;
                for c in 0..keep {
                    let a = frame(i, c);
                    // Past the last frame, hold it rather than fall to zero.
                    let b = if i + 1 < frames { frame(i + 1, c) } else { a };
                    out.push(a + (b - a) * frac);
                }
            }
        }
        Sample {
            channels: keep as u16,
            data: out,
        }
    }

    /// Channels (1 or 2).
    pub fn channels(&self) -> u16 {
        self.channels
    }

    /// Length in frames.
    pub fn frames(&self) -> usize {
        self.data.len() / self.channels.max(1) as usize
    }

    /// Interleaved samples.
    pub fn data(&self) -> &[f32] {
        &self.data
    }

    /// Frame `i` as (left, right); a mono sample gives the same value twice; silence past
    /// the end.
    #[inline]
    pub(crate) fn frame(&self, i: usize) -> (f32, f32) {
        if self.channels == 2 {
            (
                self.data.get(2 * i).copied().unwrap_or(0.0),
                self.data.get(2 * i + 1).copied().unwrap_or(0.0),
            )
        } else {
            let x = self.data.get(i).copied().unwrap_or(0.0);
            (x, x)
        }
    }

    /// Decode a WAV file (8/16/24/32-bit integer or 32-bit float, any channel count) and
    /// resample it to `rate`.
    pub fn load_wav(path: &Path, rate: u32) -> Result<Sample, hound::Error> {
        let mut r = hound::WavReader::open(path)?;
        let spec = r.spec();
        let ch = u64::from(spec.channels.max(1));
        // Cut before decoding: the header says how long the file is.
        let limit = MAX_SAMPLE_SECONDS * u64::from(spec.sample_rate.max(1)) * ch;
        let take = u64::from(r.len()).min(limit) as usize;
        let data: Vec<f32> = match spec.sample_format {
            hound::SampleFormat::Float => {
                r.samples::<f32>().take(take).collect::<Result<_, _>>()?
            }
            hound::SampleFormat::Int => {
                let full = (1u64 << spec.bits_per_sample.clamp(1, 32).saturating_sub(1)) as f32;
                r.samples::<i32>()
                    .take(take)
                    .map(|s| s.map(|x| x as f32 / full))
                    .collect::<Result<_, _>>()?
            }
        };
        Ok(Sample::from_interleaved(
            &data,
            spec.channels,
            spec.sample_rate,
            rate,
        ))
    }
}

/// The key a note names a sample folder by: a hash of the name, so a [`crate::NoteSpec`]
/// stays `Copy` and the real-time side finds the folder without strings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SampleKey {
    /// [`name_hash`] of the folder name.
    pub folder: u64,
    /// File index, wrapped modulo the folder's file count when played.
    pub index: i64,
}

impl SampleKey {
    /// The key for file `index` of folder `name`.
    pub fn new(name: &str, index: i64) -> SampleKey {
        SampleKey {
            folder: name_hash(name),
            index,
        }
    }
}

/// FNV-1a 64-bit hash of a folder name: stable across runs and platforms.
pub fn name_hash(name: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

#[derive(Debug)]
struct Folder {
    key: u64,
    name: Box<str>,
    files: Vec<Sample>,
}

/// Immutable decoded samples at one rate, shared with the synth through an `Arc`. Built off
/// the real-time thread; the synth only reads it.
#[derive(Debug)]
pub struct SampleBank {
    rate: u32,
    /// Sorted by key for a binary search without allocation.
    folders: Vec<Folder>,
}

impl SampleBank {
    /// A bank with no samples.
    pub fn empty(rate: u32) -> SampleBank {
        SampleBank {
            rate,
            folders: Vec::new(),
        }
    }

    /// A bank from decoded folders (already at `rate`). Empty folders are left out; of two
    /// names with the same hash (vanishingly unlikely) the first is kept.
    pub fn from_folders(rate: u32, folders: Vec<(String, Vec<Sample>)>) -> SampleBank {
        let mut out: Vec<Folder> = Vec::with_capacity(folders.len());
        for (name, files) in folders {
            if files.is_empty() {
                continue;
            }
            let key = name_hash(&name);
            if let Err(pos) = out.binary_search_by_key(&key, |f| f.key) {
                out.insert(
                    pos,
                    Folder {
                        key,
                        name: name.into(),
                        files,
                    },
                );
            }
        }
        SampleBank { rate, folders: out }
    }

    /// The rate the samples were resampled to.
    pub fn rate(&self) -> u32 {
        self.rate
    }

    /// True when the bank has a folder called `name` (compared by name, not only by hash).
    pub fn contains(&self, name: &str) -> bool {
        self.folder(name).is_some()
    }

    fn folder(&self, name: &str) -> Option<&Folder> {
        self.folder_index(name_hash(name))
            .and_then(|i| self.folders.get(i))
            .filter(|f| &*f.name == name)
    }

    /// Folder names, in key order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.folders.iter().map(|f| &*f.name)
    }

    /// Number of files in folder `name` (0 if absent).
    pub fn count(&self, name: &str) -> usize {
        self.folder(name).map_or(0, |f| f.files.len())
    }

    pub(crate) fn folder_index(&self, key: u64) -> Option<usize> {
        self.folders.binary_search_by_key(&key, |f| f.key).ok()
    }

    /// Folder and file index for a key, wrapping the file index like SuperDirt.
    pub(crate) fn resolve(&self, key: SampleKey) -> Option<(usize, usize)> {
        let f = self.folder_index(key.folder)?;
        let n = self.folders.get(f)?.files.len();
        if n == 0 {
            return None;
        }
        Some((f, key.index.rem_euclid(n as i64) as usize))
    }

    /// The sample for a key.
    pub fn get(&self, key: SampleKey) -> Option<&Sample> {
        let (f, i) = self.resolve(key)?;
        self.sample_at(f, i)
    }

    #[inline]
    pub(crate) fn sample_at(&self, folder: usize, file: usize) -> Option<&Sample> {
        self.folders.get(folder)?.files.get(file)
    }
}

/// Where sample folders live: an index of names to folders, built by listing directories
/// only (no decoding), so a big library costs nothing until a name is used.
#[derive(Clone, Debug, Default)]
pub struct SampleLibrary {
    folders: BTreeMap<String, PathBuf>,
}

/// Something that went wrong while indexing or loading samples; never fatal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SampleWarning {
    /// The file or folder concerned.
    pub path: PathBuf,
    /// What happened.
    pub message: String,
}

impl std::fmt::Display for SampleWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.message)
    }
}

impl SampleLibrary {
    /// The sample roots to search, in priority order: `extra` (from `--samples`), then the
    /// `PATTER_SAMPLES` variable (`:`-separated), then `~/.local/share/patter/samples` and
    /// SuperDirt's `~/.local/share/SuperCollider/downloaded-quarks/Dirt-Samples` (or its
    /// macOS place under `~/Library/Application Support`) when they exist.
    pub fn default_roots(extra: &[PathBuf]) -> Vec<PathBuf> {
        let mut roots: Vec<PathBuf> = extra.to_vec();
        if let Some(env) = std::env::var_os("PATTER_SAMPLES") {
            roots.extend(std::env::split_paths(&env).filter(|p| !p.as_os_str().is_empty()));
        }
        if let Some(home) = std::env::var_os("HOME") {
            let home = PathBuf::from(home);
            for sub in [
                ".local/share/patter/samples",
                ".local/share/SuperCollider/downloaded-quarks/Dirt-Samples",
                // SuperCollider's user support folder on macOS.
                "Library/Application Support/SuperCollider/downloaded-quarks/Dirt-Samples",
            ] {
                let p = home.join(sub);
                if p.is_dir() {
                    roots.push(p);
                }
            }
        }
        roots
    }

    /// Index the folders under `roots` (first root wins for a repeated name). Unreadable
    /// roots become warnings.
    pub fn scan(roots: &[PathBuf]) -> (SampleLibrary, Vec<SampleWarning>) {
        let mut lib = SampleLibrary::default();
        let mut warnings = Vec::new();
        for root in roots {
            let entries = match std::fs::read_dir(root) {
                Ok(e) => e,
                Err(e) => {
                    warnings.push(SampleWarning {
                        path: root.clone(),
                        message: format!("cannot read the sample folder: {e}"),
                    });
                    continue;
                }
            };
            for entry in entries.flatten() {
                let path = entry.path();
                if !path.is_dir() {
                    continue;
                }
                let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
                    continue;
                };
                lib.folders.entry(name.to_string()).or_insert(path);
            }
        }
        (lib, warnings)
    }

    /// True when some root has a folder called `name`.
    pub fn contains(&self, name: &str) -> bool {
        self.folders.contains_key(name)
    }

    /// Every folder name, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.folders.keys().map(String::as_str)
    }

    /// Decode the folders called `names` (unknown names are ignored) at `rate`. A file
    /// that cannot be decoded stays in its place as silence, so the numbering of the
    /// others matches SuperDirt's, and becomes a warning.
    pub fn load<'a>(
        &self,
        names: impl IntoIterator<Item = &'a str>,
        rate: u32,
    ) -> (SampleBank, Vec<SampleWarning>) {
        let mut warnings = Vec::new();
        let mut wanted: Vec<&str> = names.into_iter().collect();
        wanted.sort_unstable();
        wanted.dedup();
        let mut folders = Vec::new();
        let mut values = 0usize;
        for name in wanted {
            let Some(dir) = self.folders.get(name) else {
                continue;
            };
            let files = wav_files(dir, &mut warnings);
            let mut samples = Vec::with_capacity(files.len());
            for p in &files {
                if values >= MAX_BANK_VALUES {
                    warnings.push(SampleWarning {
                        path: p.clone(),
                        message: "not loaded (it will be silent): the samples loaded so far \
                                  already fill the 1 GiB budget"
                            .to_string(),
                    });
                    samples.push(Sample::default());
                    continue;
                }
                let sample = Sample::load_wav(p, rate).unwrap_or_else(|e| {
                    warnings.push(SampleWarning {
                        path: p.clone(),
                        message: format!("cannot decode (it will be silent): {e}"),
                    });
                    Sample::default()
                });
                values += sample.data.len();
                samples.push(sample);
            }
            folders.push((name.to_string(), samples));
        }
        (SampleBank::from_folders(rate, folders), warnings)
    }
}

/// The `.wav` files of `dir`, sorted by file name.
fn wav_files(dir: &Path, warnings: &mut Vec<SampleWarning>) -> Vec<PathBuf> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            warnings.push(SampleWarning {
                path: dir.to_path_buf(),
                message: format!("cannot read the folder: {e}"),
            });
            return Vec::new();
        }
    };
    let mut files: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.is_file()
                && p.extension()
                    .and_then(|e| e.to_str())
                    .is_some_and(|e| e.eq_ignore_ascii_case("wav"))
        })
        .collect();
    files.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
    files
}
