//! Finding input files: walk the given files and folders, honour
//! `.gitignore`, include/exclude globs and the default skips, and return a
//! sorted, de-duplicated list so every run reads the same files in the same order.

use std::borrow::Cow;
use std::collections::HashSet;
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
    /// Keep only this shard's share of the files.
    pub shard: Option<Shard>,
}

/// One of `count` disjoint shares of the inputs (`--shard 2/4`), chosen by
/// a stable hash of each file's displayed path: the same file always lands
/// in the same shard, whatever the machine or the other files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// 1-based.
    pub index: u32,
    pub count: u32,
}

impl Shard {
    /// Parses `I/N` with 1 <= I <= N.
    pub fn parse(text: &str) -> std::result::Result<Shard, String> {
        let (i, n) = text.split_once('/').ok_or_else(|| format!("`{text}` is not I/N"))?;
        let index: u32 = i.trim().parse().map_err(|_| format!("`{i}` is not a shard number"))?;
        let count: u32 = n.trim().parse().map_err(|_| format!("`{n}` is not a shard count"))?;
        if count == 0 || index == 0 || index > count {
            return Err(format!("shard {index}/{count} does not exist: use 1/N to N/N"));
        }
        Ok(Shard { index, count })
    }

    /// Whether the file with this displayed path belongs to this shard.
    pub fn contains(&self, display: &str) -> bool {
        let hash = blake3::hash(display.as_bytes());
        let mut first = [0u8; 8];
        first.copy_from_slice(hash.as_bytes().get(..8).unwrap_or(&[0; 8]));
        u64::from_le_bytes(first) % u64::from(self.count) == u64::from(self.index - 1)
    }
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
    /// With a shard: the files of the other shards, which corpus rules
    /// still read (`eval::scan_shard`).
    pub other_shards: Vec<InputFile>,
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
    // One allocation for the usual path: valid UTF-8, no backslash.
    let lossy = path.to_str().map_or_else(|| path.to_string_lossy(), Cow::Borrowed);
    let replaced;
    let mut s: &str = if lossy.contains('\\') {
        replaced = lossy.replace('\\', "/");
        &replaced
    } else {
        &lossy
    };
    while let Some(rest) = s.strip_prefix("./") {
        s = rest;
    }
    if s.is_empty() {
        ".".into()
    } else {
        s.into()
    }
}

/// The bytes of the last component of a walked path, as `Path::file_name`
/// gives it, found without parsing the path (the walk asks for every file it meets).
fn file_name(path: &Path) -> &[u8] {
    let bytes = path.as_os_str().as_encoded_bytes();
    let separator = |b: &u8| *b == b'/' || (cfg!(windows) && *b == b'\\');
    bytes.iter().rposition(separator).and_then(|at| bytes.get(at + 1..)).unwrap_or(bytes)
}

/// Walks `roots` (files or folders) and returns the files to read.
pub fn discover(roots: &[PathBuf], options: &DiscoverOptions) -> Result<Discovered> {
    let include = globset(&options.include)?;
    let exclude = globset(&options.exclude)?;
    // Sorted by display path and deduplicated once the walk is done: a list
    // holds a file in 56 bytes where a map's part-full B-tree nodes spend
    // about 80, and it becomes `files` as it is.
    let mut found: Vec<InputFile> = Vec::new();
    let mut out = Discovered::default();
    let wanted =
        |display: &str| include.as_ref().is_none_or(|g| g.is_match(display)) && !exclude.as_ref().is_some_and(|g| g.is_match(display));
    // With several roots, one file can be reached twice under two spellings
    // (`fixtures` and its absolute path, `a/../a`): each file is known by its
    // root's canonical path and its place under it, and the first root named wins.
    let several = roots.len() > 1;
    let mut reached: HashSet<PathBuf> = HashSet::new();
    let mut first_time = |root: &Path, canonical: Option<&Path>, path: &Path| {
        !several
            || reached.insert(canonical.zip(path.strip_prefix(root).ok()).map_or_else(|| path.to_path_buf(), |(c, under)| c.join(under)))
    };
    for root in roots {
        let canonical = if several { std::fs::canonicalize(root).ok() } else { None };
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
            if first_time(root, canonical.as_deref(), root) {
                found.push(InputFile { path: root.clone(), display, format });
            }
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
            let Some(format) = Format::from_file_name(file_name(entry.path())) else { continue };
            if !wanted(&display) {
                continue;
            }
            if file_type.is_symlink() {
                out.skipped.push(Skipped { path: display, reason: "symbolic link not followed (use --follow)".into() });
            } else if !file_type.is_file() {
                out.skipped.push(Skipped { path: display, reason: "not a regular file".into() });
            } else if first_time(root, canonical.as_deref(), entry.path()) {
                found.push(InputFile { path: entry.into_path(), display, format });
            }
        }
    }
    // Stable: of two roots that reach the same file, the first one named wins.
    found.sort_by(|a, b| a.display.cmp(&b.display));
    found.dedup_by(|later, earlier| later.display == earlier.display);
    match options.shard {
        None => out.files = found,
        Some(shard) => (out.files, out.other_shards) = found.into_iter().partition(|file| shard.contains(&file.display)),
    }
    out.skipped.sort_by(|a, b| a.path.cmp(&b.path));
    out.skipped.dedup();
    Ok(out)
}

/// Whether a walk error, met while following links, can have hidden a
/// file `wanted` would take: a loop leads back to a folder the walk reads
/// anyway, and a broken link hides only what it is named as.
pub(crate) fn hides_nothing(e: &ignore::Error, wanted: &dyn Fn(&Path) -> bool) -> bool {
    match e {
        ignore::Error::Loop { .. } => true,
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => hides_nothing(err, wanted),
        ignore::Error::WithPath { path, .. } => {
            let broken_link = path.symlink_metadata().is_ok_and(|m| m.file_type().is_symlink()) && !path.exists();
            broken_link && !wanted(path)
        }
        _ => false,
    }
}

/// A walk's error at the path it concerns (empty when it names none).
pub(crate) fn walk_error(e: &ignore::Error) -> super::InputError {
    let (path, message) = match e {
        ignore::Error::WithPath { path, err } => (display_path(path), err.to_string()),
        ignore::Error::Loop { child, ancestor } => (display_path(child), format!("symbolic link loop back to {}", display_path(ancestor))),
        ignore::Error::WithDepth { err, .. } => return walk_error(err),
        ignore::Error::WithLineNumber { err, .. } => return walk_error(err),
        other => (String::new(), other.to_string()),
    };
    super::InputError { file: path, position: None, message, hint: None }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_partition_the_inputs_exactly() {
        let paths: Vec<String> = (0..500).map(|i| format!("systems/team-{}/system-{i}.yaml", i % 7)).collect();
        for count in [1u32, 2, 3, 8] {
            let shards: Vec<Shard> = (1..=count).map(|index| Shard { index, count }).collect();
            let mut sizes = vec![0usize; count as usize];
            for p in &paths {
                let owners: Vec<usize> = shards.iter().enumerate().filter(|(_, s)| s.contains(p)).map(|(i, _)| i).collect();
                assert_eq!(owners.len(), 1, "{p} belongs to exactly one of {count} shards");
                sizes[owners[0]] += 1;
            }
            // A hash spreads 500 paths roughly evenly: no shard is empty or holds most of them.
            assert!(sizes.iter().all(|&n| n > 500 / count as usize / 2), "{count}: {sizes:?}");
        }
    }

    #[test]
    fn files_come_once_each_in_display_order() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["b.yaml", "a.json", "sub/c.yml", "notes.txt"] {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "a: 1\n").unwrap();
        }
        let named = dir.path().join("sub/c.yml");
        // The walk reaches the named file again, and `sub/../sub` reaches it by
        // another spelling: it is read once, under the first root's spelling.
        let roots = [named.clone(), dir.path().to_path_buf(), dir.path().join("sub/../sub")];
        let found = discover(&roots, &DiscoverOptions::default()).unwrap();
        let root = display_path(dir.path());
        let displays: Vec<&str> = found.files.iter().map(|f| f.display.as_str()).collect();
        assert_eq!(displays, [format!("{root}/a.json"), format!("{root}/b.yaml"), format!("{root}/sub/c.yml")]);
        let formats: Vec<Format> = found.files.iter().map(|f| f.format).collect();
        assert_eq!(formats, [Format::Json, Format::Yaml, Format::Yaml]);
        // A folder named relative and absolute, the relative first: its spelling is kept.
        let relative = PathBuf::from(format!("{}/./sub", dir.path().display()));
        let found = discover(&[relative, dir.path().join("sub")], &DiscoverOptions::default()).unwrap();
        let displays: Vec<&str> = found.files.iter().map(|f| f.display.as_str()).collect();
        assert_eq!(displays, [format!("{root}/./sub/c.yml")]);
        assert!(found.other_shards.is_empty() && found.errors.is_empty());
    }

    #[test]
    fn file_names_and_displayed_paths() {
        assert_eq!(file_name(Path::new("corpus/team-a/system.yaml")), b"system.yaml");
        assert_eq!(file_name(Path::new("system.yaml")), b"system.yaml");
        assert_eq!(display_path(Path::new("./././a/b.yaml")), "a/b.yaml");
        assert_eq!(display_path(Path::new("./")), ".");
        assert_eq!(display_path(Path::new(".\\a\\b.yaml")), "a/b.yaml", "backslashes become slashes before ./ is dropped");
    }

    /// A folder whose name is not UTF-8 is walked like any other: its files
    /// are read, shown with the undecodable bytes replaced.
    #[cfg(unix)]
    #[test]
    fn files_under_a_name_that_is_not_utf8_are_found() {
        use std::os::unix::ffi::OsStrExt;
        let dir = tempfile::tempdir().unwrap();
        let odd = dir.path().join(std::ffi::OsStr::from_bytes(b"team-\xff"));
        std::fs::create_dir(&odd).unwrap();
        std::fs::write(odd.join("system.yaml"), "a: 1\n").unwrap();
        let found = discover(&[dir.path().to_path_buf()], &DiscoverOptions::default()).unwrap();
        let displays: Vec<&str> = found.files.iter().map(|f| f.display.as_str()).collect();
        assert_eq!(displays, [format!("{}/team-\u{fffd}/system.yaml", display_path(dir.path()))]);
        assert_eq!(found.files[0].format, Format::Yaml);
    }

    #[test]
    fn shard_syntax() {
        assert_eq!(Shard::parse("2/4"), Ok(Shard { index: 2, count: 4 }));
        assert_eq!(Shard::parse("0/4").unwrap_err(), "shard 0/4 does not exist: use 1/N to N/N");
        assert_eq!(Shard::parse("5/4").unwrap_err(), "shard 5/4 does not exist: use 1/N to N/N");
        assert_eq!(Shard::parse("2").unwrap_err(), "`2` is not I/N");
    }
}
