//! The fast YAML path is held to the full parser: wherever it reads a stream
//! by itself, it must build the same documents, values and regions (every
//! line:col a report shows comes from them). Checked on every YAML and JSON
//! file of the repository and the shared corpus, on generated benchmark
//! documents (which it must read by itself, or the speed-up is gone), on
//! hand-written edge cases, and on random text built from YAML's pieces.

use std::path::{Path, PathBuf};

use annexa_engine::document::yaml::{fast_path_reads, parse_stream_full, Limits};
use annexa_engine::fuzz::fast_path_disagreement as disagreement;
use proptest::prelude::*;

#[path = "../../benches/generate.rs"]
#[allow(dead_code)]
mod generate;

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if !matches!(path.file_name().and_then(|n| n.to_str()), Some("target" | ".git" | "node_modules")) {
                files_under(&path, out);
            }
        } else if matches!(path.extension().and_then(|e| e.to_str()), Some("yaml" | "yml" | "json")) {
            out.push(path);
        }
    }
}

#[test]
fn agrees_with_the_full_parser_on_every_file_of_the_repository_and_corpus() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    for dir in ["fixtures", "rules", "tests", "benches", "schemas", "engine", "../shared/corpus", "../shared/spec"] {
        files_under(&root.join(dir), &mut files);
    }
    assert!(files.len() > 100, "only {} files found", files.len());
    let mut read = 0;
    for file in &files {
        let Ok(text) = std::fs::read_to_string(file) else { continue };
        if let Some(problem) = disagreement(&text) {
            panic!("{}: {problem}", file.display());
        }
        read += usize::from(fast_path_reads(&text, &Limits::default()).is_some());
    }
    // Most hand-written configuration is in the subset; if this drops, the fast path stopped being taken.
    assert!(read * 2 > files.len(), "the fast path read only {read} of {} files", files.len());
}

#[test]
fn reads_every_generated_benchmark_document_by_itself() {
    for i in 0..300 {
        for scale in [1, 3] {
            let text = generate::document(i, scale);
            assert!(fast_path_reads(&text, &Limits::default()).is_some(), "declined generated document {i} (scale {scale}):\n{text}");
            if let Some(problem) = disagreement(&text) {
                panic!("generated document {i}: {problem}\n{text}");
            }
        }
        // The same document as one-line JSON (as `gen_docs.py --format json` writes it).
        let (full, _) = parse_stream_full(&generate::document(i, 1), &Limits::default());
        let json = serde_json::to_string(&full[0].root.to_json()).unwrap() + "\n";
        assert!(fast_path_reads(&json, &Limits::default()).is_some(), "declined generated JSON document {i}:\n{json}");
        assert_eq!(disagreement(&json), None, "{json}");
        let stream = (0..5).map(|j| generate::document(i * 5 + j, 1)).collect::<Vec<_>>().join("---\n");
        assert_eq!(fast_path_reads(&stream, &Limits::default()).map(|d| d.len()), Some(5));
        assert_eq!(disagreement(&stream), None);
    }
}

/// Streams the fast path must read by itself (and agree on).
const READ: &[&str] = &[
    "a: 1\n",
    "a: 1",
    "a:\n",
    "a:",
    "a:   # nothing here\nb: 2\n",
    "# lead\n---\na: \"x\"  \nb: \"y\" # c\nc: 'z' \nd: plain words   # c\ne: [a, \"b\" , c ]   \nf: {}\ng: []\n",
    "h:\n  - \"q\"  \n  - 'r' # x\ni: x\n",
    "a: 1\nb:\n  c: \"x y\"   # hi\n  d:\n  - p\n  - q: 1\n    r: [1, {s: t}]\n  e: 'z'\nf:\ng: x\n\n# end\n",
    "list:\n- a\n- b: 1\n  c: 2\n- [x, y]\n- {k: v}\nnext: 1\n",
    "  indented: root\n  other: 2\n",
    "- 1\n- two\n- 3.5\n- true\n- ~\n- null\n- -7\n- 0x1F\n- 1e3\n- .inf\n- .nan\n- yes\n- no\n- on\n- '1'\n",
    "---\na: 1\n---\nb: 2\n",
    "a: 1\n---\n",
    "quoted: \"a \\\"b\\\" \\\\ c\\n\"\nsingle: 'it''s'\nurl: https://example.com/x?y=1#frag\nhash: a#b\n",
    "\"quoted key\": 1\n'single key': 2\nkey with spaces: 3\n",
    "unicode: héllo wörld\nafter: \"é\" # ü\nflow: [é, \"ü\"]\n",
    "nested:\n  deeper:\n    deepest:\n      - a: [1, [2, [3]]]\n        b: {c: {d: e}}\n",
    "a: [ ]\nb: { }\nc: [1,2]\nd: {x: 1,y: 2}\n",
    "a: x, y, z\nb: '#not a comment'\nc: \"#\"\n",
    "weights: {location: \"s3://bucket/x/\", encrypted_at_rest: true}\n",
    "{\"a\":\"x\",\"b\":[1,2.5,true,null,-3,1e3],\"c\":{\"d\":{}},\"e\":[]}\n",
    "[{\"k\":\"v\"}, {\"k\": \"w\"}]   \n",
    "list:\n  [a, b]\nnext: 1\n",
    // Edges of the one-pass scans for keys and plain scalars.
    "k: a:b\nl: v # a: b\nm: a#b\nurl: http://x.y/z#a:b\n",
    "- a:b\n- c # d: e\n",
    "é: ü\nlong_key_with_more_than_16_bytes: 1\nk:   v  \n",
    "k: {a: b, c: d}  # x\nl: [a , b ]\nm: {\"a\":1,'b': 2}\n",
];

/// Streams outside the subset: the full parser must read them.
const DECLINED: &[&str] = &[
    "a: &x 1\nb: *x\n",
    "a: !!str 1\n",
    "a: |\n  text\n",
    "a: >\n  text\n",
    "a: plain\n  continued\n",
    "a:\tb\n",
    "a: 1\r\nb: 2\r\n",
    "\u{feff}a: 1\n",
    "a: 1\na: 2\n",
    "<<: {a: 1}\n",
    "a: [1,\n  2]\n",
    "%YAML 1.2\n---\na: 1\n",
    "--- a\n",
    "a: 1\n...\n",
    "? a\n: b\n",
    "a: b: c\n",
    "a: \"open\n  close\"\n",
    "just a scalar\n",
    "- - a\n",
    "-\n  a: 1\n",
    "a: [1, 2,]\n",
    "a: \"\\u00e9\"\n",
    "a: {b}\n",
    "a: 1\n b: 2\n",
    "---\na: 1\n---\n---\nb: 2\n",
    "dash: -\n",
    "  \"q\": \n ",
    "a: 1\n# end",
    "a: 1\n---",
    "k: v:\n",
    "k: a: b\n",
    "a:b: c\n",
    "a #b: c\n",
    "a : b\n",
    "a,b: c\n",
    "k: {a: b:c}\n",
    "k: [a:b, c]\n",
    "k: [a:, b]\n",
    "k: {a#b: c}\n",
    "k: [a #c]\n",
];

#[test]
fn reads_the_common_subset_and_agrees() {
    for text in READ {
        assert!(fast_path_reads(text, &Limits::default()).is_some(), "declined {text:?}");
        assert_eq!(disagreement(text), None, "{text:?}");
    }
}

#[test]
fn leaves_everything_else_to_the_full_parser() {
    for text in DECLINED {
        assert!(fast_path_reads(text, &Limits::default()).is_none(), "read {text:?} by itself");
    }
}

#[test]
fn reaching_a_limit_is_left_to_the_full_parser_to_report() {
    let deep: String = (0..60).map(|i| format!("{}k:\n", " ".repeat(i))).collect::<String>() + " ".repeat(60).as_str() + "v: 1\n";
    let limits = Limits { max_depth: 50, ..Limits::default() };
    assert!(fast_path_reads(&deep, &limits).is_none());
    assert!(fast_path_reads(&deep, &Limits::default()).is_some());
    let many = "a: [1, 2, 3, 4, 5, 6, 7, 8, 9]\n";
    assert!(fast_path_reads(many, &Limits { max_nodes: 5, ..Limits::default() }).is_none());
    // The node limit counts the whole stream, not each document.
    let stream = "a: [1, 2]\n---\nb: [1, 2]\n---\nc: [1, 2]\n";
    assert!(fast_path_reads(stream, &Limits { max_nodes: 8, ..Limits::default() }).is_none());
    assert!(fast_path_reads(stream, &Limits { max_nodes: 20, ..Limits::default() }).is_some());
    let docs = "a: 1\n---\nb: 2\n---\nc: 3\n";
    assert!(fast_path_reads(docs, &Limits { max_documents: 2, ..Limits::default() }).is_none());
}

#[test]
fn duplicate_keys_are_found_whatever_the_streams_read_before() {
    // A thread shares keys between the streams it reads, and forgets them past a bound:
    // a duplicate must be found before, across and after that.
    let limits = Limits::default();
    for round in 0..3 {
        // Short keys (up to 16 bytes) and long ones are kept apart.
        // 5,000 keys: past the bound (4,096) and within what one stream may add (8,192).
        let many: String = (0..2500).map(|i| format!("k{round}x{i}: {i}\nlong_key_number_{round}_{i}: {i}\n")).collect();
        let docs = fast_path_reads(&many, &limits).expect("read");
        assert_eq!(docs[0].root.as_map().map(<[_]>::len), Some(5000));
        for twice in [
            "k0x1: 1\nk0x1: 2\n",
            "{k0x1: 1, k0x1: 2}\n",
            "'it''s': 1\n\"it's\": 2\n",
            "- a: 1\n  b: 2\n  a: 3\n",
            "long_key_number_0_1: 1\nlong_key_number_0_1: 2\n",
            "sixteen_bytes_xx: 1\nsixteen_bytes_xx: 2\n",
        ] {
            assert!(fast_path_reads(twice, &limits).is_none(), "read {twice:?} by itself");
        }
        let docs = fast_path_reads("k0x1: 1\nk0x2: 2\n---\nk0x1: 3\n", &limits).expect("read");
        let keys: Vec<_> = docs.iter().flat_map(|d| d.root.as_map().unwrap().iter().map(|(k, _)| k.to_string())).collect();
        assert_eq!(keys, ["k0x1", "k0x2", "k0x1"]);
    }
}

/// Text built mostly from pieces the fast path reads, with enough odd ones to reach its edges.
fn blockish() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        4 => Just("\n".to_string()),
        3 => Just("  ".to_string()),
        3 => Just("- ".to_string()),
        4 => Just(": ".to_string()),
        1 => Just(":".to_string()),
        4 => "[a-z]{1,5}",
        1 => Just("[".to_string()),
        1 => Just("]".to_string()),
        1 => Just("{".to_string()),
        1 => Just("}".to_string()),
        1 => Just(", ".to_string()),
        1 => Just(",".to_string()),
        1 => Just("\"q\"".to_string()),
        1 => Just("\"a\\\"b\"".to_string()),
        1 => Just("'s''t'".to_string()),
        1 => Just(" # c".to_string()),
        1 => Just("#".to_string()),
        1 => Just("---\n".to_string()),
        1 => Just(" ".to_string()),
        1 => Just("é".to_string()),
        1 => prop_oneof![Just("1"), Just("-2"), Just("1.5"), Just("true"), Just("null"), Just("~"), Just("yes"), Just("-")].prop_map(str::to_string),
        1 => Just("&a ".to_string()),
        1 => Just("|\n".to_string()),
        1 => Just("?".to_string()),
    ];
    prop::collection::vec(piece, 0..60).prop_map(|v| v.concat())
}

/// Well-formed block documents with random shapes, so agreement is tested on text the fast path reads.
fn document() -> impl Strategy<Value = String> {
    let scalar = prop_oneof![
        "[a-z]{1,6}",
        "[a-z]{1,4} [a-z]{1,4}",
        Just("\"q x\"".to_string()),
        Just("'it''s'".to_string()),
        Just("12".to_string()),
        Just("-3.5".to_string()),
        Just("true".to_string()),
        Just("~".to_string()),
        Just("[a, \"b\", 3]".to_string()),
        Just("{k: v, n: [1, {m: x}]}".to_string()),
        Just("[]".to_string()),
        Just("x # note".to_string()),
        Just("\"y\"   # note".to_string()),
    ];
    let leaf = scalar.prop_map(|s| (s, false));
    leaf.prop_recursive(4, 40, 5, |inner| {
        prop_oneof![
            prop::collection::vec(("[a-z]{1,6}", inner.clone()), 1..5).prop_map(|entries| {
                let mut seen = std::collections::HashSet::new();
                let body: String = entries
                    .into_iter()
                    .filter(|(k, _)| seen.insert(k.clone()))
                    .map(|(k, (v, block))| if block { format!("{k}:\n{}", indent(&v, 2)) } else { format!("{k}: {v}\n") })
                    .collect();
                (body, true)
            }),
            prop::collection::vec(inner, 1..4).prop_map(|items| {
                let body: String = items
                    .into_iter()
                    .map(|(v, block)| if block { format!("-\n{}", indent(&v, 2)).replacen("-\n  ", "- ", 1) } else { format!("- {v}\n") })
                    .collect();
                (body, true)
            }),
        ]
    })
    .prop_filter_map("a block at the root", |(text, block)| block.then_some(text))
}

fn indent(text: &str, by: usize) -> String {
    text.lines().map(|l| format!("{}{l}\n", " ".repeat(by))).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn random_pieces_never_make_the_two_disagree(text in blockish()) {
        prop_assert_eq!(disagreement(&text), None, "{:?}", text);
    }

    #[test]
    fn random_block_documents_are_read_alike(text in document(), blank in any::<bool>()) {
        let text = if blank { text.replace('\n', "\n\n  # c\n") } else { text };
        prop_assert_eq!(disagreement(&text), None, "{:?}", text);
    }
}
