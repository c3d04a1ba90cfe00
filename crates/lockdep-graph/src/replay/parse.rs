//! The log parser: one line at a time, strict, never panicking.
//!
//! Grammar of an event line (tokens separated by ASCII whitespace; `#` starts a comment that
//! runs to the end of the line):
//!
//! ```text
//! <thread> <op> [<lock>] [sub=N] [nest=<lock>] [at=<hex>,<hex>,...]
//! ```
//!
//! Options may come in any order after the lock, each at most once. `sub` and `nest` are
//! accepted on acquisitions only; `exit` takes no lock. Names are non-empty and contain no
//! `:`, `=`, `#` or control characters (a lock name is `CLASS` or `CLASS:INSTANCE`).

use super::log_line::{LockName, Log, LogLine, Op};
use super::parse_error::ParseError;

/// The longest line accepted, in bytes (without the line terminator). Longer lines are
/// rejected rather than truncated, so a corrupt log cannot make the parser allocate without
/// bound per line.
pub const MAX_LINE_BYTES: usize = 4096;

/// Parses a whole log. Lines end with `\n` (a `\r` before it is dropped). Stops at the first
/// malformed line and names it.
pub fn parse_log(name: &str, bytes: &[u8]) -> Result<Log, ParseError> {
    let mut lines = Vec::new();
    for (index, raw) in bytes.split(|&b| b == b'\n').enumerate() {
        let line_no = index + 1;
        let error = |reason: String| ParseError {
            file: name.to_owned(),
            line: line_no,
            reason,
        };
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        if raw.len() > MAX_LINE_BYTES {
            return Err(error(format!(
                "line is {} bytes long (limit {MAX_LINE_BYTES})",
                raw.len()
            )));
        }
        let text = std::str::from_utf8(raw).map_err(|e| {
            error(format!(
                "not valid UTF-8 (invalid byte at column {})",
                e.valid_up_to() + 1
            ))
        })?;
        if let Some(line) = parse_line(text, line_no).map_err(error)? {
            lines.push(line);
        }
    }
    Ok(Log {
        name: name.to_owned(),
        lines,
    })
}

/// Parses one line (without its terminator). `Ok(None)` for a blank or comment-only line;
/// `Err(reason)` for a malformed one.
pub fn parse_line(text: &str, line: usize) -> Result<Option<LogLine>, String> {
    let content = match text.find('#') {
        Some(hash) => &text[..hash],
        None => text,
    };
    let mut tokens = content.split_ascii_whitespace();
    let Some(thread) = tokens.next() else {
        return Ok(None);
    };
    check_name(thread, "thread name")?;
    let op_token = tokens
        .next()
        .ok_or_else(|| format!("missing operation after thread `{thread}`"))?;
    let op = Op::from_token(op_token).ok_or_else(|| {
        format!(
            "unknown operation `{op_token}` (expected one of: {})",
            Op::ALL.map(Op::as_str).join(", ")
        )
    })?;

    let mut rest = tokens.peekable();
    let lock = if op.takes_lock() {
        let token = rest
            .next()
            .ok_or_else(|| format!("`{}` needs a lock", op.as_str()))?;
        if token.contains('=') {
            return Err(format!(
                "`{}` needs a lock before its options, found `{token}`",
                op.as_str()
            ));
        }
        Some(parse_lock_name(token)?)
    } else {
        None
    };

    let mut subclass = None;
    let mut nest = None;
    let mut frames = None;
    for token in rest {
        let Some((key, value)) = token.split_once('=') else {
            return Err(match op {
                Op::Exit => format!("`exit` takes no lock, found `{token}`"),
                _ => format!("unexpected `{token}` after the lock"),
            });
        };
        let is_acquire = op.acquisition().is_some();
        match key {
            "sub" => {
                require_acquire(is_acquire, key, op)?;
                set_once(&mut subclass, parse_subclass(value)?, key)?;
            }
            "nest" => {
                require_acquire(is_acquire, key, op)?;
                set_once(&mut nest, parse_lock_name(value)?, key)?;
            }
            "at" => set_once(&mut frames, parse_frames(value)?, key)?,
            _ => return Err(format!("unknown option `{key}` (expected sub, nest or at)")),
        }
    }

    Ok(Some(LogLine {
        line,
        thread: thread.to_owned(),
        op,
        lock,
        subclass,
        nest,
        frames,
    }))
}

fn require_acquire(is_acquire: bool, key: &str, op: Op) -> Result<(), String> {
    if is_acquire {
        Ok(())
    } else {
        Err(format!(
            "option `{key}` is only valid on acquisitions, not on `{}`",
            op.as_str()
        ))
    }
}

fn set_once<T>(slot: &mut Option<T>, value: T, key: &str) -> Result<(), String> {
    if slot.is_some() {
        return Err(format!("duplicate option `{key}`"));
    }
    *slot = Some(value);
    Ok(())
}

fn check_name(name: &str, what: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err(format!("empty {what}"));
    }
    if let Some(bad) = name
        .chars()
        .find(|&c| c == ':' || c == '=' || c.is_control())
    {
        return Err(format!("{what} `{}` contains {bad:?}", name.escape_debug()));
    }
    Ok(())
}

fn parse_lock_name(token: &str) -> Result<LockName, String> {
    let (class, instance) = match token.split_once(':') {
        Some((class, instance)) => (class, Some(instance)),
        None => (token, None),
    };
    check_name(class, "lock class")?;
    if let Some(instance) = instance {
        check_name(instance, "lock instance")?;
    }
    Ok(LockName {
        class: class.to_owned(),
        instance: instance.map(str::to_owned),
    })
}

fn parse_subclass(value: &str) -> Result<u8, String> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("bad number `{value}` for sub"));
    }
    match value.parse::<u64>() {
        Ok(n) => u8::try_from(n).map_err(|_| format!("sub={n} is out of range 0..=255")),
        Err(_) => Err(format!("sub={value} is out of range 0..=255")),
    }
}

fn parse_frames(value: &str) -> Result<Vec<usize>, String> {
    if value.is_empty() {
        return Err("empty trace after `at=`".to_owned());
    }
    value.split(',').map(parse_hex).collect()
}

fn parse_hex(item: &str) -> Result<usize, String> {
    let digits = item
        .strip_prefix("0x")
        .or_else(|| item.strip_prefix("0X"))
        .unwrap_or(item);
    if digits.is_empty() || digits.len() > 16 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!("bad hex address `{item}` in at="));
    }
    let value = u64::from_str_radix(digits, 16).map_err(|_| format!("bad hex address `{item}`"))?;
    usize::try_from(value).map_err(|_| format!("address `{item}` does not fit a pointer"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str) -> LogLine {
        match parse_line(text, 7) {
            Ok(Some(line)) => line,
            other => panic!("{text:?} -> {other:?}"),
        }
    }

    fn err(text: &str) -> String {
        match parse_line(text, 7) {
            Err(reason) => reason,
            other => panic!("{text:?} should fail, got {other:?}"),
        }
    }

    #[test]
    fn full_line() {
        let line = ok("t1 read_recursive X:2 nest=N sub=3 at=0x10,ff # comment");
        assert_eq!(line.line, 7);
        assert_eq!(line.thread, "t1");
        assert_eq!(line.op, Op::ReadRecursive);
        assert_eq!(
            line.lock,
            Some(LockName {
                class: "X".into(),
                instance: Some("2".into())
            })
        );
        assert_eq!(line.subclass, Some(3));
        assert_eq!(line.nest.map(|n| n.class), Some("N".to_owned()));
        assert_eq!(line.frames, Some(vec![0x10, 0xff]));
    }

    #[test]
    fn blank_and_comments() {
        assert_eq!(parse_line("", 1), Ok(None));
        assert_eq!(parse_line("   \t ", 1), Ok(None));
        assert_eq!(parse_line("# just a comment", 1), Ok(None));
        assert_eq!(ok("T exit # bye").op, Op::Exit);
    }

    #[test]
    fn malformed() {
        assert!(err("T frob A").contains("unknown operation `frob`"));
        assert!(err("T lock").contains("needs a lock"));
        assert!(err("T lock sub=1").contains("needs a lock before"));
        assert!(err("T lock A sub=x").contains("bad number"));
        assert!(err("T lock A sub=256").contains("out of range"));
        assert!(err("T lock A sub=99999999999999999999999").contains("out of range"));
        assert!(err("T lock A at=0xg").contains("bad hex"));
        assert!(err("T lock A at=").contains("empty trace"));
        assert!(err("T lock A at=1,,2").contains("bad hex"));
        assert!(err("T lock A at=12345678123456781").contains("bad hex"));
        assert!(err("T lock A sub=1 sub=2").contains("duplicate option `sub`"));
        assert!(err("T lock A B").contains("unexpected `B`"));
        assert!(err("T exit A").contains("takes no lock"));
        assert!(err("T unlock A sub=1").contains("only valid on acquisitions"));
        assert!(err("T lock A foo=1").contains("unknown option"));
        assert!(err("T lock A:").contains("empty lock instance"));
        assert!(err("T lock :x").contains("empty lock class"));
        assert!(err("T lock A:b:c").contains("contains ':'"));
        assert!(err("T").contains("missing operation"));
    }

    #[test]
    fn log_errors_name_file_and_line() {
        let e = parse_log("f.log", b"T lock A\n\nT bogus A\n").unwrap_err();
        assert_eq!((e.file.as_str(), e.line), ("f.log", 3));
        assert!(e.to_string().starts_with("f.log:3: unknown operation"));

        let e = parse_log("f.log", b"T lock A\nT lock \xff\n").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.reason.contains("UTF-8"));

        let long = format!("T lock {}\n", "a".repeat(MAX_LINE_BYTES));
        let e = parse_log("f.log", long.as_bytes()).unwrap_err();
        assert_eq!(e.line, 1);
        assert!(e.reason.contains("limit"));
    }

    #[test]
    fn crlf_and_numbers() {
        let log = parse_log("x", b"# c\r\nT lock A\r\nT unlock A\r\n").unwrap();
        assert_eq!(log.lines.len(), 2);
        assert_eq!(log.lines[0].line, 2);
        assert_eq!(log.lines[1].line, 3);
    }
}
