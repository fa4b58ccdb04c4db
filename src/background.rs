//! A background job of this process: a loop of rounds, woken by its bell,
//! by the time its last round asked for, or by an idle look; stopped once,
//! at shutdown, before the database goes away. The webhook sender runs on
//! it; the deadline runner can (its rounds: write what fell overdue, answer
//! when the next deadline falls).

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::task::JoinHandle;

/// What a job does each time it wakes.
pub trait Rounds: Send + 'static {
    /// Does what is due; returns how soon it should look again, at most
    /// the job's idle interval (`None`: at the idle interval).
    fn round(&mut self) -> impl Future<Output = Option<Duration>> + Send;

    /// After the last round, when the job stops: finish or hand back
    /// what is in flight.
    fn finish(&mut self) -> impl Future<Output = ()> + Send {
        async {}
    }
}

/// The handle of a running job: ring it when there is work, stop it once.
#[derive(Clone)]
pub struct Job {
    bell: Arc<Notify>,
    last_call: Arc<Notify>,
    task: Arc<Mutex<Option<JoinHandle<()>>>>,
}

impl Job {
    /// Starts the job on the current runtime. `make` gets the job's bell,
    /// so that work it starts can wake it when done.
    pub fn start<R: Rounds>(
        name: &'static str,
        idle: Duration,
        make: impl FnOnce(Arc<Notify>) -> R,
    ) -> Job {
        let bell = Arc::new(Notify::new());
        let last_call = Arc::new(Notify::new());
        let rounds = make(bell.clone());
        let task = tokio::spawn(run(name, idle, rounds, bell.clone(), last_call.clone()));
        Job {
            bell,
            last_call,
            task: Arc::new(Mutex::new(Some(task))),
        }
    }

    /// Wakes the job now (or right after its current round).
    pub fn ring(&self) {
        self.bell.notify_one();
    }

    /// Stops the job after its current round and its `finish`; returns when
    /// it has. Later calls return at once.
    pub async fn stop(&self) {
        let task = self.task.lock().ok().and_then(|mut t| t.take());
        if let Some(task) = task {
            self.last_call.notify_one();
            if let Err(e) = task.await {
                tracing::warn!(error = %e, "a background job ended abnormally");
            }
        }
    }
}

async fn run<R: Rounds>(
    name: &'static str,
    idle: Duration,
    mut rounds: R,
    bell: Arc<Notify>,
    last_call: Arc<Notify>,
) {
    tracing::debug!(job = name, "background job started");
    loop {
        let wait = rounds.round().await.map_or(idle, |w| w.min(idle));
        tokio::select! {
            () = bell.notified() => {}
            () = tokio::time::sleep(wait) => {}
            () = last_call.notified() => break,
        }
    }
    rounds.finish().await;
    tracing::debug!(job = name, "background job stopped");
}
