//! Hostile trees through the whole command: FIFOs, devices, symlink loops,
//! binary and oversized files. The scan finishes (a hang fails the test after
//! a deadline), reports each problem with its location, and still evaluates
//! every other file.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::*;

/// Runs `annexa` in `dir`, killing it if it has not finished within 60 s.
fn annexa_bounded(dir: &std::path::Path, args: &[&str]) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_annexa"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the annexa binary runs");
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().expect("wait").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("annexa did not finish within 60 s: {args:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("output").into()
}

const GOOD: &str = "kind: AISystem\nmetadata: {name: good}\nspec:\n  tools:\n    - {name: t, effect: write}\n";

#[test]
fn hostile_tree_finishes_and_reports_each_problem() {
    let dir = tree(&[
        ("good.yaml", GOOD),
        ("dup.yaml", "a: 1\na: 2\n"),
        ("crlf.yaml", "kind: AISystem\r\nmetadata: {name: crlf}\r\nspec:\r\n  tools:\r\n    - {name: t, effect: write}\r\n"),
    ]);
    let root = dir.path();
    std::fs::write(root.join("blob.yaml"), b"\x00\x01\x02binary").unwrap();
    std::fs::File::create(root.join("huge.yaml")).unwrap().set_len(100 * 1024 * 1024).unwrap();
    std::fs::create_dir(root.join("sub")).unwrap();
    std::os::unix::fs::symlink("..", root.join("sub/loop")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", root.join("zero.yaml")).unwrap();
    assert!(Command::new("mkfifo").arg(root.join("pipe.yaml")).status().unwrap().success());

    let run = annexa_bounded(root, &["scan", ".", "--follow", "--now", "2025-07-01", "--format", "jsonl"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let lines: Vec<serde_json::Value> = run.stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let error_of = |file: &str| {
        lines
            .iter()
            .find(|l| l["record"] == "input_error" && l["file"] == file)
            .map(|l| (l["msg"].as_str().unwrap_or_default().to_string(), l["line"].as_u64(), l["col"].as_u64()))
    };
    assert_eq!(error_of("dup.yaml"), Some(("duplicate key `a` (first defined at line 1, column 1)".into(), Some(2), Some(1))));
    assert_eq!(error_of("blob.yaml").map(|e| e.0), Some("binary file (it contains NUL bytes)".into()));
    assert_eq!(error_of("huge.yaml").map(|e| e.0), Some("file is 104857600 bytes, over the limit of 67108864 bytes".into()));
    // Both good files are evaluated, and CRLF does not shift positions.
    for doc in ["good", "crlf"] {
        let f = lines.iter().find(|l| l["doc"] == doc && l["rule"] == "AIS005").unwrap_or_else(|| panic!("{doc} evaluated"));
        assert_eq!(f["status"], "fail");
        assert_eq!((f["line"].as_u64(), f["col"].as_u64()), (Some(5), Some(7)), "{doc}");
    }
    // The loop is reported on stderr; the FIFO and the device were never opened, and each is named there.
    assert!(run.stderr.contains("symbolic link loop back to"), "{}", run.stderr);
    for name in ["pipe.yaml", "zero.yaml"] {
        assert!(run.stderr.contains(&format!("note: {name}: skipped: not a regular file\n")), "{}", run.stderr);
    }
    // Without --follow, links are named too, in every command that walks.
    for args in [&["scan", "."][..], &["report", "soa", ".", "--format", "csv"], &["baseline", "record", "."]] {
        let run = annexa_bounded(root, &[args, &["--now", "2025-07-01"]].concat());
        assert!(run.stderr.contains("note: zero.yaml: skipped: symbolic link not followed (use --follow)\n"), "{args:?}: {}", run.stderr);
    }
    assert!(!run.stdout.contains("pipe.yaml") && !run.stdout.contains("zero.yaml"));
}

#[test]
fn a_fifo_named_on_the_command_line_is_refused_not_read() {
    let dir = tree(&[("good.yaml", GOOD)]);
    assert!(Command::new("mkfifo").arg(dir.path().join("pipe.yaml")).status().unwrap().success());
    let run = annexa_bounded(dir.path(), &["scan", "pipe.yaml", "good.yaml", "--now", "2025-07-01", "--format", "jsonl"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stdout.contains("{\"record\":\"input_error\",\"status\":\"error\",\"msg\":\"not a regular file\",\"hint\":\"only regular files are read; FIFOs, devices and sockets are skipped\",\"file\":\"pipe.yaml\"}\n"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("\"doc\":\"good\""));
}

/// Minified JSON with a syntax error half-way along its one line of a
/// megabyte: the diagnostic shows a window of the line around the error,
/// under its real line and column, not the whole line.
#[test]
fn a_syntax_error_in_minified_json_shows_a_window_of_the_line() {
    let items: Vec<String> = (0..20_000).map(|i| format!("{{\"name\": \"modèle-{i}\", \"provider\": \"ö\"}}")).collect();
    let mut text = format!("{{\"kind\": \"AISystem\", \"spec\": {{\"models\": [{}]}}}}\n", items.join(", "));
    let at = text.find("\"modèle-12000\"").unwrap();
    text.insert_str(at, "\"oops");
    // The error is at what follows the string `"oops"`.
    let col = text[..text.find("modèle-12000").unwrap()].chars().count() + 1;
    let dir = tree(&[("good.yaml", GOOD), ("min.json", &text)]);
    let run = annexa_bounded(dir.path(), &["scan", ".", "--now", "2025-07-01"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains(&format!("min.json:1:{col}: invalid trailing content after double-quoted scalar")), "{}", run.stderr);
    assert!(run.stderr.contains(&format!("[min.json:1:{col}]")), "the snippet's header: {}", run.stderr);
    assert!(run.stderr.contains("{\"name\": \"oops\"modèle-12000\", \"provider\": \"ö\"}"), "{}", run.stderr);
    assert!(run.stderr.len() < 2_000, "{} bytes of {} in the file", run.stderr.len(), text.len());
    assert!(run.stdout.contains("good.yaml"), "the other file is still scanned");
}

/// Several problems in one stream, and in one dispositions file: each is
/// reported at its own line with the lines around it, read from one copy of the file.
#[test]
fn every_problem_of_a_file_shows_its_own_lines() {
    let stream = "---\nkind: X\na: 1\na: 2\n".repeat(3);
    let entry = |system: &str| {
        format!(
            "  - system: {system}\n    rule: AIS001\n    status: fail\n    assessed: 2025-07-01\n    fingerprint: x\n    rule_hash: y\n"
        )
    };
    let dispositions = format!("version: 1\ndispositions:\n{}{}", entry("a"), entry("b"));
    let dir = tree(&[("e.yaml", &stream), ("d.yaml", &dispositions), ("good.yaml", GOOD)]);
    let duplicate = |line: usize, shown: &str| {
        format!(
            "annexa::input\n\n  × e.yaml:{line}:1: duplicate key `a` (first defined at line {}, column 1)\n{shown}  help: each key may appear once in a mapping; remove or rename one of them\n",
            line - 1
        )
    };
    let expected = [
        duplicate(4, "   ╭─[e.yaml:4:1]\n 3 │ a: 1\n 4 │ a: 2\n   · ▲\n   · ╰── here\n 5 │ ---\n   ╰────\n"),
        duplicate(8, "   ╭─[e.yaml:8:1]\n 7 │ a: 1\n 8 │ a: 2\n   · ▲\n   · ╰── here\n 9 │ ---\n   ╰────\n"),
        duplicate(12, "    ╭─[e.yaml:12:1]\n 11 │ a: 1\n 12 │ a: 2\n    · ▲\n    · ╰── here\n    ╰────\n"),
    ];
    let run = annexa_bounded(dir.path(), &["scan", "e.yaml", "--now", "2025-07-01"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(run.stderr, expected.concat());
    let run = annexa_bounded(dir.path(), &["baseline", "record", "--dispositions", "d.yaml", "--now", "2025-07-01", "good.yaml"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let missing =
        |line: usize, shown: &str| format!("annexa::input\n\n  × d.yaml:{line}:5: `evidence` is missing from this disposition\n{shown}");
    let expected = [
        missing(3, "   ╭─[d.yaml:3:5]\n 2 │ dispositions:\n 3 │   - system: a\n   ·     ▲\n   ·     ╰── here\n 4 │     rule: AIS001\n   ╰────\n"),
        missing(9, "    ╭─[d.yaml:9:5]\n  8 │     rule_hash: y\n  9 │   - system: b\n    ·     ▲\n    ·     ╰── here\n 10 │     rule: AIS001\n    ╰────\n"),
        "d.yaml: not modified\n".to_string(),
    ];
    assert_eq!(run.stderr, expected.concat());
    // A scan reads the file on a thread of its own and shows the same, located; it scans on without it.
    let run = annexa_bounded(dir.path(), &["scan", "--dispositions", "d.yaml", "--now", "2025-07-01", "good.yaml"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(run.stderr, expected[..2].concat());
    assert!(run.stdout.contains("1 document in 1 file; 2 errors."), "{}", run.stdout);
}

/// A config, dispositions or results path that names a device or a FIFO is
/// refused unread: `/dev/zero` never ends, and a FIFO with no writer would
/// block for ever.
#[test]
fn named_files_that_are_not_regular_files_are_refused_unread() {
    let dir = tree(&[("good.yaml", GOOD)]);
    assert!(Command::new("mkfifo").arg(dir.path().join("pipe")).status().unwrap().success());
    for (args, shown) in [
        (&["scan", "good.yaml", "--now", "2025-07-01", "--config", "/dev/zero"][..], "× /dev/zero: cannot read: not a regular file"),
        (&["scan", "good.yaml", "--now", "2025-07-01", "--config", "pipe"][..], "× pipe: cannot read: not a regular file"),
        (
            &["scan", "good.yaml", "--now", "2025-07-01", "--dispositions", "pipe"][..],
            "× pipe: cannot read the dispositions file: not a regular file",
        ),
        (
            &["baseline", "record", "good.yaml", "--now", "2025-07-01", "--dispositions", "pipe"][..],
            "× pipe: cannot read the dispositions file: not a regular file",
        ),
        (&["render", "pipe"][..], "not a regular file"),
    ] {
        let run = annexa_bounded(dir.path(), args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(run.stderr.replace("\n  │ ", " ").contains(shown), "{args:?}: {}", run.stderr);
    }
}
