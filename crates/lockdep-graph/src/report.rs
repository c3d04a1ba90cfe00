//! lockdep-style report text.
//!
//! The layout follows `kernel/locking/lockdep.c` (`print_circular_bug`, `print_deadlock_bug`,
//! `print_unlock_imbalance_bug`, ...): a `====` rule sized to the title, the title, an identity
//! line (the kernel prints its release), a `----` rule, then the body. `print_lock` becomes
//! `<instance id> (<class>){usage}, at: <first frame>`.

use std::fmt::Write as _;

use crate::graph::Graph;
use crate::held::{HeldLock, ThreadState, TraceOrigin};
use crate::trace_store::TraceRef;
use crate::{Finding, FindingKind, ThreadKey};

/// The identity line printed under every banner (the kernel prints its release there).
pub(crate) const IDENT: &str = concat!("lockdep-graph ", env!("CARGO_PKG_VERSION"));

/// Indent of stored traces under `-> #N` entries (`print_lock_trace(trace, 6)` prints 1 + 6).
const TRACE_INDENT: usize = 7;

/// The trace of the event being reported, resolved to frames.
pub(crate) struct EventFrames<'a> {
    pub(crate) frames: &'a [usize],
    pub(crate) symbolize: bool,
}

pub(crate) fn banner(out: &mut String, title: &str) {
    let rule = title.chars().count();
    let _ = writeln!(out);
    let _ = writeln!(out, "{}", "=".repeat(rule));
    let _ = writeln!(out, "{title}");
    let _ = writeln!(out, "{IDENT}");
    let _ = writeln!(out, "{}", "-".repeat(rule));
}

pub(crate) fn who(ts: &ThreadState, thread: ThreadKey) -> String {
    format!("{}/{}", ts.display_name(), thread)
}

/// Writes frames one per line; symbolised only for real captured addresses.
pub(crate) fn write_frames(out: &mut String, frames: &[usize], indent: usize, symbolize: bool) {
    if frames.is_empty() {
        let _ = writeln!(out, "{:indent$}<no trace>", "");
        return;
    }
    let _ = stackdepot::write_trace(out, frames, indent, symbolize);
}

pub(crate) fn write_trace_ref(out: &mut String, g: &Graph, r: TraceRef, indent: usize) {
    match r {
        TraceRef::None => {
            let _ = writeln!(out, "{:indent$}<no trace>", "");
        }
        TraceRef::NotCaptured => {
            let _ = writeln!(
                out,
                "{:indent$}<trace not captured: the acquisition hit the chain cache>",
                ""
            );
        }
        TraceRef::Unavailable => {
            let _ = writeln!(out, "{:indent$}<trace unavailable>", "");
        }
        TraceRef::Stored { captured, .. } => match g.fetch(r) {
            Some(frames) => write_frames(out, frames, indent, captured),
            None => {
                let _ = writeln!(out, "{:indent$}<trace unavailable>", "");
            }
        },
    }
}

fn first_frame(ts: &ThreadState, h: &HeldLock) -> String {
    match ts.frames_of(h).first() {
        Some(&ip) => {
            let mut s = String::new();
            let _ = stackdepot::write_trace(&mut s, &[ip], 0, h.origin == TraceOrigin::Captured);
            s.trim_end().to_owned()
        }
        None => "<unknown>".to_owned(),
    }
}

/// The opening of lockdep's two deadlock splats: the banner, then the lock being acquired
/// and the held lock it conflicts with (`print_circular_bug_header`, `print_deadlock_bug`).
pub(crate) fn write_conflict_header(
    out: &mut String,
    title: &str,
    g: &Graph,
    ts: &ThreadState,
    thread: ThreadKey,
    next: &HeldLock,
    prev: &HeldLock,
) {
    banner(out, title);
    let _ = writeln!(out, "{} is trying to acquire lock:", who(ts, thread));
    write_lock(out, g, ts, next);
    let _ = writeln!(out, "\nbut task is already holding lock:");
    write_lock(out, g, ts, prev);
}

/// lockdep's `print_lock`.
pub(crate) fn write_lock(out: &mut String, g: &Graph, ts: &ThreadState, h: &HeldLock) {
    let _ = writeln!(
        out,
        "{:016x} ({}){}, at: {}",
        h.instance.id,
        g.class_name(h.class),
        g.usage_string(h.class),
        first_frame(ts, h)
    );
}

/// lockdep's `lockdep_print_held_locks`.
pub(crate) fn write_held_locks(out: &mut String, g: &Graph, ts: &ThreadState, thread: ThreadKey) {
    let depth = ts.held.len();
    if depth == 0 {
        let _ = writeln!(out, "no locks held by {}.", who(ts, thread));
        return;
    }
    let _ = writeln!(
        out,
        "{depth} lock{} held by {}:",
        if depth > 1 { "s" } else { "" },
        who(ts, thread)
    );
    for (i, h) in ts.held.iter().enumerate() {
        let _ = write!(out, " #{i}: ");
        write_lock(out, g, ts, h);
    }
}

pub(crate) fn write_backtrace(out: &mut String, ev: &EventFrames<'_>) {
    let _ = writeln!(out, "\nstack backtrace:");
    write_frames(out, ev.frames, 1, ev.symbolize);
}

pub(crate) fn finding(
    kind: FindingKind,
    ts: &ThreadState,
    thread: ThreadKey,
    locks: Vec<String>,
    report: String,
) -> Finding {
    Finding {
        kind,
        thread,
        thread_name: ts.display_name().to_owned(),
        locks,
        report,
    }
}

/// The `-> #N (class){usage}:` block of one dependency on the cycle: the trace where `next`
/// was taken while `prev` was held (lockdep's one trace), then where `prev` itself was taken.
pub(crate) fn write_chain_entry(
    out: &mut String,
    g: &Graph,
    depth: usize,
    class: u32,
    via: Option<u32>,
) {
    let _ = writeln!(
        out,
        "\n-> #{depth} ({}){}:",
        g.class_name(class),
        g.usage_string(class)
    );
    if let Some(d) = via.and_then(|v| g.deps.get(v as usize)) {
        write_trace_ref(out, g, d.next_trace, TRACE_INDENT);
        let _ = writeln!(
            out,
            "{:TRACE_INDENT$}-- while holding ({}){}, taken at:",
            "",
            g.class_name(d.prev),
            g.usage_string(d.prev)
        );
        write_trace_ref(out, g, d.prev_trace, TRACE_INDENT);
    }
}

/// lockdep's `print_circular_lock_scenario`.
pub(crate) fn write_circular_scenario(
    out: &mut String,
    g: &Graph,
    src: &HeldLock,
    tgt: &HeldLock,
    parent_class: u32,
) {
    let source = g.class_name(src.class);
    let target = g.class_name(tgt.class);
    let parent = g.class_name(parent_class);
    if parent_class != src.class {
        let _ = writeln!(
            out,
            "Chain exists of:\n  {source} --> {parent} --> {target}\n"
        );
    }
    let _ = writeln!(out, " Possible unsafe locking scenario:\n");
    let _ = writeln!(out, "       CPU0                    CPU1");
    let _ = writeln!(out, "       ----                    ----");
    let tgt_op = if tgt.read() != 0 { "rlock" } else { "lock" };
    let src_op = if src.read() != 0 { "rlock" } else { "lock" };
    let _ = writeln!(out, "  {tgt_op}({target});");
    let _ = writeln!(out, "                               lock({parent});");
    let _ = writeln!(out, "                               lock({target});");
    let _ = writeln!(out, "  {src_op}({source});");
    let _ = writeln!(out, "\n *** DEADLOCK ***\n");
}

/// lockdep's `print_deadlock_scenario`.
pub(crate) fn write_recursive_scenario(
    out: &mut String,
    g: &Graph,
    next: &HeldLock,
    prev: &HeldLock,
) {
    let _ = writeln!(out, " Possible unsafe locking scenario:\n");
    let _ = writeln!(out, "       CPU0");
    let _ = writeln!(out, "       ----");
    let _ = writeln!(out, "  lock({});", g.class_name(prev.class));
    let _ = writeln!(out, "  lock({});", g.class_name(next.class));
    let _ = writeln!(out, "\n *** DEADLOCK ***\n");
    let _ = writeln!(out, " May be due to missing lock nesting notation\n");
}
