//! Fuzzes the document loader: bytes as YAML, JSON and Markdown front matter.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Err(broken) = annexa_engine::fuzz::document(data) {
        panic!("{broken}");
    }
});
