//! Feeds parsed log lines to a [`Validator`] and attributes each finding to the line whose
//! event produced it.

use std::collections::{HashMap, HashSet};

use super::log_line::{LockName, Log, LogLine, Op};
use crate::{
    AcquireOpts, ClassKey, Finding, Sink, StoreKind, ThreadKey, Trace, Validator, ValidatorConfig,
    ValidatorStats,
};

/// The high bits of a synthetic return address: an event without `at=` gets the one-frame
/// trace `SYNTHETIC_FRAME_BASE | file_index << 32 | line`, so reports stay readable and each
/// line keeps a distinct, deterministic "call site".
pub const SYNTHETIC_FRAME_BASE: u64 = 0xffff_0000_0000_0000;

/// A finding together with the log line that produced it.
#[derive(Clone, Debug)]
pub struct ReplayFinding {
    /// The log's name.
    pub file: String,
    /// 1-based line of the event after which the validator recorded the finding.
    pub line: usize,
    /// The finding itself.
    pub finding: Finding,
}

/// One replay run: a fresh validator, the per-run thread-name table, and the findings so far.
///
/// Thread names map to [`ThreadKey`]s in order of first appearance (1, 2, ...). After `exit`
/// the name is free again: a later line with the same name starts a new thread.
pub struct Replayer {
    validator: Validator,
    threads: HashMap<String, ThreadKey>,
    next_thread: ThreadKey,
    classes: HashSet<ClassKey>,
    findings: Vec<ReplayFinding>,
    logs: u64,
}

impl Replayer {
    /// A replayer over a new validator with the given trace store and the `Collect` sink.
    pub fn new(store: StoreKind) -> Replayer {
        Replayer::with_validator(Validator::new(ValidatorConfig {
            store,
            sink: Sink::Collect,
            depot: None,
        }))
    }

    /// A replayer over a validator the caller configured. Findings already recorded in it are
    /// dropped; from then on the replayer takes each finding out of the validator as soon as
    /// the event that produced it has been applied, so [`Replayer::findings`] is the record.
    pub fn with_validator(validator: Validator) -> Replayer {
        drop(validator.take_findings());
        Replayer {
            validator,
            threads: HashMap::new(),
            next_thread: 1,
            classes: HashSet::new(),
            findings: Vec::new(),
            logs: 0,
        }
    }

    /// Replays every event of `log`, in order. Several logs replayed on one replayer form one
    /// run: threads, locks and the graph carry over from one log to the next.
    pub fn replay(&mut self, log: &Log) {
        let log_index = self.logs;
        self.logs += 1;
        for line in &log.lines {
            self.apply(&log.name, log_index, line);
        }
    }

    /// Applies one event. `log_index` distinguishes the synthetic frames of different logs.
    pub fn apply(&mut self, file: &str, log_index: u64, line: &LogLine) {
        let synthetic = [synthetic_frame(log_index, line.line)];
        let trace = match &line.frames {
            Some(frames) => Trace::Frames(frames),
            None => Trace::Frames(&synthetic),
        };
        let thread = self.thread_key(&line.thread);

        match (line.op, &line.lock) {
            (Op::Exit, _) => {
                self.validator.thread_exit(thread, trace);
                self.threads.remove(&line.thread);
            }
            (Op::Unlock, Some(lock)) => {
                self.register(lock);
                self.validator.release(thread, lock.lock_instance(), trace);
            }
            (Op::Init, Some(lock)) => {
                self.register(lock);
                self.validator.init(thread, lock.lock_instance(), trace);
            }
            (op, Some(lock)) => {
                if let Some((mode, trylock)) = op.acquisition() {
                    self.register(lock);
                    if let Some(nest) = &line.nest {
                        self.register(nest);
                    }
                    let opts = AcquireOpts {
                        trylock,
                        subclass: line.subclass.unwrap_or(0),
                        nest: line.nest.as_ref().map(LockName::lock_instance),
                    };
                    self.validator
                        .acquire(thread, lock.lock_instance(), mode, opts, trace);
                }
            }
            // The parser never produces a lock-taking operation without a lock.
            (_, None) => {}
        }

        self.collect(file, line.line);
    }

    /// All findings so far, in the order they were recorded.
    pub fn findings(&self) -> &[ReplayFinding] {
        &self.findings
    }

    /// The validator's counters.
    pub fn stats(&self) -> ValidatorStats {
        self.validator.stats()
    }

    /// The validator being driven.
    pub fn validator(&self) -> &Validator {
        &self.validator
    }

    fn thread_key(&mut self, name: &str) -> ThreadKey {
        if let Some(&key) = self.threads.get(name) {
            return key;
        }
        let key = self.next_thread;
        self.next_thread += 1;
        self.threads.insert(name.to_owned(), key);
        self.validator.set_thread_name(key, name);
        key
    }

    fn register(&mut self, lock: &LockName) {
        let key = lock.class_key();
        if self.classes.insert(key) {
            self.validator.register_class(key, &lock.class);
        }
    }

    /// Moves the findings recorded since the last event out of the validator (so attribution
    /// stays linear in the number of findings) and tags them with this line.
    fn collect(&mut self, file: &str, line: usize) {
        if self.validator.finding_count() == 0 {
            return;
        }
        for finding in self.validator.take_findings() {
            self.findings.push(ReplayFinding {
                file: file.to_owned(),
                line,
                finding,
            });
        }
    }
}

fn synthetic_frame(log_index: u64, line: usize) -> usize {
    let line = (line as u64) & 0xffff_ffff;
    let log = (log_index & 0xffff) << 32;
    // On a 32-bit target the high bits are dropped; the address stays deterministic.
    (SYNTHETIC_FRAME_BASE | log | line) as usize
}
