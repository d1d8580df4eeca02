//! Fuzzes the dispositions file's readers (the line reader, its index, the
//! YAML reader) against each other, and the writer against them.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Err(broken) = annexa_engine::fuzz::dispositions(data) {
        panic!("{broken}");
    }
});
