//! Hostile inputs and hostile rules: none crashes, hangs or eats memory;
//! each is reported with its location, and every other input is still
//! evaluated. A rule cannot read files, load code or print to the terminal.

mod support;

use std::path::PathBuf;

use annexa_engine::document::discover::{discover, DiscoverOptions};
use annexa_engine::document::{self, path, Format, LoadOptions, Position};
use annexa_engine::eval::{self, Input, ScanOptions};
use annexa_engine::report::{FileResult, Status};
use annexa_engine::script::Limits;
use support::*;

/// Scans `bad` beside a good file with the witness rule; returns the bad file's result.
fn beside_good(name: &str, bad: &[u8]) -> FileResult {
    let w = witness();
    let results = scan(&[&w], &[(name, bad), ("good.yaml", GOOD)]);
    assert_eq!(outcome(&results, "good.yaml", "W001").status, Status::Fail, "the good file is still evaluated");
    results.into_iter().find(|r| r.path == name).unwrap()
}

fn first_error(result: &FileResult) -> (String, Option<Position>) {
    let e = result.errors.first().unwrap_or_else(|| panic!("an input error in {result:?}"));
    (e.message.clone(), e.position)
}

#[test]
fn malformed_yaml() {
    let r = beside_good("bad.yaml", b"a: 1\nb: [1, 2\nc: 3\n");
    let (_, at) = first_error(&r);
    assert_eq!(at.map(|p| p.line), Some(3));
    assert!(r.documents.is_empty());
}

#[test]
fn malformed_json() {
    let r = beside_good("bad.json", b"{\n  \"a\": 1,\n  \"b\": [1, 2}\n}\n");
    let (_, at) = first_error(&r);
    assert_eq!(at.map(|p| p.line), Some(3));
}

#[test]
fn duplicate_keys_in_yaml_and_json() {
    let (message, at) = first_error(&beside_good("dup.yaml", b"a: 1\nb:\n  c: 1\n  c: 2\n"));
    assert_eq!(message, "duplicate key `c` (first defined at line 3, column 3)");
    assert_eq!(at, Some(Position::new(4, 3)));
    let (message, at) = first_error(&beside_good("dup.json", b"{\"a\": 1,\n \"a\": 2}\n"));
    assert_eq!(message, "duplicate key `a` (first defined at line 1, column 2)");
    assert_eq!(at, Some(Position::new(2, 2)));
}

#[test]
fn invalid_utf8_is_located() {
    let (message, at) = first_error(&beside_good("latin1.yaml", b"name: ok\nowner: Jos\xe9\n"));
    assert_eq!(message, "invalid UTF-8 at byte 19");
    assert_eq!(at, Some(Position::new(2, 11)));
}

#[test]
fn binary_file() {
    let mut bytes = b"\x7fELF\x02\x01\x01\x00".to_vec();
    bytes.extend((0..4096u32).map(|i| (i * 7 % 256) as u8));
    let (message, _) = first_error(&beside_good("blob.yaml", &bytes));
    assert_eq!(message, "binary file (it contains NUL bytes)");
}

#[test]
fn empty_file_has_nothing_to_check() {
    let r = beside_good("empty.yaml", b"");
    assert!(r.errors.is_empty() && r.documents.is_empty() && r.outcomes.is_empty());
    let r = beside_good("comments.yaml", b"# nothing here\n---\n");
    assert!(r.errors.is_empty() && r.documents.is_empty());
}

/// Findings on a BOM or CRLF file point at the same line and column as on a plain file.
#[test]
fn bom_and_crlf_keep_positions() {
    let w = witness();
    let plain = "kind: AISystem\nmetadata: {name: x}\nspec: {a: 1}\n";
    let crlf = plain.replace('\n', "\r\n");
    let bom = format!("\u{feff}{crlf}");
    let json_bom = "\u{feff}{\"kind\": \"AISystem\",\r\n \"spec\": {\"a\": 1}}\r\n";
    let results = scan(
        &[&w],
        &[
            ("plain.yaml", plain.as_bytes()),
            ("crlf.yaml", crlf.as_bytes()),
            ("bom.yaml", bom.as_bytes()),
            ("bom.json", json_bom.as_bytes()),
        ],
    );
    for file in ["plain.yaml", "crlf.yaml", "bom.yaml"] {
        let o = outcome(&results, file, "W001");
        assert_eq!(o.findings[0].region.start, Position::new(3, 8), "{file}");
        assert_eq!(o.findings[0].snippet.as_deref().map(str::trim_end), Some("spec: {a: 1}"), "{file}");
    }
    assert_eq!(outcome(&results, "bom.json", "W001").findings[0].region.start, Position::new(2, 11));
}

#[test]
fn deep_nesting_20000_levels() {
    for (name, text) in [
        ("flow.yaml", format!("{}{}", "[".repeat(20_000), "]".repeat(20_000))),
        ("block.yaml", format!("{}x\n", "- ".repeat(20_000))),
        ("deep.json", format!("{}1{}", "{\"a\":".repeat(20_000), "}".repeat(20_000))),
    ] {
        let r = beside_good(name, text.as_bytes());
        assert!(r.documents.is_empty(), "{name}");
        let (message, at) = first_error(&r);
        assert!(message.contains("recursion limit") || message.starts_with("nesting deeper than"), "{name}: {message}");
        assert_eq!(at.map(|p| p.line), Some(1), "{name}");
    }
}

/// A mapping of 100,000 keys, as a generated or hostile file may hold, in
/// block YAML and JSON, and merged into another mapping; and mappings of
/// 5,000 keys the fast path reads: each is read whole, and a duplicate at
/// the end of a large mapping is still found and located. Looking for each
/// new key among all the ones before it took 9 s for such a file (and hours
/// for one at the size limit); the loaders now index a mapping once it
/// grows, and the fast path leaves streams of very many keys to the full parser.
#[test]
fn a_mapping_of_100000_keys() {
    const KEYS: usize = 100_000;
    let block: String = (0..KEYS).map(|i| format!("  k{i}: {i}\n")).collect();
    let flow: Vec<String> = (0..KEYS).map(|i| format!("\"k{i}\": {i}")).collect();
    let lines = |n: usize| block.lines().take(n).map(|l| format!("{l}\n")).collect::<String>();
    let repeated = format!("a:\n{}b:\n{}", lines(5_000), lines(5_000));
    let cases = [
        ("block.yaml", format!("m:\n{block}"), false, KEYS),
        ("flow.json", format!("{{\"m\": {{{}}}}}\n", flow.join(", ")), false, KEYS),
        ("fast.yaml", format!("m:\n{}", lines(5_000)), true, 5_000),
        ("fast.json", format!("{{\"m\": {{{}}}}}\n", flow[..5_000].join(", ")), true, 5_000),
        // The same keys again in a second mapping are no new keys.
        ("repeated.yaml", repeated, true, 5_000),
        // An anchor sends the stream to the full parser.
        ("full.yaml", format!("a: &x 1\nm:\n{}", lines(5_000)), false, 5_000),
    ];
    for (name, text, fast, keys) in &cases {
        assert_eq!(document::yaml::fast_path_reads(text, &Default::default()).is_some(), *fast, "{name}: read by the parser meant");
        let format = if name.ends_with(".json") { Format::Json } else { Format::Yaml };
        let loaded = document::load_bytes(text.clone().into_bytes(), name, format, &LoadOptions::default());
        assert!(loaded.errors.is_empty(), "{name}: {:?}", loaded.errors);
        let last = if *name == "repeated.yaml" { "b" } else { "m" };
        let m = loaded.documents[0].root.get(&path::parse(last).unwrap()).and_then(|n| n.as_map()).map(|e| e.len());
        assert_eq!(m, Some(*keys), "{name}");
    }

    // The fast path finds the duplicate in its index and leaves the stream to the full parser, which reports it.
    let duplicated = format!("m:\n{}  k7: again\n", lines(5_000));
    assert!(document::yaml::fast_path_reads(&duplicated, &Default::default()).is_none());
    let (message, at) = first_error(&beside_good("dup.yaml", duplicated.as_bytes()));
    assert_eq!(message, "duplicate key `k7` (first defined at line 9, column 3)");
    assert_eq!(at, Some(Position::new(5_002, 3)));
    let (message, at) = first_error(&beside_good("dup.json", format!("{{\"m\": {{{},\n\"k7\": 0}}}}\n", flow.join(", ")).as_bytes()));
    assert!(message.starts_with("duplicate key `k7` (first defined at line 1, column "), "{message}");
    assert_eq!(at, Some(Position::new(2, 1)));

    // Merged (half as many, within the limit on what aliases expand to):
    // keys written in the mapping still win, whatever its size.
    let merged = format!("base: &b {{{}}}\nd:\n  <<: *b\n  k5: mine\n", flow[..KEYS / 2].join(", "));
    let loaded = document::load_bytes(merged.into_bytes(), "merge.yaml", Format::Yaml, &LoadOptions::default());
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    let root = &loaded.documents[0].root;
    assert_eq!(root.get(&path::parse("d").unwrap()).and_then(|n| n.as_map()).map(|e| e.len()), Some(KEYS / 2));
    assert_eq!(root.get(&path::parse("d.k5").unwrap()).and_then(|n| n.as_str()), Some("mine"));
    assert_eq!(root.get(&path::parse("d.k6").unwrap()).map(|n| n.to_json()), Some(serde_json::json!(6)));
}

/// Minified JSON, one line of 20,000 items, with text that is not ASCII or
/// with escaped surrogate pairs (which YAML parsers need rewritten): every
/// node keeps its column in characters of the file. Columns were counted from
/// the start of the line, and the rewrites scanned one by one, for each node:
/// quadratic, 3 s for a 1 MB line (hours at the size limit).
#[test]
fn long_minified_lines_keep_their_columns() {
    const ITEMS: usize = 20_000;
    for (name, value) in [("wide.json", "\"modèle ö\""), ("escaped.json", "\"\\uD83E\\uDD17\"")] {
        let items: Vec<String> = (0..ITEMS).map(|i| format!("{{\"v\": {value}, \"n\": {i}}}")).collect();
        let text = format!("{{\"m\": [{}]}}\n", items.join(", "));
        let loaded = document::load_bytes(text.clone().into_bytes(), name, Format::Json, &LoadOptions::default());
        assert!(loaded.errors.is_empty(), "{name}: {:?}", loaded.errors);
        let root = &loaded.documents[0].root;
        for i in [0, ITEMS / 2, ITEMS - 1] {
            let node = root.get(&path::parse(&format!("m[{i}].n")).unwrap()).unwrap();
            assert_eq!(node.to_json(), serde_json::json!(i), "{name}");
            // The entry starts at its key: the `"` of the i-th `"n"`, counted in characters.
            let byte = text.match_indices("\"n\"").nth(i).unwrap().0;
            let col = text[..byte].chars().count() as u32 + 1;
            assert_eq!(node.region.start, Position::new(1, col), "{name}: m[{i}].n");
        }
    }
}

/// A finding carries its source line for the text report, unless the line
/// is longer than 512 bytes: copied under each of its findings, one line of
/// minified JSON made gigabytes of report. The location stays exact.
#[test]
fn findings_on_long_lines_carry_no_source_line() {
    let long = "x".repeat(600);
    let text = format!("kind: AISystem\nspec:\n  short: 1\n  long: {long}\n");
    let body = "fn check(doc) { doc.fail(\"spec.short\", \"s\"); doc.fail(\"spec.long\", \"l\"); }";
    let results = scan(&[&rule("X001", body)], &[("a.yaml", text.as_bytes())]);
    let x = outcome(&results, "a.yaml", "X001");
    let found = |path: &str| x.findings.iter().find(|f| f.path == path).map(|f| (f.region.start, f.snippet.clone()));
    assert_eq!(found("spec.short"), Some((Position::new(3, 3), Some("  short: 1".to_string()))));
    assert_eq!(found("spec.long"), Some((Position::new(4, 3), None)));
}

/// Anchors nested one inside the other, over one long list: each anchor
/// keeps a copy of everything below it for the aliases to come. A 3 MB file
/// of 100 of them made 4.8 GB of copies; the copies now count against the
/// node limit, and the error points at the anchored value that passed it.
#[test]
fn nested_anchors_count_the_copies_they_keep() {
    const DEPTH: usize = 20;
    let list = format!("[{}]", vec!["1"; 10_000].join(", "));
    let nested: String = (0..DEPTH).map(|d| format!("{}k{d}: &a{d}\n", "  ".repeat(d))).collect();
    let text = format!("{nested}{}items: {list}\n", "  ".repeat(DEPTH));
    let options = LoadOptions { yaml: document::yaml::Limits { max_nodes: 100_000, ..Default::default() }, ..Default::default() };
    let loaded = document::load_bytes(text.clone().into_bytes(), "nested.yaml", Format::Yaml, &options);
    assert!(loaded.documents.is_empty());
    let error = loaded.errors.first().expect("an error");
    assert_eq!(error.message, "more than 100000 nodes in one stream, counting the copies anchors keep");
    // At the anchor of a mapping of the chain, not at the end of the stream.
    let at = error.position.expect("located");
    let line = text.lines().nth(at.line as usize - 1).unwrap_or_default();
    assert!(at.line < DEPTH as u32, "{at:?}");
    assert_eq!(line.get(at.col as usize - 1..), Some(format!("&a{}", at.line - 1).as_str()), "{at:?}");

    // One anchored list and an alias of it stay well within the limit.
    let text = format!("base: &b {list}\nother: *b\n");
    let loaded = document::load_bytes(text.into_bytes(), "alias.yaml", Format::Yaml, &options);
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    let other = loaded.documents[0].root.get(&path::parse("other").unwrap()).and_then(|n| n.as_seq()).map(<[_]>::len);
    assert_eq!(other, Some(10_000));
}

#[test]
fn tags_and_merge_keys() {
    let text = b"base: &b {x: 1, y: 2}\nother: &o {z: 3}\nd:\n  <<: [*b, *o]\n  y: 9\ns: !!str 123\nc: !Custom thing\nbad: !!int nope\n";
    let (message, at) = first_error(&beside_good("tags.yaml", text));
    assert_eq!(message, "`nope` does not fit its tag `!!int`");
    assert_eq!(at, Some(Position::new(8, 6)));
    let ok = b"base: &b {x: 1, y: 2}\nother: &o {z: 3}\nd:\n  <<: [*b, *o]\n  y: 9\ns: !!str 123\nc: !Custom thing\n";
    let loaded = document::load_bytes(ok.to_vec(), "t.yaml", Format::Yaml, &LoadOptions::default());
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    let root = &loaded.documents[0].root;
    let at = |p: &str| root.get(&path::parse(p).unwrap()).map(|n| n.to_json());
    assert_eq!(at("d.x"), Some(serde_json::json!(1)));
    assert_eq!(at("d.y"), Some(serde_json::json!(9)), "keys written in the map win over merged ones");
    assert_eq!(at("d.z"), Some(serde_json::json!(3)));
    assert_eq!(at("s"), Some(serde_json::json!("123")));
    assert_eq!(at("c"), Some(serde_json::json!("thing")));
    let (message, at) = first_error(&beside_good("merge.yaml", b"a:\n  <<: 5\n"));
    assert_eq!(message, "a merge key `<<` takes a map or a list of maps");
    assert_eq!(at, Some(Position::new(2, 3)));
}

/// Scans files on disk found by `discover`, with the witness rule.
fn scan_tree(roots: &[PathBuf], follow: bool) -> (annexa_engine::document::discover::Discovered, Vec<FileResult>) {
    let set = load_rules(&Limits::default(), &[&witness()]);
    let found = discover(roots, &DiscoverOptions { follow_symlinks: follow, ..DiscoverOptions::default() }).unwrap();
    let inputs = found.files.iter().cloned().map(Input::File).collect();
    let mut results = Vec::new();
    eval::scan(&set.rules, inputs, &ScanOptions::new(now()), &mut |r| {
        results.push(std::mem::take(r));
        Ok(())
    })
    .unwrap();
    (found, results)
}

fn names(paths: impl IntoIterator<Item = String>, root: &std::path::Path) -> Vec<String> {
    let prefix = format!("{}/", root.display());
    paths.into_iter().map(|p| p.strip_prefix(&prefix).unwrap_or(&p).to_string()).collect()
}

#[test]
fn symlink_loops_fifos_and_devices_in_the_tree() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(root.join("good.yaml"), GOOD).unwrap();
    std::fs::create_dir(root.join("sub")).unwrap();
    std::os::unix::fs::symlink("..", root.join("sub/loop")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", root.join("zero.yaml")).unwrap();
    let fifo = root.join("pipe.yaml");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status().map(|s| s.success()).unwrap_or(false);
    assert!(made, "mkfifo is available");

    // Without --follow: links are listed as skipped, the FIFO as not a regular file.
    let (found, results) = scan_tree(&[root.to_path_buf()], false);
    assert_eq!(names(found.files.iter().map(|f| f.display.clone()), root), vec!["good.yaml"]);
    let skipped: Vec<(String, String)> =
        found.skipped.iter().map(|s| (names([s.path.clone()], root).remove(0), s.reason.clone())).collect();
    assert_eq!(
        skipped,
        vec![
            ("pipe.yaml".to_string(), "not a regular file".to_string()),
            ("zero.yaml".to_string(), "symbolic link not followed (use --follow)".to_string())
        ]
    );
    assert_eq!(results.len(), 1);
    assert_eq!(results[0].outcomes[0].status, Status::Fail);

    // With --follow: the loop is an error naming the link, the device is skipped, nothing blocks.
    let (found, results) = scan_tree(&[root.to_path_buf()], true);
    assert_eq!(names(found.files.iter().map(|f| f.display.clone()), root), vec!["good.yaml"]);
    assert!(
        found.errors.iter().any(|e| e.file.ends_with("sub/loop") && e.message.starts_with("symbolic link loop back to")),
        "{:?}",
        found.errors
    );
    assert!(found.skipped.iter().any(|s| s.path.ends_with("zero.yaml") && s.reason == "not a regular file"), "{:?}", found.skipped);
    assert_eq!(results.len(), 1);

    // Named explicitly, a FIFO or a device is refused without being opened.
    let (found, results) = scan_tree(&[fifo.clone(), PathBuf::from("/dev/zero"), root.join("good.yaml")], false);
    assert_eq!(found.files.len(), 3);
    let messages: Vec<&str> = results.iter().flat_map(|r| r.errors.iter().map(|e| e.message.as_str())).collect();
    assert_eq!(messages, vec!["not a regular file", "not a regular file"]);
    assert!(results.iter().any(|r| r.outcomes.first().is_some_and(|o| o.status == Status::Fail)));
}

#[test]
fn unreadable_and_vanished_files() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for name in ["a.yaml", "gone.yaml", "locked.yaml", "z.yaml"] {
        std::fs::write(root.join(name), GOOD).unwrap();
    }
    let set = load_rules(&Limits::default(), &[&witness()]);
    let found = discover(&[root.to_path_buf()], &DiscoverOptions::default()).unwrap();
    assert_eq!(found.files.len(), 4);
    // Vanishes between discovery and reading.
    std::fs::remove_file(root.join("gone.yaml")).unwrap();
    // Unreadable: mode 000 stops every user but root; root is stopped by a
    // regular file whose read fails (Linux: /proc/self/mem at offset 0).
    std::fs::set_permissions(root.join("locked.yaml"), std::os::unix::fs::PermissionsExt::from_mode(0o000)).unwrap();
    let mut inputs: Vec<Input> = found.files.iter().cloned().map(Input::File).collect();
    let as_root = std::fs::read(root.join("locked.yaml")).is_ok();
    if as_root {
        inputs.push(Input::File(annexa_engine::document::discover::InputFile {
            path: "/proc/self/mem".into(),
            display: "mem.yaml".into(),
            format: Format::Yaml,
        }));
    }
    let mut results = Vec::new();
    eval::scan(&set.rules, inputs, &ScanOptions::new(now()), &mut |r| {
        results.push(std::mem::take(r));
        Ok(())
    })
    .unwrap();
    let errors: Vec<(String, String)> =
        results.iter().flat_map(|r| r.errors.iter().map(|e| (names([e.file.clone()], root).remove(0), e.message.clone()))).collect();
    assert!(errors.iter().any(|(f, m)| f == "gone.yaml" && m.starts_with("cannot read: No such file")), "{errors:?}");
    let unreadable = if as_root { "mem.yaml" } else { "locked.yaml" };
    assert!(errors.iter().any(|(f, m)| f == unreadable && m.starts_with("cannot read:")), "{errors:?}");
    let evaluated = results.iter().filter(|r| r.outcomes.first().is_some_and(|o| o.status == Status::Fail)).count();
    assert_eq!(evaluated, if as_root { 3 } else { 2 }, "every readable file is evaluated");
}

#[test]
fn a_100_mb_file_is_refused_before_it_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.yaml");
    let file = std::fs::File::create(&big).unwrap();
    // A sparse file: 100 MB long, nothing written, so the test is fast.
    file.set_len(100 * 1024 * 1024).unwrap();
    std::fs::write(dir.path().join("good.yaml"), GOOD).unwrap();
    let (_, results) = scan_tree(&[dir.path().to_path_buf()], false);
    let big = results.iter().find(|r| r.path.ends_with("big.yaml")).unwrap();
    assert_eq!(big.errors[0].message, "file is 104857600 bytes, over the limit of 67108864 bytes");
    assert!(results.iter().any(|r| r.path.ends_with("good.yaml") && r.outcomes[0].status == Status::Fail));
}

// ---- the sandbox

fn one_outcome(body: &str) -> annexa_engine::report::Outcome {
    let r = rule("S001", body);
    let results = scan(&[&r], &[("a.yaml", GOOD)]);
    outcome(&results, "a.yaml", "S001").clone()
}

#[test]
fn print_and_debug_go_into_the_report() {
    let o = one_outcome("fn check(doc) {\n  print(\"hello \" + doc.name);\n  debug(42);\n}");
    assert_eq!(o.status, Status::Pass);
    assert_eq!(o.logs, vec!["hello good".to_string(), "line 4: 42".to_string()]);
}

#[test]
fn import_and_eval_are_refused_when_rules_load() {
    for (body, line) in [("import \"std\" as s;\nfn check(doc) {}", 2), ("fn check(doc) {\n  eval(\"1 + 1\");\n}", 3)] {
        let set = load_rules(&Limits::default(), &[&rule("S001", body)]);
        assert!(set.rules.is_empty(), "{body}");
        assert_eq!(set.errors.len(), 1);
        assert!(set.errors[0].message.starts_with("syntax error"), "{}", set.errors[0].message);
        assert_eq!(set.errors[0].position.map(|p| p.line), Some(line), "{body}");
    }
}

#[test]
fn no_function_reaches_files_processes_or_the_network() {
    for call in ["open_file(\"/etc/passwd\")", "read_file(\"/etc/passwd\")", "system(\"id\")", "http_get(\"http://example.com\")"] {
        let o = one_outcome(&format!("fn check(doc) {{\n  let x = {call};\n}}"));
        assert_eq!(o.status, Status::Error, "{call}");
        let message = &o.error.as_ref().unwrap().message;
        assert!(message.starts_with("Function not found"), "{call}: {message}");
    }
}

/// `sleep` would hold a worker past the time limit (checked between
/// operations): a rule that asks to wait gets a located error at once.
#[test]
fn a_rule_cannot_sleep() {
    for call in ["sleep(10)", "sleep(0.5)"] {
        let started = std::time::Instant::now();
        let o = one_outcome(&format!("fn check(doc) {{\n  {call};\n  doc.fail(\"spec\", \"woke\");\n}}"));
        assert!(started.elapsed() < std::time::Duration::from_millis(400), "{call} waited");
        assert_eq!((o.status, o.findings.len()), (Status::Error, 0), "{call}");
        let error = o.error.as_ref().unwrap();
        assert_eq!(error.message, "Runtime error: `sleep` is not available to rules: a rule cannot wait", "{call}");
        assert_eq!(error.rule_position.map(|p| (p.line, p.col)), Some((3, 3)), "{call}");
    }
}

/// What would make a rule never run, or run everywhere, without a word is
/// refused when it loads, at the place it is written.
#[test]
fn rules_that_would_silently_match_nothing_or_everything_are_refused() {
    let meta = |kinds: &str| {
        format!("const RULE = #{{ id: \"S001\", title: \"t\", severity: \"low\", kinds: {kinds}, controls: #{{ iso42001: [\"A.9.2\"] }}, remediation: \"r\" }};\n")
    };
    for (text, expected) in [
        (meta("[\"AiSystem\"]") + "fn check(doc) {}", (1, 58, "`AiSystem` is not a document kind: did you mean `AISystem`?")),
        (meta("[\"mcpconfig\"]") + "fn check(doc) {}", (1, 58, "`mcpconfig` is not a document kind: did you mean `MCPConfig`?")),
        (meta("[\"\"]") + "fn check(doc) {}", (1, 58, "`` is not a document kind")),
        (
            meta("[\"*\"]") + "fn applies(doc, extra) { false }\nfn check(doc) {}",
            (1, 1, "`fn applies` must take one parameter, the document"),
        ),
        (meta("[\"*\"]") + meta("[\"*\"]").as_str() + "fn check(doc) {}", (1, 1, "`RULE` is declared more than once (again at line 2)")),
        (
            meta("[\"*\"]").replace("remediation", "serverity: 1, remediation") + "fn check(doc) {}",
            (1, 108, "unknown field `serverity` in RULE"),
        ),
        // Past the calendar's last year: the disposition would never come due.
        (
            meta("[\"*\"]").replace("remediation", "reassess: #{ every: \"10000y\" }, remediation") + "fn check(doc) {}",
            (1, 108, "`10000y` is longer than 100 years, the longest duration annexa takes"),
        ),
    ] {
        let set = load_rules(&Limits::default(), &[&text]);
        assert!(set.rules.is_empty(), "{text}");
        let found: Vec<(u32, u32, &str)> =
            set.errors.iter().map(|e| (e.position.map_or(0, |p| p.line), e.position.map_or(0, |p| p.col), e.message.as_str())).collect();
        assert_eq!(found, [expected], "{text}");
    }
    // Kinds annexa does not read by itself (a Kubernetes kind) are still a rule's to name.
    assert!(load_rules(&Limits::default(), &[&(meta("[\"InferenceService\"]") + "fn check(doc) {}")]).errors.is_empty());
}

/// A corpus rule's `applies` that returns something else than a boolean is
/// an error, as a document rule's is, not a quiet "not applicable".
#[test]
fn a_corpus_applies_that_is_not_a_boolean_is_an_error() {
    let text = "const RULE = #{ id: \"S001\", title: \"t\", severity: \"low\", kinds: [\"*\"], scope: \"corpus\", controls: #{ iso42001: [\"A.9.2\"] }, remediation: \"r\" };\nfn applies(doc) { \"yes\" }\nfn check_all(docs) {}\n";
    let results = scan(&[text], &[("a.yaml", GOOD)]);
    let o = outcome(&results, "a.yaml", "S001");
    assert_eq!(o.status, Status::Error);
    assert_eq!(o.error.as_ref().unwrap().message, "`applies` must return true or false, it returned string");
}

#[test]
fn a_rule_cannot_change_the_document_the_next_rule_sees() {
    let writer = rule("S001", "fn check(doc) { let s = doc.get(\"spec\"); s.a = 2; }");
    let reader = rule("S002", "fn check(doc) { if doc.get(\"spec.a\") != 1 { doc.fail(\"spec.a\", \"changed\"); } }");
    let results = scan(&[&writer, &reader], &[("a.yaml", GOOD)]);
    assert_eq!(outcome(&results, "a.yaml", "S002").status, Status::Pass);
}

/// A rules folder: a linked rule is loaded, and a broken link and a FIFO
/// named `.rhai` are each an error at their path, never a rule silently left
/// out; a link loop and a broken link to no rule hide nothing and pass.
#[cfg(unix)]
#[test]
fn a_rules_folder_follows_links_and_reports_what_it_cannot_read() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().unwrap();
    let rule = |id: &str| {
        format!("const RULE = #{{ id: \"{id}\", title: \"t\", severity: \"low\", kinds: [\"AISystem\"], controls: #{{ iso42001: [\"A.9.2\"] }}, remediation: \"r\" }};\nfn check(doc) {{}}\n")
    };
    let (pack, shared) = (dir.path().join("pack"), dir.path().join("shared"));
    std::fs::create_dir_all(&pack).unwrap();
    std::fs::create_dir_all(&shared).unwrap();
    std::fs::write(pack.join("A001.rhai"), rule("A001")).unwrap();
    std::fs::write(pack.join("B001.RHAI"), rule("B001")).unwrap();
    std::fs::write(shared.join("S001.rhai"), rule("S001")).unwrap();
    symlink(shared.join("S001.rhai"), pack.join("S001.rhai")).unwrap();
    symlink(dir.path().join("nowhere.rhai"), pack.join("broken.rhai")).unwrap();
    // Neither hides a rule: the loop leads back to this folder, the link is not named as a rule.
    symlink(&pack, pack.join("again")).unwrap();
    symlink(dir.path().join("nowhere"), pack.join("notes")).unwrap();
    let made = std::process::Command::new("mkfifo").arg(pack.join("pipe.rhai")).status().map(|s| s.success()).unwrap_or(false);
    assert!(made, "mkfifo is available");

    let (sources, errors) = annexa_engine::rules::read_dir(&pack);
    let at = |p: &std::path::Path| annexa_engine::document::discover::display_path(p);
    let loaded: Vec<&str> = sources.iter().map(|s| s.path.as_str()).collect();
    assert_eq!(loaded, [at(&pack.join("A001.rhai")), at(&pack.join("B001.RHAI")), at(&pack.join("S001.rhai"))]);
    let mut reported: Vec<(String, String)> = errors.iter().map(|e| (e.file.clone(), e.message.clone())).collect();
    reported.sort();
    assert_eq!(reported.len(), 2, "{reported:?}");
    assert_eq!(reported[0].0, at(&pack.join("broken.rhai")));
    assert!(reported[0].1.contains("No such file or directory"), "{}", reported[0].1);
    assert_eq!(reported[1], (at(&pack.join("pipe.rhai")), "not a regular file".to_string()));
}

/// Case files: a linked case is found; a broken link named as a case and a
/// FIFO where a case would be are errors at their paths; a loop passes.
#[cfg(unix)]
#[test]
fn case_files_follow_links_and_report_what_they_cannot_read() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().unwrap();
    let cases = dir.path().join("pack/tests/A001");
    std::fs::create_dir_all(&cases).unwrap();
    std::fs::create_dir_all(dir.path().join("shared")).unwrap();
    std::fs::write(cases.join("pass.yaml"), "rule: A001\n").unwrap();
    std::fs::write(cases.join("upper.YML"), "rule: A001\n").unwrap();
    std::fs::write(dir.path().join("shared/linked.yaml"), "rule: A001\n").unwrap();
    symlink(dir.path().join("shared/linked.yaml"), cases.join("linked.yaml")).unwrap();
    let made = std::process::Command::new("mkfifo").arg(cases.join("pipe.yaml")).status().map(|s| s.success()).unwrap_or(false);
    assert!(made, "mkfifo is available");
    symlink(dir.path().join("nowhere.yaml"), cases.join("gone.yaml")).unwrap();
    symlink(dir.path().join("pack"), cases.join("loop")).unwrap();

    let (files, errors) = annexa_engine::rules::testing::discover(&[dir.path().join("pack")]);
    assert_eq!(files, [cases.join("linked.yaml"), cases.join("pass.yaml"), cases.join("upper.YML")]);
    let reported: Vec<(&str, &str)> = errors.iter().map(|e| (e.file.as_str(), e.message.as_str())).collect();
    let at = |name: &str| annexa_engine::document::discover::display_path(&cases.join(name));
    assert_eq!(reported.len(), 2, "{reported:?}");
    assert_eq!(reported[0].0, at("gone.yaml"));
    assert!(reported[0].1.contains("No such file or directory"), "{}", reported[0].1);
    assert_eq!(reported[1], (at("pipe.yaml").as_str(), "not a regular file"));
}

/// The audit lists each input with the digests of the bytes that were
/// evaluated: a file rewritten after the scan read it keeps the digests of
/// what was read, not of what is on disk when the report is written.
#[test]
fn audit_digests_are_of_the_bytes_evaluated_not_of_the_file_afterwards() {
    use annexa_engine::audit::{exclusions::Exclusions, Builder, EvidenceScope};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("good.yaml");
    std::fs::write(&path, GOOD).unwrap();
    let set = load_rules(&Limits::default(), &[&witness()]);
    let found = discover(&[dir.path().to_path_buf()], &DiscoverOptions::default()).unwrap();
    let mut options = ScanOptions::new(now());
    options.load.digests = true;
    let mut builder = Builder::new(&set.rules, now(), &found.files);
    let inputs = found.files.iter().cloned().map(Input::File).collect();
    eval::scan(&set.rules, inputs, &options, &mut |r| {
        // The file changes once it has been read and evaluated.
        std::fs::write(&path, b"kind: AISystem\nmetadata: {name: changed}\n").unwrap();
        builder.add(std::mem::take(r));
        Ok(())
    })
    .unwrap();
    let audit = builder.finish(&Exclusions::default(), EvidenceScope::All);
    let [input] = audit.inputs.as_slice() else { panic!("one input: {:?}", audit.inputs) };
    assert_eq!(input.blake3.as_deref(), Some(blake3::hash(GOOD).to_hex().as_str()));
    let sha256: String = <sha2::Sha256 as sha2::Digest>::digest(GOOD).iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(input.sha256, Some(sha256));
    assert_ne!(std::fs::read(&path).unwrap(), GOOD, "the file on disk did change");
}

/// Some editors start a file with a byte-order mark: a rule file loads all the same.
#[test]
fn a_rule_file_may_start_with_a_byte_order_mark() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("S001.rhai"), format!("\u{feff}{}", rule("S001", "fn check(doc) {}"))).unwrap();
    let (sources, errors) = annexa_engine::rules::read_dir(dir.path());
    assert!(errors.is_empty(), "{errors:?}");
    let set = annexa_engine::rules::load(sources, &Limits::default());
    assert_eq!((set.rules.len(), set.errors.len()), (1, 0), "{:?}", set.errors);
}

/// A finding is at one place: `doc.fail` with a wildcard path is an error at
/// the call, not a finding shown as missing at the list.
#[test]
fn fail_at_a_wildcard_path_is_an_error() {
    let o = one_outcome("fn check(doc) {\n  doc.fail(\"spec.tools[*].name\", \"x\");\n}");
    assert_eq!((o.status, o.findings.len()), (Status::Error, 0));
    let error = o.error.as_ref().unwrap();
    assert!(error.message.contains("invalid path `spec.tools[*].name`: wildcards are for `doc.values(...)`"), "{}", error.message);
    assert_eq!(error.rule_position.map(|p| p.line), Some(3));
}

/// A `check` that returns a boolean, as if it were the verdict, would pass
/// when it meant to fail: it is an error that says how rules report.
#[test]
fn a_check_that_returns_a_verdict_is_an_error() {
    let o = one_outcome("fn check(doc) {\n  doc.get(\"spec.missing\") == 1\n}");
    assert_eq!(o.status, Status::Error);
    assert_eq!(
        o.error.as_ref().unwrap().message,
        "`check` returned false: a rule reports what fails with `doc.fail(path, message)`; its return value is not a verdict"
    );
    // Other values a last statement leaves are let be.
    assert_eq!(one_outcome("fn helper() { 0 }\nfn check(doc) { helper(); }").status, Status::Pass);
}
