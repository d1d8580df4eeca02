//! Merging saved JSON results (one per `--shard`, or per CI job) into the
//! report a single run over all their inputs would have given: files in
//! path order, the summary counted again, the same rules required of all.

use super::json::JsonReport;
use super::{Shards, Summary};

/// Why results cannot be merged; `index` is the position of the offending result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MergeError {
    pub index: usize,
    pub message: String,
}

/// Errors a result counted that are not in its files: inputs that could not
/// be found while walking. Every shard walks the same roots, so every shard
/// counts them; the merged report counts them once.
fn walk_errors(report: &JsonReport) -> usize {
    let mut counted = Summary::default();
    for file in &report.files {
        counted.add(file, &report.header);
    }
    report.summary.errors.saturating_sub(counted.errors + report.header.rule_errors.len())
}

/// Merges results; the first one's header (and `fail_on`, unless given) is kept.
pub fn merge(reports: Vec<JsonReport>, fail_on: Option<crate::rules::Severity>) -> Result<JsonReport, MergeError> {
    let mut reports = reports.into_iter().enumerate();
    let Some((_, first)) = reports.next() else {
        return Err(MergeError { index: 0, message: "no results to merge".into() });
    };
    let mut header = first.header.clone();
    if let Some(f) = fail_on {
        header.fail_on = f;
    }
    let mut shards = first.header.shards.clone();
    let mut walk = walk_errors(&first);
    let mut skipped = first.summary.skipped.clone();
    let mut files = first.files;
    for (index, report) in reports {
        let differs = |what: &str| MergeError { index, message: format!("its {what} differs from the first result's") };
        if report.header.schema != header.schema {
            return Err(differs("schema"));
        }
        if report.header.version != header.version {
            return Err(differs("annexa version"));
        }
        if report.header.now != header.now {
            return Err(differs("evaluation date (--now)"));
        }
        let rules = |r: &JsonReport| r.header.rules.iter().map(|r| (r.id.clone(), r.severity, r.source_hash.clone())).collect::<Vec<_>>();
        if rules(&report) != first.header.rules.iter().map(|r| (r.id.clone(), r.severity, r.source_hash.clone())).collect::<Vec<_>>()
            || report.header.rule_errors != header.rule_errors
        {
            return Err(differs("rule set"));
        }
        shards = match (shards, &report.header.shards) {
            (None, None) => None,
            (Some(held), Some(more)) if held.count == more.count => {
                if let Some(twice) = more.held.iter().find(|i| held.held.contains(i)) {
                    return Err(MergeError { index, message: format!("shard {twice}/{} is in more than one result", more.count) });
                }
                Some(Shards { held: held.held.into_iter().chain(more.held.iter().copied()).collect(), count: held.count })
            }
            (Some(_), Some(_)) => return Err(differs("shard count")),
            _ => {
                return Err(MergeError { index, message: "it mixes the results of a sharded scan with those of a whole one".into() });
            }
        };
        walk = walk.max(walk_errors(&report));
        skipped.extend(report.summary.skipped.iter().cloned());
        files.extend(report.files);
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    if let Some(pair) = files.windows(2).find(|w| matches!(w, [a, b] if a.path == b.path)) {
        let path = pair.first().map(|f| f.path.clone()).unwrap_or_default();
        return Err(MergeError { index: 0, message: format!("{path} is in more than one result (overlapping shards?)") });
    }
    // All the shards together are the whole scan.
    header.shards = shards
        .map(|mut s| {
            s.held.sort_unstable();
            s
        })
        .filter(|s| !s.missing().is_empty());
    skipped.sort_by(|a, b| a.path.cmp(&b.path));
    skipped.dedup();
    let mut summary = Summary { errors: header.rule_errors.len() + walk, skipped, ..Summary::default() };
    for file in &files {
        summary.add(file, &header);
    }
    Ok(JsonReport { header, files, summary })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Header;

    fn results(shards: Option<(&[u32], u32)>) -> JsonReport {
        let header = Header {
            schema: "annexa.report/v1".into(),
            tool: "annexa".into(),
            version: "0".into(),
            now: "2025-07-01".into(),
            fail_on: crate::rules::Severity::Low,
            rules: Vec::new(),
            rule_errors: Vec::new(),
            reassess: None,
            shards: shards.map(|(held, count)| Shards { held: held.to_vec(), count }),
        };
        JsonReport { header, files: Vec::new(), summary: Summary::default() }
    }

    #[test]
    fn merged_shards_say_which_are_missing_until_none_is() {
        let merged = |parts: &[Option<(&[u32], u32)>]| merge(parts.iter().map(|p| results(*p)).collect(), None);
        let two = merged(&[Some((&[3], 4)), Some((&[1], 4))]).unwrap().header.shards.unwrap();
        assert_eq!((two.describe(), two.missing()), ("1, 3 of 4".to_string(), vec![2, 4]));
        assert_eq!(merged(&[Some((&[2], 4)), Some((&[1, 3], 4)), Some((&[4], 4))]).unwrap().header.shards, None);
        assert_eq!(merged(&[None, None]).unwrap().header.shards, None);
        let refused = |parts: &[Option<(&[u32], u32)>]| merged(parts).unwrap_err();
        assert_eq!(refused(&[Some((&[1], 4)), Some((&[1], 3))]).message, "its shard count differs from the first result's");
        assert_eq!(refused(&[Some((&[1], 4)), Some((&[2], 4)), Some((&[2], 4))]).message, "shard 2/4 is in more than one result");
        assert_eq!(refused(&[None, Some((&[2], 4))]).index, 1);
    }
}
