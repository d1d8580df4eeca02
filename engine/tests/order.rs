//! Results reach the sink in input order, the same whatever the thread count
//! and chunk size (the pipelined path hands one chunk on while the next is
//! evaluated), and a sink that fails ends the scan with its error.

mod support;

use annexa_engine::document::Format;
use annexa_engine::eval::{self, Input, ScanOptions};
use annexa_engine::script::Limits;

fn inputs() -> Vec<Input> {
    inputs_of(1)
}

/// Fifty files of `per_file` documents each.
fn inputs_of(per_file: usize) -> Vec<Input> {
    (0..50)
        .map(|i| Input::Bytes {
            display: format!("f{i:02}.yaml"),
            format: Format::Yaml,
            bytes: (0..per_file)
                .map(|d| format!("kind: AISystem\nmetadata: {{name: s{i}-{d}}}\nspec: {{a: {i}}}\n"))
                .collect::<Vec<_>>()
                .join("---\n")
                .into_bytes()
                .into(),
        })
        .collect()
}

/// (file, finding message) in the order the sink received them.
fn scan(threads: usize, chunk_files: usize) -> Vec<(String, String)> {
    scan_files(inputs(), threads, chunk_files)
}

fn scan_files(inputs: Vec<Input>, threads: usize, chunk_files: usize) -> Vec<(String, String)> {
    let set = support::load_rules(
        &Limits::default(),
        &[&support::rule("W001", "fn check(doc) { doc.fail(\"spec.a\", `a is ${doc.get(\"spec.a\")}`); }")],
    );
    let mut options = ScanOptions::new(support::now());
    options.threads = threads;
    options.chunk_files = chunk_files;
    let mut seen = Vec::new();
    eval::scan(&set.rules, inputs, &options, &mut |r| {
        seen.push((r.path.clone(), r.outcomes.iter().flat_map(|o| o.findings.iter().map(|f| f.message.clone())).collect()));
        Ok(())
    })
    .unwrap();
    seen
}

#[test]
fn results_arrive_in_input_order_for_any_threads_and_chunks() {
    let expected: Vec<(String, String)> = (0..50).map(|i| (format!("f{i:02}.yaml"), format!("a is {i}"))).collect();
    for (threads, chunk) in [(1, 256), (1, 3), (2, 1), (2, 7), (3, 4), (2, 256)] {
        assert_eq!(scan(threads, chunk), expected, "threads {threads}, chunks of {chunk}");
    }
}

/// Files of many documents make chunks of fewer files (about `chunk_files`
/// documents each): the order holds as the chunks shrink.
#[test]
fn results_arrive_in_input_order_when_files_hold_many_documents() {
    let expected: Vec<(String, String)> = (0..50).map(|i| (format!("f{i:02}.yaml"), vec![format!("a is {i}"); 7].concat())).collect();
    for (threads, chunk) in [(1, 4), (2, 4), (2, 64), (3, 10)] {
        assert_eq!(scan_files(inputs_of(7), threads, chunk), expected, "threads {threads}, chunks of {chunk} documents");
    }
}

#[test]
fn a_failing_sink_ends_the_scan_with_its_error() {
    let set = support::load_rules(&Limits::default(), &[&support::witness()]);
    for threads in [1, 2] {
        let mut options = ScanOptions::new(support::now());
        options.threads = threads;
        options.chunk_files = 4;
        let mut calls = 0;
        let result = eval::scan(&set.rules, inputs(), &options, &mut |_| {
            calls += 1;
            if calls == 6 {
                return Err(std::io::Error::new(std::io::ErrorKind::BrokenPipe, "reader went away"));
            }
            Ok(())
        });
        let error = result.expect_err("the sink's error is the scan's");
        assert_eq!((error.kind(), error.to_string()), (std::io::ErrorKind::BrokenPipe, "reader went away".to_string()));
        assert_eq!(calls, 6, "no file is handed on after the sink failed ({threads} threads)");
    }
}
