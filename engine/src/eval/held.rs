//! File results held while a corpus scan reads the remaining files: corpus
//! rules see every document at once, so no file's result is complete before
//! the last file is read. Most outcomes are only a verdict (no finding, no
//! error, no log); those are held as a rule number, a status and the
//! fingerprint's bytes, 32 bytes instead of an `Outcome` with two strings,
//! and rebuilt exactly when the file is handed on.

use std::collections::HashMap;

use crate::document::canonical::hex_digit;
use crate::document::InputError;
use crate::report::{DocumentInfo, FileResult, Outcome, Status};
use crate::rules::Rule;

/// A file's result while it waits for the corpus rules.
pub struct HeldFile {
    pub path: String,
    documents: Vec<DocumentInfo>,
    errors: Vec<InputError>,
    outcomes: Vec<Held>,
}

enum Held {
    Verdict { rule: u32, document: u32, status: Status, fingerprint: [u8; 16] },
    Full(Box<Outcome>),
}

/// Holds and releases the results of one scan's document rules.
pub struct Holder<'r> {
    rules: &'r [&'r Rule],
    numbers: HashMap<&'r str, u32>,
}

impl<'r> Holder<'r> {
    pub fn new(rules: &'r [&'r Rule]) -> Self {
        let numbers = rules.iter().enumerate().filter_map(|(i, r)| Some((r.id.as_str(), u32::try_from(i).ok()?))).collect();
        Holder { rules, numbers }
    }

    pub fn hold(&self, result: FileResult) -> HeldFile {
        let FileResult { path, documents, outcomes, errors } = result;
        HeldFile { path, documents, errors, outcomes: outcomes.into_iter().map(|o| self.hold_outcome(o)).collect() }
    }

    pub fn release(&self, held: HeldFile) -> FileResult {
        let HeldFile { path, documents, errors, outcomes } = held;
        FileResult { path, documents, errors, outcomes: outcomes.into_iter().filter_map(|o| self.release_outcome(o)).collect() }
    }

    fn hold_outcome(&self, outcome: Outcome) -> Held {
        let verdict_only = outcome.findings.is_empty()
            && outcome.error.is_none()
            && outcome.logs.is_empty()
            && outcome.evidence.is_none()
            && outcome.disposition.is_none();
        let compact = || {
            Some(Held::Verdict {
                rule: *self.numbers.get(outcome.rule.as_str())?,
                document: u32::try_from(outcome.document).ok()?,
                status: outcome.status,
                fingerprint: from_hex(&outcome.fingerprint)?,
            })
        };
        match verdict_only.then(compact).flatten() {
            Some(held) => held,
            None => Held::Full(Box::new(outcome)),
        }
    }

    fn release_outcome(&self, held: Held) -> Option<Outcome> {
        match held {
            Held::Full(outcome) => Some(*outcome),
            Held::Verdict { rule, document, status, fingerprint } => Some(Outcome {
                rule: self.rules.get(usize::try_from(rule).ok()?)?.id.clone(),
                document: usize::try_from(document).ok()?,
                status,
                findings: Vec::new(),
                error: None,
                logs: Vec::new(),
                fingerprint: to_hex(&fingerprint),
                evidence: None,
                disposition: None,
            }),
        }
    }
}

/// The 16 bytes of a 32-digit lower-case hex fingerprint; `None` for any
/// other text, which is then held as it is.
fn from_hex(text: &str) -> Option<[u8; 16]> {
    let digits = text.as_bytes();
    if digits.len() != 32 {
        return None;
    }
    let value = |d: u8| match d {
        b'0'..=b'9' => Some(d - b'0'),
        b'a'..=b'f' => Some(d - b'a' + 10),
        _ => None,
    };
    let mut bytes = [0u8; 16];
    for (byte, pair) in bytes.iter_mut().zip(digits.chunks_exact(2)) {
        let [high, low] = pair else { return None };
        *byte = (value(*high)? << 4) | value(*low)?;
    }
    Some(bytes)
}

fn to_hex(bytes: &[u8; 16]) -> String {
    bytes.iter().flat_map(|b| [char::from(hex_digit(b >> 4)), char::from(hex_digit(b & 0x0f))]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{Finding, ScriptError};

    fn outcome(rule: &str, fingerprint: &str) -> Outcome {
        Outcome {
            rule: rule.into(),
            document: 3,
            status: Status::Pass,
            findings: Vec::new(),
            error: None,
            logs: Vec::new(),
            fingerprint: fingerprint.into(),
            evidence: None,
            disposition: None,
        }
    }

    #[test]
    fn every_outcome_comes_back_exactly_and_only_verdicts_are_compacted() {
        let set = crate::rules::load(
            ["A001", "B002"]
                .iter()
                .map(|id| crate::rules::RuleSource {
                    path: format!("{id}.rhai"),
                    text: format!("const RULE = #{{ id: \"{id}\", title: \"t\", severity: \"low\", kinds: [\"*\"], controls: #{{ iso42001: [\"A.9.2\"] }}, remediation: \"r\" }};\nfn check(doc) {{}}\n").into(),
                })
                .collect(),
            &crate::script::Limits::default(),
        );
        assert!(set.errors.is_empty(), "{:?}", set.errors);
        let rules: Vec<&Rule> = set.rules.iter().collect();
        let holder = Holder::new(&rules);

        let verdict = outcome("B002", "0123456789abcdef0123456789abcdef");
        let mut failed = outcome("A001", "fedcba98765432100123456789abcdef");
        failed.status = Status::Fail;
        failed.findings.push(Finding {
            path: "spec.a".into(),
            located_at: None,
            region: Default::default(),
            message: "m".into(),
            snippet: None,
        });
        let mut errored = outcome("A001", "");
        errored.status = Status::Error;
        errored.error = Some(ScriptError { message: "boom".into(), rule_position: None });
        let logged = Outcome { logs: vec!["hello".into()], ..outcome("B002", "00000000000000000000000000000000") };
        let unknown_rule = outcome("Z999", "0123456789abcdef0123456789abcdef");
        let upper_hex = outcome("A001", "0123456789ABCDEF0123456789ABCDEF");
        let all = vec![verdict, failed, errored, logged, unknown_rule, upper_hex];

        let result = FileResult { path: "f.yaml".into(), documents: Vec::new(), outcomes: all.clone(), errors: Vec::new() };
        let held = holder.hold(result);
        let compacted: Vec<bool> = held.outcomes.iter().map(|h| matches!(h, Held::Verdict { .. })).collect();
        assert_eq!(compacted, [true, false, false, false, false, false]);
        assert_eq!(holder.release(held).outcomes, all);
    }

    #[test]
    fn hex_round_trips_and_rejects_what_is_not_a_fingerprint() {
        let bytes = from_hex("00ff10a0b1c2d3e4f5061728394a5b6c").unwrap();
        assert_eq!(to_hex(&bytes), "00ff10a0b1c2d3e4f5061728394a5b6c");
        for bad in ["", "00ff", "00ff10a0b1c2d3e4f5061728394a5b6g", "00ff10a0b1c2d3e4f5061728394a5b6c00"] {
            assert_eq!(from_hex(bad), None, "{bad}");
        }
    }
}
