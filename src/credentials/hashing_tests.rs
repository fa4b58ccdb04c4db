//! Tests of the argon2 hasher and its login queue.

use super::*;
use crate::credentials::phc::{argon, params};
use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;

#[tokio::test]
async fn hashes_are_argon2id_phc_strings_that_verify() {
    let hasher = Hasher::new(4).unwrap();
    let phc = hasher.hash("correct horse battery".into()).await.unwrap();
    assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
    assert!(
        hasher
            .verify("correct horse battery".into(), Some(phc.clone()))
            .await
            .unwrap()
    );
    assert!(
        !hasher
            .verify("correct horse battery ".into(), Some(phc))
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn the_phc_strings_interoperate_with_the_argon2_crate() {
    use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
    let hasher = Hasher::new(4).unwrap();
    let ours = hasher.hash("三审三校 passphrase".into()).await.unwrap();
    let parsed = PasswordHash::new(&ours).unwrap();
    assert!(
        Argon2::default()
            .verify_password("三审三校 passphrase".as_bytes(), &parsed)
            .is_ok()
    );
    let theirs = argon(params().unwrap())
        .hash_password("三审三校 passphrase".as_bytes())
        .unwrap()
        .to_string();
    assert!(
        hasher
            .verify("三审三校 passphrase".into(), Some(theirs))
            .await
            .unwrap()
    );
}

/// The niceness and scheduling policy (fields 19 and 41 of `stat`) of
/// this process's threads whose name starts with `prefix`.
fn priorities(prefix: &str) -> Vec<(i32, u32)> {
    let mut found = Vec::new();
    for task in std::fs::read_dir("/proc/self/task").unwrap() {
        let dir = task.unwrap().path();
        let name = std::fs::read_to_string(dir.join("comm")).unwrap_or_default();
        if name.starts_with(prefix) {
            let stat = std::fs::read_to_string(dir.join("stat")).unwrap();
            // Fields after the parenthesised name (field 3 on), which may
            // hold spaces.
            let rest: Vec<&str> = stat[stat.rfind(')').unwrap() + 2..].split(' ').collect();
            found.push((rest[16].parse().unwrap(), rest[38].parse().unwrap()));
        }
    }
    found
}

#[tokio::test]
async fn hashing_yields_the_cpu_to_requests() {
    let niced = Hasher::with_priority(4, Priority::Nice(10)).unwrap();
    niced.hash("warm".into()).await.unwrap();
    let argon2 = priorities("argon2-n10-");
    assert!(!argon2.is_empty(), "the argon2 threads are running");
    assert!(
        argon2.iter().all(|&p| p == (10, 0)),
        "every niced argon2 thread is SCHED_OTHER (0) at nice 10: {argon2:?}"
    );
    let idle = Hasher::new(4).unwrap();
    idle.hash("warm".into()).await.unwrap();
    let argon2 = priorities("argon2-idle-");
    assert!(!argon2.is_empty(), "the idle argon2 threads are running");
    assert!(
        argon2.iter().all(|&(_, policy)| policy == 5),
        "every idle argon2 thread is SCHED_IDLE (5): {argon2:?}"
    );
}

#[tokio::test]
async fn beyond_its_capacity_a_login_is_told_when_to_retry() {
    let hasher = Hasher::new(2).unwrap();
    assert_eq!(hasher.capacity(), 2);
    let first = hasher.admit().unwrap();
    let _second = hasher.admit().unwrap();
    let busy = hasher.admit().err().unwrap();
    // Two logins of ~80 ms each on one thread or more: a second at least.
    assert!(
        (1..=MAX_RETRY_AFTER_SECONDS).contains(&busy.retry_after),
        "{busy:?}"
    );
    // A verdict gives its place back.
    let phc = hasher.hash("queue place".into()).await.unwrap();
    assert!(first.verify("queue place".into(), Some(phc)).await.unwrap());
    let third = hasher.admit();
    assert!(third.is_ok());
    assert!(hasher.admit().is_err());
}

#[test]
fn the_default_capacity_follows_the_cores() {
    assert_eq!(hashing_threads(1), 1);
    assert_eq!(hashing_threads(2), 1);
    assert_eq!(hashing_threads(8), 4);
    assert_eq!(
        default_capacity(),
        QUEUE_PER_THREAD * hashing_threads(cores())
    );
}

#[test]
fn retry_after_is_the_time_to_drain_a_full_queue() {
    let hasher = Hasher::new(30).unwrap();
    hasher.cycle_micros.store(100_000, Ordering::Relaxed);
    let expected = (30 * 100_000 / hasher.threads as u64).div_ceil(1_000_000);
    assert_eq!(hasher.drain_seconds(), expected.max(1));
    hasher.cycle_micros.store(u64::MAX, Ordering::Relaxed);
    assert_eq!(hasher.drain_seconds(), MAX_RETRY_AFTER_SECONDS);
}

#[tokio::test]
async fn an_unknown_user_never_verifies() {
    let hasher = Hasher::new(4).unwrap();
    assert!(
        !hasher
            .verify("sanshen-dummy-password-for-timing".into(), None)
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn a_login_the_queue_does_not_reach_in_time_is_told_to_retry() {
    let hasher = Hasher::new(8).unwrap();
    let phc = hasher.hash("overdue".into()).await.unwrap();
    // Every hashing thread busy with a hash (and its rest) first.
    let busy = (0..hasher.threads).map(|_| hasher.hash("busy".into()));
    let late = hasher.verify_within(
        "overdue".into(),
        Some(phc.clone()),
        Duration::from_millis(1),
    );
    let (_, late) = tokio::join!(futures_util::future::join_all(busy), late);
    let overdue = late.unwrap_err().downcast::<Overdue>().expect("an Overdue");
    assert!((1..=MAX_RETRY_AFTER_SECONDS).contains(&overdue.retry_after));
    // In time, the same password verifies.
    assert!(
        hasher
            .verify_within("overdue".into(), Some(phc), Duration::from_secs(60))
            .await
            .unwrap()
    );
}

#[test]
fn a_long_queue_may_wait_twice_its_drain_time() {
    let short = Hasher::new(1).unwrap();
    assert_eq!(short.max_queued(), MAX_QUEUED);
    let long = Hasher::new(1000).unwrap();
    let per_thread = 1000_u32.div_ceil(long.threads as u32);
    assert_eq!(long.max_queued(), FIRST_CYCLE * per_thread * 2);
}
