//! Owns the benchmarks' one memory reading: a process's peak resident size from `/proc`.

/// Peak resident memory (VmHWM) in KB of process `pid`, or of this process for `None`.
pub fn peak_memory_kb(pid: Option<u32>) -> Option<u64> {
    let who = pid.map_or("self".to_string(), |p| p.to_string());
    let status = std::fs::read_to_string(format!("/proc/{who}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}
