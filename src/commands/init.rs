//! `annexa init`: a commented starter config, an example AISystem document
//! and an example custom rule with its test cases. It never overwrites: if
//! any of the files exists, nothing is written.

use std::path::PathBuf;

use miette::miette;

use super::ExitStatus;
use crate::args::InitArgs;

/// The example document: the compliant fixture, plus the field the example rule asks for.
fn example_document() -> String {
    let fixture = include_str!("../../fixtures/support-assistant.yaml");
    let body = fixture.split_once("apiVersion:").map_or(fixture.to_string(), |(_, rest)| format!("apiVersion:{rest}"));
    let body = body.replacen(
        "  labels: {env: prod, region: eu}\n",
        "  labels: {env: prod, region: eu, on_call: sre-on-call}   # on_call: asked for by policies/ACME001.rhai\n",
        1,
    );
    format!(
        "# An example AI system description (kind: AISystem). Describe your own systems\n# like this; `annexa scan` checks them.\n{body}"
    )
}

/// The files `init` writes, relative to the target folder.
pub fn files() -> Vec<(&'static str, String)> {
    vec![
        ("annexa.yaml", include_str!("../templates/annexa.yaml").to_string()),
        ("ai-systems/support-assistant.yaml", example_document()),
        ("policies/ACME001.rhai", include_str!("../templates/ACME001.rhai").to_string()),
        ("policies/tests/ACME001/fail-no-on-call.yaml", include_str!("../templates/ACME001-fail.yaml").to_string()),
        ("policies/tests/ACME001/pass-on-call.yaml", include_str!("../templates/ACME001-pass.yaml").to_string()),
    ]
}

pub fn run(args: InitArgs) -> miette::Result<ExitStatus> {
    let files = files();
    let existing: Vec<String> =
        files.iter().map(|(p, _)| args.dir.join(p)).filter(|p| p.exists()).map(|p| p.display().to_string()).collect();
    if !existing.is_empty() {
        return Err(miette!(
            help = "move them away or run `annexa init` in another folder; init never overwrites",
            "not writing anything: {} already exist{}",
            existing.join(", "),
            if existing.len() == 1 { "s" } else { "" }
        ));
    }
    for (path, text) in &files {
        let full: PathBuf = args.dir.join(path);
        if let Some(parent) = full.parent() {
            std::fs::create_dir_all(parent).map_err(|e| miette!("cannot create {}: {e}", parent.display()))?;
        }
        std::fs::write(&full, text).map_err(|e| miette!("cannot write {}: {e}", full.display()))?;
        println!("wrote {}", full.display());
    }
    println!(
        "\nNext:\n  annexa scan                                  # the built-in rules and policies/ over this folder\n  annexa rules list                            # what is checked (built-in and policies/), and which controls\n  annexa rules test policies                   # run the example rule's test cases\n  annexa scan --format text --format sarif --output annexa.sarif   # also write SARIF for code scanning"
    );
    Ok(ExitStatus::Clean)
}
