//! The fuzz targets' bodies on stable Rust: every seed the fuzzers start from
//! and every input that once crashed them (`fuzz/seeds/<target>/`) goes
//! through the same function as `cargo fuzz run`, so CI catches a regression
//! without nightly or libFuzzer.

use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Every file under `dir` whose name passes `keep`, sorted; none when `dir` is absent.
fn files(dir: &Path, keep: &dyn Fn(&Path) -> bool) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else { return out };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files(&path, keep));
        } else if keep(&path) {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// Runs `body` over every file; returns how many it read. Fails naming each file that broke an invariant.
fn replay(inputs: &[PathBuf], body: fn(&[u8]) -> Result<(), String>) -> usize {
    let broken: Vec<String> = inputs
        .iter()
        .filter_map(|path| {
            let bytes = std::fs::read(path).unwrap();
            body(&bytes).err().map(|e| format!("{}: {e}", path.display()))
        })
        .collect();
    assert!(broken.is_empty(), "{}", broken.join("\n"));
    inputs.len()
}

fn any(_: &Path) -> bool {
    true
}

fn rhai(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "rhai")
}

#[test]
fn document_seeds_and_past_crashes() {
    let root = repo();
    let own: Vec<PathBuf> =
        ["fuzz/seeds/document", "fixtures", "examples", "rules"].iter().flat_map(|d| files(&root.join(d), &any)).collect();
    assert!(own.len() > 200, "the seed folders were found ({} files)", own.len());
    replay(&own, annexa_engine::fuzz::document);
    // Third-party samples (their licences are in ../shared/corpus/LICENSES), where the checkout has them.
    let shared = files(&root.join("../shared/corpus"), &|p| !p.components().any(|c| c.as_os_str() == "LICENSES"));
    replay(&shared, annexa_engine::fuzz::document);
}

#[test]
fn rule_seeds_and_past_crashes() {
    let root = repo();
    let seeds: Vec<PathBuf> = files(&root.join("fuzz/seeds/rule"), &any).into_iter().chain(files(&root.join("rules"), &rhai)).collect();
    assert!(seeds.len() > 70, "the seed folders were found ({} files)", seeds.len());
    replay(&seeds, annexa_engine::fuzz::rule);
}

#[test]
fn dispositions_seeds_and_past_crashes() {
    let seeds = files(&repo().join("fuzz/seeds/dispositions"), &any);
    assert!(seeds.len() >= 8, "the seed folder was found ({} files)", seeds.len());
    replay(&seeds, annexa_engine::fuzz::dispositions);
}

#[test]
fn the_bodies_catch_what_they_claim_to() {
    // A rule file that loads must come out as one rule; one that does not, as located errors.
    assert_eq!(annexa_engine::fuzz::rule(b"fn check(doc) {}"), Ok(()));
    assert_eq!(annexa_engine::fuzz::document(b"a: [1, {b: *x}]\n---\n- &x 1\n"), Ok(()));
    // Invalid UTF-8 is an input error for documents and a read error (skipped) for rules.
    assert_eq!(annexa_engine::fuzz::document(b"a: \xff\n"), Ok(()));
    assert_eq!(annexa_engine::fuzz::rule(b"\xff"), Ok(()));
    // A dispositions file is read as UTF-8 text, so other bytes never reach its readers.
    assert_eq!(annexa_engine::fuzz::dispositions(b"version: 1\n\xff"), Ok(()));
    assert_eq!(annexa_engine::fuzz::dispositions(b"version: 1\ndispositions: []\nwaivers: []\n"), Ok(()));
}
