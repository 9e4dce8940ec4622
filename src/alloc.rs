//! Handing freed memory back to the operating system at the points of a run where large
//! transients have just been freed.
//!
//! Why: the binary's allocator (mimalloc) keeps freed memory for reuse. A page that another
//! thread freed into stays with its owning thread until that thread allocates again, and freed
//! arena memory is returned only a second after the free. Polars builds each step function of
//! the indicators with buffers allocated on one thread and freed on others, so the freed
//! buffers of one step were still resident while the next built its own: on 1M persons the
//! run's peak was 0.3 GiB above what it is with a forced collection after each step function
//! and each stage. Collecting more often (after every measure too) did not lower the peak
//! further and cost time: memory returned must be faulted in again when it is reused.
//!
//! The library does not know the allocator: the binary installs the hook, and without one
//! (tests, other users of the library) [`release`] does nothing.

use std::sync::OnceLock;

static HOOK: OnceLock<fn()> = OnceLock::new();

/// Installs the allocator's release function; only the first call has an effect.
pub fn set_release_hook(hook: fn()) {
    let _ = HOOK.set(hook);
}

/// Returns freed memory to the operating system, where the binary has said how.
pub fn release() {
    if let Some(hook) = HOOK.get() {
        hook();
    }
}
