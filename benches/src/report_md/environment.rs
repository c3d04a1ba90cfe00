//! Where and with what the report was measured: the machine, the toolchain, the
//! source revision, and the load while it ran (the machine is shared, so load is
//! part of every figure's context).

use std::process::Command;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use serde::Serialize;

use crate::report::Machine;
use crate::report::machine::{load_average, load_averages};

/// One step of the run: how long it took and the load when it ended.
#[derive(Clone, Debug, Serialize)]
pub struct Phase {
    /// What was measured.
    pub name: String,
    /// Wall-clock seconds.
    pub seconds: f64,
    /// 1-minute load average at its end.
    pub load_at_end: f64,
}

/// The machine and the build, probed when the run starts and finished when it ends.
#[derive(Clone, Debug, Serialize)]
pub struct Environment {
    /// CPU model, memory, hardware threads, load at start and end, source revision.
    pub machine: Machine,
    /// Logical CPUs listed in /proc/cpuinfo (the machine's, not only this process's).
    pub logical_cpus: usize,
    /// `/proc/sys/kernel/osrelease`.
    pub kernel: String,
    /// `rustc --version` of the toolchain in this directory.
    pub rustc: String,
    /// Tracked files with uncommitted changes when the run started (other work in
    /// progress in a shared checkout makes the revision "-dirty"; this says where).
    pub dirty_paths: Vec<String>,
    /// UTC start time, `YYYY-MM-DD HH:MM`.
    pub started_utc: String,
    /// 1-, 5- and 15-minute load averages at the start.
    pub loadavg_start: [f64; 3],
    /// The same at the end.
    pub loadavg_end: [f64; 3],
    /// The run's steps in order.
    pub phases: Vec<Phase>,
    /// Wall-clock seconds of the whole run.
    pub total_seconds: f64,
    #[serde(skip)]
    clock: Option<Instant>,
    #[serde(skip)]
    phase_clock: Option<Instant>,
}

impl Environment {
    /// Probes the machine now (the start of the run).
    pub fn probe() -> Environment {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let now = Instant::now();
        Environment {
            machine: Machine::probe(),
            logical_cpus: cpuinfo
                .lines()
                .filter(|l| l.starts_with("processor"))
                .count(),
            kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease")
                .map(|s| s.trim().to_string())
                .unwrap_or_else(|_| "unknown".to_string()),
            rustc: command_line("rustc", &["--version"]).unwrap_or_else(|| "unknown".into()),
            dirty_paths: command_line("git", &["diff", "--name-only", "HEAD"])
                .map(|s| s.lines().map(str::to_string).collect())
                .unwrap_or_default(),
            started_utc: utc_minutes(SystemTime::now()),
            loadavg_start: load_averages(),
            loadavg_end: [0.0; 3],
            phases: Vec::new(),
            total_seconds: 0.0,
            clock: Some(now),
            phase_clock: Some(now),
        }
    }

    /// Ends the current phase (which began at the previous phase's end, or the start).
    pub fn end_phase(&mut self, name: &str) {
        let now = Instant::now();
        let seconds = self
            .phase_clock
            .map_or(0.0, |t| now.duration_since(t).as_secs_f64());
        self.phase_clock = Some(now);
        self.phases.push(Phase {
            name: name.to_string(),
            seconds,
            load_at_end: load_average(),
        });
    }

    /// Records the end of the run.
    pub fn finish(&mut self) {
        self.machine.finish();
        self.loadavg_end = load_averages();
        self.total_seconds = self.clock.map_or(0.0, |t| t.elapsed().as_secs_f64());
    }
}

/// The first line of a command's standard output, if it ran and succeeded.
fn command_line(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?;
    let text = text.trim_end().to_string();
    (!text.is_empty()).then_some(text)
}

/// `t` as `YYYY-MM-DD HH:MM` UTC (no date crate in the workspace; the civil-date
/// conversion is Howard Hinnant's `civil_from_days`).
pub(crate) fn utc_minutes(t: SystemTime) -> String {
    let secs = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn utc_dates_match_known_instants() {
        assert_eq!(utc_minutes(UNIX_EPOCH), "1970-01-01 00:00");
        // 2000-02-29 12:34 UTC (a leap day in a century leap year).
        let t = UNIX_EPOCH + Duration::from_secs(951_827_640);
        assert_eq!(utc_minutes(t), "2000-02-29 12:34");
        // 2026-11-25 14:14 UTC.
        let t = UNIX_EPOCH + Duration::from_secs(1_795_616_094);
        assert_eq!(utc_minutes(t), "2026-11-25 14:14");
    }

    #[test]
    fn phases_are_recorded_in_order() {
        let mut env = Environment::probe();
        env.end_phase("first");
        env.end_phase("second");
        env.finish();
        let names: Vec<_> = env.phases.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["first", "second"]);
        assert!(env.total_seconds >= env.phases.iter().map(|p| p.seconds).sum::<f64>() * 0.999);
    }
}
