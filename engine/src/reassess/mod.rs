//! Re-assessment: a reviewed disposition of a (system, rule) pair holds only
//! while the facts it was based on hold. This module reads and writes the
//! dispositions file, classifies each outcome against it (new, unchanged,
//! resolved, reassess_due with its triggers), checks waivers (held, or lapsed
//! on a changed fingerprint or a passed date) and records new dispositions.
//! It never prints: the CLI renders what it returns.

pub mod evidence;
pub mod file;
pub(crate) mod written;

pub use written::{Index, IndexEntry};

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::document::path::{self, Segment, Segments};
use crate::document::Position;
use crate::report::{FileResult, Outcome, RuleInfo, Status};
pub use evidence::Evidence;

/// The reviewed state of one (system, rule) pair.
#[derive(Clone, Debug, PartialEq)]
pub struct Disposition {
    /// The system's identity (`metadata.name`).
    pub system: String,
    pub rule: String,
    /// `pass` or `fail` when it was assessed.
    pub status: Status,
    pub assessed: jiff::civil::Date,
    pub reviewer: Option<String>,
    pub note: Option<String>,
    pub fingerprint: String,
    /// The rule source's hash when assessed: a changed rule reopens the disposition.
    pub rule_hash: String,
    pub evidence: Evidence,
    /// Where the entry starts in the file (not written).
    pub position: Position,
}

/// An accepted risk: a failing outcome that does not fail the build while
/// its fingerprint holds and its date has not passed.
#[derive(Clone, Debug, PartialEq)]
pub struct Waiver {
    pub system: String,
    pub rule: String,
    pub reason: String,
    pub by: String,
    pub granted: jiff::civil::Date,
    /// The waiver lapses on this day.
    pub expires: jiff::civil::Date,
    pub fingerprint: String,
    pub rule_hash: String,
    pub evidence: Evidence,
    pub position: Position,
}

/// The whole dispositions file.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Dispositions {
    pub dispositions: Vec<Disposition>,
    pub waivers: Vec<Waiver>,
}

impl Dispositions {
    /// What a scan needs to skip copying evidence where nothing changed.
    pub fn evidence_mode(&self) -> evidence::EvidenceMode {
        let mut known: HashMap<(String, String), Vec<String>> = HashMap::new();
        let recorded = self.dispositions.iter().map(|d| (&d.system, &d.rule, &d.fingerprint));
        for (system, rule, fingerprint) in recorded.chain(self.waivers.iter().map(|w| (&w.system, &w.rule, &w.fingerprint))) {
            known.entry((system.clone(), rule.clone())).or_default().push(fingerprint.clone());
        }
        evidence::EvidenceMode::Changed(std::sync::Arc::new(known))
    }
}

/// A dispositions file as a scan reads it: in the written layout, checked
/// whole and indexed, each system's entries built when the scan meets the
/// system; else (edited by hand) read whole as YAML.
#[derive(Debug)]
pub enum Recorded {
    /// Shared with the scan's workers, which look fingerprints up in it.
    Indexed(std::sync::Arc<Index>),
    Built(Dispositions),
}

impl Default for Recorded {
    fn default() -> Self {
        Recorded::Built(Dispositions::default())
    }
}

impl Recorded {
    pub fn evidence_mode(&self) -> evidence::EvidenceMode {
        match self {
            Recorded::Indexed(index) => evidence::EvidenceMode::ChangedFromIndex(std::sync::Arc::clone(index)),
            Recorded::Built(file) => file.evidence_mode(),
        }
    }
}

/// The entries a `Classifier` works from.
#[derive(Clone, Copy, Debug)]
pub enum Source<'a> {
    Indexed(&'a Index),
    Built(&'a Dispositions),
}

impl<'a> From<&'a Recorded> for Source<'a> {
    fn from(file: &'a Recorded) -> Self {
        match file {
            Recorded::Indexed(index) => Source::Indexed(index),
            Recorded::Built(file) => Source::Built(file),
        }
    }
}

impl<'a> From<&'a Dispositions> for Source<'a> {
    fn from(file: &'a Dispositions) -> Self {
        Source::Built(file)
    }
}

impl<'a> Source<'a> {
    /// The dispositions recorded as failing: (system, rule, assessed).
    fn failures(self) -> Vec<(&'a str, &'a str, jiff::civil::Date)> {
        match self {
            Source::Indexed(index) => index
                .dispositions()
                .filter_map(|e| e.recorded.filter(|(status, _)| *status == Status::Fail).map(|(_, assessed)| (e.system, e.rule, assessed)))
                .collect(),
            Source::Built(file) => file
                .dispositions
                .iter()
                .filter(|d| d.status == Status::Fail)
                .map(|d| (d.system.as_str(), d.rule.as_str(), d.assessed))
                .collect(),
        }
    }

    /// Every waiver: (system, rule, where it is).
    fn waivers(self) -> Vec<(&'a str, &'a str, Position)> {
        match self {
            Source::Indexed(index) => index.waivers().map(|e| (e.system, e.rule, e.position)).collect(),
            Source::Built(file) => file.waivers.iter().map(|w| (w.system.as_str(), w.rule.as_str(), w.position)).collect(),
        }
    }
}

/// Where an outcome stands against its disposition.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DispositionStatus {
    /// No disposition yet, or a failure where a pass was recorded.
    New,
    Unchanged,
    /// Recorded as failing; now passes, no longer applies, or is gone.
    Resolved,
    /// A trigger fired: the disposition must be reviewed again.
    ReassessDue,
}

/// Why a disposition or a waiver no longer holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "trigger", rename_all = "snake_case")]
pub enum Trigger {
    /// A watched value changed (values as canonical JSON; `None`: absent).
    Changed {
        path: String,
        #[serde(default)]
        old: Option<String>,
        #[serde(default)]
        new: Option<String>,
    },
    /// The fingerprint differs although no recorded value does (the recorded evidence was edited).
    EvidenceChanged,
    /// The disposition is older than the rule's `reassess.every`.
    Expired { assessed: String, every: String, due: String },
    /// The rule's source changed since the assessment.
    RuleChanged { old: String, new: String },
    /// The waiver's expiry date has come.
    WaiverExpired { expires: String },
}

/// What a waiver does to an outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WaiverStatus {
    /// The failure is accepted: it does not fail the build.
    Held,
    /// The fingerprint changed or the date passed: the failure counts again.
    Lapsed,
    /// The outcome no longer fails: the waiver can be removed.
    NotNeeded,
}

/// A waiver as it applies to one outcome.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WaiverCheck {
    pub status: WaiverStatus,
    pub by: String,
    pub reason: String,
    pub granted: String,
    pub expires: String,
    /// Where the waiver is in the dispositions file.
    pub at: Position,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub triggers: Vec<Trigger>,
}

/// An outcome's classification against the dispositions file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Classification {
    pub status: DispositionStatus,
    /// The system identity the disposition is keyed on.
    pub system: String,
    /// One line for people: what changed, or why it is new or resolved.
    pub reason: String,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub triggers: Vec<Trigger>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub assessed: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub waiver: Option<WaiverCheck>,
}

impl Classification {
    /// Whether a held waiver accepts this outcome's failure.
    pub fn waived(&self) -> bool {
        self.waiver.as_ref().is_some_and(|w| w.status == WaiverStatus::Held)
    }
}

/// A disposition with no outcome in this scan.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Gone {
    pub system: String,
    pub rule: String,
    pub reason: String,
}

/// A waiver that matched no outcome.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UnmatchedWaiver {
    pub system: String,
    pub rule: String,
    pub at: Position,
}

/// Counts over a scan with dispositions, and what matched nothing.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DispositionSummary {
    /// The dispositions file, as given.
    pub file: String,
    pub statuses: BTreeMap<DispositionStatus, usize>,
    pub waived: usize,
    pub lapsed_waivers: usize,
    /// Dispositions recorded as failing whose pair was not evaluated (resolved).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub gone: Vec<Gone>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub unmatched_waivers: Vec<UnmatchedWaiver>,
}

/// Classifies outcomes as files arrive and keeps what it needs to report
/// the dispositions and waivers nothing matched.
pub struct Classifier<'a> {
    file: Source<'a>,
    /// The entries of each system met so far, by rule (from a built file,
    /// every system's, from the start).
    systems: HashMap<Cow<'a, str>, SystemEntries<'a>>,
    rules: HashMap<&'a str, &'a RuleInfo>,
    now: jiff::civil::Date,
    seen: HashSet<(String, String)>,
    /// Rules whose outcomes are not compared with the file (`without_comparing`).
    uncompared: HashSet<String>,
    summary: DispositionSummary,
}

#[derive(Default)]
struct SystemEntries<'a> {
    dispositions: HashMap<Cow<'a, str>, Cow<'a, Disposition>>,
    waivers: HashMap<Cow<'a, str>, Cow<'a, Waiver>>,
}

impl<'a> Classifier<'a> {
    pub fn new(file: impl Into<Source<'a>>, display: &str, rules: &'a [RuleInfo], now: jiff::civil::Date) -> Self {
        let file = file.into();
        // Borrowed from a built file: no string is copied for its entries.
        let mut systems: HashMap<Cow<'a, str>, SystemEntries<'a>> = HashMap::new();
        if let Source::Built(built) = file {
            for d in &built.dispositions {
                let entries = systems.entry(Cow::Borrowed(d.system.as_str())).or_default();
                entries.dispositions.insert(Cow::Borrowed(d.rule.as_str()), Cow::Borrowed(d));
            }
            for w in &built.waivers {
                systems
                    .entry(Cow::Borrowed(w.system.as_str()))
                    .or_default()
                    .waivers
                    .insert(Cow::Borrowed(w.rule.as_str()), Cow::Borrowed(w));
            }
        }
        Classifier {
            file,
            systems,
            rules: rules.iter().map(|r| (r.id.as_str(), r)).collect(),
            now,
            seen: HashSet::new(),
            uncompared: HashSet::new(),
            summary: DispositionSummary { file: display.to_string(), ..DispositionSummary::default() },
        }
    }

    /// Leaves the outcomes of `rules` unclassified, and their entries as if
    /// met: corpus rules, when a scan read only part of the corpus (named
    /// files, standard input, narrowed folders), judge a corpus that is not
    /// the one recorded.
    pub fn without_comparing(mut self, rules: HashSet<String>) -> Self {
        self.uncompared = rules;
        self
    }

    /// Fills `disposition` on every outcome of one file.
    pub fn classify(&mut self, result: &mut FileResult) {
        for outcome in &mut result.outcomes {
            let Some(system) = crate::report::in_stream(&result.documents, outcome.document, |d| d.index).map(|d| d.identity.clone())
            else {
                continue;
            };
            self.meet(&system);
            self.seen.insert((system.clone(), outcome.rule.clone()));
            if self.uncompared.contains(&outcome.rule) {
                outcome.disposition = None;
                continue;
            }
            outcome.disposition = self.outcome(&system, outcome).map(Box::new);
            if let Some(c) = &outcome.disposition {
                *self.summary.statuses.entry(c.status).or_default() += 1;
                match c.waiver.as_ref().map(|w| w.status) {
                    Some(WaiverStatus::Held) => self.summary.waived += 1,
                    Some(WaiverStatus::Lapsed) => self.summary.lapsed_waivers += 1,
                    _ => {}
                }
            }
        }
    }

    /// Builds the entries of `system` from an indexed file, the first time it is met.
    fn meet(&mut self, system: &str) {
        let Source::Indexed(index) = self.file else { return };
        if self.systems.contains_key(system) {
            return;
        }
        let (dispositions, waivers) = index.system(system);
        let entries = SystemEntries {
            dispositions: dispositions.into_iter().map(|d| (Cow::Owned(d.rule.clone()), Cow::Owned(d))).collect(),
            waivers: waivers.into_iter().map(|w| (Cow::Owned(w.rule.clone()), Cow::Owned(w))).collect(),
        };
        self.systems.insert(Cow::Owned(system.to_string()), entries);
    }

    fn outcome(&self, system: &str, outcome: &Outcome) -> Option<Classification> {
        let entries = self.systems.get(system);
        let recorded = entries.and_then(|e| e.dispositions.get(outcome.rule.as_str())).map(|d| &**d);
        let rule = self.rules.get(outcome.rule.as_str()).copied();
        let current = outcome.evidence.as_ref();
        let mut c = Classification {
            status: DispositionStatus::New,
            system: system.to_string(),
            reason: String::new(),
            triggers: Vec::new(),
            assessed: recorded.map(|d| d.assessed.to_string()),
            waiver: None,
        };
        match (outcome.status, recorded) {
            (Status::Error, _) => return None,
            (Status::NotApplicable, Some(d)) if d.status == Status::Fail => {
                c.status = DispositionStatus::Resolved;
                c.reason = format!("was fail (assessed {}), the rule no longer applies", d.assessed);
            }
            (Status::NotApplicable, _) => return None,
            (status, None) => c.reason = format!("{}, not in the dispositions file yet", status.as_str()),
            (Status::Pass, Some(d)) if d.status == Status::Fail => {
                c.status = DispositionStatus::Resolved;
                c.reason = format!("was fail (assessed {}), now passes", d.assessed);
            }
            (status, Some(d)) => {
                c.triggers = triggers(&d.fingerprint, &d.rule_hash, &d.evidence, outcome, current, rule);
                if let Some(expired) = rule.and_then(|r| expiry(d.assessed, r, self.now)) {
                    c.triggers.push(expired);
                }
                if !c.triggers.is_empty() {
                    c.status = DispositionStatus::ReassessDue;
                    c.reason = describe(&c.triggers);
                } else if status != d.status {
                    // Same evidence, other verdict: the rule measures time against `--now`.
                    c.reason = format!("was {} when assessed on {}, now {}", d.status.as_str(), d.assessed, status.as_str());
                } else {
                    c.status = DispositionStatus::Unchanged;
                    c.reason = format!("unchanged since {}", d.assessed);
                }
            }
        }
        c.waiver = entries.and_then(|e| e.waivers.get(outcome.rule.as_str())).map(|w| self.waiver(w, outcome, current, rule));
        Some(c)
    }

    fn waiver(&self, w: &Waiver, outcome: &Outcome, current: Option<&Evidence>, rule: Option<&RuleInfo>) -> WaiverCheck {
        let mut check = WaiverCheck {
            status: WaiverStatus::Held,
            by: w.by.clone(),
            reason: w.reason.clone(),
            granted: w.granted.to_string(),
            expires: w.expires.to_string(),
            at: w.position,
            triggers: Vec::new(),
        };
        if outcome.status != Status::Fail {
            check.status = WaiverStatus::NotNeeded;
            return check;
        }
        check.triggers = triggers(&w.fingerprint, &w.rule_hash, &w.evidence, outcome, current, rule);
        if self.now >= w.expires {
            check.triggers.push(Trigger::WaiverExpired { expires: w.expires.to_string() });
        }
        if !check.triggers.is_empty() {
            check.status = WaiverStatus::Lapsed;
        }
        check
    }

    /// What nothing in this scan matched: dispositions recorded as failing
    /// (now resolved) and waivers. A scan of some files only answers for
    /// the systems it read (`Scope::SystemsRead`).
    pub fn finish(mut self, scope: Scope) -> DispositionSummary {
        // Once, not a pass over `seen` for each entry: 20,000 entries for
        // systems not scanned took 4.5 s.
        let seen_systems: HashSet<&str> = self.seen.iter().map(|(system, _)| system.as_str()).collect();
        let answers_for = |system: &str| scope == Scope::Whole || seen_systems.contains(system);
        for (system, rule, assessed) in self.file.failures() {
            if answers_for(system) && !self.seen.contains(&(system.to_string(), rule.to_string())) {
                let reason = if !self.rules.contains_key(rule) {
                    format!("was fail (assessed {assessed}), the rule is not loaded")
                } else if seen_systems.contains(system) {
                    format!("was fail (assessed {assessed}), the rule no longer applies to this system")
                } else {
                    format!("was fail (assessed {assessed}), the system is not in this scan")
                };
                *self.summary.statuses.entry(DispositionStatus::Resolved).or_default() += 1;
                self.summary.gone.push(Gone { system: system.to_string(), rule: rule.to_string(), reason });
            }
        }
        for (system, rule, at) in self.file.waivers() {
            if answers_for(system) && !self.seen.contains(&(system.to_string(), rule.to_string())) {
                self.summary.unmatched_waivers.push(UnmatchedWaiver { system: system.to_string(), rule: rule.to_string(), at });
            }
        }
        // By (system, rule), as `write` orders the file: a file edited out of order reports the same.
        self.summary.gone.sort_by(|a, b| (&a.system, &a.rule).cmp(&(&b.system, &b.rule)));
        self.summary.unmatched_waivers.sort_by(|a, b| (&a.system, &a.rule).cmp(&(&b.system, &b.rule)));
        self.summary
    }
}

/// Which recorded entries a scan answers for when it ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// The scan walked its folders whole: a recorded failure of a system it
    /// did not meet is resolved (the system is gone), and a waiver for one
    /// matches nothing.
    Whole,
    /// The scan read some files only (named files, `--changed`, a shard,
    /// standard input, folders narrowed by `--include` or `--exclude`): it
    /// answers for the systems it read, and says nothing of the others. A
    /// pre-merge hook's one-file scan listed every other system's failures
    /// as resolved: 3,992 lines for 1,000 systems.
    SystemsRead,
}

/// The triggers between recorded evidence and the current outcome.
fn triggers(
    fingerprint: &str,
    rule_hash: &str,
    recorded: &Evidence,
    outcome: &Outcome,
    current: Option<&Evidence>,
    rule: Option<&RuleInfo>,
) -> Vec<Trigger> {
    let mut out = Vec::new();
    if let Some(rule) = rule.filter(|r| r.source_hash != rule_hash) {
        out.push(Trigger::RuleChanged { old: rule_hash.to_string(), new: rule.source_hash.clone() });
    }
    if fingerprint != outcome.fingerprint {
        let changes = current.map(|now| diff(recorded, now)).unwrap_or_default();
        if changes.is_empty() && out.is_empty() {
            out.push(Trigger::EvidenceChanged);
        }
        out.extend(changes);
    }
    out
}

fn expiry(assessed: jiff::civil::Date, rule: &RuleInfo, now: jiff::civil::Date) -> Option<Trigger> {
    let every = rule.reassess.every.as_deref()?;
    let span = crate::script::api::parse_duration(every).ok()?;
    let due = assessed.checked_add(span).ok()?;
    (now >= due).then(|| Trigger::Expired { assessed: assessed.to_string(), every: every.to_string(), due: due.to_string() })
}

/// The changed values, down to the leaves: a rule that read a whole list
/// still reports `spec.models[0].provider`, not the whole list.
pub fn diff(old: &Evidence, new: &Evidence) -> Vec<Trigger> {
    let mut changes: BTreeMap<String, (Option<String>, Option<String>)> = BTreeMap::new();
    let keys: std::collections::BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    for key in keys {
        let (a, b) = (old.get(key).cloned().flatten(), new.get(key).cloned().flatten());
        if a == b {
            continue;
        }
        let parse = |v: &Option<String>| v.as_deref().and_then(|t| serde_json::from_str::<serde_json::Value>(t).ok());
        match path::parse(key) {
            Ok(segments) => leaves(&segments, parse(&a).as_ref(), parse(&b).as_ref(), &mut changes),
            Err(_) => {
                changes.insert(key.clone(), (a, b));
            }
        }
    }
    changes.into_iter().map(|(path, (old, new))| Trigger::Changed { path, old, new }).collect()
}

fn leaves(
    at: &Segments,
    old: Option<&serde_json::Value>,
    new: Option<&serde_json::Value>,
    out: &mut BTreeMap<String, (Option<String>, Option<String>)>,
) {
    use serde_json::Value as J;
    if old == new {
        return;
    }
    let mut child = |segment: Segment, a: Option<&J>, b: Option<&J>| {
        let mut deeper = at.clone();
        deeper.push(segment);
        leaves(&deeper, a, b, out);
    };
    match (old, new) {
        (Some(J::Object(a)), Some(J::Object(b))) => {
            let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            for key in keys {
                child(Segment::Key(key.as_str().into()), a.get(key), b.get(key));
            }
        }
        (Some(J::Array(a)), Some(J::Array(b))) => {
            for i in 0..a.len().max(b.len()) {
                child(Segment::Index(i), a.get(i), b.get(i));
            }
        }
        _ => {
            out.insert(path::render(at), (old.map(J::to_string), new.map(J::to_string)));
        }
    }
}

/// Triggers as one line: `spec.models[0].provider changed "openai" → "mistral"; expired: ...`.
pub fn describe(triggers: &[Trigger]) -> String {
    const SHOWN: usize = 3;
    let changed = triggers.iter().filter(|t| matches!(t, Trigger::Changed { .. })).count();
    let mut parts: Vec<String> = Vec::new();
    let mut shown_changes = 0;
    for trigger in triggers {
        match trigger {
            Trigger::Changed { path, old, new } => {
                shown_changes += 1;
                if shown_changes <= SHOWN {
                    parts.push(format!("{path} changed {} → {}", shown(old.as_deref()), shown(new.as_deref())));
                }
            }
            Trigger::EvidenceChanged => parts.push("the recorded evidence does not match its fingerprint".into()),
            Trigger::Expired { assessed, every, due } => {
                parts.push(format!("expired: assessed {assessed}, every {every}, due since {due}"))
            }
            Trigger::RuleChanged { .. } => parts.push("the rule's source changed".into()),
            Trigger::WaiverExpired { expires } => parts.push(format!("the waiver expired on {expires}")),
        }
    }
    if changed > SHOWN {
        parts.insert(SHOWN, format!("and {} more changes", changed - SHOWN));
    }
    parts.join("; ")
}

fn shown(value: Option<&str>) -> String {
    const MAX: usize = 60;
    match value {
        None => "(absent)".into(),
        Some(v) if v.chars().count() > MAX => format!("{}…", v.chars().take(MAX).collect::<String>()),
        Some(v) => v.to_string(),
    }
}

/// How `record` treats what it is given.
#[derive(Clone, Debug, Default)]
pub struct RecordOptions {
    pub reviewer: Option<String>,
    pub note: Option<String>,
    /// Drop dispositions whose system or rule is not in this scan.
    pub prune: bool,
    /// Rules whose entries are kept as recorded, whatever this scan found:
    /// corpus rules, when the scan read only part of the corpus.
    pub keep: HashSet<String>,
}

/// What `record` changed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RecordSummary {
    pub added: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub removed: usize,
}

/// Builds the new dispositions from classified results: unchanged entries
/// are kept as they are (assessed date included), changed or new ones are
/// assessed `now`. Waivers are kept as they are.
pub struct Recorder<'a> {
    old: &'a Dispositions,
    /// The first old entry of each (system, rule): looking each outcome up in
    /// the file made recording over 50,000 entries take 11 s.
    first_old: HashMap<(&'a str, &'a str), &'a Disposition>,
    /// The loaded rules by id: each new entry takes its rule's hash from here.
    loaded_rules: HashMap<&'a str, &'a RuleInfo>,
    now: jiff::civil::Date,
    options: RecordOptions,
    entries: BTreeMap<(String, String), Disposition>,
    seen: HashSet<(String, String)>,
    seen_systems: HashSet<String>,
    summary: RecordSummary,
}

impl<'a> Recorder<'a> {
    pub fn new(old: &'a Dispositions, rules: &'a [RuleInfo], now: jiff::civil::Date, options: RecordOptions) -> Self {
        let mut first_old = HashMap::new();
        for d in &old.dispositions {
            first_old.entry((d.system.as_str(), d.rule.as_str())).or_insert(d);
        }
        Recorder {
            old,
            first_old,
            loaded_rules: rules.iter().map(|r| (r.id.as_str(), r)).collect(),
            now,
            options,
            entries: BTreeMap::new(),
            seen: HashSet::new(),
            seen_systems: HashSet::new(),
            summary: RecordSummary::default(),
        }
    }

    /// Takes one classified file (see `Classifier::classify`).
    pub fn file(&mut self, result: &FileResult) {
        for outcome in &result.outcomes {
            let Some(system) = result.document(outcome.document).map(|d| d.identity.clone()) else { continue };
            self.seen_systems.insert(system.clone());
            let key = (system.clone(), outcome.rule.clone());
            // Two documents with one identity: the first one's outcome is recorded.
            if !self.seen.insert(key.clone()) {
                continue;
            }
            let old = self.first_old.get(&(system.as_str(), outcome.rule.as_str())).copied();
            let kept = self.options.keep.contains(&outcome.rule);
            match outcome.status {
                Status::Pass | Status::Fail if !kept => {}
                // Not applicable: nothing to keep. An error assesses nothing: keep what was there.
                Status::NotApplicable if !kept => continue,
                _ => {
                    if let Some(old) = old {
                        self.entries.insert(key, old.clone());
                    }
                    continue;
                }
            }
            let unchanged = outcome.disposition.as_ref().is_some_and(|c| c.status == DispositionStatus::Unchanged);
            match old {
                Some(old) if unchanged => {
                    self.summary.unchanged += 1;
                    self.entries.insert(key, old.clone());
                }
                _ => {
                    if old.is_some() {
                        self.summary.updated += 1;
                    } else {
                        self.summary.added += 1;
                    }
                    let rule_hash = self.loaded_rules.get(outcome.rule.as_str()).map(|r| r.source_hash.clone()).unwrap_or_default();
                    self.entries.insert(
                        key,
                        Disposition {
                            system,
                            rule: outcome.rule.clone(),
                            status: outcome.status,
                            assessed: self.now,
                            reviewer: self.options.reviewer.clone(),
                            note: self.options.note.clone(),
                            fingerprint: outcome.fingerprint.clone(),
                            rule_hash,
                            // Same fingerprint, same evidence: a scan skips copying it where nothing changed.
                            evidence: outcome
                                .evidence
                                .clone()
                                .or_else(|| old.filter(|o| o.fingerprint == outcome.fingerprint).map(|o| o.evidence.clone()))
                                .unwrap_or_default(),
                            position: Position::default(),
                        },
                    );
                }
            }
        }
    }

    /// The new file. Entries this scan did not evaluate are kept when their
    /// system was not scanned or their rule not loaded (a partial scan must
    /// not erase the rest), unless pruning.
    pub fn finish(mut self) -> (Dispositions, RecordSummary) {
        for d in &self.old.dispositions {
            let key = (d.system.clone(), d.rule.clone());
            if self.seen.contains(&key) {
                if !self.entries.contains_key(&key) {
                    self.summary.removed += 1;
                }
                continue;
            }
            let evaluated_here = self.seen_systems.contains(&d.system) && self.loaded_rules.contains_key(d.rule.as_str());
            if evaluated_here || self.options.prune {
                self.summary.removed += 1;
            } else {
                self.entries.insert(key, d.clone());
            }
        }
        let file = Dispositions { dispositions: self.entries.into_values().collect(), waivers: self.old.waivers.clone() };
        (file, self.summary)
    }
}

/// Why `waive` refused.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum WaiveError {
    #[error("a waiver needs {field}")]
    #[diagnostic(
        code(annexa::waive),
        help("give --reason, --by and --expires; an accepted risk says why, who accepted it, and until when")
    )]
    Missing { field: &'static str },
    #[error("the waiver expires on {expires}, which is not after {now}")]
    #[diagnostic(code(annexa::waive), help("give an --expires date after --now"))]
    Expired { expires: jiff::civil::Date, now: jiff::civil::Date },
    #[error("no outcome of rule {rule} for system `{system}` in this scan")]
    #[diagnostic(code(annexa::waive), help("check the rule id and the system's metadata.name, and scan the paths that hold it"))]
    NoOutcome { rule: String, system: String },
    #[error("rule {rule} does not fail on system `{system}` (it is {status}): there is nothing to waive")]
    #[diagnostic(code(annexa::waive))]
    NotFailing { rule: String, system: String, status: &'static str },
}

/// What a waiver records, before it is bound to an outcome.
#[derive(Clone, Debug)]
pub struct WaiverRequest {
    pub rule: String,
    pub system: String,
    pub reason: String,
    pub by: String,
    pub expires: jiff::civil::Date,
    pub now: jiff::civil::Date,
}

impl WaiverRequest {
    /// Checks what people wrote, before any scan.
    pub fn validate(&self) -> Result<(), WaiveError> {
        if self.reason.trim().is_empty() {
            return Err(WaiveError::Missing { field: "a reason (--reason)" });
        }
        if self.by.trim().is_empty() {
            return Err(WaiveError::Missing { field: "an approver (--by)" });
        }
        if self.expires <= self.now {
            return Err(WaiveError::Expired { expires: self.expires, now: self.now });
        }
        Ok(())
    }

    /// Binds the waiver to the current outcome (found by identity and rule)
    /// and its fingerprint, replacing any earlier waiver of the same pair.
    pub fn apply(&self, file: &mut Dispositions, results: &[FileResult], rules: &[RuleInfo]) -> Result<(), WaiveError> {
        self.validate()?;
        let outcome = results
            .iter()
            .flat_map(|r| r.outcomes.iter().map(move |o| (r, o)))
            .find(|(r, o)| o.rule == self.rule && r.documents.iter().any(|d| d.index == o.document && d.identity == self.system))
            .map(|(_, o)| o)
            .ok_or_else(|| WaiveError::NoOutcome { rule: self.rule.clone(), system: self.system.clone() })?;
        if outcome.status != Status::Fail {
            return Err(WaiveError::NotFailing { rule: self.rule.clone(), system: self.system.clone(), status: outcome.status.as_str() });
        }
        file.waivers.retain(|w| !(w.system == self.system && w.rule == self.rule));
        file.waivers.push(Waiver {
            system: self.system.clone(),
            rule: self.rule.clone(),
            reason: self.reason.trim().to_string(),
            by: self.by.trim().to_string(),
            granted: self.now,
            expires: self.expires,
            fingerprint: outcome.fingerprint.clone(),
            rule_hash: rules.iter().find(|r| r.id == self.rule).map(|r| r.source_hash.clone()).unwrap_or_default(),
            evidence: outcome.evidence.clone().unwrap_or_default(),
            position: Position::default(),
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(pairs: &[(&str, Option<&str>)]) -> Evidence {
        pairs.iter().map(|(p, v)| (p.to_string(), v.map(str::to_string))).collect()
    }

    fn rule(id: &str) -> RuleInfo {
        RuleInfo {
            id: id.into(),
            title: String::new(),
            description: String::new(),
            severity: crate::rules::Severity::High,
            kinds: Vec::new(),
            scope: crate::rules::Scope::Document,
            controls: Vec::new(),
            reassess: crate::rules::Reassess::default(),
            remediation: String::new(),
            tags: Vec::new(),
            deprecated: false,
            source: String::new(),
            source_hash: "hash".into(),
        }
    }

    fn recorded(system: &str, rule: &str, status: Status, day: i8, fingerprint: &str) -> Disposition {
        Disposition {
            system: system.into(),
            rule: rule.into(),
            status,
            assessed: jiff::civil::date(2025, 1, day),
            reviewer: None,
            note: Some(format!("entry of day {day}")),
            fingerprint: fingerprint.into(),
            rule_hash: "hash".into(),
            evidence: ev(&[("spec.day", Some(&day.to_string()))]),
            position: Position::new(day as u32, 5),
        }
    }

    /// A waiver granted by alice until 2026, at `line` of the file.
    fn waiver(system: &str, rule: &str, fingerprint: &str, line: u32) -> Waiver {
        Waiver {
            system: system.into(),
            rule: rule.into(),
            reason: "sandboxed".into(),
            by: "alice".into(),
            granted: jiff::civil::date(2025, 1, 1),
            expires: jiff::civil::date(2026, 1, 1),
            fingerprint: fingerprint.into(),
            rule_hash: "hash".into(),
            evidence: ev(&[("spec.tools", Some("[]"))]),
            position: Position::new(line, 5),
        }
    }

    /// One file whose documents are `systems` in stream order, with `outcomes` (document, rule, status, fingerprint).
    fn scanned(systems: &[&str], outcomes: &[(usize, &str, Status, &str)]) -> FileResult {
        let documents = systems
            .iter()
            .enumerate()
            .map(|(index, identity)| crate::report::DocumentInfo {
                index,
                identity: identity.to_string(),
                kind: "AISystem".into(),
                api_version: None,
                hash: None,
                region: crate::document::Region::default(),
            })
            .collect();
        let outcomes = outcomes
            .iter()
            .map(|(document, rule, status, fingerprint)| Outcome {
                rule: rule.to_string(),
                document: *document,
                status: *status,
                findings: Vec::new(),
                error: None,
                logs: Vec::new(),
                fingerprint: fingerprint.to_string(),
                evidence: None,
                disposition: None,
            })
            .collect();
        FileResult { path: "systems.yaml".into(), documents, outcomes, ..FileResult::default() }
    }

    /// The file forbids two entries for one pair, but the API takes any
    /// `Dispositions`: recording goes by the first entry in file order.
    #[test]
    fn recording_goes_by_the_first_of_several_entries_for_a_pair() {
        let now = jiff::civil::date(2025, 6, 1);
        let rules = [rule("R1"), rule("R2"), rule("R3"), rule("R4")];
        let old = Dispositions {
            dispositions: vec![
                recorded("other", "R1", Status::Fail, 1, "f0"),
                recorded("bot", "R1", Status::Fail, 2, "f1"),
                recorded("bot", "R1", Status::Pass, 3, "f1"),
                recorded("bot", "R2", Status::Pass, 4, "f2"),
                recorded("bot", "R2", Status::Pass, 5, "f2"),
                recorded("bot", "R3", Status::Pass, 6, "f3"),
                recorded("bot", "R3", Status::Pass, 7, "f3"),
                recorded("bot", "R4", Status::Fail, 8, "old"),
                recorded("bot", "R4", Status::Pass, 9, "f4"),
            ],
            waivers: Vec::new(),
        };
        let mut result = scanned(
            &["bot"],
            &[(0, "R1", Status::Error, "f1"), (0, "R2", Status::Pass, "f2"), (0, "R3", Status::Fail, "f3"), (0, "R4", Status::Fail, "f4")],
        );
        let mut classifier = Classifier::new(&old, "d.yaml", &rules, now);
        classifier.classify(&mut result);
        let mut recorder = Recorder::new(&old, &rules, now, RecordOptions::default());
        recorder.file(&result);
        let (file, summary) = recorder.finish();
        let [r1, r2, r3, r4, other] = file.dispositions.as_slice() else { panic!("five entries: {file:?}") };
        // An error keeps the first entry, and so does an unchanged outcome.
        assert_eq!(r1, &old.dispositions[1]);
        assert_eq!(r2, &old.dispositions[3]);
        assert_eq!(other, &old.dispositions[0]);
        // Reassessed with the first entry's fingerprint: its evidence is kept.
        assert_eq!((r3.status, r3.assessed, &r3.evidence), (Status::Fail, now, &old.dispositions[5].evidence));
        // The first entry's fingerprint differs: no evidence is reused.
        assert_eq!((r4.status, r4.assessed, r4.fingerprint.as_str(), r4.evidence.is_empty()), (Status::Fail, now, "f4", true));
        assert_eq!(summary, RecordSummary { added: 0, updated: 2, unchanged: 1, removed: 0 });
    }

    /// A file read as written (indexed, entries built per system met)
    /// classifies as the same file read whole, in both scopes.
    #[test]
    fn an_indexed_file_classifies_as_the_file_read_whole() {
        let now = jiff::civil::date(2025, 6, 1);
        let rules = [rule("R1"), rule("R2")];
        let file = Dispositions {
            dispositions: vec![
                recorded("bot", "R1", Status::Fail, 1, "f1"),
                recorded("bot", "R2", Status::Fail, 2, "f2"),
                recorded("ghost", "R1", Status::Fail, 3, "f1"),
                recorded("bot", "R9", Status::Fail, 4, "f9"),
                recorded("helper", "R1", Status::Pass, 5, "old"),
                recorded("helper", "R2", Status::Fail, 6, "f2"),
            ],
            waivers: vec![waiver("bot", "R1", "f1", 0), waiver("ghost", "R1", "f1", 0), waiver("helper", "R2", "f2", 0)],
        };
        let text = file::render(&file);
        let whole = file::read_within(&text, "d.yaml", &file::LIMITS).unwrap();
        let indexed = Recorded::Indexed(std::sync::Arc::new(Index::new(text).unwrap()));
        let classify = |source: Source, scope: Scope| {
            let mut classifier = Classifier::new(source, "d.yaml", &rules, now);
            let mut result = scanned(
                &["bot", "helper", "new"],
                &[(0, "R1", Status::Fail, "f1"), (1, "R1", Status::Fail, "f1"), (2, "R1", Status::Pass, "n1")],
            );
            classifier.classify(&mut result);
            let classes: Vec<_> = result.outcomes.into_iter().map(|o| o.disposition).collect();
            (classes, classifier.finish(scope))
        };
        for scope in [Scope::Whole, Scope::SystemsRead] {
            let (classes, summary) = classify(Source::from(&indexed), scope);
            assert_eq!((classes.clone(), summary.clone()), classify(Source::from(&whole), scope));
            // Not vacuous: held and lapsed waivers, a reassessment, and entries nothing matched.
            let statuses: Vec<_> = classes.iter().map(|c| c.as_ref().map(|c| (c.status, c.waiver.as_ref().map(|w| w.status)))).collect();
            assert_eq!(
                statuses,
                [
                    Some((DispositionStatus::Unchanged, Some(WaiverStatus::Held))),
                    Some((DispositionStatus::ReassessDue, None)),
                    Some((DispositionStatus::New, None))
                ]
            );
            let gone = if scope == Scope::Whole { 4 } else { 3 };
            assert_eq!((summary.gone.len(), summary.unmatched_waivers.len()), (gone, usize::from(scope == Scope::Whole) + 1));
        }
        // The fingerprints a scan compares against come from the index as from the whole file.
        let (by_index, by_file) = (indexed.evidence_mode(), whole.evidence_mode());
        for (system, rule, fingerprint) in [("bot", "R1", "f1"), ("bot", "R1", "f0"), ("helper", "R2", "f2"), ("new", "R1", "n1")] {
            assert_eq!(
                by_index.wants(system, rule, fingerprint),
                by_file.wants(system, rule, fingerprint),
                "{system} {rule} {fingerprint}"
            );
        }
        assert_eq!(
            [("bot", "R1", "f1"), ("bot", "R1", "f0"), ("new", "R1", "n1")].map(|(s, r, f)| by_index.wants(s, r, f)),
            [false, true, true]
        );
    }

    #[test]
    fn failures_nothing_matched_are_resolved_with_their_reason() {
        let now = jiff::civil::date(2025, 6, 1);
        let rules = [rule("R1"), rule("R2")];
        let file = Dispositions {
            dispositions: vec![
                recorded("bot", "R1", Status::Fail, 1, "f1"),
                recorded("bot", "R2", Status::Fail, 2, "f2"),
                recorded("ghost", "R1", Status::Fail, 3, "f1"),
                recorded("bot", "R9", Status::Fail, 4, "f9"),
                recorded("ghost", "R2", Status::Pass, 5, "f2"),
                recorded("helper", "R2", Status::Fail, 6, "f2"),
            ],
            waivers: vec![waiver("bot", "R1", "f1", 20), waiver("ghost", "R1", "f1", 30)],
        };
        let mut result = scanned(&["bot", "helper"], &[(0, "R1", Status::Fail, "f1"), (1, "R1", Status::Pass, "f1")]);
        let mut classifier = Classifier::new(&file, "d.yaml", &rules, now);
        classifier.classify(&mut result);
        let gone = |system: &str, rule: &str, reason: &str| Gone { system: system.into(), rule: rule.into(), reason: reason.into() };
        let expected = DispositionSummary {
            file: "d.yaml".into(),
            statuses: [(DispositionStatus::New, 1), (DispositionStatus::Unchanged, 1), (DispositionStatus::Resolved, 4)].into(),
            waived: 1,
            lapsed_waivers: 0,
            // Sorted by (system, rule), whatever the order of the file's entries.
            gone: vec![
                gone("bot", "R2", "was fail (assessed 2025-01-02), the rule no longer applies to this system"),
                gone("bot", "R9", "was fail (assessed 2025-01-04), the rule is not loaded"),
                gone("ghost", "R1", "was fail (assessed 2025-01-03), the system is not in this scan"),
                gone("helper", "R2", "was fail (assessed 2025-01-06), the rule no longer applies to this system"),
            ],
            unmatched_waivers: vec![UnmatchedWaiver { system: "ghost".into(), rule: "R1".into(), at: Position::new(30, 5) }],
        };
        assert_eq!(classifier.finish(Scope::Whole), expected);
        // A scan of some files answers for bot and helper only: ghost's failure and waiver are not its business.
        let mut result = scanned(&["bot", "helper"], &[(0, "R1", Status::Fail, "f1"), (1, "R1", Status::Pass, "f1")]);
        let mut classifier = Classifier::new(&file, "d.yaml", &rules, now);
        classifier.classify(&mut result);
        let only_read = DispositionSummary {
            statuses: [(DispositionStatus::New, 1), (DispositionStatus::Unchanged, 1), (DispositionStatus::Resolved, 3)].into(),
            gone: expected.gone.iter().filter(|g| g.system != "ghost").cloned().collect(),
            unmatched_waivers: Vec::new(),
            ..expected.clone()
        };
        assert_eq!(classifier.finish(Scope::SystemsRead), only_read);
    }

    #[test]
    fn diff_reports_leaves_once() {
        let old = ev(&[
            ("spec.models", Some(r#"[{"name":"gpt-4o","provider":"openai"},{"name":"bge","provider":"internal"}]"#)),
            ("spec.models[0].provider", Some(r#""openai""#)),
            ("spec.owner", None),
        ]);
        let new = ev(&[
            ("spec.models", Some(r#"[{"name":"gpt-4o","provider":"mistral"},{"name":"bge","provider":"internal"}]"#)),
            ("spec.models[0].provider", Some(r#""mistral""#)),
            ("spec.owner", Some(r#""me""#)),
        ]);
        let triggers = diff(&old, &new);
        assert_eq!(describe(&triggers), r#"spec.models[0].provider changed "openai" → "mistral"; spec.owner changed (absent) → "me""#);
        assert!(diff(&old, &old).is_empty());
    }

    #[test]
    fn describe_caps_long_lists_and_values() {
        let old =
            ev(&[("a", Some("1")), ("b", Some("1")), ("c", Some("1")), ("d", Some("1")), ("e", Some(&format!("\"{}\"", "x".repeat(80))))]);
        let new = ev(&[("a", Some("2")), ("b", Some("2")), ("c", Some("2")), ("d", Some("2")), ("e", None)]);
        let line = describe(&diff(&old, &new));
        assert_eq!(line, "a changed 1 → 2; b changed 1 → 2; c changed 1 → 2; and 2 more changes");
        assert!(shown(Some(&"y".repeat(100))).ends_with('…'));
    }

    #[test]
    fn a_waiver_needs_reason_approver_and_a_future_date() {
        let now = jiff::civil::date(2025, 6, 1);
        let ok = WaiverRequest {
            rule: "AIS005".into(),
            system: "bot".into(),
            reason: "sandboxed".into(),
            by: "alice".into(),
            expires: jiff::civil::date(2025, 9, 1),
            now,
        };
        assert!(ok.validate().is_ok());
        let no_reason = WaiverRequest { reason: "  ".into(), ..ok.clone() };
        assert_eq!(no_reason.validate().unwrap_err().to_string(), "a waiver needs a reason (--reason)");
        let no_by = WaiverRequest { by: String::new(), ..ok.clone() };
        assert_eq!(no_by.validate().unwrap_err().to_string(), "a waiver needs an approver (--by)");
        let past = WaiverRequest { expires: now, ..ok };
        assert_eq!(past.validate().unwrap_err().to_string(), "the waiver expires on 2025-06-01, which is not after 2025-06-01");
    }
}
