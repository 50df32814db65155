//! Scheduling priority for the threads that keep time.
//!
//! The scheduler and the dispatch threads sleep most of the time and must wake on time while
//! a compiler, a browser or an offline render keeps every core busy: on a loaded 2-core
//! machine an ordinary thread can wait tens of milliseconds for a core, longer than the
//! look-ahead hides. They ask for a higher priority as they start: nice −10 for the calling
//! thread (Linux), which the kernel weighs about ten times an ordinary thread's. Not
//! real-time scheduling: the scheduler runs user patterns, and a runaway one at real-time
//! priority could freeze a core. Refused without the right (CAP_SYS_NICE, or an rlimit
//! that allows it); then the thread runs as it is and [`raise_current_thread`] says so.

/// The nice value asked for.
pub const NICE: i32 = -10;

/// Raise the calling thread's priority; true when granted.
pub fn raise_current_thread() -> bool {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: gettid has no preconditions; setpriority with PRIO_PROCESS and a thread
        // id changes only that thread's nice value (Linux semantics) and reads no memory.
        unsafe {
            let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
            libc::setpriority(libc::PRIO_PROCESS, tid, NICE) == 0
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        false
    }
}

/// The calling thread's nice value (Linux), for tests and diagnostics.
pub fn current_nice() -> Option<i32> {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: as above; getpriority only reads the thread's nice value. It may return
        // -1 legitimately, so errno is cleared first and checked after.
        unsafe {
            let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
            *libc::__errno_location() = 0;
            let n = libc::getpriority(libc::PRIO_PROCESS, tid);
            (*libc::__errno_location() == 0).then_some(n)
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_raised_thread_has_the_nice_value_it_asked_for_and_others_keep_theirs() {
        let before = current_nice();
        let raised = std::thread::spawn(|| (raise_current_thread(), current_nice()))
            .join()
            .ok();
        // Only this one thread changed.
        assert_eq!(current_nice(), before);
        if let Some((true, nice)) = raised {
            assert_eq!(nice, Some(NICE));
        }
    }
}
