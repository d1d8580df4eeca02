//! Fuzzes rule loading: compilation of the source and validation of `const RULE`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Err(broken) = annexa_engine::fuzz::rule(data) {
        panic!("{broken}");
    }
});
