//! Conformance: the lockdep selftest (`lib/locking-selftest.c`) ported to replay logs.
//!
//! Every `tests/conformance/*.log` starts with `# expect: SUCCESS` or `# expect: FAILURE`
//! (FAILURE = at least one finding, the selftest's "debug_locks dropped to 0"); FAILURE files
//! also say `# first: <kind>`, the kind of the first finding lockdep would print. Each file is
//! replayed through the library on a fresh validator, once with the Depot store and once with
//! the kernel-sized Fixed store (`CONFIG_LOCKDEP_STACK_TRACE_BITS=19`). All mismatches are
//! collected and reported together.

use std::path::{Path, PathBuf};

use lockdep_graph::StoreKind;
use lockdep_graph::replay::replay_bytes;

/// How many case files there are, and how many of each verdict: a missing, extra or flipped
/// file changes one of these.
const EXPECTED_CASES: usize = 123;
const EXPECTED_FAILURES: usize = 89;
const EXPECTED_SUCCESSES: usize = 34;

const STORES: [StoreKind; 2] = [StoreKind::Depot, StoreKind::Fixed { bits: 19 }];

struct Case {
    name: String,
    bytes: Vec<u8>,
    expect_failure: bool,
    first_kind: Option<String>,
}

fn conformance_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance")
}

fn load_cases() -> Vec<Case> {
    let dir = conformance_dir();
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "log"))
        .collect();
    paths.sort();
    paths.into_iter().map(|path| load_case(&path)).collect()
}

fn load_case(path: &Path) -> Case {
    let name = path
        .file_stem()
        .and_then(|s| s.to_str())
        .expect("UTF-8 file name")
        .to_owned();
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{name}: {e}"));
    let text = String::from_utf8(bytes.clone()).unwrap_or_else(|e| panic!("{name}: {e}"));
    let mut lines = text.lines();
    let expect_failure = match lines.next() {
        Some("# expect: FAILURE") => true,
        Some("# expect: SUCCESS") => false,
        other => panic!("{name}: first line must be `# expect: SUCCESS|FAILURE`, got {other:?}"),
    };
    let header: Vec<&str> = lines.take_while(|l| l.starts_with('#')).collect();
    assert!(
        header
            .iter()
            .any(|l| l.starts_with("# kernel: ") || l.starts_with("# own case")),
        "{name}: the header must name the kernel test (`# kernel: ...`) or say `# own case`"
    );
    let first_kind = header
        .iter()
        .find_map(|l| l.strip_prefix("# first: "))
        .map(str::to_owned);
    assert_eq!(
        first_kind.is_some(),
        expect_failure,
        "{name}: FAILURE cases (and only they) give `# first: <kind>`"
    );
    Case {
        name,
        bytes,
        expect_failure,
        first_kind,
    }
}

/// Replays one case; `None` if it behaved as expected, else what went wrong.
fn check(case: &Case, store: StoreKind) -> Option<String> {
    let run = match replay_bytes(&case.name, &case.bytes, store) {
        Ok(run) => run,
        Err(e) => return Some(format!("does not parse: {e}")),
    };
    let findings = run.findings();
    let summary = || {
        findings
            .iter()
            .map(|f| {
                format!(
                    "{}@{} {:?}",
                    f.finding.kind.as_str(),
                    f.line,
                    f.finding.locks
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    match (case.expect_failure, findings.first()) {
        (false, None) => None,
        (false, Some(_)) => Some(format!("expected SUCCESS, got findings: {}", summary())),
        (true, None) => Some("expected FAILURE, got no finding".to_owned()),
        (true, Some(first)) => {
            let want = case.first_kind.as_deref().unwrap_or("");
            (first.finding.kind.as_str() != want).then(|| {
                format!(
                    "FAILURE as expected, but the first finding should be {want}: {}",
                    summary()
                )
            })
        }
    }
}

#[test]
fn case_files_are_all_there() {
    let cases = load_cases();
    let failures = cases.iter().filter(|c| c.expect_failure).count();
    assert_eq!(
        cases.len(),
        EXPECTED_CASES,
        "number of conformance case files in {}",
        conformance_dir().display()
    );
    assert_eq!(failures, EXPECTED_FAILURES, "FAILURE cases");
    assert_eq!(cases.len() - failures, EXPECTED_SUCCESSES, "SUCCESS cases");
}

#[test]
fn every_case_matches_the_kernel_verdict() {
    let cases = load_cases();
    assert!(!cases.is_empty());
    let mut mismatches = Vec::new();
    for store in STORES {
        for case in &cases {
            if let Some(problem) = check(case, store) {
                mismatches.push(format!("{} [{store:?}]: {problem}", case.name));
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} of {} case runs disagree with lib/locking-selftest.c:\n  {}",
        mismatches.len(),
        cases.len() * STORES.len(),
        mismatches.join("\n  ")
    );
}

/// The Fixed store must not change a verdict, and its stats must show a bounded array in use.
#[test]
fn fixed_store_reports_its_capacity() {
    let bytes = b"T lock A\nT lock B\nT unlock B\nT unlock A\n";
    let run = replay_bytes("ab.log", bytes, StoreKind::Fixed { bits: 19 }).expect("parses");
    let stats = run.stats();
    assert_eq!(stats.stack_trace_entries_max, Some(1 << 19));
    assert!(stats.stack_trace_entries > 0, "{stats:?}");
    assert!(stats.debug_locks);
    assert!(run.findings().is_empty());
}
