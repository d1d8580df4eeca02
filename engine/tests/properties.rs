//! Property tests (run in CI with `cargo test`): arbitrary YAML-ish text
//! never panics the document loader, and arbitrary rule sources and RULE
//! metadata never panic the rule compiler. Each case must end in documents
//! or located errors.

use std::sync::Arc;

use annexa_engine::document::{self, Format, LoadOptions};
use annexa_engine::rules::{self, RuleSource};
use annexa_engine::script::Limits;
use proptest::prelude::*;

/// Text built from YAML's structural pieces, so the parser sees deep, odd and broken structure, not only noise.
fn yamlish() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("- ".to_string()),
        Just(": ".to_string()),
        Just("\n".to_string()),
        Just("  ".to_string()),
        Just("[".to_string()),
        Just("]".to_string()),
        Just("{".to_string()),
        Just("}".to_string()),
        Just(", ".to_string()),
        Just("&a ".to_string()),
        Just("*a".to_string()),
        Just("<<: ".to_string()),
        Just("!!int ".to_string()),
        Just("!Tag ".to_string()),
        Just("---\n".to_string()),
        Just("\"q\\u00e9\"".to_string()),
        Just("'s'".to_string()),
        Just("|\n".to_string()),
        Just("#c\n".to_string()),
        Just("\r\n".to_string()),
        Just("\u{feff}".to_string()),
        "[a-z0-9]{1,6}",
        any::<char>().prop_map(|c| c.to_string()),
    ];
    prop::collection::vec(piece, 0..80).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn the_loader_never_panics(text in yamlish(), json in any::<bool>()) {
        let format = if json { Format::Json } else { Format::Yaml };
        let loaded = document::load_bytes(text.clone().into_bytes(), "p.yaml", format, &LoadOptions::default());
        for error in &loaded.errors {
            prop_assert!(!error.message.is_empty());
        }
        for doc in &loaded.documents {
            prop_assert!(doc.root.count() >= 1);
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic_the_loader(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let _ = document::load_bytes(bytes, "b.yaml", Format::Yaml, &LoadOptions::default());
    }

    #[test]
    fn rule_metadata_never_panics_the_compiler(
        id in prop_oneof![Just("\"R001\"".to_string()), "\"[A-Za-z0-9_ ]{0,8}\"", Just("42".to_string()), Just("()".to_string())],
        severity in prop_oneof![Just("\"high\"".to_string()), "\"[a-z]{0,6}\"", Just("[]".to_string())],
        kinds in prop_oneof![Just("[\"*\"]".to_string()), Just("[]".to_string()), Just("\"x\"".to_string()), "\\[\"[A-Za-z!]{0,5}\"\\]"],
        controls in prop_oneof![
            Just("#{ iso42001: [\"A.6.2.6\"] }".to_string()),
            Just("#{}".to_string()),
            Just("#{ nope: [\"x\"] }".to_string()),
            Just("#{ iso27001: 5 }".to_string()),
            "#\\{ iso42001: \\[\"[A0-9.]{0,6}\"\\] \\}",
        ],
        reassess in prop_oneof![Just("#{ every: \"90d\" }".to_string()), Just("#{ every: \"0x\" }".to_string()), Just("#{ on_change: [\"a..b\"] }".to_string()), Just("7".to_string())],
        body in prop_oneof![Just("fn check(doc) {}".to_string()), Just("fn check() {}".to_string()), Just("".to_string()), Just("fn check(doc) { doc.fail(\"a[\", 1) }".to_string())],
    ) {
        let text = format!("const RULE = #{{ id: {id}, title: \"t\", severity: {severity}, kinds: {kinds}, controls: {controls}, reassess: {reassess}, remediation: \"r\" }};\n{body}\n");
        let set = rules::load(vec![RuleSource { path: "r.rhai".into(), text: Arc::from(text.as_str()) }], &Limits::default());
        prop_assert_eq!(set.rules.len() + usize::from(!set.errors.is_empty()), 1, "loaded, or refused with errors: {}", text);
        for error in &set.errors {
            prop_assert!(error.position.is_some(), "every metadata error is located: {:?}", error);
        }
    }

    #[test]
    fn arbitrary_rule_sources_never_panic_the_compiler(text in "[ -~\n]{0,200}") {
        let _ = rules::load(vec![RuleSource { path: "r.rhai".into(), text: Arc::from(text.as_str()) }], &Limits::default());
    }
}
