//! Criterion benches of the hot paths, so a regression shows up in review:
//! parse and index one document; validate one against the AISystem schema;
//! one rule reading one field across document sizes (flat: documents reach
//! scripts without a deep copy); the built-in rules and the 12 benchmark
//! policies over 1,000 generated documents.
//!
//! `cargo bench --bench engine` (add `-- --quick` for a fast pass).

use std::path::Path;
use std::sync::Arc;

use annexa_engine::document::{self, Format, LoadOptions};
use annexa_engine::eval::{self, Input, ScanOptions};
use annexa_engine::rules::{self, Rule, RuleSource};
use annexa_engine::script::Limits;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

mod generate;

fn rules_from(dir: &Path) -> Vec<Rule> {
    let (sources, errors) = rules::read_dir(dir);
    assert!(errors.is_empty(), "{errors:?}");
    let set = rules::load(sources, &Limits::default());
    assert!(set.errors.is_empty(), "{:?}", set.errors);
    set.rules
}

fn scan_all(rules: &[Rule], docs: &[String], threads: usize) -> usize {
    let inputs = docs
        .iter()
        .enumerate()
        .map(|(i, d)| Input::Bytes { display: format!("d{i}.yaml"), format: Format::Yaml, bytes: d.as_bytes().into() })
        .collect();
    let mut options = ScanOptions::new(jiff::civil::date(2025, 7, 1));
    options.threads = threads;
    let mut findings = 0;
    eval::scan(rules, inputs, &options, &mut |r| {
        findings += r.outcomes.iter().map(|o| o.findings.len()).sum::<usize>();
        Ok(())
    })
    .unwrap_or_default();
    findings
}

fn parse_and_index(c: &mut Criterion) {
    let doc = generate::document(7, 3);
    let mut group = c.benchmark_group("parse");
    group.throughput(Throughput::Bytes(doc.len() as u64));
    group.bench_function(format!("one document ({} bytes)", doc.len()), |b| {
        b.iter(|| document::load_bytes(doc.as_bytes().to_vec(), "d.yaml", Format::Yaml, &LoadOptions::default()).documents.len())
    });
    group.finish();
}

fn schema_validation(c: &mut Criterion) {
    let text = generate::document(7, 3);
    let loaded = document::load_bytes(text.into_bytes(), "d.yaml", Format::Yaml, &LoadOptions::default());
    let doc = loaded.documents.into_iter().next().expect("one document");
    let validator = annexa_engine::schema::validator_for_kind("AISystem").expect("the AISystem schema");
    let mut group = c.benchmark_group("schema");
    group.bench_function(format!("validate one AISystem ({} nodes)", doc.root.count()), |b| b.iter(|| validator.validate(&doc.root).len()));
    group.finish();
}

fn one_field_across_sizes(c: &mut Criterion) {
    let rule = "const RULE = #{ id: \"B001\", title: \"t\", severity: \"low\", kinds: [\"*\"], controls: #{ iso42001: [\"A.6.2.6\"] }, remediation: \"r\" };\nfn check(doc) { if doc.get(\"spec.risk.tier\") == \"high\" { doc.fail(\"spec.risk.tier\", \"x\"); } }\n";
    let set = rules::load(vec![RuleSource { path: "b.rhai".into(), text: Arc::from(rule) }], &Limits::default());
    let rule = &set.rules[0];
    let mut group = c.benchmark_group("one rule, one field");
    for (label, scale) in [("small", 1), ("medium", 10), ("large", 100)] {
        let text = generate::document(3, scale);
        let loaded = document::load_bytes(text.into_bytes(), "d.yaml", Format::Yaml, &LoadOptions::default());
        let doc = Arc::new(loaded.documents.into_iter().next().expect("one document"));
        let id = BenchmarkId::from_parameter(format!("{label} ({} nodes)", doc.root.count()));
        group.bench_with_input(id, &doc, |b, doc| b.iter(|| eval::evaluate_one(rule, doc, jiff::civil::date(2025, 7, 1)).findings.len()));
    }
    group.finish();
}

fn packs_over_1000_documents(c: &mut Criterion) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let docs: Vec<String> = (0..1000).map(|i| generate::document(i, 1)).collect();
    let mut group = c.benchmark_group("1,000 documents");
    group.sample_size(10);
    group.throughput(Throughput::Elements(docs.len() as u64));
    for (label, dir) in [("built-in aisystem pack", "rules/aisystem"), ("12 benchmark policies", "benches/policies")] {
        let rules = rules_from(&root.join(dir));
        for threads in [1, 2] {
            group.bench_function(format!("{label}, {threads} thread(s)"), |b| b.iter(|| scan_all(&rules, &docs, threads)));
        }
    }
    group.finish();
}

criterion_group!(benches, parse_and_index, schema_validation, one_field_across_sizes, packs_over_1000_documents);
criterion_main!(benches);
