//! The demo's side-by-side table.

use core::fmt;

use super::rfc::RFC;
use super::run::Comparison;

/// Lays out `blocks` (each a `label: value` per line, like /proc/lockdep_stats) as one table:
/// one row per label (in first-seen order), one column per block, `-` where a block lacks it.
/// "[max: unlimited]" is dropped to keep the columns narrow; real maxima stay.
pub fn side_by_side(headers: &[&str], blocks: &[String]) -> String {
    let parsed: Vec<Vec<(String, String)>> = blocks
        .iter()
        .map(|b| {
            b.lines()
                .filter_map(|l| l.split_once(':'))
                .map(|(k, v)| {
                    (
                        k.trim().to_string(),
                        v.replace("[max: unlimited]", "").trim().to_string(),
                    )
                })
                .collect()
        })
        .collect();
    let mut labels: Vec<String> = Vec::new();
    for p in &parsed {
        for (k, _) in p {
            if !labels.contains(k) {
                labels.push(k.clone());
            }
        }
    }
    let width = parsed
        .iter()
        .flat_map(|p| p.iter().map(|(_, v)| v.len()))
        .chain(headers.iter().map(|h| h.len()))
        .max()
        .unwrap_or(0)
        + 3;
    let label_w = labels.iter().map(|l| l.len()).max().unwrap_or(0).max(10) + 2;
    let mut out = format!(" {:<label_w$}", "");
    for h in headers {
        out += &format!("{h:>width$}");
    }
    out.push('\n');
    for label in &labels {
        out += &format!(" {:<label_w$}", format!("{label}:"));
        for p in &parsed {
            let v = p
                .iter()
                .find(|(k, _)| k == label)
                .map_or("-", |(_, v)| v.as_str());
            out += &format!("{v:>width$}");
        }
        out.push('\n');
    }
    out
}

/// `n` with a comma between each group of three digits (`1234567` as `1,234,567`),
/// as the comparison and benchmark tables print counts.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn mib(bytes: u64) -> String {
    format!("{:.2} MiB", bytes as f64 / (1024.0 * 1024.0))
}

fn row(
    f: &mut fmt::Formatter<'_>,
    label: &str,
    cells: impl Iterator<Item = String>,
) -> fmt::Result {
    write!(f, " {label:<34}")?;
    for c in cells {
        write!(f, "{c:>24}")?;
    }
    writeln!(f)
}

impl fmt::Display for Comparison {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.scenario;
        writeln!(
            f,
            "RFC desktop scenario: seed {}, scale {}, length {} ({:.1} simulated hours)",
            s.seed,
            s.scale,
            s.length,
            s.total_hours()
        )?;
        writeln!(
            f,
            "  {} lock events, {} acquisitions",
            thousands(self.events),
            thousands(self.acquisitions)
        )?;
        let inv = &self.inversion;
        writeln!(
            f,
            "  planted ABBA: {} -> {} by {} at {:.1} h, reversed by {} at {:.1} h",
            inv.first.name,
            inv.second.name,
            inv.forward_thread.name,
            inv.forward_hour,
            inv.reverse_thread.name,
            inv.reverse_hour
        )?;
        writeln!(f)?;
        let runs = &self.runs;
        row(f, "", runs.iter().map(|r| r.label.clone()))?;
        row(
            f,
            "validator turned itself off",
            runs.iter().map(|r| match &r.death {
                Some(d) => format!("at {:.1} h (event {})", d.hour, thousands(d.event)),
                None if r.fixed_bits.is_some() => "no (array held)".to_string(),
                None => "no (growable)".to_string(),
            }),
        )?;
        row(
            f,
            "planted ABBA reported",
            runs.iter()
                .map(|r| if r.inversion_reported { "yes" } else { "NO" }.to_string()),
        )?;
        row(
            f,
            "findings",
            runs.iter().map(|r| {
                if r.findings.is_empty() {
                    "none".to_string()
                } else {
                    r.findings
                        .iter()
                        .map(|(k, n)| format!("{}:{n}", short_kind(k)))
                        .collect::<Vec<_>>()
                        .join(" ")
                }
            }),
        )?;
        row(
            f,
            "stack traces stored",
            runs.iter().map(|r| thousands(r.stats.stack_traces)),
        )?;
        row(
            f,
            "trace memory used",
            runs.iter().map(|r| mib(r.memory.used)),
        )?;
        row(
            f,
            "trace memory reserved",
            runs.iter().map(|r| match r.fixed_bits {
                Some(_) => format!("{} static", mib(r.memory.reserved)),
                None => format!("{} mapped", mib(r.memory.reserved)),
            }),
        )?;
        row(
            f,
            "ns/event, whole stream",
            runs.iter()
                .map(|r| format!("{:.0}", r.ns_per_event(self.events))),
        )?;
        row(
            f,
            "ns/event, while validating",
            runs.iter()
                .map(|r| format!("{:.0}", r.ns_per_validating_event())),
        )?;
        writeln!(f)?;

        writeln!(f, "/proc/lockdep_stats at the end of the stream:")?;
        let headers: Vec<&str> = runs.iter().map(|r| r.label.as_str()).collect();
        let blocks: Vec<String> = runs.iter().map(|r| r.stats.to_string()).collect();
        write!(f, "{}", side_by_side(&headers, &blocks))?;

        for r in runs {
            if let Some(d) = &r.death {
                writeln!(f)?;
                writeln!(
                    f,
                    "{} at its overflow (event {}, {:.1} h):",
                    r.label,
                    thousands(d.event),
                    d.hour
                )?;
                for line in d.report.lines() {
                    writeln!(f, "  | {line}")?;
                }
            }
        }
        if let Some((r, d)) = runs.iter().find_map(|r| r.death.as_ref().map(|d| (r, d))) {
            writeln!(f)?;
            let scale = self.scenario.scale;
            writeln!(
                f,
                "{} at its overflow vs the RFC's /proc/lockdep_stats{}:",
                r.label,
                if scale < 1.0 {
                    format!(" (counts x {scale})")
                } else {
                    String::new()
                }
            )?;
            writeln!(
                f,
                " {:<34}{:>14}{:>14}{:>10}",
                "", "RFC", "this run", "ratio"
            )?;
            let st = &d.stats;
            let frames = if st.stack_traces > 0 {
                st.stack_trace_entries as f64 / st.stack_traces as f64 - 3.0
            } else {
                0.0
            };
            // A count of the RFC's (scaled like the stream) and this run's.
            let counts = |rfc: u64, ours: u64| (rfc as f64 * scale, ours as f64);
            for (label, (rfc, ours)) in [
                ("stack traces", counts(RFC.stack_traces, st.stack_traces)),
                ("frames per trace", (RFC.mean_frames, frames)),
                (
                    "stack hash chains",
                    counts(RFC.stack_hash_chains, st.stack_hash_chains),
                ),
                ("lock classes", counts(RFC.lock_classes, st.lock_classes)),
                (
                    "direct dependencies",
                    counts(RFC.direct_dependencies, st.direct_dependencies),
                ),
                (
                    "dependency chains",
                    counts(RFC.dependency_chains, st.dependency_chains),
                ),
            ] {
                let ratio = if rfc > 0.0 { ours / rfc } else { 0.0 };
                writeln!(f, " {label:<34}{rfc:>14.1}{ours:>14.1}{ratio:>10.3}")?;
            }
            writeln!(
                f,
                " {:<34}{:>14}{:>14.1}",
                "hour of the overflow",
                format!(
                    "{}/{}/{}",
                    RFC.overflow_hours[0], RFC.overflow_hours[1], RFC.overflow_hours[2]
                ),
                d.hour
            )?;
        }
        Ok(())
    }
}

fn short_kind(kind: &str) -> &str {
    match kind {
        "circular_dependency" => "circular",
        "validator_disabled" => "disabled",
        other => other,
    }
}
