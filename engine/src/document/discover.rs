//! Finding input files: walk the given files and folders, honour
//! `.gitignore`, include/exclude globs and the default skips, and return a
//! sorted, de-duplicated list so every run reads the same files in the same order.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};
use serde::{Deserialize, Serialize};

use super::Format;
use crate::error::{Error, Result};

/// Folders never entered unless named explicitly.
pub const DEFAULT_SKIPS: [&str; 3] = [".git", "target", "node_modules"];

#[derive(Clone, Debug, Default)]
pub struct DiscoverOptions {
    /// When any is given, a file must match one of them.
    pub include: Vec<String>,
    pub exclude: Vec<String>,
    pub follow_symlinks: bool,
}

/// A file to read: where it is, how users see its path, and its format.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputFile {
    pub path: PathBuf,
    pub display: String,
    pub format: Format,
}

/// Something met while walking that was not read, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skipped {
    pub path: String,
    pub reason: String,
}

#[derive(Debug, Default)]
pub struct Discovered {
    pub files: Vec<InputFile>,
    /// Problems such as a path that does not exist or a symlink loop.
    pub errors: Vec<super::InputError>,
    pub skipped: Vec<Skipped>,
}

fn globset(globs: &[String]) -> Result<Option<GlobSet>> {
    if globs.is_empty() {
        return Ok(None);
    }
    let mut builder = GlobSetBuilder::new();
    for glob in globs {
        let g = Glob::new(glob).map_err(|source| Error::Glob { glob: glob.clone(), source })?;
        builder.add(g);
    }
    builder.build().map(Some).map_err(|source| Error::Glob { glob: globs.join(", "), source })
}

/// How a path is shown: as the user gave it, with `/` separators and no `./`.
pub fn display_path(path: &Path) -> String {
    let s = path.to_string_lossy().replace('\\', "/");
    let mut s = s.as_str();
    while let Some(rest) = s.strip_prefix("./") {
        s = rest;
    }
    if s.is_empty() {
        ".".into()
    } else {
        s.into()
    }
}

/// Walks `roots` (files or folders) and returns the files to read.
pub fn discover(roots: &[PathBuf], options: &DiscoverOptions) -> Result<Discovered> {
    let include = globset(&options.include)?;
    let exclude = globset(&options.exclude)?;
    let mut found: BTreeMap<String, InputFile> = BTreeMap::new();
    let mut out = Discovered::default();
    let wanted =
        |display: &str| include.as_ref().is_none_or(|g| g.is_match(display)) && !exclude.as_ref().is_some_and(|g| g.is_match(display));
    for root in roots {
        let meta = match std::fs::metadata(root) {
            Ok(meta) => meta,
            Err(e) => {
                out.errors.push(super::InputError {
                    file: display_path(root),
                    position: None,
                    message: format!("cannot read: {e}"),
                    hint: Some("check the path".into()),
                });
                continue;
            }
        };
        if !meta.is_dir() {
            // A file named explicitly is read whatever its name, as YAML unless it says otherwise.
            let display = display_path(root);
            let format = Format::from_path(root).unwrap_or(Format::Yaml);
            found.entry(display.clone()).or_insert(InputFile { path: root.clone(), display, format });
            continue;
        }
        let walker = ignore::WalkBuilder::new(root)
            .hidden(false)
            .parents(true)
            .git_ignore(true)
            .git_exclude(true)
            .git_global(false)
            .ignore(false)
            .follow_links(options.follow_symlinks)
            .filter_entry(|entry| {
                !(entry.depth() > 0
                    && entry.file_type().is_some_and(|t| t.is_dir())
                    && entry.file_name().to_str().is_some_and(|n| DEFAULT_SKIPS.contains(&n)))
            })
            .build();
        for entry in walker {
            let entry = match entry {
                Ok(entry) => entry,
                Err(e) => {
                    out.errors.push(walk_error(&e));
                    continue;
                }
            };
            let Some(file_type) = entry.file_type() else { continue };
            let display = display_path(entry.path());
            if file_type.is_dir() {
                continue;
            }
            let Some(format) = Format::from_path(entry.path()) else { continue };
            if !wanted(&display) {
                continue;
            }
            if file_type.is_symlink() {
                out.skipped.push(Skipped { path: display, reason: "symbolic link not followed (use --follow)".into() });
            } else if !file_type.is_file() {
                out.skipped.push(Skipped { path: display, reason: "not a regular file".into() });
            } else {
                found.entry(display.clone()).or_insert(InputFile { path: entry.into_path(), display, format });
            }
        }
    }
    out.files = found.into_values().collect();
    out.skipped.sort_by(|a, b| a.path.cmp(&b.path));
    out.skipped.dedup();
    Ok(out)
}

fn walk_error(e: &ignore::Error) -> super::InputError {
    let (path, message) = match e {
        ignore::Error::WithPath { path, err } => (display_path(path), err.to_string()),
        ignore::Error::Loop { child, ancestor } => (display_path(child), format!("symbolic link loop back to {}", display_path(ancestor))),
        ignore::Error::WithDepth { err, .. } => return walk_error(err),
        ignore::Error::WithLineNumber { err, .. } => return walk_error(err),
        other => (String::new(), other.to_string()),
    };
    super::InputError { file: path, position: None, message, hint: None }
}
