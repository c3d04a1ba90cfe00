//! The `lockdep-replay` binary: exit codes, `--json` shape, `--store fixed:BITS` overflow,
//! stdin, and `file:line` error messages.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_lockdep-replay");

/// A log file in the temp directory, removed on drop.
struct TempLog(PathBuf);

impl TempLog {
    fn new(contents: &str) -> TempLog {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "lockdep-replay-test-{}-{}.log",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::write(&path, contents).expect("write temp log");
        TempLog(path)
    }

    fn path(&self) -> &str {
        self.0.to_str().expect("UTF-8 temp path")
    }
}

impl Drop for TempLog {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn run(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .output()
        .expect("run lockdep-replay")
}

fn run_stdin(args: &[&str], input: &[u8]) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn lockdep-replay");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input)
        .expect("write stdin");
    child.wait_with_output().expect("wait")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

const CLEAN: &str = "\
# A then B, always in that order
T lock A
T lock B
T unlock B
T unlock A
U lock A
U lock B
U unlock B
U unlock A
";

const ABBA: &str = "\
T1 lock A
T1 lock B
T1 unlock B
T1 unlock A
# line 5
T2 lock B
T2 lock A
T2 unlock A
T2 unlock B
";

#[test]
fn exit_0_without_findings() {
    let log = TempLog::new(CLEAN);
    let out = run(&[log.path()]);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    assert!(stdout(&out).trim().is_empty(), "stdout: {}", stdout(&out));
}

#[test]
fn exit_1_with_findings_and_prints_the_report() {
    let log = TempLog::new(ABBA);
    let out = run(&[log.path()]);
    assert_eq!(out.status.code(), Some(1), "stderr: {}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains(&format!("{}:7: circular_dependency", log.path())),
        "{text}"
    );
    assert!(text.contains("circular locking dependency"), "{text}");
}

#[test]
fn json_has_the_documented_shape_and_lines() {
    let log = TempLog::new(ABBA);
    let out = run(&["--json", log.path()]);
    assert_eq!(out.status.code(), Some(1), "stderr: {}", stderr(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).expect("stdout is one JSON document");
    let top = doc.as_object().expect("object");
    let mut keys: Vec<&str> = top.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["findings", "stats"]);

    let findings = doc["findings"].as_array().expect("findings array");
    assert_eq!(findings.len(), 1, "{doc}");
    let f = findings[0].as_object().expect("finding object");
    let mut keys: Vec<&str> = f.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["kind", "line", "locks", "thread"]);
    assert_eq!(f["kind"], "circular_dependency");
    assert_eq!(f["line"], 7, "the acquisition of A by T2 closes the cycle");
    assert_eq!(f["thread"], "T2");
    let mut locks: Vec<&str> = f["locks"]
        .as_array()
        .expect("locks array")
        .iter()
        .map(|l| l.as_str().expect("class name"))
        .collect();
    locks.sort_unstable();
    assert_eq!(locks, ["A", "B"]);

    let stats = doc["stats"].as_object().expect("stats object");
    assert_eq!(stats["findings"], 1);
    assert_eq!(stats["lock_classes"], 2);
    assert!(
        stats["direct_dependencies"].as_u64() >= Some(1),
        "{stats:?}"
    );
    assert_eq!(stats["debug_locks"], true);
}

#[test]
fn json_without_findings_is_exit_0() {
    let log = TempLog::new(CLEAN);
    let out = run(&["--json", log.path()]);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(doc["findings"], Value::Array(Vec::new()));
    assert_eq!(doc["stats"]["direct_dependencies"], 1);
}

#[test]
fn stats_flag_prints_the_block() {
    let log = TempLog::new(CLEAN);
    let out = run(&["--stats", log.path()]);
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    assert!(text.contains("lock-classes:"), "{text}");
    assert!(text.contains("direct dependencies:"), "{text}");
}

#[test]
fn stdin_dash_is_read() {
    let out = run_stdin(&["--json", "-"], ABBA.as_bytes());
    assert_eq!(out.status.code(), Some(1), "stderr: {}", stderr(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(doc["findings"][0]["line"], 7);
}

#[test]
fn several_files_are_one_run() {
    let first = TempLog::new("T lock A\nT lock B\nT unlock B\nT unlock A\n");
    let second = TempLog::new("# second file\nT lock B\nT lock A\n");
    let out = run(&["--json", first.path(), second.path()]);
    assert_eq!(out.status.code(), Some(1), "stderr: {}", stderr(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(doc["findings"][0]["kind"], "circular_dependency");
    assert_eq!(doc["findings"][0]["line"], 3, "line within the second file");
}

#[test]
fn bad_input_is_exit_2_with_file_and_line() {
    let log = TempLog::new("T lock A\n\nT lokc B\nT unlock A\n");
    let out = run(&[log.path()]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains(&format!("{}:3: ", log.path())), "{err}");
    assert!(err.contains("lokc"), "{err}");
    assert!(
        stdout(&out).is_empty(),
        "nothing is replayed from a bad log"
    );

    let out = run_stdin(&["-"], b"T lock A\nT lock A sub=300\n");
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("-:2: "), "{}", stderr(&out));

    let out = run_stdin(&["-"], b"T lock \xc3\x28\n");
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("-:1: "), "{}", stderr(&out));
}

#[test]
fn bad_flags_are_exit_2() {
    let log = TempLog::new(CLEAN);
    for args in [
        vec!["--bogus", log.path()],
        vec!["--store", "fixed:5", log.path()],
        vec!["--store", "fixed:x", log.path()],
        vec!["--store", "heap", log.path()],
        vec!["--store"],
        vec!["--json"],
        vec![],
    ] {
        let out = run(&args);
        assert_eq!(out.status.code(), Some(2), "args {args:?}");
        assert!(!stderr(&out).is_empty(), "args {args:?}");
    }
    let out = run(&["/nonexistent/lockdep-replay-missing.log"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("missing.log"), "{}", stderr(&out));

    let out = run(&["--help"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).contains("usage: lockdep-replay"));
}

/// 300 dependencies, each with its own four-frame traces: far more than 2^10 words.
fn many_traces_log() -> String {
    let mut log = String::new();
    for i in 0..300u32 {
        let frames = |k: u32| {
            (0..4)
                .map(|j| format!("{:x}", 0x1000_0000 + i * 64 + k * 8 + j))
                .collect::<Vec<_>>()
                .join(",")
        };
        log.push_str(&format!("T lock P{i} at={}\n", frames(0)));
        log.push_str(&format!("T lock Q{i} at={}\n", frames(1)));
        log.push_str(&format!("T unlock Q{i} at={}\n", frames(2)));
        log.push_str(&format!("T unlock P{i} at={}\n", frames(3)));
    }
    log
}

#[test]
fn fixed_store_overflow_reports_validator_disabled() {
    let log = TempLog::new(&many_traces_log());
    let out = run(&["--json", "--store", "fixed:10", log.path()]);
    assert_eq!(out.status.code(), Some(1), "stderr: {}", stderr(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let kinds: Vec<&str> = doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["kind"].as_str().expect("kind"))
        .collect();
    assert_eq!(kinds, ["validator_disabled"], "{doc}");
    assert_eq!(doc["stats"]["debug_locks"], false);
    assert_eq!(doc["stats"]["stack_trace_entries_max"], 1024);

    // The growable depot takes the same log without complaint.
    let out = run(&["--json", "--store=depot", log.path()]);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(doc["stats"]["debug_locks"], true);
    assert_eq!(doc["stats"]["direct_dependencies"], 300);
}
