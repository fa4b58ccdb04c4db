//! Hands the heap's free pages back to the system after the machine
//! check's rare large jobs: replacing a lexicon of 100,000 entries and
//! compiling one free tens of megabytes of small blocks, which glibc's
//! malloc otherwise keeps for the process (issue 16: 150 MiB with the
//! lexicon loaded). Once per replacement or build, never per request.

#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn give_back() {
    // SAFETY: malloc_trim only returns free memory of the allocator's own
    // arenas, under their locks; no pointer of ours is touched.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn give_back() {}
