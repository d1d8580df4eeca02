//! Readiness views over an `Audit`: progress per ISO/IEC 42001 domain and per
//! system, the systems x domains heatmap, the systems x controls matrix, and
//! the integration view (for each ISO/IEC 27001 control the crosswalk extends
//! to AI, whether the related 42001 controls are in place).
//!
//! Only applicable controls count. A heatmap cell is the number of 42001
//! controls of that domain implemented on the system, out of those assessed there.

use std::collections::HashMap;

use serde::Serialize;

use super::{Audit, ControlResult, ControlStatus};
use crate::controls::catalogs;

/// Counts of applicable controls by status.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub implemented: usize,
    pub partial: usize,
    pub gap: usize,
    pub not_assessed: usize,
}

impl Tally {
    pub fn add(&mut self, status: ControlStatus) {
        match status {
            ControlStatus::Implemented => self.implemented += 1,
            ControlStatus::Partial => self.partial += 1,
            ControlStatus::Gap => self.gap += 1,
            ControlStatus::NotAssessed => self.not_assessed += 1,
        }
    }

    pub fn total(&self) -> usize {
        self.implemented + self.partial + self.gap + self.not_assessed
    }

    /// Implemented, as a whole percentage of all counted controls (0 when none).
    pub fn percent(&self) -> usize {
        (self.implemented * 100).checked_div(self.total()).unwrap_or(0)
    }
}

/// Progress of one 42001 domain (A.2 to A.10) over all systems.
#[derive(Clone, Debug, Serialize)]
pub struct DomainProgress {
    pub domain: String,
    pub title: String,
    pub excluded: usize,
    #[serde(flatten)]
    pub tally: Tally,
}

/// One heatmap cell: controls of a domain implemented on a system, of those assessed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Cell {
    pub implemented: usize,
    pub assessed: usize,
}

/// One matrix cell that was assessed (others are not assessed).
#[derive(Clone, Debug, Serialize)]
pub struct MatrixCell {
    pub control: String,
    pub status: ControlStatus,
    pub outcomes: Vec<super::Text>,
}

/// A system's progress, its heatmap row and its matrix row.
#[derive(Clone, Debug, Serialize)]
pub struct SystemProgress {
    pub system: String,
    pub kind: String,
    /// Applicable 42001 controls by their status on this system.
    #[serde(flatten)]
    pub tally: Tally,
    /// One cell per domain, in `Readiness::domains` order.
    pub heatmap: Vec<Cell>,
    pub matrix: Vec<MatrixCell>,
}

/// One ISO/IEC 27001 control extended to AI and whether the extension is in place.
#[derive(Clone, Debug, Serialize)]
pub struct Extension {
    pub iso27001: String,
    pub title: String,
    pub mappings: Vec<String>,
    pub topics: Vec<String>,
    /// The related 42001 controls and their status (applicable ones).
    pub iso42001: Vec<(String, ControlStatus)>,
    /// See `extension_status`.
    pub status: ControlStatus,
    /// The status of the 27001 control itself, from the rules that cover it.
    pub iso27001_status: ControlStatus,
}

#[derive(Clone, Debug, Serialize)]
pub struct Readiness {
    pub schema: String,
    pub now: String,
    pub domains: Vec<DomainProgress>,
    /// All systems together: the heatmap's summary row.
    pub overall: Vec<Cell>,
    pub systems: Vec<SystemProgress>,
    pub integration: Vec<Extension>,
}

/// Version of the readiness JSON format.
pub const SCHEMA_VERSION: &str = "annexa.readiness/v1";

pub fn build(audit: &Audit) -> Readiness {
    let annex: Vec<&ControlResult> = audit.controls_of("iso42001").filter(|c| c.applicable).collect();
    let domain_ids: Vec<String> = catalogs()
        .standard("iso42001")
        .map(|s| s.groups.iter().filter(|g| g.id.starts_with("A.")).map(|g| g.id.clone()).collect())
        .unwrap_or_default();
    let domain_slot: HashMap<&str, usize> = domain_ids.iter().enumerate().map(|(i, d)| (d.as_str(), i)).collect();

    let domains = domain_ids
        .iter()
        .map(|d| {
            let mut tally = Tally::default();
            annex.iter().filter(|c| &c.domain == d).for_each(|c| tally.add(c.status));
            DomainProgress {
                domain: d.clone(),
                title: catalogs()
                    .standard("iso42001")
                    .and_then(|s| s.groups.iter().find(|g| &g.id == d))
                    .map(|g| g.title.clone())
                    .unwrap_or_default(),
                excluded: audit.controls_of("iso42001").filter(|c| &c.domain == d && !c.applicable).count(),
                tally,
            }
        })
        .collect();

    // system -> its assessed cells, from each control's per-system results.
    let mut cells: HashMap<&str, Vec<(&ControlResult, &super::SystemControl)>> = HashMap::new();
    for control in &annex {
        for sc in &control.systems {
            cells.entry(&*sc.system).or_default().push((control, sc));
        }
    }
    let mut overall = vec![Cell::default(); domain_ids.len()];
    let systems = audit
        .systems
        .iter()
        .map(|system| {
            let assessed = cells.get(system.name.as_str()).map(Vec::as_slice).unwrap_or_default();
            let mut tally = Tally::default();
            let mut heatmap = vec![Cell::default(); domain_ids.len()];
            for (control, sc) in assessed {
                tally.add(sc.status);
                if let Some(cell) = domain_slot.get(control.domain.as_str()).and_then(|&i| heatmap.get_mut(i)) {
                    cell.assessed += 1;
                    cell.implemented += usize::from(sc.status == ControlStatus::Implemented);
                }
            }
            tally.not_assessed = annex.len().saturating_sub(assessed.len());
            for (sum, cell) in overall.iter_mut().zip(&heatmap) {
                sum.assessed += cell.assessed;
                sum.implemented += cell.implemented;
            }
            SystemProgress {
                system: system.name.clone(),
                kind: system.kind.clone(),
                tally,
                heatmap,
                matrix: assessed
                    .iter()
                    .map(|(control, sc)| MatrixCell {
                        control: control.id.clone(),
                        status: sc.status,
                        outcomes: sc.passed.iter().chain(&sc.not_passed).cloned().collect(),
                    })
                    .collect(),
            }
        })
        .collect();

    Readiness { schema: SCHEMA_VERSION.into(), now: audit.now.clone(), domains, overall, systems, integration: integration(audit) }
}

/// For each 27001 control named in the crosswalk, in catalog order.
fn integration(audit: &Audit) -> Vec<Extension> {
    let crosswalk = &catalogs().crosswalk;
    audit
        .controls_of("iso27001")
        .filter_map(|control| {
            let rows: Vec<_> = crosswalk.iter().filter(|m| m.iso27001.contains(&control.id)).collect();
            if rows.is_empty() {
                return None;
            }
            let mut related: Vec<String> = rows.iter().flat_map(|m| m.iso42001.iter().cloned()).collect();
            related.sort_by_key(|id| audit.controls.iter().position(|c| c.standard == "iso42001" && &c.id == id));
            related.dedup();
            let related: Vec<(String, ControlStatus)> = related
                .into_iter()
                .filter_map(|id| audit.control("iso42001", &id).filter(|c| c.applicable).map(|c| (id, c.status)))
                .collect();
            let status = extension_status(related.iter().map(|(_, s)| *s));
            Some(Extension {
                iso27001: control.id.clone(),
                title: control.title.clone(),
                mappings: rows.iter().map(|m| m.id.clone()).collect(),
                topics: rows.iter().map(|m| m.topic.clone()).collect(),
                iso42001: related,
                status,
                iso27001_status: control.status,
            })
        })
        .collect()
}

/// Whether an extension is in place, from its related 42001 controls that were
/// assessed: implemented (in place) when all are implemented, gap (missing)
/// when all are gaps, partial otherwise, not assessed when none was assessed.
pub fn extension_status(related: impl IntoIterator<Item = ControlStatus>) -> ControlStatus {
    let assessed: Vec<ControlStatus> = related.into_iter().filter(|s| *s != ControlStatus::NotAssessed).collect();
    if assessed.is_empty() {
        ControlStatus::NotAssessed
    } else if assessed.iter().all(|s| *s == ControlStatus::Implemented) {
        ControlStatus::Implemented
    } else if assessed.iter().all(|s| *s == ControlStatus::Gap) {
        ControlStatus::Gap
    } else {
        ControlStatus::Partial
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ControlStatus::*;

    #[test]
    fn an_extension_is_in_place_only_when_every_assessed_related_control_is() {
        assert_eq!(extension_status([Implemented, NotAssessed]), Implemented);
        assert_eq!(extension_status([Gap, Gap, NotAssessed]), Gap);
        assert_eq!(extension_status([Partial, Gap]), Partial);
        assert_eq!(extension_status([Implemented, Gap]), Partial);
        assert_eq!(extension_status([NotAssessed]), NotAssessed);
    }
}
