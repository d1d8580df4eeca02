//! `scan --changed [BASE]`: the files that differ from a git ref, asked of
//! `git` itself: committed since BASE, staged, unstaged and untracked, minus
//! deletions, limited to the paths given and to formats annexa reads.

use std::path::{Path, PathBuf};
use std::process::Command;

use annexa_engine::document::discover::display_path;
use annexa_engine::document::Format;
use miette::miette;

fn git(args: &[&str]) -> miette::Result<String> {
    let out =
        Command::new("git").args(args).output().map_err(|e| miette!(help = "--changed needs git on the PATH", "cannot run git: {e}"))?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        return Err(miette!(
            help = "run --changed inside a git repository, with a BASE that exists",
            "git {} failed: {}",
            args.join(" "),
            stderr.trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The default base: where HEAD left the default branch.
fn default_base() -> miette::Result<String> {
    let candidates = ["origin/HEAD", "main", "master", "origin/main", "origin/master"];
    for branch in candidates {
        if git(&["rev-parse", "--verify", "--quiet", &format!("{branch}^{{commit}}")]).is_ok() {
            return Ok(git(&["merge-base", "HEAD", branch])?.trim().to_string());
        }
    }
    Err(miette!(
        help = "name the base explicitly: --changed origin/main",
        "cannot find the default branch (tried {})",
        candidates.join(", ")
    ))
}

fn globs(globs: &[String]) -> miette::Result<globset::GlobSet> {
    let mut builder = globset::GlobSetBuilder::new();
    for glob in globs {
        builder.add(globset::Glob::new(glob).map_err(|e| miette!("invalid glob `{glob}`: {}", e.kind()))?);
    }
    builder.build().map_err(|e| miette!("invalid globs: {e}"))
}

/// The changed files under `roots` that pass the include/exclude globs,
/// relative to the working directory, sorted.
pub fn files(base: &str, roots: &[PathBuf], include: &[String], exclude: &[String]) -> miette::Result<Vec<PathBuf>> {
    let (included, excluded) = (globs(include)?, globs(exclude)?);
    let base = if base.is_empty() { default_base()? } else { base.to_string() };
    // `--relative` gives paths relative to the working directory (and only below it).
    let tracked = git(&["diff", "--name-only", "-z", "--relative", "--diff-filter=d", &base, "--"])?;
    let untracked = git(&["ls-files", "--others", "--exclude-standard", "-z"])?;
    let roots: Vec<String> = roots.iter().map(|r| display_path(r)).collect();
    let under_roots = |file: &str| {
        roots.iter().any(|root| {
            root == "."
                || file == root
                || file.strip_prefix(root.as_str()).is_some_and(|rest| rest.starts_with('/'))
                || root.ends_with('/') && file.starts_with(root.as_str())
        })
    };
    let mut files: Vec<PathBuf> = tracked
        .split('\0')
        .chain(untracked.split('\0'))
        .filter(|f| !f.is_empty() && under_roots(f))
        .filter(|f| (include.is_empty() || included.is_match(f)) && !excluded.is_match(f))
        .map(PathBuf::from)
        .filter(|p| Format::from_path(p).is_some() && Path::new(p).is_file())
        .collect();
    files.sort();
    files.dedup();
    Ok(files)
}
