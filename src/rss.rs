//! The process's resident memory as Linux reports it, for `forloeb bench` and the summary line
//! of a run on a terminal. Elsewhere both functions do nothing and report nothing.

/// Peak resident set size so far, from `/proc/self/status` (`VmHWM`), in KiB.
pub fn peak_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Starts a new peak: Linux sets `VmHWM` back to the current resident size when "5" is written
/// to `clear_refs`, so that each stage's own peak can be read at its end.
pub fn reset_peak() {
    // Best effort: where this fails the peaks read are the peaks so far, nothing worse.
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// KiB as GiB with two decimals, the unit the summary line and `bench` print.
pub fn gib(kib: u64) -> String {
    format!("{:.2} GiB", kib as f64 / (1024.0 * 1024.0))
}
