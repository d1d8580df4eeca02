//! `scan --changed [BASE]`: the files that differ from a git ref, asked of
//! `git` itself: committed since BASE, staged, unstaged and untracked, minus
//! deletions, limited to the paths given and to formats annexa reads.

use std::path::{Path, PathBuf};
use std::process::Command;

use annexa_engine::document::discover::display_path;
use annexa_engine::document::Format;
use miette::miette;

fn git(args: &[&str]) -> miette::Result<String> {
    git_in(Path::new("."), args)
}

/// `git ARGS` run in `dir`.
fn git_in(dir: &Path, args: &[&str]) -> miette::Result<String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .map_err(|e| miette!(help = "--changed needs git on the PATH", "cannot run git: {e}"))?;
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

/// `path` written relative to `base` (both absolute), with `..` where it
/// lies outside: how a file changed above the working directory is shown.
fn relative_to(path: &Path, base: &Path) -> PathBuf {
    let common = path.components().zip(base.components()).take_while(|(a, b)| a == b).count();
    let up = base.components().count().saturating_sub(common);
    std::iter::repeat_n(Path::new(".."), up)
        .map(Path::to_path_buf)
        .chain(path.components().skip(common).map(|c| PathBuf::from(c.as_os_str())))
        .collect()
}

/// The changed files under `roots` that pass the include/exclude globs,
/// relative to the working directory, sorted. Paths are compared whole
/// (canonical), so a root given as an absolute path, or as `..` from a
/// folder below it, holds the files it holds.
pub fn files(base: &str, roots: &[PathBuf], include: &[String], exclude: &[String]) -> miette::Result<Vec<PathBuf>> {
    let (included, excluded) = (globs(include)?, globs(exclude)?);
    let base = if base.is_empty() { default_base()? } else { base.to_string() };
    let top = PathBuf::from(git(&["rev-parse", "--show-toplevel"])?.trim_end_matches('\n'));
    let top = top.canonicalize().unwrap_or(top);
    let cwd = std::env::current_dir().and_then(|d| d.canonicalize()).map_err(|e| miette!("cannot read the working directory: {e}"))?;
    // Both relative to the top of the repository, whatever the working directory.
    let tracked = git_in(&top, &["diff", "--name-only", "-z", "--diff-filter=d", &base, "--"])?;
    let untracked = git_in(&top, &["ls-files", "--others", "--exclude-standard", "-z"])?;
    let roots: Vec<PathBuf> = roots.iter().map(|r| r.canonicalize().unwrap_or_else(|_| cwd.join(r))).collect();
    let mut files: Vec<PathBuf> = tracked
        .split('\0')
        .chain(untracked.split('\0'))
        .filter(|f| !f.is_empty())
        .map(|f| top.join(f))
        .filter(|f| roots.iter().any(|root| f.starts_with(root)))
        .map(|f| relative_to(&f, &cwd))
        .filter(|f| {
            let shown = display_path(f);
            (include.is_empty() || included.is_match(&shown)) && !excluded.is_match(&shown)
        })
        .filter(|p| Format::from_path(p).is_some() && p.is_file())
        .collect();
    files.sort();
    files.dedup();
    Ok(files)
}
