//! The evidence of one verdict: every path the rule read and every path it
//! watches (`reassess.on_change`, wildcards expanded), with the value there.
//! The fingerprint hashes it canonically; the dispositions file keeps the
//! values themselves (canonical JSON) so a change can be shown as old → new.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::sync::Arc;

use crate::document::path::{self, Segments};
use crate::document::{canonical, Document, Node, Value};
use crate::fxhash::FxBuild;
use crate::rules::Rule;
use crate::script::context::Context;

/// Canonical path → canonical JSON of the value there (`None`: the path does not exist).
pub type Evidence = BTreeMap<String, Option<String>>;

/// Which outcomes of a scan keep their watched values. Copying them costs
/// time, so a scan keeps them only where the dispositions file needs them.
#[derive(Clone, Debug, Default)]
pub enum EvidenceMode {
    /// None: a scan without dispositions.
    #[default]
    None,
    /// Every outcome.
    All,
    /// Every outcome except those whose fingerprint equals every fingerprint
    /// recorded for its (system, rule): nothing changed there, so nothing
    /// needs to be shown or written anew.
    Changed(Arc<HashMap<(String, String), Vec<String>>>),
    /// As `Changed`, with the fingerprints looked up in an indexed file.
    ChangedFromIndex(Arc<super::Index>),
}

impl EvidenceMode {
    pub fn wants(&self, system: &str, rule: &str, fingerprint: &str) -> bool {
        match self {
            EvidenceMode::None => false,
            EvidenceMode::All => true,
            EvidenceMode::Changed(known) => {
                // Allocation-free lookup would need a borrowed key type; this runs once per outcome.
                known.get(&(system.to_string(), rule.to_string())).is_none_or(|recorded| recorded.iter().any(|f| f != fingerprint))
            }
            EvidenceMode::ChangedFromIndex(index) => {
                let mut recorded = index.fingerprints(system, rule).peekable();
                recorded.peek().is_none() || recorded.any(|f| f != fingerprint)
            }
        }
    }
}

/// One watched path and the node there (`None` where the path does not exist).
#[derive(Debug)]
pub struct Watched<'a> {
    pub path: &'a Segments,
    pub found: Option<&'a Node>,
}

/// The concrete paths a rule's `reassess.on_change` names in `doc`
/// (wildcards expanded), for `watched`.
pub fn expand_watches(rule: &Rule, doc: &Document) -> Vec<Segments> {
    rule.watches.iter().flat_map(|watched| path::expand(&doc.root, watched)).map(|(p, _)| p).collect()
}

/// The watched paths of one evaluation (what the rule read, and `expanded`
/// from `expand_watches`), sorted and without duplicates, with their nodes.
/// A path read and also watched counts once; a path inside another watched
/// path is covered by it.
pub fn watched<'a>(doc: &'a Document, slot: usize, ctx: &'a Context, expanded: &'a [Segments]) -> Vec<Watched<'a>> {
    let mut paths: Vec<&'a Segments> = ctx.reads.iter().filter(|r| r.slot == slot).map(|r| &*r.path).chain(expanded).collect();
    // Sorted by path, never by source order: a `[*]` over a map expands in the
    // order keys are written, and key order must not change the fingerprint.
    // Equal paths are interchangeable, so an unstable sort will do.
    paths.sort_unstable();
    // A path under another watched path adds nothing: the ancestor's value
    // holds it (present or absent). Sorted, an ancestor comes right before
    // all of its descendants, so comparing with the last kept path is enough.
    let mut kept: Vec<Watched<'a>> = Vec::with_capacity(paths.len());
    for path in paths {
        if !kept.last().is_some_and(|ancestor| path.starts_with(ancestor.path)) {
            kept.push(Watched { path, found: doc.root.get(path) });
        }
    }
    kept
}

thread_local! {
    /// The bytes of the last fingerprint and its last path, kept so the next
    /// one reuses the allocations.
    static ENCODED: Cell<(Vec<u8>, String)> = const { Cell::new((Vec::new(), String::new())) };
    /// The digests of the large values of the document last fingerprinted on
    /// this thread, by node address: the rules of one document read the same
    /// lists (`spec.models`, `spec.tools`), and each is encoded and hashed
    /// once. Keyed by the document's serial, so a new document, or a freed
    /// one whose memory is reused, never finds another's digests.
    static DIGESTS: RefCell<(u64, NodeDigests)> = RefCell::default();
}

/// Digests by node address, within one document.
type NodeDigests = HashMap<usize, [u8; 32], FxBuild>;

/// Values up to this many bytes (in the canonical encoding) are hashed as
/// they are; larger ones by their own BLAKE3 digest, computed once per document.
const RAW_UP_TO: usize = 64;

/// BLAKE3 over the rule's source hash and each watched (path, value) pair.
/// Values hash canonically, so layout, key order, comments and the file's
/// location do not count; each path is length-prefixed so no two different
/// evidence sets feed the hasher the same bytes. A value larger than
/// `RAW_UP_TO` bytes enters as `#` and its digest (`#` cannot start a
/// value, so the two forms never meet).
pub fn fingerprint(rule: &Rule, doc: &Document, watched: &[Watched]) -> String {
    // Encoded into one buffer and hashed in one call (BLAKE3 pays per call).
    let (mut encoded, mut rendered) = ENCODED.take();
    encoded.clear();
    encoded.extend_from_slice(rule.source_hash.as_bytes());
    DIGESTS.with(|memo| {
        let mut memo = memo.borrow_mut();
        let (last_doc, digests) = &mut *memo;
        if *last_doc != doc.serial() {
            *last_doc = doc.serial();
            digests.clear();
        }
        for w in watched {
            rendered.clear();
            path::render_into(w.path, &mut rendered);
            encoded.extend_from_slice(&(rendered.len() as u64).to_le_bytes());
            encoded.extend_from_slice(rendered.as_bytes());
            let Some(node) = w.found else {
                // A missing value is evidence too (`n` is null; `-` cannot start a value).
                encoded.push(b'-');
                continue;
            };
            let address = std::ptr::from_ref(node) as usize;
            if let Some(digest) = digests.get(&address) {
                encoded.push(b'#');
                encoded.extend_from_slice(digest);
                continue;
            }
            let start = encoded.len();
            node.encode_canonical(&mut encoded);
            if let Some(bytes) = encoded.get(start..).filter(|b| b.len() > RAW_UP_TO) {
                let digest = *blake3::hash(bytes).as_bytes();
                digests.insert(address, digest);
                encoded.truncate(start);
                encoded.push(b'#');
                encoded.extend_from_slice(&digest);
            }
        }
    });
    let digest = canonical::short_digest(&encoded);
    ENCODED.set((encoded, rendered));
    digest
}

/// The watched values themselves, for the dispositions file.
pub fn values(watched: &[Watched]) -> Evidence {
    watched.iter().map(|w| (path::render(w.path), w.found.map(canonical_json))).collect()
}

/// Compact JSON with map keys sorted: equal values give equal text whatever
/// their layout or key order.
pub fn canonical_json(node: &Node) -> String {
    let mut out = String::new();
    write_json(&node.value, &mut out);
    out
}

fn write_json(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Float(f) => match serde_json::Number::from_f64(*f) {
            Some(n) => {
                let _ = write!(out, "{n}");
            }
            // JSON has no NaN or infinity: write them as YAML spells them, quoted.
            None if f.is_nan() => out.push_str("\".nan\""),
            None if *f > 0.0 => out.push_str("\".inf\""),
            None => out.push_str("\"-.inf\""),
        },
        Value::Str(s) => write_string(s, out),
        Value::Seq(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(&item.value, out);
            }
            out.push(']');
        }
        Value::Map(entries) => {
            let mut sorted: Vec<_> = entries.iter().collect();
            sorted.sort_by(|a, b| a.0.cmp(&b.0));
            out.push('{');
            for (i, (key, node)) in sorted.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(key, out);
                out.push(':');
                write_json(&node.value, out);
            }
            out.push('}');
        }
    }
}

fn write_string(s: &str, out: &mut String) {
    out.push_str(&serde_json::Value::String(s.to_string()).to_string());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::{load_bytes, Format, LoadOptions};

    fn root(text: &str) -> Node {
        load_bytes(text.as_bytes().to_vec(), "x.yaml", Format::Yaml, &LoadOptions::default()).documents.remove(0).root
    }

    #[test]
    fn canonical_json_sorts_keys_and_ignores_layout() {
        let a = root("b: [1, 2.5, \"x\"]\na: {d: null, c: true}\n");
        let b = root("# comment\na:\n  c: true\n  d: ~\nb:\n  - 1\n  - 2.5\n  - x\n");
        assert_eq!(canonical_json(&a), r#"{"a":{"c":true,"d":null},"b":[1,2.5,"x"]}"#);
        assert_eq!(canonical_json(&a), canonical_json(&b));
        assert_eq!(canonical_json(&root("s: \"quote \\\" and é\"\n")), r#"{"s":"quote \" and é"}"#);
    }
}

/// The claims behind fingerprints, checked through real evaluations: what a
/// rule reads and watches counts; layout, key order, comments, the file's
/// location and values nobody looks at do not; the rule's source does.
#[cfg(test)]
mod fingerprint_tests {
    use std::sync::Arc;

    use super::{canonical_json, EvidenceMode, Watched};
    use crate::document::{Document, Format, Node, Value};
    use crate::eval::{scan, Input, ScanOptions};
    use crate::report::Outcome;
    use crate::rules::{load, RuleSource};
    use crate::script::Limits;

    const RULE: &str = r#"
const RULE = #{
    id: "T001", title: "Models are pinned", severity: "high", kinds: ["AISystem"],
    controls: #{ iso42001: ["A.6.2.2"] },
    reassess: #{ on_change: ["spec.models[*].provider", "metadata.labels[*]"], every: "90d" },
    remediation: "Pin every model version.",
};
fn check(doc) {
    for (m, i) in doc.list("spec.models") {
        if m.version == () { doc.fail(`spec.models[${i}].version`, "not pinned"); }
    }
    if doc.has("spec.owner") { let o = doc.get("spec.owner"); }
}
"#;

    const BASE: &str = "apiVersion: annexa/v1\nkind: AISystem\nmetadata:\n  name: bot\n  labels: {env: prod, region: eu}\nspec:\n  purpose: answers questions\n  models:\n    - {name: m, provider: openai, version: '1'}\n";

    fn outcome_with(rule: &str, text: &str, file: &str) -> Outcome {
        let set = load(vec![RuleSource { path: "t/T001.rhai".into(), text: Arc::from(rule) }], &Limits::default());
        assert!(set.errors.is_empty(), "{:?}", set.errors);
        let mut options = ScanOptions::new(jiff::civil::date(2025, 6, 1));
        options.evidence = EvidenceMode::All;
        let input = Input::Bytes { display: file.into(), format: Format::Yaml, bytes: text.as_bytes().into() };
        let mut outcomes = Vec::new();
        scan(&set.rules, vec![input], &options, &mut |r| {
            outcomes.append(&mut r.outcomes);
            Ok(())
        })
        .unwrap();
        outcomes.remove(0)
    }

    fn outcome(text: &str) -> Outcome {
        outcome_with(RULE, text, "systems/bot.yaml")
    }

    #[test]
    fn layout_key_order_comments_and_file_moves_do_not_count() {
        let base = outcome(BASE);
        let reformatted = "# moved and reformatted\nspec:\n  models:\n  - version: '1'\n    provider: openai\n    name: m\n  purpose: answers questions\nmetadata:\n  labels:\n    region: eu   # a comment\n    env: prod\n  name: bot\nkind: AISystem\napiVersion: annexa/v1\n";
        let moved = outcome_with(RULE, reformatted, "elsewhere/renamed.yaml");
        assert_eq!(base.fingerprint, moved.fingerprint);
        assert_eq!(base.evidence, moved.evidence);
    }

    #[test]
    fn read_and_watched_values_count_unread_ones_do_not() {
        let base = outcome(BASE);
        let unread = outcome(&BASE.replace("answers questions", "answers other questions"));
        assert_eq!(base.fingerprint, unread.fingerprint, "spec.purpose is neither read nor watched");
        let read = outcome(&BASE.replace("version: '1'", "version: '2'"));
        assert_ne!(base.fingerprint, read.fingerprint, "spec.models is read");
        let watched_only = outcome(&BASE.replace("env: prod", "env: dev"));
        assert_ne!(base.fingerprint, watched_only.fingerprint, "metadata.labels[*] is watched though never read");
        let appeared = outcome(&BASE.replace("spec:\n", "spec:\n  owner: me\n"));
        assert_ne!(base.fingerprint, appeared.fingerprint, "a value appearing at a read path counts");
        let evidence = base.evidence.unwrap();
        assert_eq!(evidence.get("spec.owner"), Some(&None), "an absent value read by has() is evidence");
        assert_eq!(evidence.get("metadata.labels.env").cloned().flatten().as_deref(), Some("\"prod\""));
        assert_eq!(evidence.get("spec.models[0].provider"), None, "covered by spec.models, which the rule read whole");
        assert!(evidence.get("spec.models").cloned().flatten().unwrap().contains("\"provider\":\"openai\""));
    }

    #[test]
    fn a_large_value_enters_by_its_digest_once_per_document() {
        let reader = RULE
            .replace("if doc.has(\"spec.owner\") { let o = doc.get(\"spec.owner\"); }", "")
            .replace("reassess: #{ on_change: [\"spec.models[*].provider\", \"metadata.labels[*]\"], every: \"90d\" },", "");
        // A second rule reading the same list: on each document it finds the first one's digest in the memo.
        let second = reader.replace("\"T001\"", "\"T002\"");
        let models = "    - {name: a-model-with-a-long-name, provider: openai, version: '1'}\n    - {name: another-model-with-a-long-name, provider: anthropic, version: '2'}\n";
        let big = BASE.replace("    - {name: m, provider: openai, version: '1'}\n", models);
        let other = big.replace("anthropic", "anthropix");

        // Expected, by the documented definition: source hash, then the
        // length-prefixed path, then `#` and BLAKE3 of the value's canonical bytes.
        let root =
            crate::document::load_bytes(big.as_bytes().to_vec(), "x.yaml", Format::Yaml, &Default::default()).documents.remove(0).root;
        let mut value = Vec::new();
        root.get(&crate::document::path::parse("spec.models").unwrap()).unwrap().encode_canonical(&mut value);
        assert!(value.len() > super::RAW_UP_TO, "the list is large enough to be digested");
        let expected = |source: &str| {
            let mut fed = blake3::hash(source.as_bytes()).to_hex().get(..32).unwrap().as_bytes().to_vec();
            fed.extend_from_slice(&11u64.to_le_bytes());
            fed.extend_from_slice(b"spec.models");
            fed.push(b'#');
            fed.extend_from_slice(blake3::hash(&value).as_bytes());
            crate::document::canonical::short_digest(&fed)
        };

        // One thread, three documents in turn, two rules on each.
        let sources = [("t/T001.rhai", &reader), ("t/T002.rhai", &second)];
        let set = load(
            sources.iter().map(|(path, text)| RuleSource { path: (*path).into(), text: Arc::from(text.as_str()) }).collect(),
            &Limits::default(),
        );
        assert!(set.errors.is_empty(), "{:?}", set.errors);
        let mut options = ScanOptions::new(jiff::civil::date(2025, 6, 1));
        options.threads = 1;
        let inputs = [&big, &other, &big]
            .iter()
            .enumerate()
            .map(|(i, text)| Input::Bytes { display: format!("{i}.yaml"), format: Format::Yaml, bytes: text.as_bytes().into() })
            .collect();
        let mut fingerprints = Vec::new();
        scan(&set.rules, inputs, &options, &mut |r| {
            fingerprints.extend(r.outcomes.drain(..).map(|o| (o.rule, o.fingerprint)));
            Ok(())
        })
        .unwrap();
        let of = |file: usize, rule: usize| fingerprints.get(file * 2 + rule).map(|(id, f)| (id.as_str(), f.as_str()));
        for file in [0, 2] {
            assert_eq!(of(file, 0), Some(("T001", expected(&reader).as_str())), "file {file}");
            assert_eq!(of(file, 1), Some(("T002", expected(&second).as_str())), "file {file}, digest from the memo");
        }
        assert_ne!(of(1, 0).map(|(_, f)| f), Some(expected(&reader).as_str()), "a provider changed inside the digested list");
        assert_ne!(of(1, 1).map(|(_, f)| f), Some(expected(&second).as_str()));
    }

    #[test]
    fn the_memo_never_serves_another_document_at_the_same_address() {
        let set = load(vec![RuleSource { path: "t/T001.rhai".into(), text: Arc::from(RULE) }], &Limits::default());
        let rule = set.rules.first().unwrap();
        let models = "    - {name: a-model-with-a-long-name, provider: openai, version: '1'}\n";
        let text = BASE.replace("    - {name: m, provider: openai, version: '1'}\n", models);
        let mut first = crate::document::load_bytes(text.into_bytes(), "x.yaml", Format::Yaml, &Default::default()).documents.remove(0);
        let models = crate::document::path::parse("spec.models").unwrap();
        let fingerprint_of = |doc: &Document| {
            let found = doc.root.get(&models);
            assert!(found.is_some_and(|n| canonical_json(n).len() > super::RAW_UP_TO));
            (found.map(|n| std::ptr::from_ref(n) as usize), super::fingerprint(rule, doc, &[Watched { path: &models, found }]))
        };
        let (address, before) = fingerprint_of(&first);

        // The same tree, edited in place and described again: a new document
        // whose list lies where the first one's did, as a freed document's
        // memory can be reused for the next.
        fn rename(node: &mut Node) {
            match &mut node.value {
                Value::Str(s) if &**s == "openai" => *s = "anthropic".into(),
                Value::Map(entries) => entries.iter_mut().for_each(|(_, n)| rename(n)),
                Value::Seq(items) => items.iter_mut().for_each(rename),
                _ => {}
            }
        }
        rename(&mut first.root);
        let placeholder = Node { region: first.root.region, value: Value::Null };
        let second = crate::document::describe(&first.source, 0, std::mem::replace(&mut first.root, placeholder));
        let (same_address, after) = fingerprint_of(&second);
        assert_eq!(address, same_address, "the test needs the list at the same address");
        assert_ne!(before, after, "the edited list is hashed again, not taken from the memo");
    }

    #[test]
    fn the_rule_source_counts() {
        let base = outcome(BASE);
        let edited = outcome_with(&RULE.replace("\"not pinned\"", "\"version not pinned\""), BASE, "systems/bot.yaml");
        assert_ne!(base.fingerprint, edited.fingerprint);
        assert_eq!(base.evidence, edited.evidence);
    }

    #[test]
    fn evidence_is_kept_only_when_asked() {
        let set = load(vec![RuleSource { path: "t/T001.rhai".into(), text: Arc::from(RULE) }], &Limits::default());
        let input = Input::Bytes { display: "a.yaml".into(), format: Format::Yaml, bytes: BASE.as_bytes().into() };
        let mut outcomes = Vec::new();
        scan(&set.rules, vec![input], &ScanOptions::new(jiff::civil::date(2025, 6, 1)), &mut |r| {
            outcomes.append(&mut r.outcomes);
            Ok(())
        })
        .unwrap();
        assert_eq!(outcomes[0].evidence, None);
        assert_eq!(outcomes[0].fingerprint, outcome(BASE).fingerprint, "the fingerprint does not depend on keeping evidence");
    }
}
