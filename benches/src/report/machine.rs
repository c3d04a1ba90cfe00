//! What the numbers were measured on.

use serde::Serialize;

/// The machine and its load while measuring (load matters on a shared 2-core box).
#[derive(Clone, Debug, Default, Serialize)]
pub struct Machine {
    /// `model name` from /proc/cpuinfo.
    pub cpu: String,
    /// Hardware threads available to this process.
    pub threads: usize,
    /// `MemTotal` from /proc/meminfo, in MiB.
    pub memory_mib: u64,
    /// 1-minute load average when the report started.
    pub load_at_start: f64,
    /// 1-minute load average when the report finished.
    pub load_at_end: f64,
    /// Whether this binary was built with optimisations (a debug build's numbers mean nothing).
    pub optimized: bool,
    /// `git describe --always --dirty` of the working directory, if it is a checkout
    /// ("-dirty": the measured code had uncommitted changes).
    pub revision: String,
    /// Microseconds the kernel takes to back one 4 KiB page of fresh anonymous
    /// memory, as the depot has it done (see [`page_population_us`]); what growth
    /// costs whoever populates, the saver or the depot's populator thread.
    pub page_population_us: Option<f64>,
}

impl Machine {
    /// Reads the machine description (missing files give empty/zero fields).
    pub fn probe() -> Machine {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu = cpuinfo
            .lines()
            .find_map(|l| {
                l.strip_prefix("model name")
                    .and_then(|r| r.split_once(':'))
                    .map(|(_, v)| v.trim().to_string())
            })
            .unwrap_or_else(|| "unknown".to_string());
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let memory_kib = meminfo
            .lines()
            .find_map(|l| l.strip_prefix("MemTotal:"))
            .and_then(|r| r.split_whitespace().next())
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0);
        Machine {
            cpu,
            threads: std::thread::available_parallelism().map_or(1, usize::from),
            memory_mib: memory_kib / 1024,
            load_at_start: load_average(),
            load_at_end: 0.0,
            optimized: !cfg!(debug_assertions),
            revision: git_revision(),
            page_population_us: page_population_us(),
        }
    }

    /// Records the load at the end.
    pub fn finish(&mut self) {
        self.load_at_end = load_average();
    }
}

/// Bytes populated per measurement of [`page_population_us`].
const POPULATE_BYTES: usize = 32 << 20;

/// The median over 5 runs of the time to populate (`MADV_POPULATE_WRITE`, as the
/// depot does) a fresh 32 MiB anonymous mapping, per 4 KiB page; `None` where the
/// advice is not available (not Linux, or a kernel before 5.14).
pub fn page_population_us() -> Option<f64> {
    let mut runs = Vec::with_capacity(5);
    for _ in 0..5 {
        let map = memmap2::MmapOptions::new()
            .len(POPULATE_BYTES)
            .map_anon()
            .ok()?;
        let t0 = std::time::Instant::now();
        #[cfg(target_os = "linux")]
        map.advise(memmap2::Advice::PopulateWrite).ok()?;
        #[cfg(not(target_os = "linux"))]
        return None;
        let pages = (POPULATE_BYTES / 4096) as f64;
        runs.push(t0.elapsed().as_secs_f64() * 1e6 / pages);
        drop(map);
    }
    Some(crate::measure::median(&mut runs))
}

/// The 1-minute load average (0 when unavailable).
pub fn load_average() -> f64 {
    load_averages()[0]
}

/// The 1-, 5- and 15-minute load averages of /proc/loadavg (0 for any unavailable).
pub fn load_averages() -> [f64; 3] {
    let text = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let mut out = [0.0; 3];
    for (slot, field) in out.iter_mut().zip(text.split_whitespace()) {
        *slot = field.parse().unwrap_or(0.0);
    }
    out
}

/// Best effort: the checkout's revision, or "unknown" outside a git checkout.
fn git_revision() -> String {
    std::process::Command::new("git")
        .args(["describe", "--always", "--dirty"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown".to_string())
}

#[cfg(all(test, target_os = "linux"))]
mod page_population_tests {
    /// The running kernel's (major, minor) version.
    fn kernel_version() -> Option<(u32, u32)> {
        let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").ok()?;
        let mut parts = release.trim().split(['.', '-']);
        Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
    }

    /// A kernel that knows MADV_POPULATE_WRITE (5.14+) gives a positive, finite time
    /// per page; an older one gives none.
    #[test]
    fn page_population_is_measured_where_the_kernel_can() {
        let us = super::page_population_us();
        match kernel_version() {
            Some(v) if v >= (5, 14) => {
                let us = us.expect("Linux 5.14+ has MADV_POPULATE_WRITE");
                assert!(us > 0.0 && us.is_finite(), "{us} µs per page");
            }
            Some(_) => assert_eq!(us, None, "a kernel before 5.14 cannot populate"),
            None => {}
        }
    }
}
