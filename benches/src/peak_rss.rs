//! Peak resident memory of a child process, from Linux's `/proc/<pid>/status`.
//!
//! `VmHWM` is the kernel's own high-water mark of the process's resident set, so polling it
//! does not miss short spikes: the last value read before the process exits is its peak up
//! to that moment (only growth in the final poll interval, while it prints its result and
//! frees everything, can be missed). No `unsafe`, no `/usr/bin/time`.

use std::io;
use std::process::{Child, ExitStatus};
use std::time::{Duration, Instant};

/// How often [`poll_until_exit`] reads `VmHWM`.
pub const POLL_INTERVAL: Duration = Duration::from_millis(10);

/// `VmHWM` of `pid` in KiB; `None` once the process has exited (a zombie has no memory
/// lines) or where `/proc` is missing.
pub fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    parse_vm_hwm(&status)
}

/// The `VmHWM:   1234 kB` line of a `/proc/<pid>/status` text, in KiB.
pub fn parse_vm_hwm(status: &str) -> Option<u64> {
    status.lines().find_map(|line| {
        let value = line.strip_prefix("VmHWM:")?.trim();
        value.strip_suffix("kB")?.trim().parse().ok()
    })
}

/// What [`poll_until_exit`] saw.
#[derive(Debug, Clone, Copy)]
pub struct Peak {
    /// The largest `VmHWM` read, KiB (0 if none could be read).
    pub peak_kib: u64,
    /// How many reads returned a value.
    pub samples: u64,
    /// How the child exited.
    pub status: ExitStatus,
    /// From the call to the child's exit.
    pub elapsed: Duration,
}

/// Reads `VmHWM` of `child` every [`POLL_INTERVAL`] until it exits; `floor_kib` is a peak
/// already seen (say while it idled).
pub fn poll_until_exit(child: &mut Child, floor_kib: u64) -> io::Result<Peak> {
    let started = Instant::now();
    let mut peak_kib = floor_kib;
    let mut samples = 0;
    loop {
        if let Some(kib) = vm_hwm_kib(child.id()) {
            peak_kib = peak_kib.max(kib);
            samples += 1;
        }
        if let Some(status) = child.try_wait()? {
            return Ok(Peak {
                peak_kib,
                samples,
                status,
                elapsed: started.elapsed(),
            });
        }
        std::thread::sleep(POLL_INTERVAL);
    }
}

/// Whether this system has `/proc/<pid>/status` with `VmHWM` (Linux).
pub fn supported() -> bool {
    vm_hwm_kib(std::process::id()).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_status_line() {
        let status = "Name:\tzego\nVmPeak:\t  20000 kB\nVmHWM:\t    5120 kB\nVmRSS:\t 4000 kB\n";
        assert_eq!(parse_vm_hwm(status), Some(5120));
        assert_eq!(parse_vm_hwm("Name:\tzombie\nState:\tZ (zombie)\n"), None);
    }

    #[test]
    fn polls_a_child_until_it_exits() {
        if !supported() {
            return;
        }
        let mut child = std::process::Command::new("sleep")
            .arg("0.1")
            .spawn()
            .unwrap();
        let peak = poll_until_exit(&mut child, 0).unwrap();
        assert!(peak.status.success());
        assert!(peak.samples >= 1 && peak.peak_kib > 0, "{peak:?}");
    }
}
