//! Audit reports: the Statement of Applicability and readiness views built
//! from a scan's outcomes, the rules and the control catalogs. This module
//! holds the model and the status logic; `markdown`, `csv`, `html` and
//! `oscal` render it. Nothing here prints.
//!
//! Status of a control on one system (the outcomes counted are those of the
//! rules that cover the control, on that system's documents; `not_applicable`
//! outcomes are not counted, `pass` satisfies unless its disposition is due
//! for re-assessment, anything else does not):
//! - implemented: every counted outcome passes;
//! - partial: some pass, some do not;
//! - gap: none passes;
//! - not assessed: no outcome is counted (no rule covers the control, or no
//!   covering rule applies to the system).
//!
//! Status of a control over all systems, from the systems where it was assessed:
//! implemented when it is implemented on every one, gap when it is implemented
//! on none, partial otherwise; not assessed when no system was assessed.

pub mod csv;
pub mod evidence;
pub mod exclusions;
pub mod html;
pub mod markdown;
pub mod oscal;
pub mod readiness;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use rayon::prelude::*;
use serde::Serialize;

use crate::controls::catalogs;
use crate::document::discover::InputFile;
use crate::document::{self, LoadOptions};
use crate::reassess::DispositionStatus;
use crate::report::{FileResult, Status};
use crate::rules::Rule;
use evidence::Reference;
use exclusions::Exclusions;

/// Version of the audit JSON format; bumped on any incompatible change.
pub const SCHEMA_VERSION: &str = "annexa.audit/v1";

/// The standards whose Annex A controls an audit covers, in display order.
pub const STANDARDS: [&str; 2] = ["iso42001", "iso27001"];

/// How far a control is in place, derived from outcomes (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ControlStatus {
    Implemented,
    Partial,
    Gap,
    NotAssessed,
}

impl ControlStatus {
    pub const ALL: [ControlStatus; 4] =
        [ControlStatus::Implemented, ControlStatus::Partial, ControlStatus::Gap, ControlStatus::NotAssessed];

    /// The JSON and CSV spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ControlStatus::Implemented => "implemented",
            ControlStatus::Partial => "partial",
            ControlStatus::Gap => "gap",
            ControlStatus::NotAssessed => "not_assessed",
        }
    }

    /// The spelling for people.
    pub fn label(self) -> &'static str {
        match self {
            ControlStatus::Implemented => "implemented",
            ControlStatus::Partial => "partial",
            ControlStatus::Gap => "gap",
            ControlStatus::NotAssessed => "not assessed",
        }
    }

    /// From whether each counted item is satisfied: all, some, none, or nothing counted.
    pub fn combine(satisfied: impl IntoIterator<Item = bool>) -> ControlStatus {
        let (mut yes, mut no) = (0usize, 0usize);
        for s in satisfied {
            if s {
                yes += 1;
            } else {
                no += 1;
            }
        }
        match (yes, no) {
            (0, 0) => ControlStatus::NotAssessed,
            (_, 0) => ControlStatus::Implemented,
            (0, _) => ControlStatus::Gap,
            _ => ControlStatus::Partial,
        }
    }
}

/// Whether an outcome counts towards a control, and if so whether it satisfies it.
/// Matched by name so statuses added later (waived, reassess_due) count as not satisfied.
pub fn counts(status: Status) -> Option<bool> {
    match status.as_str() {
        "not_applicable" => None,
        "pass" => Some(true),
        _ => Some(false),
    }
}

/// Where an outcome's assessment date comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AssessedFrom {
    /// The dispositions file: the date someone recorded the reviewed outcome.
    Dispositions,
    /// Nothing recorded: the scan's `--now`.
    Scan,
}

/// Whether a re-assessment date has come, against the report's date.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DueState {
    Current,
    /// Due on the report's date.
    Due,
    /// Due before the report's date.
    Overdue,
}

impl DueState {
    /// Dates are `YYYY-MM-DD`, so they compare as text.
    pub fn of(due: &str, now: &str) -> DueState {
        match due.cmp(now) {
            std::cmp::Ordering::Less => DueState::Overdue,
            std::cmp::Ordering::Equal => DueState::Due,
            std::cmp::Ordering::Greater => DueState::Current,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DueState::Current => "current",
            DueState::Due => "due",
            DueState::Overdue => "overdue",
        }
    }
}

/// Text shared by many records (outcome ids, system names, dates): a million
/// per-system cells at 10,000 systems clone it, so a clone must not copy.
pub type Text = Arc<str>;

/// The stable id of an outcome: `file#document/RULE`.
pub fn outcome_id(file: &str, document: usize, rule: &str) -> String {
    format!("{file}#{document}/{rule}")
}

/// One outcome as the audit lists it, so every status can be traced.
#[derive(Clone, Debug, Serialize)]
pub struct OutcomeRecord {
    pub id: Text,
    pub system: Text,
    pub rule: Text,
    pub status: Status,
    pub findings: usize,
    pub fingerprint: String,
    /// Where the outcome stands against the dispositions file, when one was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disposition: Option<DispositionStatus>,
    /// The recorded assessment date (unchanged or reassess_due dispositions), else the scan's date.
    pub assessed: Text,
    pub assessed_from: AssessedFrom,
    /// When the verdict must be revisited: `assessed` plus the rule's `reassess.every`;
    /// for a reassess_due outcome, the report's date at the latest.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reassess_due: Option<Text>,
    /// For a pass: the document values the rule checked.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<Reference>,
}

impl OutcomeRecord {
    /// Whether the outcome counts towards its controls, and if so whether it
    /// satisfies them: a pass whose disposition is due for re-assessment does not.
    pub fn counts(&self) -> Option<bool> {
        counts(self.status).map(|pass| pass && self.disposition != Some(DispositionStatus::ReassessDue))
    }
}

/// A system: the documents that share one identity (`metadata.name`).
#[derive(Clone, Debug, Serialize)]
pub struct SystemInfo {
    pub name: String,
    pub kind: String,
    /// `file#index` of each document.
    pub documents: Vec<String>,
}

/// A control's status on one system, and the outcomes behind it.
#[derive(Clone, Debug, Serialize)]
pub struct SystemControl {
    pub system: Text,
    pub status: ControlStatus,
    pub passed: Vec<Text>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_passed: Vec<Text>,
    /// The oldest assessment date of the outcomes behind the status.
    pub last_assessed: Text,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reassess_due: Option<Text>,
}

/// One Annex A control in the Statement of Applicability.
#[derive(Clone, Debug, Serialize)]
pub struct ControlResult {
    pub standard: String,
    pub id: String,
    pub title: String,
    pub domain: String,
    pub domain_title: String,
    pub applicable: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub justification: Option<String>,
    /// Where the exclusion is written (`file:line:col`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub excluded_at: Option<String>,
    pub status: ControlStatus,
    /// Rules that cover the control.
    pub rules: Vec<String>,
    /// Systems where the control was assessed.
    pub systems: Vec<SystemControl>,
    pub implemented_systems: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_assessed: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reassess_due: Option<String>,
}

impl ControlResult {
    /// `iso42001:A.5.2`.
    pub fn qualified(&self) -> String {
        format!("{}:{}", self.standard, self.id)
    }
}

/// A rule as the audit records it: its full digest, so a verdict can be reproduced.
#[derive(Clone, Debug, Serialize)]
pub struct RuleRecord {
    pub id: String,
    pub title: String,
    pub source: String,
    pub blake3: String,
    pub sha256: String,
    pub controls: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reassess_every: Option<String>,
}

/// An input file and the BLAKE3 digest of its bytes.
#[derive(Clone, Debug, Serialize)]
pub struct InputRecord {
    pub path: String,
    /// Only in the forms that carry every value (JSON and OSCAL): the others show no digest.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blake3: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}

/// Everything the audit reports are rendered from.
#[derive(Clone, Debug, Serialize)]
pub struct Audit {
    pub schema: String,
    pub tool: String,
    pub version: String,
    /// The evaluation date (`--now`): what due dates are measured against, and the
    /// assessment date of every outcome the dispositions file does not record.
    pub now: String,
    /// The dispositions file recorded assessment dates come from, when one was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dispositions: Option<String>,
    pub rules: Vec<RuleRecord>,
    pub inputs: Vec<InputRecord>,
    pub systems: Vec<SystemInfo>,
    pub controls: Vec<ControlResult>,
    pub outcomes: Vec<OutcomeRecord>,
}

impl Audit {
    /// The controls of one standard, in catalog order.
    pub fn controls_of<'a>(&'a self, standard: &'a str) -> impl Iterator<Item = &'a ControlResult> + 'a {
        self.controls.iter().filter(move |c| c.standard == standard)
    }

    pub fn control(&self, standard: &str, id: &str) -> Option<&ControlResult> {
        self.controls.iter().find(|c| c.standard == standard && c.id == id)
    }

    pub fn outcome(&self, id: &str) -> Option<&OutcomeRecord> {
        self.outcomes.binary_search_by(|o| (*o.id).cmp(id)).ok().and_then(|i| self.outcomes.get(i))
    }

    /// Whether a due date has come, against the report's date.
    pub fn due_state(&self, due: &str) -> DueState {
        DueState::of(due, &self.now)
    }

    /// One sentence for people: where the assessment dates come from.
    pub fn dates_note(&self) -> String {
        let (recorded, scanned) = self.assessed_from();
        match &self.dispositions {
            None => format!(
                "Last assessed is this scan's date ({}): no dispositions file was given, so no review date is recorded. Re-assessment is due that date plus each covering rule's `reassess.every`, the earliest over the control's outcomes.",
                self.now
            ),
            Some(file) => format!(
                "Last assessed is the date recorded in {file} for the {recorded} outcomes it holds (the oldest per control), and this scan's date ({}) for the {scanned} it does not. Re-assessment is due that date plus each covering rule's `reassess.every`, and at once where a recorded outcome's facts or rule changed (reassess_due); the earliest over the control's outcomes.",
                self.now
            ),
        }
    }

    /// A due date for people: the date, marked when it has come.
    pub fn due_label(&self, due: Option<&str>) -> String {
        match due {
            None => "-".into(),
            Some(due) => match self.due_state(due) {
                DueState::Current => due.to_string(),
                state => format!("{due} ({})", state.as_str()),
            },
        }
    }

    /// How many counted outcomes have a recorded assessment date, and how many take the scan's.
    pub fn assessed_from(&self) -> (usize, usize) {
        let counted = self.outcomes.iter().filter(|o| o.counts().is_some());
        counted.fold((0, 0), |(recorded, scanned), o| match o.assessed_from {
            AssessedFrom::Dispositions => (recorded + 1, scanned),
            AssessedFrom::Scan => (recorded, scanned + 1),
        })
    }
}

/// Which passing outcomes get the values they checked (reading their files again).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EvidenceScope {
    /// Every pass: for the JSON and OSCAL forms.
    All,
    /// The passes of the first n systems of each control: what Markdown and HTML show.
    FirstSystems(usize),
}

/// Collects a scan's results, then builds the `Audit`.
pub struct Builder<'a> {
    rules: &'a [Rule],
    now: jiff::civil::Date,
    dispositions: Option<String>,
    inputs: HashMap<String, InputFile>,
    files: Vec<FileResult>,
}

impl<'a> Builder<'a> {
    /// `inputs` are the files the scan reads, so evidence and digests can be read from them.
    pub fn new(rules: &'a [Rule], now: jiff::civil::Date, inputs: &[InputFile]) -> Self {
        Builder {
            rules,
            now,
            dispositions: None,
            inputs: inputs.iter().map(|f| (f.display.clone(), f.clone())).collect(),
            files: Vec::new(),
        }
    }

    /// Names the dispositions file the outcomes were classified against (their
    /// `disposition` is set), so assessment dates are taken from it.
    pub fn with_dispositions(mut self, file: String) -> Self {
        self.dispositions = Some(file);
        self
    }

    /// Takes one file's results (use as the scan's sink).
    pub fn add(&mut self, file: FileResult) {
        self.files.push(file);
    }

    /// Builds the audit; `evidence` says which passes get their checked values read back.
    pub fn finish(self, exclusions: &Exclusions, evidence: EvidenceScope) -> Audit {
        let Builder { rules, now, dispositions, inputs, mut files } = self;
        let rule_index: HashMap<&str, &Rule> = rules.iter().map(|r| (r.id.as_str(), r)).collect();
        let checked: HashMap<&str, Vec<document::path::Segments>> =
            rules.iter().map(|r| (r.id.as_str(), evidence::checked_paths(&r.source.text))).collect();

        // Only the forms that carry every value show digests: those of the bytes the scan read.
        let digests = evidence == EvidenceScope::All;

        let mut systems: BTreeMap<String, SystemInfo> = BTreeMap::new();
        let mut outcomes = Vec::with_capacity(files.iter().map(|f| f.outcomes.len()).sum());
        let mut input_records = Vec::new();
        // Where each outcome came from (file, slot), to read its evidence values later.
        let mut origin: Vec<(usize, usize)> = Vec::with_capacity(outcomes.capacity());
        let rule_ids: HashMap<&str, Text> = rules.iter().map(|r| (r.id.as_str(), Text::from(r.id.as_str()))).collect();
        let mut dates = DateTexts::default();
        for (file_index, file) in files.iter_mut().enumerate() {
            input_records.push(InputRecord {
                path: file.path.clone(),
                blake3: file.digests.as_ref().filter(|_| digests).map(|d| d.blake3.clone()),
                sha256: file.digests.as_ref().filter(|_| digests).map(|d| d.sha256.clone()),
            });
            let mut identities: Vec<(usize, Text)> = Vec::with_capacity(file.documents.len());
            for doc in &file.documents {
                let system = systems.entry(doc.identity.clone()).or_insert_with(|| SystemInfo {
                    name: doc.identity.clone(),
                    kind: doc.kind.clone(),
                    documents: Vec::new(),
                });
                system.documents.push(format!("{}#{}", file.path, doc.index));
                identities.push((doc.index, Text::from(doc.identity.as_str())));
            }
            for (slot, outcome) in file.outcomes.iter_mut().enumerate() {
                origin.push((file_index, slot));
                let identity = identities.iter().find(|(index, _)| *index == outcome.document).map(|(_, name)| name.clone());
                let every = rule_index.get(outcome.rule.as_str()).and_then(|r| r.reassess.every.as_deref());
                let when = assessment_dates(outcome, now, every);
                outcomes.push(OutcomeRecord {
                    id: outcome_id(&file.path, outcome.document, &outcome.rule).into(),
                    system: identity.unwrap_or_else(|| format!("{}#{}", file.path, outcome.document).into()),
                    rule: rule_ids.get(outcome.rule.as_str()).cloned().unwrap_or_else(|| outcome.rule.as_str().into()),
                    status: outcome.status,
                    findings: outcome.findings.len(),
                    // Taken, not copied: nothing reads it from the file results again.
                    fingerprint: std::mem::take(&mut outcome.fingerprint),
                    disposition: outcome.disposition.as_ref().map(|d| d.status),
                    assessed: dates.text(when.assessed),
                    assessed_from: when.from,
                    reassess_due: counts(outcome.status).and(when.due).map(|d| dates.text(d)),
                    references: Vec::new(),
                });
            }
        }
        let mut paired: Vec<(OutcomeRecord, (usize, usize))> = outcomes.into_iter().zip(origin).collect();
        paired.sort_unstable_by(|a, b| a.0.id.cmp(&b.0.id));
        let (mut outcomes, origin): (Vec<OutcomeRecord>, Vec<(usize, usize)>) = paired.into_iter().unzip();
        input_records.sort_by(|a, b| a.path.cmp(&b.path));
        // Only systems something was evaluated on.
        let evaluated: std::collections::HashSet<&str> = outcomes.iter().map(|o| &*o.system).collect();
        let systems: Vec<SystemInfo> = systems.into_values().filter(|s| evaluated.contains(s.name.as_str())).collect();
        // A system is its index in `systems` (sorted by name) from here on.
        let system_names: Vec<Text> = systems.iter().map(|s| Text::from(s.name.as_str())).collect();
        let system_index: HashMap<&str, usize> = systems.iter().enumerate().map(|(i, s)| (s.name.as_str(), i)).collect();

        // rule -> (system, outcome index) of its counted outcomes.
        let mut by_rule: HashMap<&str, Vec<(usize, usize)>> = HashMap::new();
        for (i, o) in outcomes.iter().enumerate() {
            if let (Some(_), Some(&system)) = (o.counts(), system_index.get(&*o.system)) {
                by_rule.entry(&*o.rule).or_default().push((system, i));
            }
        }

        let catalogs = catalogs();
        let mut controls = Vec::new();
        for standard_id in STANDARDS {
            let Some(standard) = catalogs.standard(standard_id) else { continue };
            for control in standard.controls.iter().filter(|c| c.part == "annex-a") {
                let covering: Vec<&Rule> =
                    rules.iter().filter(|r| r.controls.iter().any(|c| c.standard == standard_id && c.id == control.id)).collect();
                let mut pairs: Vec<(usize, usize)> =
                    covering.iter().flat_map(|rule| by_rule.get(rule.id.as_str()).into_iter().flatten().copied()).collect();
                // Grouped by system, in name order; each system's outcomes in id order.
                pairs.sort_unstable();
                let system_controls: Vec<SystemControl> = pairs
                    .chunk_by(|a, b| a.0 == b.0)
                    .filter_map(|group| {
                        let system = system_names.get(group.first()?.0)?.clone();
                        let records: Vec<&OutcomeRecord> = group.iter().filter_map(|&(_, i)| outcomes.get(i)).collect();
                        let status = ControlStatus::combine(records.iter().filter_map(|o| o.counts()));
                        let (passed, not_passed): (Vec<&&OutcomeRecord>, Vec<&&OutcomeRecord>) =
                            records.iter().partition(|o| o.counts() == Some(true));
                        Some(SystemControl {
                            system,
                            status,
                            passed: passed.iter().map(|o| o.id.clone()).collect(),
                            not_passed: not_passed.iter().map(|o| o.id.clone()).collect(),
                            last_assessed: records.iter().map(|o| &o.assessed).min()?.clone(),
                            reassess_due: records.iter().filter_map(|o| o.reassess_due.as_ref()).min().cloned(),
                        })
                    })
                    .collect();
                let status = ControlStatus::combine(system_controls.iter().map(|s| s.status == ControlStatus::Implemented));
                let exclusion = exclusions.get(standard_id, &control.id);
                controls.push(ControlResult {
                    standard: standard_id.to_string(),
                    id: control.id.clone(),
                    title: control.title.clone(),
                    domain: control.group.clone(),
                    domain_title: standard.groups.iter().find(|g| g.id == control.group).map(|g| g.title.clone()).unwrap_or_default(),
                    applicable: exclusion.is_none(),
                    justification: exclusion.map(|e| e.justification.clone()),
                    excluded_at: exclusion.map(|e| e.source.clone()),
                    status,
                    rules: covering.iter().map(|r| r.id.clone()).collect(),
                    implemented_systems: system_controls.iter().filter(|s| s.status == ControlStatus::Implemented).count(),
                    last_assessed: system_controls.iter().map(|s| &s.last_assessed).min().map(|d| d.to_string()),
                    reassess_due: system_controls.iter().filter_map(|s| s.reassess_due.as_ref()).min().map(|d| d.to_string()),
                    systems: system_controls,
                });
            }
        }

        // Evidence values: read the files again for the passes that will be shown.
        let wanted: Vec<usize> = match evidence {
            EvidenceScope::All => (0..outcomes.len()).collect(),
            EvidenceScope::FirstSystems(n) => {
                let mut ids: Vec<usize> = controls
                    .iter()
                    .flat_map(|c| c.systems.iter().filter(|s| !s.passed.is_empty()).take(n))
                    .flat_map(|s| s.passed.iter())
                    .filter_map(|id| outcomes.binary_search_by(|o| o.id.cmp(id)).ok())
                    .collect();
                ids.sort_unstable();
                ids.dedup();
                ids
            }
        };
        let mut by_file: BTreeMap<usize, Vec<(usize, usize)>> = BTreeMap::new();
        for i in wanted {
            let is_pass = outcomes.get(i).is_some_and(|o| o.status == Status::Pass && checked.get(&*o.rule).is_some_and(|p| !p.is_empty()));
            if let (true, Some(&(file, slot))) = (is_pass, origin.get(i)) {
                by_file.entry(file).or_default().push((i, slot));
            }
        }
        let found: Vec<(usize, Vec<Reference>)> = by_file
            .into_par_iter()
            .flat_map_iter(|(file, wanted)| match files.get(file) {
                Some(file) => read_references(file, inputs.get(&file.path), &wanted, &checked),
                None => Vec::new(),
            })
            .collect();
        for (i, references) in found {
            if let Some(o) = outcomes.get_mut(i) {
                o.references = references;
            }
        }

        Audit {
            schema: SCHEMA_VERSION.into(),
            tool: "annexa".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            now: now.to_string(),
            dispositions,
            rules: rules
                .iter()
                .map(|r| RuleRecord {
                    id: r.id.clone(),
                    title: r.title.clone(),
                    source: r.source.path.clone(),
                    blake3: evidence::digest(r.source.text.as_bytes()),
                    sha256: evidence::sha256(r.source.text.as_bytes()),
                    controls: r.controls.iter().map(|c| format!("{}:{}", c.standard, c.id)).collect(),
                    reassess_every: r.reassess.every.clone(),
                })
                .collect(),
            inputs: input_records,
            systems,
            controls,
            outcomes,
        }
    }
}

/// One shared text per date: the audit holds few distinct dates.
#[derive(Default)]
struct DateTexts(HashMap<jiff::civil::Date, Text>);

impl DateTexts {
    fn text(&mut self, date: jiff::civil::Date) -> Text {
        self.0.entry(date).or_insert_with(|| Text::from(date.to_string())).clone()
    }
}

/// When an outcome was assessed and when it must be again.
struct AssessmentDates {
    assessed: jiff::civil::Date,
    from: AssessedFrom,
    due: Option<jiff::civil::Date>,
}

/// The recorded date of an unchanged or reassess_due disposition, else `now`
/// (a new verdict, or a resolved one, was reached by this scan); due `every`
/// later, and at the latest `now` when a trigger has fired.
fn assessment_dates(outcome: &crate::report::Outcome, now: jiff::civil::Date, every: Option<&str>) -> AssessmentDates {
    let classification = outcome.disposition.as_ref();
    let recorded = classification
        .filter(|c| matches!(c.status, DispositionStatus::Unchanged | DispositionStatus::ReassessDue))
        .and_then(|c| c.assessed.as_deref())
        .and_then(|a| a.parse::<jiff::civil::Date>().ok());
    let (assessed, from) = match recorded {
        Some(date) => (date, AssessedFrom::Dispositions),
        None => (now, AssessedFrom::Scan),
    };
    let mut due = every.and_then(|e| due_date(assessed, e));
    if classification.is_some_and(|c| c.status == DispositionStatus::ReassessDue) {
        due = Some(due.map_or(now, |d| d.min(now)));
    }
    AssessmentDates { assessed, from, due }
}

/// `from` plus a rule's `reassess.every` (`90d`, `6m`, `1y`).
pub fn due_date(from: jiff::civil::Date, every: &str) -> Option<jiff::civil::Date> {
    from.checked_add(crate::script::api::parse_duration(every).ok()?).ok()
}

/// Reads one scanned file again for the values its passing outcomes checked:
/// `wanted` holds (outcome record index, slot in the file's outcomes). A
/// document whose content hash changed since the scan gives no values rather
/// than wrong ones.
fn read_references(
    file: &FileResult,
    input: Option<&InputFile>,
    wanted: &[(usize, usize)],
    checked: &HashMap<&str, Vec<document::path::Segments>>,
) -> Vec<(usize, Vec<Reference>)> {
    let Some(input) = input else { return Vec::new() };
    // Read as the scan read it: within its bounds, and never a FIFO put in the file's place.
    let loaded = document::load_file(&input.path, &file.path, input.format, &LoadOptions::default());
    wanted
        .iter()
        .filter_map(|&(record, slot)| {
            let outcome = file.outcomes.get(slot)?;
            let doc = crate::report::in_stream(&loaded.documents, outcome.document, |d| d.index)?;
            let scanned = file.document(outcome.document)?;
            let paths = checked.get(outcome.rule.as_str())?;
            (scanned.hash.as_deref() == Some(doc.hash())).then(|| (record, evidence::references(doc, paths)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn combine_is_all_some_none_or_nothing() {
        assert_eq!(ControlStatus::combine([]), ControlStatus::NotAssessed);
        assert_eq!(ControlStatus::combine([true, true]), ControlStatus::Implemented);
        assert_eq!(ControlStatus::combine([false, false]), ControlStatus::Gap);
        assert_eq!(ControlStatus::combine([true, false]), ControlStatus::Partial);
    }

    #[test]
    fn not_applicable_does_not_count_and_errors_do_not_satisfy() {
        assert_eq!(counts(Status::NotApplicable), None);
        assert_eq!(counts(Status::Pass), Some(true));
        assert_eq!(counts(Status::Fail), Some(false));
        assert_eq!(counts(Status::Error), Some(false));
    }

    #[test]
    fn due_dates_add_calendar_units() {
        let d: jiff::civil::Date = "2025-06-01".parse().unwrap();
        assert_eq!(due_date(d, "365d").unwrap().to_string(), "2026-06-01");
        assert_eq!(due_date(d, "6m").unwrap().to_string(), "2025-12-01");
        assert_eq!(due_date(d, "nonsense"), None);
    }
}
