//! Where and how the argon2 threads run: their priority, the cores they
//! may use, and the CPU time they have spent (the rest after each hash
//! follows it). The trade-off behind the priority is in `hashing`'s docs.

use std::time::Duration;

/// How the hashing threads yield to requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Priority {
    /// Linux's idle scheduling class: only CPU nothing else wants.
    Idle,
    /// The normal class at this niceness (0–19).
    Nice(u8),
}

/// The reads' tail untouched by argon2; a login that idle time does not
/// reach within `hashing::MAX_QUEUED` is told to retry (`hashing`'s docs).
pub const DEFAULT_PRIORITY: Priority = Priority::Idle;

/// The CPUs this process may run on, in order.
pub(super) fn allowed_cpus() -> Vec<usize> {
    use nix::sched::{CpuSet, sched_getaffinity};
    use nix::unistd::Pid;
    match sched_getaffinity(Pid::from_raw(0)) {
        Ok(set) => (0..CpuSet::count())
            .filter(|&cpu| set.is_set(cpu).unwrap_or(false))
            .collect(),
        Err(_) => Vec::new(),
    }
}

/// Puts the calling thread at `priority` and, given a CPU, on that CPU
/// alone. Either failing (a sandbox may forbid it) leaves the thread as it
/// was: slower requests during a login storm, nothing worse.
pub(super) fn yield_to_requests(priority: Priority, pin: Option<usize>) {
    match priority {
        Priority::Idle => {
            use thread_priority::{
                NormalThreadSchedulePolicy, ThreadPriority, ThreadSchedulePolicy,
                set_thread_priority_and_policy, thread_native_id,
            };
            if let Err(e) = set_thread_priority_and_policy(
                thread_native_id(),
                ThreadPriority::Min,
                ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Idle),
            ) {
                tracing::warn!("argon2 thread keeps the normal scheduling class: {e:?}");
            }
        }
        Priority::Nice(n) => {
            // On Linux the niceness is the thread's own (`who` 0 is the
            // calling thread); raising it needs no privilege.
            // SAFETY: setpriority reads its three integers and nothing else.
            let done = unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, i32::from(n.min(19))) };
            if done != 0 {
                tracing::warn!(
                    "argon2 thread keeps its niceness: {}",
                    std::io::Error::last_os_error()
                );
            }
        }
    }
    if let Some(cpu) = pin {
        use nix::sched::{CpuSet, sched_setaffinity};
        let mut set = CpuSet::new();
        let pinned = set
            .set(cpu)
            .and_then(|()| sched_setaffinity(nix::unistd::Pid::from_raw(0), &set));
        if let Err(e) = pinned {
            tracing::warn!("argon2 thread not pinned to CPU {cpu}: {e}");
        }
    }
}

/// CPU time this thread has used, where the clock is available.
pub(super) fn thread_cpu() -> Option<Duration> {
    use nix::time::{ClockId, clock_gettime};
    let t = clock_gettime(ClockId::CLOCK_THREAD_CPUTIME_ID).ok()?;
    Some(Duration::new(
        u64::try_from(t.tv_sec()).ok()?,
        u32::try_from(t.tv_nsec()).ok()?,
    ))
}
