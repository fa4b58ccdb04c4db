//! argon2id password hashing, off the request threads.
//!
//! Hashing runs on a few dedicated threads (half the cores), fed by a queue:
//! a login storm waits its turn for argon2 instead of starving every other
//! request of CPU, and only those threads ever hold argon2's 19 MiB working
//! memory — on tokio's growing blocking pool each new thread's allocator
//! arena kept its own copy, and the server's memory grew with every burst.
//!
//! The threads run at a low priority, on the last cores only, so that a
//! woken request preempts argon2 rather than waiting for its time slice,
//! and the 19 MiB argon2 streams through a core's cache stay on the cores
//! it was given. How low is a trade-off (`SANSHEN_LOGIN_NICE`, measured in
//! docs/benchmarks.md). Beside 4 readers flat out on 2 cores, nice 10 still
//! raised the reads' p99 2.4-3.5x during a storm, even when only 4 logins
//! were hashed: a hash at any normal priority holds a core the reads want.
//! In Linux's idle class the reads' p99 stayed within 0.95-1.4x, and the
//! last of 16 queued logins was answered in 1.6-3.0 s. So the idle class is
//! the default, with two bounds so that no login waits without end on a
//! machine that is never idle: the queue (below), and [`MAX_QUEUED`], past
//! which a login whose hash has not started is told to come back.
//!
//! A low priority is not enough on its own. A core busy with argon2 never
//! goes idle, so the kernel never pulls a waiting request over to it the way
//! it does onto an idle core; requests queued on the other core wait for
//! the periodic balancer, up to two 4 ms ticks (seen with `perf sched`:
//! 8 ms waits of actix and postgres while argon2 held the other core). So
//! each hashing thread rests after every hash, `REST_PER_HASH` times the CPU
//! time the hash used: at most a quarter of its core. (Timed by the wall
//! clock instead, a hash preempted by requests grew its own rest, and beside
//! saturating reads 8 logins took 17 s.)
//!
//! Logins are admitted to the queue by ticket ([`Hasher::admit`]), at most
//! `capacity` at once (`SANSHEN_LOGIN_QUEUE`). Beyond it a login is told to
//! come back (503 with Retry-After) at once: with ~12 logins/s per hashing
//! thread, an unbounded queue made the 100th login of a morning storm wait
//! 17 s (issue 19), and every waiting request held its socket all along.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore, TryAcquireError, oneshot};

use super::phc::{Memory, hash_with, verify_with};
pub use super::scheduling::{DEFAULT_PRIORITY, Priority};
use super::scheduling::{allowed_cpus, thread_cpu, yield_to_requests};

/// A hashing thread sleeps this many times as long as its last hash took.
/// One login costs ~20 ms of argon2, so a thread still verifies ~10 logins/s
/// on an idle machine: an office's morning rush is well under that. The
/// login isolation benchmark (docs/benchmarks.md), run after the approve
/// scenario, moved from a p99 ratio of 4.1-7.6 with no rest (37-55 logins/s)
/// to 2.33 with a rest of 1 (14 logins/s) and 1.79 with 3 (8 logins/s).
const REST_PER_HASH: u32 = 3;

/// Logins admitted per hashing thread by default: about 1.3 s of work for
/// the thread on an idle machine (one hash and its rest take ~80 ms). In the
/// idle class beside saturating reads, 16 queued logins (2 cores) were all
/// answered within 3.0 s in four runs, 24 within 5.7 s (docs/benchmarks.md);
/// a storm beyond that is told to retry instead of waiting.
pub const QUEUE_PER_THREAD: usize = 16;

/// A login whose hash has not started this long after it was queued is
/// told to come back ([`Overdue`]) instead: in the idle class a machine
/// saturated for minutes would otherwise keep it waiting without bound. A
/// queue configured longer than this drains on an idle machine gets twice
/// its drain time instead ([`Hasher::max_queued`]).
pub const MAX_QUEUED: Duration = Duration::from_secs(4);

/// A hash and its rest, assumed until one has been timed.
const FIRST_CYCLE: Duration = Duration::from_millis(80);
/// Retry-After never says more than this: the estimate is rough, and a
/// client told to wait minutes would give up.
const MAX_RETRY_AFTER_SECONDS: u64 = 30;

/// Returns false when it did nothing: the request waiting for it is gone.
type Job = Box<dyn FnOnce(&mut Memory) -> bool + Send>;

#[derive(Clone)]
pub struct Hasher {
    jobs: mpsc::Sender<Job>,
    /// Verified against when the username is unknown, so that an unknown
    /// user costs the same argon2 time as a wrong password.
    dummy: Arc<str>,
    /// Tickets for logins: queued or being verified.
    logins: Arc<Semaphore>,
    capacity: usize,
    threads: usize,
    /// The last hash with its rest, in microseconds, for Retry-After.
    cycle_micros: Arc<AtomicU64>,
    /// How long a login may wait for its hash to start ([`Hasher::max_queued`]).
    max_queued: Duration,
}

/// The queue is full: try again after `retry_after` seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Busy {
    pub retry_after: u64,
}

/// A queued login waited [`Hasher::max_queued`] without its hash starting: nothing
/// was verified; try again after `retry_after` seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Overdue {
    pub retry_after: u64,
}

impl std::fmt::Display for Overdue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "argon2's queue did not reach this login in time")
    }
}

impl std::error::Error for Overdue {}

/// A login's place in the queue, held until its verdict (or until the
/// request is dropped).
pub struct Ticket {
    hasher: Hasher,
    _place: OwnedSemaphorePermit,
}

impl Ticket {
    /// As [`Hasher::verify`], in the place this ticket holds; an error that
    /// downcasts to [`Overdue`] if the hash had not started within
    /// [`Hasher::max_queued`].
    pub async fn verify(
        self,
        password: String,
        phc: Option<String>,
    ) -> Result<bool, anyhow::Error> {
        let within = self.hasher.max_queued();
        self.hasher.verify_within(password, phc, within).await
    }
}

/// The hashing threads for `cores` cores: half, at least one.
fn hashing_threads(cores: usize) -> usize {
    (cores / 2).max(1)
}

fn cores() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

/// The default login queue: [`QUEUE_PER_THREAD`] per hashing thread.
pub fn default_capacity() -> usize {
    QUEUE_PER_THREAD * hashing_threads(cores())
}

impl Hasher {
    /// Hashing threads for this machine at the default priority; at most
    /// `capacity` logins queued.
    pub fn new(capacity: usize) -> Result<Hasher, anyhow::Error> {
        Hasher::with_priority(capacity, DEFAULT_PRIORITY)
    }

    /// As `new`, with the hashing threads at `priority`.
    pub fn with_priority(capacity: usize, priority: Priority) -> Result<Hasher, anyhow::Error> {
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        let threads = hashing_threads(cores());
        let cycle_micros = Arc::new(AtomicU64::new(micros(FIRST_CYCLE)));
        let allowed = allowed_cpus();
        for i in 0..threads {
            let queue = queue.clone();
            let cycle = cycle_micros.clone();
            // With one core there is nothing to keep argon2 away from.
            let pin = (allowed.len() > 1)
                .then(|| allowed.get(allowed.len() - 1 - i % allowed.len()).copied())
                .flatten();
            std::thread::Builder::new()
                // The priority in the name, for `top -H` and the tests.
                .name(match priority {
                    Priority::Idle => format!("argon2-idle-{i}"),
                    Priority::Nice(n) => format!("argon2-n{n}-{i}"),
                })
                .spawn(move || {
                    yield_to_requests(priority, pin);
                    let mut memory = Memory::new();
                    loop {
                        // The lock is held only while waiting for the next job.
                        let job = match queue.lock() {
                            Ok(rx) => rx.recv(),
                            Err(_) => return,
                        };
                        match job {
                            Ok(job) => {
                                let started = Instant::now();
                                let cpu_before = thread_cpu();
                                if !job(&mut memory) {
                                    // Its request was dropped: nothing ran.
                                    continue;
                                }
                                let took = started.elapsed();
                                // The rest follows the CPU the hash used, not
                                // the wall time it took: in the idle class a
                                // hash preempted by requests takes longer the
                                // busier the machine, and a rest measured by
                                // that starved logins (8 took 17 s beside
                                // saturating reads, docs/benchmarks.md).
                                let cpu = match (cpu_before, thread_cpu()) {
                                    (Some(a), Some(b)) => b.saturating_sub(a),
                                    _ => took,
                                };
                                std::thread::sleep(cpu * REST_PER_HASH);
                                cycle.store(micros(took + cpu * REST_PER_HASH), Ordering::Relaxed);
                            }
                            Err(_) => return,
                        }
                    }
                })?;
        }
        let (tx, rx) = mpsc::channel();
        let job: Job = Box::new(move |memory| {
            let _ = tx.send(hash_with(memory, "sanshen-dummy-password-for-timing"));
            true
        });
        jobs.send(job)
            .map_err(|_| anyhow::anyhow!("the argon2 threads are gone"))?;
        let dummy = rx.recv()??;
        let capacity = capacity.max(1);
        let per_thread = capacity.div_ceil(threads.max(1)) as u32;
        Ok(Hasher {
            jobs,
            dummy: dummy.into(),
            logins: Arc::new(Semaphore::new(capacity)),
            capacity,
            threads,
            cycle_micros,
            max_queued: MAX_QUEUED.max(FIRST_CYCLE * per_thread * 2),
        })
    }

    /// The same hasher, its logins told to retry if their hash has not
    /// started within `bound`.
    pub fn with_max_queued(mut self, bound: Duration) -> Hasher {
        self.max_queued = bound;
        self
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// How long a queued login may wait for its hash to start:
    /// [`MAX_QUEUED`], or twice the time a full queue takes on an idle
    /// machine if that is longer.
    pub fn max_queued(&self) -> Duration {
        self.max_queued
    }

    /// A place in the login queue, or how long to wait for one: the time
    /// the hashing threads take to work through a full queue.
    pub fn admit(&self) -> Result<Ticket, Busy> {
        match self.logins.clone().try_acquire_owned() {
            Ok(place) => Ok(Ticket {
                hasher: self.clone(),
                _place: place,
            }),
            Err(TryAcquireError::NoPermits | TryAcquireError::Closed) => Err(Busy {
                retry_after: self.drain_seconds(),
            }),
        }
    }

    /// Seconds to work through a full queue at the last measured pace.
    fn drain_seconds(&self) -> u64 {
        let cycle = self.cycle_micros.load(Ordering::Relaxed);
        let total = cycle.saturating_mul(self.capacity as u64) / self.threads.max(1) as u64;
        total.div_ceil(1_000_000).clamp(1, MAX_RETRY_AFTER_SECONDS)
    }

    /// `work` on a hashing thread; if it has not started within `within`,
    /// an [`Overdue`] error and nothing done.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Memory) -> T + Send + 'static,
        within: Option<Duration>,
    ) -> Result<T, anyhow::Error> {
        let (tx, rx) = oneshot::channel();
        let queued = Instant::now();
        self.jobs
            .send(Box::new(move |memory| {
                if tx.is_closed() {
                    return false;
                }
                if within.is_some_and(|w| queued.elapsed() > w) {
                    let _ = tx.send(None);
                    return false;
                }
                let _ = tx.send(Some(work(memory)));
                true
            }))
            .map_err(|_| anyhow::anyhow!("the argon2 threads are gone"))?;
        rx.await?.ok_or_else(|| {
            Overdue {
                retry_after: self.drain_seconds(),
            }
            .into()
        })
    }

    pub async fn hash(&self, password: String) -> Result<String, anyhow::Error> {
        self.run(move |memory| hash_with(memory, &password), None)
            .await?
    }

    /// True when `password` matches `phc`; with no `phc`, spends the same
    /// time on the dummy hash and answers false.
    pub async fn verify(
        &self,
        password: String,
        phc: Option<String>,
    ) -> Result<bool, anyhow::Error> {
        self.verified(password, phc, None).await
    }

    /// As `verify`, but [`Overdue`] if the hash has not started `within`.
    pub async fn verify_within(
        &self,
        password: String,
        phc: Option<String>,
        within: Duration,
    ) -> Result<bool, anyhow::Error> {
        self.verified(password, phc, Some(within)).await
    }

    async fn verified(
        &self,
        password: String,
        phc: Option<String>,
        within: Option<Duration>,
    ) -> Result<bool, anyhow::Error> {
        let known = phc.is_some();
        let phc = phc.unwrap_or_else(|| self.dummy.to_string());
        let matches = self
            .run(move |memory| verify_with(memory, &password, &phc), within)
            .await??;
        Ok(known && matches)
    }
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

#[cfg(test)]
#[path = "hashing_tests.rs"]
mod tests;
