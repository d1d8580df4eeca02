//! OSCAL assessment-results (OSCAL 1.2.3 JSON) for GRC tools: one result for
//! the scan; each system a component; each evaluated outcome an observation
//! with its evidence (the input file and the rule source, with digests);
//! each assessed Annex A control a finding, satisfied when implemented.
//!
//! Output is deterministic: UUIDs are derived from names (BLAKE3, shaped as
//! version 5 UUIDs) and times from `--now`, so the same inputs and rules give
//! the same bytes. Control ids are qualified by standard (`iso42001-A.5.2`),
//! since there is no published OSCAL catalog for either standard to point at.

use std::io::{self, Write};

use serde::ser::SerializeSeq;
use serde::Serialize;
use serde_json::{json, Value};

use super::{Audit, ControlStatus, STANDARDS};

/// The OSCAL version whose schema the output is validated against.
pub const OSCAL_VERSION: &str = "1.2.3";

/// Namespace of annexa's own properties.
pub const NS: &str = "urn:annexa:oscal";

/// A stable UUID for `name`, shaped as a version 5 UUID.
pub fn uuid(name: &str) -> String {
    let hash = blake3::hash(name.as_bytes());
    let mut b: [u8; 16] = [0; 16];
    b.copy_from_slice(hash.as_bytes().get(..16).unwrap_or(&[0; 16]));
    if let Some(v) = b.get_mut(6) {
        *v = (*v & 0x0f) | 0x50;
    }
    if let Some(v) = b.get_mut(8) {
        *v = (*v & 0x3f) | 0x80;
    }
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        hex.get(0..8).unwrap_or_default(),
        hex.get(8..12).unwrap_or_default(),
        hex.get(12..16).unwrap_or_default(),
        hex.get(16..20).unwrap_or_default(),
        hex.get(20..32).unwrap_or_default()
    )
}

/// An OSCAL token for a control: `iso42001-A.5.2`.
pub fn control_token(standard: &str, id: &str) -> String {
    format!("{standard}-{id}")
}

fn prop(name: &str, value: &str) -> Value {
    json!({"name": name, "ns": NS, "value": value})
}

/// Writes the assessment-results document.
pub fn write(audit: &Audit, out: &mut dyn Write) -> io::Result<()> {
    let time = format!("{}T00:00:00Z", audit.now);

    let components: Vec<Value> = audit
        .systems
        .iter()
        .map(|s| {
            json!({
                "uuid": uuid(&format!("system:{}", s.name)),
                "type": "software",
                "title": s.name,
                "description": format!("{} described in {}", s.kind, s.documents.join(", ")),
                "props": [prop("kind", &s.kind)],
                "status": {"state": "operational"},
            })
        })
        .collect();

    let mut findings = Vec::new();
    let mut reviewed = Vec::new();
    for standard in STANDARDS {
        for c in audit.controls_of(standard) {
            let token = control_token(&c.standard, &c.id);
            if c.applicable {
                reviewed.push(json!({"control-id": token}));
            }
            if !c.applicable || c.status == ControlStatus::NotAssessed {
                continue;
            }
            let related: Vec<Value> = c
                .systems
                .iter()
                .flat_map(|s| s.passed.iter().chain(&s.not_passed))
                .map(|id| json!({"observation-uuid": uuid(&format!("outcome:{id}"))}))
                .collect();
            let satisfied = c.status == ControlStatus::Implemented;
            let mut props = vec![prop("status", c.status.as_str())];
            if let Some(due) = &c.reassess_due {
                props.push(prop("reassess-due", due));
            }
            findings.push(json!({
                "uuid": uuid(&format!("finding:{token}")),
                "title": format!("{} {}", c.id, c.title),
                "description": format!(
                    "{} is {} on {} of {} assessed systems.",
                    c.qualified(), c.status.label(), c.implemented_systems, c.systems.len()
                ),
                "props": props,
                "target": {
                    "type": "objective-id",
                    "target-id": token,
                    "status": {"state": if satisfied { "satisfied" } else { "not-satisfied" }},
                },
                "related-observations": related,
            }));
        }
    }

    let mut resources: Vec<Value> = audit
        .rules
        .iter()
        .map(|r| {
            json!({
                "uuid": rule_resource(&r.id),
                "title": format!("Rule {}: {}", r.id, r.title),
                "props": [prop("blake3", &r.blake3)],
                "rlinks": [{"href": r.source, "hashes": [{"algorithm": "SHA-256", "value": r.sha256}]}],
            })
        })
        .collect();
    resources.extend(audit.inputs.iter().map(|i| {
        json!({
            "uuid": input_resource(&i.path),
            "title": format!("Input {}", i.path),
            "props": [prop("blake3", i.blake3.as_deref().unwrap_or_default())],
            "rlinks": [{"href": i.path, "hashes": [{"algorithm": "SHA-256", "value": i.sha256}]}],
        })
    }));

    let mut result = json!({
        "uuid": uuid(&format!("result:{}", audit.now)),
        "title": "annexa scan",
        "description": format!(
            "Rules evaluated by {} {} over {} systems, mapped to ISO/IEC 42001 and ISO/IEC 27001:2022 Annex A controls.",
            audit.tool, audit.version, audit.systems.len()
        ),
        "start": time,
        "end": time,
        "reviewed-controls": {"control-selections": [{"include-controls": reviewed}]},
    });
    if let Some(map) = result.as_object_mut() {
        if !components.is_empty() {
            map.insert("local-definitions".into(), json!({"components": components}));
        }
    }
    let document = Document {
        assessment_results: Results {
            uuid: uuid(&format!("assessment-results:{}:{}", audit.now, audit.inputs.len())),
            metadata: json!({
                "title": "annexa assessment results",
                "last-modified": time,
                "version": audit.version,
                "oscal-version": OSCAL_VERSION,
                "props": [prop("evaluation-date", &audit.now)],
            }),
            import_ap: json!({"href": "#"}),
            results: [OneResult { head: result, observations: Observations(audit), findings }],
            back_matter: (!resources.is_empty()).then(|| json!({"resources": resources})),
        },
    };
    serde_json::to_writer_pretty(&mut *out, &document).map_err(io::Error::other)?;
    writeln!(out)
}

// The document's shape, so observations (one per outcome) are written as
// they are made instead of held in memory all at once.
#[derive(Serialize)]
struct Document<'a> {
    #[serde(rename = "assessment-results")]
    assessment_results: Results<'a>,
}

#[derive(Serialize)]
struct Results<'a> {
    uuid: String,
    metadata: Value,
    #[serde(rename = "import-ap")]
    import_ap: Value,
    results: [OneResult<'a>; 1],
    #[serde(rename = "back-matter", skip_serializing_if = "Option::is_none")]
    back_matter: Option<Value>,
}

#[derive(Serialize)]
struct OneResult<'a> {
    #[serde(flatten)]
    head: Value,
    #[serde(skip_serializing_if = "Observations::is_empty")]
    observations: Observations<'a>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    findings: Vec<Value>,
}

struct Observations<'a>(&'a Audit);

impl Observations<'_> {
    fn is_empty(&self) -> bool {
        !self.0.outcomes.iter().any(|o| o.counts().is_some())
    }
}

impl Serialize for Observations<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(None)?;
        for o in self.0.outcomes.iter().filter(|o| o.counts().is_some()) {
            seq.serialize_element(&observation(self.0, o))?;
        }
        seq.end()
    }
}

fn input_resource(path: &str) -> String {
    uuid(&format!("input:{path}"))
}

fn rule_resource(rule: &str) -> String {
    uuid(&format!("rule:{rule}"))
}

/// The file part of an outcome id (`file#document/RULE`).
fn file_of(outcome_id: &str) -> &str {
    outcome_id.rsplit_once('#').map_or(outcome_id, |(f, _)| f)
}

/// One counted outcome as an observation, with its evidence.
fn observation(audit: &Audit, o: &super::OutcomeRecord) -> Value {
    let time = format!("{}T00:00:00Z", audit.now);
    let mut evidence = vec![
        json!({
            "href": format!("#{}", input_resource(file_of(&o.id))),
            "description": format!("the document the rule {} evaluated", o.rule),
        }),
        json!({
            "href": format!("#{}", rule_resource(&o.rule)),
            "description": format!("the source of rule {}", o.rule),
        }),
    ];
    for r in &o.references {
        evidence.push(json!({
            "href": format!("#{}", input_resource(file_of(&o.id))),
            "description": format!("{} = {} at {}", r.path, r.value, r.at),
        }));
    }
    let mut props = vec![prop("outcome-id", &o.id), prop("status", o.status.as_str()), prop("fingerprint", &o.fingerprint)];
    if let Some(due) = &o.reassess_due {
        props.push(prop("reassess-due", due));
    }
    json!({
        "uuid": uuid(&format!("outcome:{}", o.id)),
        "title": format!("{} on {}", o.rule, o.system),
        "description": format!("Rule {} evaluated {}: {} ({} findings).", o.rule, o.id, o.status.as_str(), o.findings),
        "props": props,
        "methods": ["TEST"],
        "types": ["finding"],
        "subjects": [{"subject-uuid": uuid(&format!("system:{}", o.system)), "type": "component"}],
        "relevant-evidence": evidence,
        "collected": time,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_are_stable_and_version_5_shaped() {
        let a = uuid("outcome:x");
        assert_eq!(a, uuid("outcome:x"));
        assert_ne!(a, uuid("outcome:y"));
        let re = regex::Regex::new("^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$").unwrap();
        assert!(re.is_match(&a), "{a}");
    }
}
