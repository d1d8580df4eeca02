//! Inputs the fuzzers (`fuzz/`, docs/fuzzing.md) found to break an invariant,
//! each pinned to the behaviour of its fix.

use annexa_engine::document::{self, yaml, Format, LoadOptions, Position};
use annexa_engine::reassess::file;

fn error_at(text: &[u8], format: Format) -> (String, Option<Position>) {
    let loaded = document::load_bytes(text.to_vec(), "f.yaml", format, &LoadOptions::default());
    let e = loaded.errors.first().unwrap_or_else(|| panic!("an input error for {text:?}"));
    (e.message.clone(), e.position)
}

/// The YAML parser puts an error at the end of a file that has no final line
/// break on the line after the last one, a line the file does not have.
#[test]
fn an_error_at_the_end_of_the_file_points_into_the_file() {
    assert_eq!(error_at(b"[1", Format::Yaml), ("while parsing a flow sequence, expected ',' or ']'".into(), Some(Position::new(1, 3))));
    assert_eq!(error_at(b"{\"a\": [\n  1\n  ]", Format::Json).1, Some(Position::new(3, 4)));
    assert_eq!(error_at(b"\xef\xbb\xbf[1", Format::Yaml).1, Some(Position::new(1, 3)), "a BOM is not a column");
    // With a final line break the end of the text is the start of the next line, as before.
    assert_eq!(error_at(b"[1\n", Format::Yaml).1, Some(Position::new(2, 1)));
}

/// YAML ends a line at a lone `\r` too; every position in such a file counts lines that way.
#[test]
fn a_lone_carriage_return_ends_a_line() {
    assert_eq!(error_at(b"a: 1\rb: [", Format::Yaml).1, Some(Position::new(2, 5)));
    let (message, at) = error_at(b"a: 1\rb: Jos\xe9\r", Format::Yaml);
    assert_eq!(message, "invalid UTF-8 at byte 11");
    assert_eq!(at, Some(Position::new(2, 7)));
}

/// The fast YAML path read text the full parser rejects (a BOM inside a
/// document, a NUL past the first 8 KiB, where it is not taken for a binary
/// file): such text is now the full parser's, and reported.
#[test]
fn characters_yaml_forbids_are_reported_not_read() {
    let (message, at) = error_at("a: 1\nb: x\u{feff}y\n".as_bytes(), Format::Yaml);
    assert_eq!(message, "a byte order mark must not appear inside a document");
    assert_eq!(at, Some(Position::new(2, 5)));
    let mut late_nul = "k: v\n".repeat(2000).into_bytes();
    late_nul.extend(b"z: \"\x00\"\n");
    assert_eq!(error_at(&late_nul, Format::Yaml).1.map(|p| p.line), Some(2001));
    // Ordinary non-ASCII text stays on the fast path.
    assert!(yaml::fast_path_reads("name: Zoë © 2025 — ok\n", &yaml::Limits::default()).is_some());
}

/// YAML limits an implicit key to 1024 characters; the fast path read a
/// longer block key (found by the document target after the loader rewrite).
/// Such keys are now the full parser's, which rejects them in block context
/// and reads them in flow context (JSON).
#[test]
fn a_block_key_past_the_implicit_key_limit_is_reported_not_read() {
    let long = "k".repeat(1998);
    let (message, at) = error_at(format!("a: 1\n{long}: 2\n").as_bytes(), Format::Yaml);
    assert_eq!((message.as_str(), at), ("simple key expect ':'", Some(Position::new(2, 1999))));
    let (message, at) = error_at(format!("\"{long}\": 2\n").as_bytes(), Format::Yaml);
    assert_eq!((message.as_str(), at), ("mapping values are not allowed in this context", Some(Position::new(1, 2001))));
    // In flow context the key is read whole, and keys up to the limit anywhere.
    let ok = "k".repeat(1000);
    for (text, key) in [
        (format!("{{\"{long}\": 2}}\n"), &long),
        (format!("{{{long}: 2}}\n"), &long),
        (format!("{ok}: 2\n"), &ok),
        (format!("\"{ok}\": 2\n"), &ok),
    ] {
        let loaded = document::load_bytes(text.into_bytes(), "f.yaml", Format::Yaml, &LoadOptions::default());
        assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
        let keys: Vec<&str> = loaded.documents[0].root.as_map().unwrap().iter().map(|(k, _)| &**k).collect();
        assert_eq!(keys, [key.as_str()]);
    }
}

fn dispositions_errors(text: &str) -> Vec<(String, Option<Position>)> {
    let errors = file::read(text, "d.yaml").expect_err("a dispositions file with problems");
    errors.into_iter().map(|e| (e.message, e.position)).collect()
}

/// The dispositions file's YAML reader put an error at the end of a file
/// without a final line break on the line after the last one, as the
/// document loader once did (found by the `dispositions` target: `%%` gave
/// 2:1 in a one-line file). It now points at the end of the text.
#[test]
fn a_dispositions_error_at_the_end_of_the_file_points_into_the_file() {
    let eof = |message: &str, line, col| vec![(message.to_string(), Some(Position::new(line, col)))];
    assert_eq!(dispositions_errors("%%"), eof("did not find expected <document start>", 1, 3));
    let flow = "while parsing a flow sequence, expected ',' or ']'";
    assert_eq!(dispositions_errors("version: 1\ndispositions: [a"), eof(flow, 2, 17));
    assert_eq!(dispositions_errors("\u{feff}[1"), eof(flow, 1, 3), "a BOM is not a column");
    // With a final line break the end of the text is the start of the next line, as before.
    assert_eq!(dispositions_errors("version: 1\ndispositions: [a\n").first().and_then(|e| e.1), Some(Position::new(3, 1)));
}

/// Evidence whose JSON has a line break between tokens (only a hand edit
/// puts one there) was written inside single quotes across two lines, which
/// YAML refuses ("invalid indentation in quoted scalar") or folds into a
/// space: `baseline record` wrote a file that no later scan could read
/// (found by the `dispositions` target's round trip). It is now written
/// double-quoted, and reads back as it was.
#[test]
fn evidence_with_a_line_break_reads_back_as_it_was_written() {
    for (escaped, json) in [("[1,\\n2]", "[1,\n2]"), ("[1,\\r\\n2]", "[1,\r\n2]"), ("{\\\"a\\\":\\r1}", "{\"a\":\r1}")] {
        let text = format!(
            "version: 1\ndispositions:\n  - system: a\n    rule: R1\n    status: pass\n    assessed: 2025-06-01\n    fingerprint: f\n    rule_hash: h\n    evidence:\n      spec.a: \"{escaped}\"\nwaivers: []\n"
        );
        let read = file::read(&text, "d.yaml").unwrap();
        assert_eq!(read.dispositions[0].evidence.get("spec.a"), Some(&Some(json.to_string())));
        let written = file::write(&read).unwrap();
        assert!(written.contains(&format!("      \"spec.a\": \"{escaped}\"\n")), "{written}");
        let back = file::read(&written, "d.yaml").unwrap();
        assert_eq!(back.dispositions[0].evidence, read.dispositions[0].evidence);
        assert_eq!(file::write(&back).unwrap(), written, "a fixed point");
    }
    // Evidence as annexa writes it stays single-quoted, on the line reader's path.
    let mut evidence = annexa_engine::reassess::Evidence::new();
    evidence.insert("spec.a".into(), Some("[1,2]".into()));
    let file = annexa_engine::reassess::Dispositions {
        dispositions: vec![annexa_engine::reassess::Disposition {
            system: "a".into(),
            rule: "R1".into(),
            status: annexa_engine::report::Status::Pass,
            assessed: jiff::civil::date(2025, 6, 1),
            reviewer: None,
            note: None,
            fingerprint: "f".into(),
            rule_hash: "h".into(),
            evidence,
            position: Position::default(),
        }],
        waivers: Vec::new(),
    };
    assert!(file::write(&file).unwrap().contains("      \"spec.a\": '[1,2]'\n"));
}
