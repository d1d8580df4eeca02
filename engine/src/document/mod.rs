//! Documents: find input files, read and parse them once, and describe each
//! document (file, index, identity, kind, content hash) for the evaluator.

pub mod canonical;
pub mod discover;
mod fast_yaml;
pub mod json;
mod key_index;
pub mod kind;
pub mod path;
pub mod position;
pub mod projection;
pub mod scalar;
pub mod value;
pub mod yaml;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use serde::{Deserialize, Serialize};

/// Whether text holds only characters the YAML fast path reads (else the full parser reports them).
pub(crate) use fast_yaml::plain_text;
pub use position::{Position, Region};
pub use value::{Node, Value};

/// One document of a file, parsed, with everything rules and reports need.
#[derive(Debug)]
pub struct Document {
    pub source: Arc<Source>,
    /// Position in the file's stream (0-based; front matter is document 0).
    pub index: usize,
    /// `metadata.name` where present, else `file#index`.
    pub identity: String,
    /// `kind` as written, a detected format, or `unknown`.
    pub kind: String,
    pub api_version: Option<String>,
    pub root: Node,
    /// BLAKE3 of the canonical value, made on the first call to `hash`: only
    /// some reports and corpus scans show or compare it.
    hash: OnceLock<String>,
    /// Unique within the process, unlike an address that a freed document
    /// leaves for the next: keys what threads remember of the last document.
    serial: u64,
}

impl Document {
    /// The first 32 hex digits of BLAKE3 of the canonical value (key order,
    /// layout and comments do not count).
    pub fn hash(&self) -> &str {
        self.hash.get_or_init(|| canonical::digest_of(&self.root))
    }

    pub fn serial(&self) -> u64 {
        self.serial
    }
}

/// The next `Document::serial`.
fn next_serial() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// A file's path (as shown to users) and its text.
#[derive(Debug)]
pub struct Source {
    pub path: String,
    pub text: String,
    /// The text as reports may show it (credentials redacted) and the byte
    /// offset of each of its lines, made on the first call to `line`: only
    /// files with findings pay for it, and a stream of many documents is not
    /// rescanned for every finding.
    shown: std::sync::OnceLock<(String, Vec<usize>)>,
}

impl Source {
    pub fn new(path: String, text: String) -> Self {
        Source { path, text, shown: std::sync::OnceLock::new() }
    }

    /// One line (1-based) as reports show it, without its line break (as
    /// `str::lines`). Credentials in it are redacted: a report never prints a secret.
    pub fn line(&self, line: u32) -> Option<&str> {
        let (shown, starts) = self.shown.get_or_init(|| {
            let shown = crate::script::secrets::redact_text(&self.text);
            let starts = std::iter::once(0).chain(shown.match_indices('\n').map(|(i, _)| i + 1)).collect();
            (shown, starts)
        });
        let index = (line as usize).checked_sub(1)?;
        let start = *starts.get(index)?;
        if start >= shown.len() {
            return None;
        }
        let end = starts.get(index + 1).copied().unwrap_or(shown.len());
        let text = shown.get(start..end)?;
        let text = text.strip_suffix('\n').unwrap_or(text);
        Some(text.strip_suffix('\r').unwrap_or(text))
    }
}

/// What kind of text a file holds, from its name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Yaml,
    Json,
    /// Markdown whose YAML front matter is the document (model cards).
    Markdown,
}

impl Format {
    /// The format for a file's path, or `None` for files annexa does not read.
    pub fn from_path(path: &std::path::Path) -> Option<Format> {
        Format::from_file_name(path.file_name()?.as_encoded_bytes())
    }

    /// The format for the bytes of a file name (`OsStr::as_encoded_bytes`),
    /// by `Path::extension`'s rules (`.yaml` alone has no extension), found
    /// without parsing a path: the walk asks for every file it meets. The
    /// rest of the name need not be UTF-8.
    pub fn from_file_name(name: &[u8]) -> Option<Format> {
        let dot = name.iter().rposition(|&b| b == b'.').filter(|&dot| dot > 0)?;
        let extension = name.get(dot + 1..)?;
        // Lowercased on the stack: the longest known extension has 8 bytes.
        let mut lower = [0u8; 8];
        let lower = lower.get_mut(..extension.len())?;
        for (to, from) in lower.iter_mut().zip(extension) {
            *to = from.to_ascii_lowercase();
        }
        match &*lower {
            b"yaml" | b"yml" => Some(Format::Yaml),
            b"json" => Some(Format::Json),
            b"md" | b"markdown" => Some(Format::Markdown),
            _ => None,
        }
    }
}

/// A problem with one input: it could not be read, decoded or parsed. The
/// rest of the scan goes on; the report lists it and the exit code is 2.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InputError {
    pub file: String,
    /// Where in the file, when known.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub position: Option<Position>,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub hint: Option<String>,
}

/// Everything read from one file.
#[derive(Debug, Default)]
pub struct LoadedFile {
    pub documents: Vec<Document>,
    pub errors: Vec<InputError>,
    /// The digests of the bytes read, when `LoadOptions::digests` asks.
    pub digests: Option<FileDigests>,
}

/// The digests of a file's bytes as they were read. The audit lists each
/// input with them, so they name the bytes that were evaluated, not the
/// file as it may be by the time the report is written.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileDigests {
    /// BLAKE3, 64 hex digits.
    pub blake3: String,
    /// SHA-256, 64 hex digits: the digest OSCAL tools expect.
    pub sha256: String,
}

impl LoadedFile {
    /// A file that gave no documents, only `error`.
    fn failed(error: InputError) -> Self {
        LoadedFile { errors: vec![error], ..LoadedFile::default() }
    }
}

impl FileDigests {
    pub fn of(bytes: &[u8]) -> Self {
        use sha2::Digest;
        FileDigests {
            blake3: blake3::hash(bytes).to_hex().to_string(),
            sha256: sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect(),
        }
    }
}

/// Limits on what one file may cost, and how kinds are found.
#[derive(Clone, Debug)]
pub struct LoadOptions {
    pub max_file_bytes: u64,
    /// Whether each file's bytes are digested as they are read (`LoadedFile::digests`).
    pub digests: bool,
    pub yaml: yaml::Limits,
    /// Kinds by path glob, for documents whose kind is otherwise `unknown`.
    pub kind_globs: Option<Arc<kind::KindGlobs>>,
}

/// The largest document, config or rule file annexa reads.
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions { max_file_bytes: MAX_FILE_BYTES, digests: false, yaml: yaml::Limits::default(), kind_globs: None }
    }
}

/// Reads a whole UTF-8 file that annexa does not scan (a config, a rule,
/// the dispositions file), refusing one past `max_bytes` without reading
/// further (a file that keeps growing must not take all memory), and
/// anything but a regular file without reading it: a FIFO with no writer
/// would block for ever, and `/dev/zero` never ends. `what` names the file
/// in the refusal.
pub fn read_text_within(path: &std::path::Path, max_bytes: u64, what: &str) -> std::io::Result<String> {
    use std::io::Read;
    let file = open_nonblocking(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a regular file"));
    }
    // Sized from the file's length: grown by doubling, a 16 MB file touched
    // 48 MB of fresh memory, and fresh memory is slow.
    let size = meta.len().min(max_bytes);
    let mut text = String::with_capacity(usize::try_from(size).unwrap_or(0).saturating_add(1));
    file.take(max_bytes.saturating_add(1)).read_to_string(&mut text)?;
    if text.len() as u64 > max_bytes {
        let message = format!("it is larger than {max_bytes} bytes, the most annexa reads from {what}");
        return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, message));
    }
    Ok(text)
}

/// Reads and parses one file. Never fails: problems become `InputError`s.
pub fn load_file(fs_path: &std::path::Path, display: &str, format: Format, options: &LoadOptions) -> LoadedFile {
    let error = |position, message: String, hint: Option<&str>| {
        LoadedFile::failed(InputError { file: display.to_string(), position, message, hint: hint.map(str::to_string) })
    };
    // Open first, then ask the open file what it is: one path lookup instead
    // of two. Non-blocking, so opening a FIFO does not wait for a writer.
    let file = match open_nonblocking(fs_path) {
        Ok(file) => file,
        Err(e) => return error(None, format!("cannot read: {e}"), None),
    };
    let size = match file.metadata() {
        Ok(meta) if !meta.is_file() => {
            return error(None, "not a regular file".into(), Some("only regular files are read; FIFOs, devices and sockets are skipped"))
        }
        Ok(meta) if meta.len() > options.max_file_bytes => {
            return error(
                None,
                format!("file is {} bytes, over the limit of {} bytes", meta.len(), options.max_file_bytes),
                Some("split it, or exclude it with --exclude"),
            )
        }
        Ok(meta) => meta.len(),
        Err(e) => return error(None, format!("cannot read: {e}"), None),
    };
    match read_measured(&file, size, options.max_file_bytes) {
        Ok(bytes) => load_bytes(bytes, display, format, options),
        Err(e) => error(None, format!("cannot read: {e}"), None),
    }
}

/// The bytes of an open file measured at `size`, in one `read` when it still
/// holds that many: a buffer with a byte to spare that comes back one byte
/// short of full is the whole file. Any other answer (it grew, shrank, or
/// the read was cut short) reads on to the end, as `read_to_end` does, whose
/// closing empty `read` was a fifth of a scan's system calls. The limit
/// holds even for a file that grows after it was measured.
fn read_measured(file: &std::fs::File, size: u64, limit: u64) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut reader = file.take(limit);
    let expected = usize::try_from(size.min(limit)).unwrap_or(0);
    let mut bytes = vec![0; expected.saturating_add(1)];
    let whole = match reader.read(&mut bytes) {
        Ok(n) => {
            bytes.truncate(n);
            n == expected
        }
        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {
            bytes.clear();
            false
        }
        Err(e) => return Err(e),
    };
    if !whole {
        reader.read_to_end(&mut bytes)?;
    }
    Ok(bytes)
}

#[cfg(unix)]
fn open_nonblocking(path: &std::path::Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK).open(path)
}

#[cfg(not(unix))]
fn open_nonblocking(path: &std::path::Path) -> std::io::Result<std::fs::File> {
    std::fs::File::open(path)
}

/// Parses the bytes of one file (also used for standard input).
pub fn load_bytes(bytes: Vec<u8>, display: &str, format: Format, options: &LoadOptions) -> LoadedFile {
    let digests = options.digests.then(|| FileDigests::of(&bytes));
    LoadedFile { digests, ..load_text(bytes, display, format, options) }
}

fn load_text(bytes: Vec<u8>, display: &str, format: Format, options: &LoadOptions) -> LoadedFile {
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            let valid = e.as_bytes().get(..e.utf8_error().valid_up_to()).unwrap_or_default();
            let position = position_after(valid);
            let binary = e.as_bytes().iter().take(8192).any(|&b| b == 0);
            let (message, hint) = if binary {
                ("binary file (it contains NUL bytes)".to_string(), "exclude it with --exclude")
            } else {
                (format!("invalid UTF-8 at byte {}", e.utf8_error().valid_up_to()), "save the file as UTF-8")
            };
            return LoadedFile::failed(InputError { file: display.into(), position: Some(position), message, hint: Some(hint.into()) });
        }
    };
    // NUL is valid UTF-8 but never in a text document: call it binary, not a syntax error.
    let head = text.as_bytes().get(..8192).unwrap_or(text.as_bytes());
    if let Some(nul) = memchr::memchr(0, head) {
        return LoadedFile::failed(InputError {
            file: display.into(),
            position: Some(position_after(text.as_bytes().get(..nul).unwrap_or_default())),
            message: "binary file (it contains NUL bytes)".into(),
            hint: Some("exclude it with --exclude".into()),
        });
    }
    let source = Arc::new(Source::new(display.to_string(), text));
    parse_source(source, format, options)
}

/// The position just after `valid`, counting lines as YAML does: `\n`,
/// `\r\n` and a lone `\r` each end one.
pub(super) fn position_after(valid: &[u8]) -> Position {
    let is_break = |i: usize, b: u8| b == b'\n' || (b == b'\r' && valid.get(i + 1) != Some(&b'\n'));
    let line = valid.iter().enumerate().filter(|&(i, &b)| is_break(i, b)).count() as u32 + 1;
    let line_start = valid.iter().enumerate().rposition(|(i, &b)| is_break(i, b)).map_or(0, |i| i + 1);
    let col = String::from_utf8_lossy(valid.get(line_start..).unwrap_or_default()).chars().count() as u32 + 1;
    Position::new(line, col)
}

fn parse_source(source: Arc<Source>, format: Format, options: &LoadOptions) -> LoadedFile {
    let text = source.text.strip_prefix('\u{feff}').unwrap_or(&source.text);
    let yaml_text = match format {
        Format::Yaml | Format::Json => text,
        Format::Markdown => match front_matter(text) {
            Ok(Some(block)) => block,
            Ok(None) => return LoadedFile::default(),
            Err(message) => {
                return LoadedFile::failed(InputError {
                    file: source.path.clone(),
                    position: Some(Position::new(1, 1)),
                    message,
                    hint: Some("close the front matter with a line that holds only `---`".into()),
                })
            }
        },
    };
    let rewritten = if format == Format::Json { json::rewrite_surrogates(yaml_text) } else { None };
    let (yaml_text, shifts) = match &rewritten {
        Some((text, shifts)) => (text.as_str(), Some(shifts)),
        None => (yaml_text, None),
    };
    // Errors come inside the text (`yaml::parse_stream`); a rewritten text's
    // end maps back to the file's.
    let (parsed, syntax_errors) = yaml::parse_stream(yaml_text, &options.yaml);
    let mut errors: Vec<InputError> = syntax_errors
        .into_iter()
        .map(|e| InputError {
            file: source.path.clone(),
            position: Some(shifts.map_or(e.position, |s| s.original(e.position))),
            message: e.message,
            hint: e.hint.map(str::to_string),
        })
        .collect();
    let by_glob = options.kind_globs.as_deref().and_then(|g| g.kind_for(&source.path));
    let documents = parsed
        .into_iter()
        .map(|mut p| {
            if let Some(shifts) = shifts {
                shifts.restore(&mut p.root);
            }
            let mut doc = describe(&source, p.index, p.root);
            if let (Some(kind), "unknown") = (by_glob, doc.kind.as_str()) {
                doc.kind = kind.to_string();
            }
            doc
        })
        .collect::<Vec<_>>();
    errors.extend(documents.iter().filter_map(|doc| unknown_annexa_kind(doc, &source.path)));
    LoadedFile { documents, errors, digests: None }
}

/// A document of annexa's own format (`apiVersion: annexa/...`) whose kind
/// is not one of its kinds: no rule is written for it, so a mistyped
/// `kind: aisystem` would leave a system unchecked without a word.
pub(crate) fn unknown_annexa_kind(doc: &Document, file: &str) -> Option<InputError> {
    let api_version = doc.api_version.as_deref().filter(|v| v.starts_with("annexa/"))?;
    if crate::schema::PUBLISHED.iter().any(|p| p.kind == doc.kind) {
        return None;
    }
    let known: Vec<&str> = crate::schema::PUBLISHED.iter().map(|p| p.kind).collect();
    let meant = known.iter().find(|k| k.eq_ignore_ascii_case(&doc.kind)).map(|k| format!(" (did you mean `{k}`?)")).unwrap_or_default();
    Some(InputError {
        file: file.to_string(),
        position: Some(doc.root.child_key("kind").map_or(doc.root.region.start, |k| k.region.start)),
        message: format!("unknown kind `{}` for apiVersion {api_version}: no rule checks it{meant}", doc.kind),
        hint: Some(format!("{api_version} documents are {}", known.join(" or "))),
    })
}

/// The YAML front matter of a Markdown file, including its opening `---` so
/// that positions stay those of the whole file.
fn front_matter(text: &str) -> Result<Option<&str>, String> {
    let Some(first) = text.lines().next() else { return Ok(None) };
    if first.trim_end() != "---" {
        return Ok(None);
    }
    let mut offset = 0;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        if i > 0 && matches!(line.trim_end(), "---" | "...") {
            return Ok(text.get(..offset));
        }
        offset += line.len();
    }
    Err("the YAML front matter is not closed".into())
}

/// Gives a parsed document its identity, kind and hash.
pub fn describe(source: &Arc<Source>, index: usize, root: Node) -> Document {
    let (kind, api_version) = kind::detect(&root, &source.path);
    let identity = root
        .child_key("metadata")
        .and_then(|m| m.child_key("name"))
        .and_then(Node::as_str)
        .filter(|s| !s.is_empty())
        .map_or_else(|| format!("{}#{index}", source.path), str::to_string);
    Document { source: source.clone(), index, identity, kind, api_version, root, hash: OnceLock::new(), serial: next_serial() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str, name: &str) -> LoadedFile {
        let format = Format::from_path(std::path::Path::new(name)).unwrap();
        load_bytes(text.as_bytes().to_vec(), name, format, &LoadOptions::default())
    }

    /// Whatever size the file was measured at, what it holds when read is
    /// what comes back, up to the limit.
    #[test]
    fn a_file_read_at_a_stale_size_comes_back_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.yaml");
        let text = b"kind: AISystem\nmetadata: {name: a}\n";
        std::fs::write(&path, text).unwrap();
        let file = std::fs::File::open(&path).unwrap();
        let len = text.len() as u64;
        for (measured, limit, want) in [
            (len, 1 << 20, &text[..]),                   // as measured: one read
            (len - 5, 1 << 20, &text[..]),               // grew since
            (len + 5, 1 << 20, &text[..]),               // shrank since
            (0, 1 << 20, &text[..]),                     // a size of 0, as /proc files report
            (len - 5, len - 2, &text[..text.len() - 2]), // grew past the limit
        ] {
            use std::io::Seek;
            (&file).rewind().unwrap();
            let read = read_measured(&file, measured, limit).unwrap();
            assert_eq!(read, want, "measured at {measured}, limit {limit}");
        }
        let empty = dir.path().join("empty.yaml");
        std::fs::write(&empty, b"").unwrap();
        assert_eq!(read_measured(&std::fs::File::open(&empty).unwrap(), 0, 1 << 20).unwrap(), b"");
    }

    #[test]
    fn an_annexa_document_of_unknown_kind_is_a_located_error() {
        let loaded = load(
            "apiVersion: annexa/v1\nkind: aisystem\nmetadata: {name: a}\n---\nkind: Thing\n---\napiVersion: annexa/v1\nkind: AISystem\n",
            "s.yaml",
        );
        assert_eq!(loaded.documents.len(), 3, "still read, and seen by rules for every kind");
        let got: Vec<(Option<Position>, &str, Option<&str>)> =
            loaded.errors.iter().map(|e| (e.position, e.message.as_str(), e.hint.as_deref())).collect();
        assert_eq!(
            got,
            [(
                Some(Position::new(2, 1)),
                "unknown kind `aisystem` for apiVersion annexa/v1: no rule checks it (did you mean `AISystem`?)",
                Some("annexa/v1 documents are AISystem or AIManagementSystem"),
            )]
        );
    }

    #[test]
    fn a_text_file_past_its_bound_is_refused_unread() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("annexa.yaml");
        std::fs::write(&path, "rules: []\n").unwrap();
        assert_eq!(read_text_within(&path, 10, "a config file").unwrap(), "rules: []\n");
        let refused = read_text_within(&path, 9, "a config file").unwrap_err();
        assert_eq!(refused.kind(), std::io::ErrorKind::InvalidData);
        assert_eq!(refused.to_string(), "it is larger than 9 bytes, the most annexa reads from a config file");
        // A device or a FIFO is refused unread: /dev/zero never ends, a FIFO with no writer never answers.
        for other in ["/dev/zero", "/dev/null"] {
            let refused = read_text_within(std::path::Path::new(other), 1 << 20, "a rule file").unwrap_err();
            assert_eq!((refused.kind(), refused.to_string().as_str()), (std::io::ErrorKind::InvalidInput, "not a regular file"));
        }
        let fifo = dir.path().join("pipe.yaml");
        assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
        assert_eq!(read_text_within(&fifo, 10, "a config file").unwrap_err().to_string(), "not a regular file");
    }

    #[test]
    fn formats_follow_the_extension_as_path_reads_it() {
        // What `Path::extension` makes of each name, lowercased, is the reference.
        let by_extension = |name: &str| match std::path::Path::new(name).extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "yaml" | "yml" => Some(Format::Yaml),
            "json" => Some(Format::Json),
            "md" | "markdown" => Some(Format::Markdown),
            _ => None,
        };
        let names = [
            "a.yaml",
            "A.YML",
            "b.Json",
            "c.md",
            "d.MarkDown",
            ".yaml",
            "..yaml",
            "x.",
            "noext",
            "x.yaml.bak",
            "x.bak.yaml",
            "x.markdownx",
            "x.ymll",
            "é.yaml",
            "x.jsön",
            "dir.d/x",
            "dir/x.json",
            "dir/.json",
            "./x.yml",
        ];
        for name in names {
            assert_eq!(Format::from_path(std::path::Path::new(name)), by_extension(name), "{name}");
        }
        assert_eq!(Format::from_file_name(b"policy.YAML"), Some(Format::Yaml));
        assert_eq!(Format::from_file_name(b".yaml"), None, "a hidden file with no extension");
        assert_eq!(Format::from_file_name(b"\xff\xfe.json"), Some(Format::Json), "only the extension need be text");
    }

    #[test]
    fn identity_kind_and_hash() {
        let f = load("apiVersion: annexa/v1\nkind: AISystem\nmetadata: {name: bot}\n---\nfoo: 1\n", "a.yaml");
        assert_eq!(f.documents[0].identity, "bot");
        assert_eq!(f.documents[0].kind, "AISystem");
        assert_eq!(f.documents[0].api_version.as_deref(), Some("annexa/v1"));
        assert_eq!(f.documents[1].identity, "a.yaml#1");
        assert_eq!(f.documents[1].kind, "unknown");
        let reordered = load("metadata: {name: bot}\n# comment\nkind: AISystem\napiVersion: annexa/v1\n", "b.yaml");
        assert_eq!(f.documents[0].hash(), reordered.documents[0].hash(), "layout and key order do not change the hash");
    }

    #[test]
    fn front_matter_positions_are_those_of_the_file() {
        let f = load("---\nlicense: mit\ndatasets: [x]\n---\n# Model\n\ntext\n", "README.md");
        assert!(f.errors.is_empty());
        let node = f.documents[0].root.get(&path::parse("datasets").unwrap()).unwrap();
        assert_eq!(node.region.start, Position::new(3, 1));
        assert!(load("# Just markdown\n", "x.md").documents.is_empty());
        assert_eq!(load("---\na: 1\n", "y.md").errors[0].message, "the YAML front matter is not closed");
    }

    #[test]
    fn invalid_utf8_and_binary() {
        let mut bytes = b"a: 1\nb: \xff\n".to_vec();
        let f = load_bytes(bytes.clone(), "x.yaml", Format::Yaml, &LoadOptions::default());
        assert_eq!(f.errors[0].message, "invalid UTF-8 at byte 8");
        assert_eq!(f.errors[0].position, Some(Position::new(2, 4)));
        bytes.insert(0, 0);
        let f = load_bytes(bytes, "x.yaml", Format::Yaml, &LoadOptions::default());
        assert_eq!(f.errors[0].message, "binary file (it contains NUL bytes)");
    }

    #[test]
    fn kind_globs_apply_only_to_unknown_documents() {
        let globs = kind::KindGlobs::new(&[("mcp/*.json".into(), "MCPConfig".into())]).unwrap();
        let options = LoadOptions { kind_globs: Some(Arc::new(globs)), ..LoadOptions::default() };
        // A shape no detector knows: only the glob can name it.
        let f = load_bytes(b"{\"tools\": []}".to_vec(), "mcp/a.json", Format::Json, &options);
        assert_eq!(f.documents[0].kind, "MCPConfig");
        let f = load_bytes(b"{\"kind\": \"AISystem\"}".to_vec(), "mcp/b.json", Format::Json, &options);
        assert_eq!(f.documents[0].kind, "AISystem", "a kind as written wins over a glob");
        let f = load_bytes(b"{\"tools\": []}".to_vec(), "other/a.json", Format::Json, &options);
        assert_eq!(f.documents[0].kind, "unknown");
    }

    #[test]
    fn lines_by_number_match_str_lines() {
        for text in ["", "a", "a\n", "a\n\n", "a\r\nb\r\n", "x\ny\nz", "\n\nq"] {
            let source = Source::new("t".into(), text.to_string());
            for n in 0..6u32 {
                let expected = (n as usize).checked_sub(1).and_then(|i| text.lines().nth(i));
                assert_eq!(source.line(n), expected, "{text:?} line {n}");
            }
        }
    }

    #[test]
    fn bom_and_crlf_keep_positions() {
        let f = load("\u{feff}a: 1\r\nb:\r\n  c: 2\r\n", "x.yaml");
        let node = f.documents[0].root.get(&path::parse("b.c").unwrap()).unwrap();
        assert_eq!(node.region.start, Position::new(3, 3));
    }
}
