//! The built-in synth played live: a sink that turns events into synth notes and plays them
//! in a cpal output stream (JACK when a server runs, else the default ALSA device).
//!
//! Scheduler side ([`AudioSink::schedule`], on the scheduler thread): each event becomes a
//! [`NoteSpec`](patter_synth::NoteSpec) with its onset in engine nanoseconds and its sustain
//! in frames, pushed into a preallocated lock-free queue (a full queue drops and counts).
//! Real-time side ([`core::AudioCore`], in the audio callback): maps onsets to exact stream
//! frames and renders them at their sample offset; see that module for its contract.
//! A supervisor thread keeps spare synths ready for resets, frees the old ones, and reopens
//! the stream when the device or the JACK server goes away.
//!
//! Samples (`s: "bd:3"` from the user's folders) are decoded by a loader thread of their
//! own ([`samples`]); an event naming a folder not loaded yet is skipped and counted while
//! the loader decodes it (`patter play` preloads what the program's first cycles name, so
//! a file plays its samples from the first beat).
//!
//! Metrics: `sent` counts notes handed to the synth, `late` those that started at the first
//! frame of a buffer after their own, `dropped` those refused by a full queue or too stale
//! to play, `errors` the backend's xruns and resets that found the queue full.
//!
//! The onset travels as engine time rather than as a frame so that the mapping to frames
//! lives in one place, the callback, which owns the stream's frame count: a drift
//! correction or a reopened stream can then never race with notes already queued.

pub mod core;
pub mod samples;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};
use patter_pattern::{Event, Value};
use patter_synth::{SampleBank, SampleLibrary, Skip, Synth};

use self::core::{to_sample, AudioCore, AudioMsg, AudioShared, CallbackTiming, SPARES};
use self::samples::{NoticeFn, Published, SampleRequests, SchedSamples};
use super::{EventTimes, Sink, SinkMetrics};

/// Voices the live synth has (the oldest is stolen beyond that).
pub const VOICES: usize = 64;

/// Which audio backend to open.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AudioBackend {
    /// JACK when a server runs, else the default ALSA device (`alsa:null` is never chosen).
    Auto,
    /// Only JACK.
    Jack,
    /// Only ALSA: the named PCM device, or `default`.
    Alsa(Option<String>),
}

impl AudioBackend {
    /// Parse the part after `synth` in an output name: ``, `jack`, `alsa`, `alsa:DEVICE`.
    pub fn parse(rest: &str) -> Option<AudioBackend> {
        match rest.split_once(':').unwrap_or((rest, "")) {
            ("", _) => Some(AudioBackend::Auto),
            ("jack", "") => Some(AudioBackend::Jack),
            ("alsa", "") => Some(AudioBackend::Alsa(None)),
            ("alsa", dev) => Some(AudioBackend::Alsa(Some(dev.to_string()))),
            _ => None,
        }
    }
}

/// How to open the audio sink.
#[derive(Clone, Debug)]
pub struct AudioOptions {
    /// Backend choice.
    pub backend: AudioBackend,
    /// JACK client name prefix: the client is `NAME_out`, its ports `NAME_out:out_0`, `_1`.
    pub jack_name: String,
    /// Connect the JACK outputs to `system:playback_*` when those ports exist.
    pub auto_connect: bool,
    /// Synth voices.
    pub voices: usize,
    /// Seconds added to every onset.
    pub latency: f64,
    /// Sample roots searched first (`--samples DIR`), before `PATTER_SAMPLES` and the
    /// default folders.
    pub sample_roots: Vec<PathBuf>,
    /// Where the sample loader's notices go (unknown names, unreadable files).
    pub notice: Option<NoticeFn>,
}

impl Default for AudioOptions {
    fn default() -> Self {
        AudioOptions {
            backend: AudioBackend::Auto,
            jack_name: "patter".to_string(),
            auto_connect: true,
            voices: VOICES,
            latency: 0.0,
            sample_roots: Vec::new(),
            notice: None,
        }
    }
}

/// One backend that could not be used, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attempt {
    /// `JACK`, `ALSA default`, `ALSA hw:0`.
    pub backend: String,
    /// What went wrong, in words.
    pub reason: String,
}

/// No backend could play: every attempt and its reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoAudioDevice {
    /// In the order tried.
    pub attempts: Vec<Attempt>,
}

impl std::fmt::Display for NoAudioDevice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let tried: Vec<String> = self
            .attempts
            .iter()
            .map(|a| format!("{} ({})", a.backend, a.reason))
            .collect();
        write!(
            f,
            "no audio device could be opened: tried {}",
            tried.join("; ")
        )
    }
}

impl std::error::Error for NoAudioDevice {}

/// A stream that plays, with what the supervisor needs to keep it going.
struct Opened {
    /// Held for its lifetime: dropping it stops the callback.
    _stream: cpal::Stream,
    /// The backend to reopen if the device goes away (JACK stays JACK).
    kind: AudioBackend,
    rate: u32,
    backend: String,
    jack_client: Option<String>,
    failed: Arc<AtomicBool>,
}

/// Settings shared by the scheduler side and the supervisor.
struct Live {
    shared: Arc<AudioShared>,
    rate: AtomicU32,
    stop: AtomicBool,
    reconnects: AtomicU64,
    published: Arc<Published>,
}

/// The live synth sink. See the module documentation.
pub struct AudioSink {
    name: String,
    live: Arc<Live>,
    latency: f64,
    unknown: u64,
    samples: SchedSamples,
    jack_client: Option<String>,
    supervisor: Option<JoinHandle<()>>,
}

impl AudioSink {
    /// Open the backend `opts` names; `origin` is the engine's time origin. Returns only
    /// once audio flows (the first callback ran), so a device that opens but never plays
    /// counts as a failure.
    pub fn open(opts: &AudioOptions, origin: Instant) -> Result<AudioSink, NoAudioDevice> {
        let shared = Arc::new(AudioShared::new());
        let published = Arc::new(Published::new());
        let opened = open_any(opts, &shared, origin, &published.current())?;
        let live = Arc::new(Live {
            shared,
            rate: AtomicU32::new(opened.rate),
            stop: AtomicBool::new(false),
            reconnects: AtomicU64::new(0),
            published,
        });
        let requests = {
            let l = live.clone();
            let rate = move || l.rate.load(Ordering::Relaxed);
            let l = live.clone();
            let stopped = move || l.stop.load(Ordering::Acquire);
            samples::start(
                SampleLibrary::default_roots(&opts.sample_roots),
                rate,
                stopped,
                live.shared.clone(),
                live.published.clone(),
                opts.notice.clone(),
            )
        };
        let name = format!("synth:{}", opened.backend);
        let jack_client = opened.jack_client.clone();
        let supervisor = {
            let live = live.clone();
            let opts = opts.clone();
            std::thread::Builder::new()
                .name("patter-audio-supervisor".into())
                .spawn(move || supervise(&live, opened, &opts, origin))
                .ok()
        };
        Ok(AudioSink {
            name,
            live,
            latency: opts.latency.clamp(-1.0, 10.0),
            unknown: 0,
            samples: SchedSamples::new(requests),
            jack_client,
            supervisor,
        })
    }

    /// The stream's sample rate and its last buffer size in frames.
    pub fn format(&self) -> (u32, u32) {
        (
            self.live.rate.load(Ordering::Relaxed),
            self.live.shared.buffer.load(Ordering::Relaxed),
        )
    }

    /// The JACK client's name (`None` on ALSA): its ports are `NAME:out_0` and `NAME:out_1`.
    pub fn jack_client(&self) -> Option<&str> {
        self.jack_client.as_deref()
    }

    /// Events skipped because no built-in sound or loaded sample folder has their name.
    pub fn unknown_sounds(&self) -> u64 {
        self.unknown
    }

    /// A handle to ask the sample loader for folders (from any thread).
    pub fn sample_requests(&self) -> SampleRequests {
        self.samples.requests()
    }

    /// Sample banks the loader has published so far.
    pub fn bank_swaps(&self) -> u64 {
        self.live.shared.bank_swaps.load(Ordering::Relaxed)
    }

    /// Times the stream was reopened after its device went away.
    pub fn reconnects(&self) -> u64 {
        self.live.reconnects.load(Ordering::Relaxed)
    }

    /// Times the frame mapping was corrected for clock drift.
    pub fn drift_corrections(&self) -> u64 {
        self.live.shared.corrections.load(Ordering::Relaxed)
    }

    /// Frames played so far by the current stream.
    pub fn frames(&self) -> u64 {
        self.live.shared.frames.load(Ordering::Acquire)
    }

    fn push(&self, msg: AudioMsg) -> bool {
        self.live.shared.queue.push(msg).is_ok()
    }
}

/// True for a rest (any parameter is `Rest`).
fn is_rest(event: &Event) -> bool {
    event.params.iter().any(|(_, v)| matches!(v, Value::Rest))
}

impl Sink for AudioSink {
    fn name(&self) -> &str {
        &self.name
    }

    fn latency(&self) -> f64 {
        self.latency
    }

    fn schedule(&mut self, event: &Event, times: EventTimes) {
        if is_rest(event) {
            return;
        }
        self.samples.update(&self.live.published);
        let mut spec = match patter_synth::spec_from_event_with(event, 1.0, &self.samples.bank) {
            Ok(spec) => spec,
            Err(Skip::Unknown(name)) => {
                self.unknown += 1;
                self.samples.missing(name);
                return;
            }
            Err(_) => return,
        };
        // A sample with neither `sustain` nor `legato` plays to its end.
        let to_end = spec.sample.is_some() && spec.sustain_frames == u32::MAX;
        if !to_end {
            let rate = f64::from(self.live.rate.load(Ordering::Relaxed));
            let sustain = ((times.release - times.onset) * rate).round();
            spec.sustain_frames = sustain.clamp(1.0, f64::from(u32::MAX)) as u32;
        }
        let at = (times.onset + self.latency) * 1e9;
        let at_ns = if at.is_finite() { at.round() as i64 } else { 0 };
        if !self.push(AudioMsg::Note { at_ns, spec }) {
            let c = &self.live.shared.counters;
            c.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn release_all(&mut self) {
        if !self.push(AudioMsg::Reset) {
            let c = &self.live.shared.counters;
            c.errors.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn audio_format(&self) -> Option<(u32, u32)> {
        Some(self.format())
    }

    fn metrics(&self) -> SinkMetrics {
        let s = &self.live.shared;
        let mut m = s
            .counters
            .snapshot(&self.name, s.depth.load(Ordering::Relaxed));
        m.connected = s.connected.load(Ordering::Acquire);
        m.clock_corrections = s.corrections.load(Ordering::Relaxed);
        m
    }

    fn close(&mut self) {
        let Some(t) = self.supervisor.take() else {
            return;
        };
        self.release_all();
        // Let the callback fade the voices out before the stream stops.
        let (rate, buffer) = self.format();
        let period = f64::from(buffer.max(64)) / f64::from(rate.max(1));
        std::thread::sleep(Duration::from_secs_f64((period * 4.0).clamp(0.01, 0.2)));
        self.live.stop.store(true, Ordering::Release);
        let _ = t.join();
    }
}

impl Drop for AudioSink {
    fn drop(&mut self) {
        self.close();
    }
}

/// Keep spares ready, free old synths, reopen a stream whose device went away. Owns the
/// stream, so the stream (and the callback's state) is dropped here.
fn supervise(live: &Live, opened: Opened, opts: &AudioOptions, origin: Instant) {
    let shared = &live.shared;
    // Reopen the backend that was playing (JACK stays JACK).
    let mut again = opts.clone();
    again.backend = opened.kind.clone();
    let mut current = Some(opened);
    let mut last_try = Instant::now();
    while !live.stop.load(Ordering::Acquire) {
        std::thread::sleep(Duration::from_millis(10));
        let rate = live.rate.load(Ordering::Relaxed);
        let bank = live.published.current();
        refill(shared, rate, opts.voices, &bank);
        while let Some(old) = shared.trash.pop() {
            drop(old);
        }
        while let Some(old) = shared.bank_trash.pop() {
            drop(old);
        }
        while let Some(old) = live.published.sched_trash.pop() {
            drop(old);
        }
        let failed = current
            .as_ref()
            .is_none_or(|o| o.failed.load(Ordering::Acquire));
        if !failed {
            continue;
        }
        shared.connected.store(false, Ordering::Release);
        drop(current.take());
        if last_try.elapsed() < Duration::from_millis(500) {
            continue;
        }
        last_try = Instant::now();
        if let Ok(o) = open_any(&again, shared, origin, &bank) {
            live.rate.store(o.rate, Ordering::Relaxed);
            live.reconnects.fetch_add(1, Ordering::Relaxed);
            current = Some(o);
        }
    }
    drop(current);
    shared.connected.store(false, Ordering::Release);
}

/// Fill the spare slots with fresh synths at `rate` playing from `bank` (dropping spares at
/// another rate).
fn refill(shared: &AudioShared, rate: u32, voices: usize, bank: &Arc<SampleBank>) {
    for _ in 0..SPARES {
        match shared.spares.pop() {
            Some(s) if s.sample_rate() == rate.clamp(8_000, 384_000) => {
                if shared.spares.push(s).is_err() {
                    break;
                }
            }
            Some(_) | None => {}
        }
    }
    while shared.spares.len() < SPARES {
        if shared
            .spares
            .push(Box::new(Synth::with_samples(rate, voices, bank.clone())))
            .is_err()
        {
            break;
        }
    }
}

/// Try the backends `opts` allows, in order; every failure is kept for the report.
fn open_any(
    opts: &AudioOptions,
    shared: &Arc<AudioShared>,
    origin: Instant,
    bank: &Arc<SampleBank>,
) -> Result<Opened, NoAudioDevice> {
    let mut attempts = Vec::new();
    if matches!(opts.backend, AudioBackend::Auto | AudioBackend::Jack) {
        match open_jack(opts, shared, origin, bank) {
            Ok(o) => return Ok(o),
            Err(reason) => attempts.push(Attempt {
                backend: "JACK".to_string(),
                reason,
            }),
        }
    }
    let alsa_device = match &opts.backend {
        AudioBackend::Auto => Some("default"),
        AudioBackend::Alsa(dev) => Some(dev.as_deref().unwrap_or("default")),
        AudioBackend::Jack => None,
    };
    if let Some(dev) = alsa_device {
        match open_alsa(dev, opts, shared, origin, bank) {
            Ok(o) => return Ok(o),
            Err(reason) => attempts.push(Attempt {
                backend: format!("ALSA {dev}"),
                reason,
            }),
        }
    }
    Err(NoAudioDevice { attempts })
}

/// cpal's JACK device type (its module is private; the type is reachable as the host's
/// associated type, and its constructor lets us choose the client name and auto-connect,
/// which the host's own pre-made device does not).
type JackDevice = <cpal::platform::JackHost as HostTrait>::Device;

fn open_jack(
    opts: &AudioOptions,
    shared: &Arc<AudioShared>,
    origin: Instant,
    bank: &Arc<SampleBank>,
) -> Result<Opened, String> {
    // libjack prints its own connection errors on stderr; we report them in one place.
    jack::set_logger(jack::LoggerType::None);
    let device = JackDevice::default_output_device(&opts.jack_name, opts.auto_connect, false)
        .map_err(|e| describe_jack(&e))?;
    let supported = device
        .default_output_config()
        .map_err(|e| describe_jack(&e))?;
    let config = cpal::StreamConfig {
        channels: 2,
        sample_rate: supported.sample_rate(),
        buffer_size: cpal::BufferSize::Default,
    };
    let client = format!("{}_out", opts.jack_name);
    let (stream, failed) = build::<f32, _>(&device, config, opts, shared, origin, bank)?;
    refill(shared, config.sample_rate, opts.voices, bank);
    start(
        stream,
        AudioBackend::Jack,
        config.sample_rate,
        "jack".to_string(),
        Some(client),
        failed,
        shared,
    )
}

fn open_alsa(
    dev: &str,
    opts: &AudioOptions,
    shared: &Arc<AudioShared>,
    origin: Instant,
    bank: &Arc<SampleBank>,
) -> Result<Opened, String> {
    quiet_alsa();
    let host = cpal::host_from_id(cpal::HostId::Alsa).map_err(|e| describe_alsa(dev, &e))?;
    let device = if dev == "default" {
        host.default_output_device()
    } else {
        host.output_devices()
            .map_err(|e| describe_alsa(dev, &e))?
            .find(|d| d.id().is_ok_and(|id| id.id() == dev))
    };
    let device = device.ok_or_else(|| format!("there is no ALSA output device `{dev}`"))?;
    let supported = device
        .default_output_config()
        .map_err(|e| describe_alsa(dev, &e))?;
    let config = supported.config();
    let (stream, failed) = match supported.sample_format() {
        cpal::SampleFormat::F32 => build::<f32, _>(&device, config, opts, shared, origin, bank)?,
        cpal::SampleFormat::I16 => build::<i16, _>(&device, config, opts, shared, origin, bank)?,
        cpal::SampleFormat::I32 => build::<i32, _>(&device, config, opts, shared, origin, bank)?,
        other => return Err(format!("its sample format {other} is not supported")),
    };
    refill(shared, config.sample_rate, opts.voices, bank);
    start(
        stream,
        AudioBackend::Alsa(Some(dev.to_string())),
        config.sample_rate,
        format!("alsa:{dev}"),
        None,
        failed,
        shared,
    )
}

/// Build an output stream whose callback runs an [`AudioCore`].
fn build<T, D>(
    device: &D,
    config: cpal::StreamConfig,
    opts: &AudioOptions,
    shared: &Arc<AudioShared>,
    origin: Instant,
    bank: &Arc<SampleBank>,
) -> Result<(cpal::Stream, Arc<AtomicBool>), String>
where
    T: cpal::SizedSample + cpal::FromSample<f32>,
    D: DeviceTrait,
    D::Stream: Into<cpal::Stream>,
{
    let mut core = AudioCore::with_samples(
        shared.clone(),
        config.sample_rate,
        usize::from(config.channels),
        opts.voices,
        bank.clone(),
    );
    let failed = Arc::new(AtomicBool::new(false));
    let on_error = {
        let failed = failed.clone();
        let shared = shared.clone();
        move |e: cpal::Error| {
            if e.kind() == cpal::ErrorKind::Xrun {
                shared.counters.errors.fetch_add(1, Ordering::Relaxed);
            } else {
                failed.store(true, Ordering::Release);
            }
        }
    };
    let stream = device
        .build_output_stream::<T, _, _>(
            config,
            move |data: &mut [T], info: &cpal::OutputCallbackInfo| {
                let ts = info.timestamp();
                let latency = ts
                    .playback
                    .checked_duration_since(ts.callback)
                    .map_or(0, |d| d.as_nanos() as i64);
                let timing = CallbackTiming {
                    engine_now_ns: origin.elapsed().as_nanos() as i64,
                    latency_ns: latency,
                    // When the buffer is heard, not when the callback woke: cpal's JACK
                    // `callback` instant includes the wake-up delay, `playback` is the
                    // cycle's own time (plus the port latency).
                    stream_ns: Some(ts.playback.as_nanos() as i64),
                };
                core.process(data, timing, to_sample::<T>);
            },
            on_error,
            None,
        )
        .map_err(|e| describe(&e))?;
    Ok((stream.into(), failed))
}

/// Start the stream and wait (up to 2 s) for its first callback.
fn start(
    stream: cpal::Stream,
    kind: AudioBackend,
    rate: u32,
    backend: String,
    jack_client: Option<String>,
    failed: Arc<AtomicBool>,
    shared: &Arc<AudioShared>,
) -> Result<Opened, String> {
    let before = shared.callbacks.load(Ordering::Acquire);
    stream.play().map_err(|e| describe(&e))?;
    let deadline = Instant::now() + Duration::from_secs(2);
    while shared.callbacks.load(Ordering::Acquire) == before {
        if failed.load(Ordering::Acquire) {
            return Err("the stream failed as it started".to_string());
        }
        if Instant::now() > deadline {
            return Err("the stream opened but never asked for audio".to_string());
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    shared.connected.store(true, Ordering::Release);
    Ok(Opened {
        _stream: stream,
        kind,
        rate,
        backend,
        jack_client,
        failed,
    })
}

/// Keep libasound from printing its own errors on stderr on this thread (we report what
/// failed ourselves, once).
#[cfg(target_os = "linux")]
fn quiet_alsa() {
    type Handler = unsafe extern "C" fn(
        *const std::ffi::c_char,
        std::ffi::c_int,
        *const std::ffi::c_char,
        std::ffi::c_int,
        *const std::ffi::c_char,
        *mut std::ffi::c_void,
    );
    unsafe extern "C" fn silent(
        _file: *const std::ffi::c_char,
        _line: std::ffi::c_int,
        _func: *const std::ffi::c_char,
        _err: std::ffi::c_int,
        _fmt: *const std::ffi::c_char,
        _args: *mut std::ffi::c_void,
    ) {
    }
    let handler: Handler = silent;
    // SAFETY: `snd_local_error_handler_t` takes the same six arguments, the last a pointer
    // to a `va_list` that we never read; only the pointee type differs, so transmuting the
    // function pointer keeps the ABI. `snd_lib_error_set_local` affects only this thread.
    unsafe {
        let local: alsa_sys::snd_local_error_handler_t = Some(std::mem::transmute::<
            Handler,
            unsafe extern "C" fn(
                *const std::ffi::c_char,
                std::ffi::c_int,
                *const std::ffi::c_char,
                std::ffi::c_int,
                *const std::ffi::c_char,
                *mut alsa_sys::__va_list_tag,
            ),
        >(handler));
        alsa_sys::snd_lib_error_set_local(local);
    }
}

#[cfg(not(target_os = "linux"))]
fn quiet_alsa() {}

/// A cpal error in words a musician can act on.
fn describe(e: &cpal::Error) -> String {
    e.to_string()
}

/// Why JACK could not be used, in words a musician can act on.
fn describe_jack(e: &cpal::Error) -> String {
    let server = std::env::var("JACK_DEFAULT_SERVER").unwrap_or_else(|_| "default".into());
    match e.kind() {
        cpal::ErrorKind::DeviceNotAvailable => {
            format!("no JACK server called `{server}` is running")
        }
        _ => format!("the JACK server `{server}` refused a client: {e}"),
    }
}

/// Why the ALSA device could not be used.
fn describe_alsa(dev: &str, e: &cpal::Error) -> String {
    if dev == "default" && !std::path::Path::new("/dev/snd").exists() {
        return "there is no sound card here: no /dev/snd".to_string();
    }
    format!("the device `{dev}` did not open: {e}")
}
