//! Credentials in configuration: recognise them (known key formats and
//! high-entropy tokens), tell them apart from references to a secret store
//! or the environment, and redact them so that no report ever prints one.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::Regex;
use rhai::{Engine, ImmutableString};

/// Known credential formats: (regex, prefix a redacted form may keep).
const FORMATS: [(&str, &str); 14] = [
    (r"sk-ant-(?:api03-)?[A-Za-z0-9_\-]{20,}", "sk-ant-"),
    (r"sk-proj-[A-Za-z0-9_\-]{20,}", "sk-proj-"),
    (r"sk-[A-Za-z0-9_\-]{20,}", "sk-"),
    (r"gh[pousr]_[A-Za-z0-9]{30,}", "gh"),
    (r"github_pat_[A-Za-z0-9_]{22,}", "github_pat_"),
    (r"glpat-[A-Za-z0-9_\-]{20,}", "glpat-"),
    (r"xox[abprs]-[A-Za-z0-9\-]{10,}", "xox"),
    (r"(?:AKIA|ASIA)[0-9A-Z]{16}", "AKIA"),
    (r"AIza[0-9A-Za-z_\-]{35}", "AIza"),
    (r"hf_[A-Za-z0-9]{30,}", "hf_"),
    (r"(?:sk|rk)_live_[0-9A-Za-z]{20,}", "sk_live_"),
    (r"eyJ[A-Za-z0-9_\-]{10,}\.eyJ[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]*", "eyJ"),
    (r"-----BEGIN [A-Z ]*PRIVATE KEY-----", ""),
    // A password in a URL: scheme://user:password@host.
    (r"[a-z][a-z0-9+.\-]*://[^:/\s@]+:[^@/\s$<{]+@", ""),
];

static KNOWN: LazyLock<Vec<Regex>> = LazyLock::new(|| FORMATS.iter().filter_map(|(re, _)| Regex::new(re).ok()).collect());

/// The parts of a value that name a secret instead of holding it, as byte
/// ranges, left to right: `${VAR}`, `${input:x}`, `$(VAR)`, `$VAR`, `{{ x }}`,
/// `%VAR%`, `<placeholder>`, `{name}`. The same matches as the regex
/// `REFERENCE_PATTERN` (in the tests) in one pass: its iterator looks to the end
/// of the text for the `}` of every `${` or `{{` left open, quadratic in the text.
struct ReferenceParts<'a> {
    bytes: &'a [u8],
    at: usize,
    /// The last search for a `}`: where it started and the first one found, so
    /// that a run of open `${` or `{{` looks for it once.
    close: Option<(usize, Option<usize>)>,
}

impl<'a> ReferenceParts<'a> {
    fn new(text: &'a str) -> Self {
        ReferenceParts { bytes: text.as_bytes(), at: 0, close: None }
    }

    /// The first `}` at or after `from`.
    fn close_from(&mut self, from: usize) -> Option<usize> {
        if let Some((searched, found)) = self.close {
            if searched <= from && found.is_none_or(|close| close >= from) {
                return found;
            }
        }
        let found = self.bytes.get(from..).and_then(|rest| rest.iter().position(|&b| b == b'}')).map(|i| from + i);
        self.close = Some((from, found));
        found
    }

    /// The end of the part that starts at `start`, if one does. The branches
    /// are the regex's, in its order; its first two characters pick one.
    fn part_at(&mut self, start: usize) -> Option<usize> {
        let bytes = self.bytes;
        let is = |i: usize, wanted: u8| bytes.get(i) == Some(&wanted);
        match (*bytes.get(start)?, *bytes.get(start + 1)?) {
            // `\$\{[^}]*\}`
            (b'$', b'{') => self.close_from(start + 2).map(|close| close + 1),
            // `\$\([A-Za-z_][A-Za-z0-9_]*\)`
            (b'$', b'(') => identifier_end(bytes, start + 2).filter(|&end| is(end, b')')).map(|end| end + 1),
            // `\$[A-Za-z_][A-Za-z0-9_]*`
            (b'$', _) => identifier_end(bytes, start + 1),
            // `\{\{[^}]*\}\}`
            (b'{', b'{') => self.close_from(start + 2).filter(|&close| is(close + 1, b'}')).map(|close| close + 2),
            // `\{[A-Za-z_][A-Za-z0-9_]*\}`
            (b'{', _) => identifier_end(bytes, start + 1).filter(|&end| is(end, b'}')).map(|end| end + 1),
            // `%[A-Za-z_][A-Za-z0-9_]*%`
            (b'%', _) => identifier_end(bytes, start + 1).filter(|&end| is(end, b'%')).map(|end| end + 1),
            // `<[^<>]*>`: stops at the next `<`, so no byte is looked at from two of them.
            (b'<', _) => {
                let after = start + 1;
                let stop = bytes.get(after..)?.iter().position(|&b| b == b'<' || b == b'>')? + after;
                is(stop, b'>').then_some(stop + 1)
            }
            _ => None,
        }
    }
}

impl Iterator for ReferenceParts<'_> {
    type Item = std::ops::Range<usize>;

    fn next(&mut self) -> Option<Self::Item> {
        // Every part starts with an ASCII character, never inside another character.
        while self.at < self.bytes.len() {
            let start = self.at;
            if let Some(end) = self.part_at(start) {
                self.at = end;
                return Some(start..end);
            }
            self.at += 1;
        }
        None
    }
}

/// The end of `[A-Za-z_][A-Za-z0-9_]*` starting at `start`, if it does.
fn identifier_end(bytes: &[u8], start: usize) -> Option<usize> {
    let first = *bytes.get(start)?;
    if !(first.is_ascii_alphabetic() || first == b'_') {
        return None;
    }
    let rest = bytes.get(start + 1..).unwrap_or_default();
    Some(start + 1 + rest.iter().take_while(|&&b| b.is_ascii_alphanumeric() || b == b'_').count())
}

/// `text` with each reference part replaced by a space.
fn without_references(text: &str) -> Cow<'_, str> {
    let mut parts = ReferenceParts::new(text).peekable();
    if parts.peek().is_none() {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for part in parts {
        out.push_str(text.get(copied..part.start).unwrap_or_default());
        out.push(' ');
        copied = part.end;
    }
    out.push_str(text.get(copied..).unwrap_or_default());
    Cow::Owned(out)
}

/// Whole values that point at a secret store or the environment.
const REFERENCE_PREFIXES: [&str; 12] = [
    "os.environ/",
    "env:",
    "env.",
    "secret:",
    "secretref:",
    "vault:",
    "op://",
    "arn:aws:secretsmanager:",
    "projects/",
    "azurekeyvault:",
    "file:",
    "keyring:",
];

/// Whether `text` refers to a secret (an environment variable, a secret
/// store, a template variable) rather than holding one.
pub fn is_secret_ref(text: &str) -> bool {
    let t = text.trim();
    if t.is_empty() {
        return false;
    }
    let lower = t.to_ascii_lowercase();
    if REFERENCE_PREFIXES.iter().any(|p| lower.starts_with(p)) {
        return true;
    }
    ReferenceParts::new(t).next() == Some(0..t.len())
}

/// Whether `text` is a placeholder an example file asks you to replace:
/// `<API_KEY>`, `your-api-key`, `xxxx`, `changeme`, `REPLACE_ME`, or an
/// environment variable's name written where its value belongs (`OPENAI_API_KEY`).
pub fn is_placeholder(text: &str) -> bool {
    let t = text.trim();
    let lower = t.to_ascii_lowercase();
    (t.starts_with('<') && t.ends_with('>'))
        || lower.starts_with("your-")
        || lower.starts_with("your_")
        || lower.starts_with("replace")
        || lower.contains("changeme")
        || lower.contains("change-me")
        || (t.len() >= 3 && lower.chars().all(|c| c == 'x' || c == '*' || c == '.' || c == '-'))
        || (t.len() >= 3 && t.chars().all(|c| c.is_ascii_uppercase() || c == '_' || c.is_ascii_digit()) && t.contains('_'))
}

/// Whether a key or variable name says it holds a credential.
pub fn is_secret_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase().replace(['-', '.'], "_");
    const WORDS: [&str; 13] = [
        "api_key",
        "apikey",
        "token",
        "secret",
        "password",
        "passwd",
        "pwd",
        "credential",
        "private_key",
        "master_key",
        "access_key",
        "auth_key",
        "authorization",
    ];
    // Names that mention a secret without holding one.
    const NOT: [&str; 8] = ["_file", "_path", "_ref", "_name", "_id", "_url", "_env", "max_tokens"];
    WORDS.iter().any(|w| n.contains(w)) && !NOT.iter().any(|w| n.ends_with(w) || n == w.trim_start_matches('_'))
}

/// The credential format `text` contains, if any, with its match.
fn known_format(text: &str) -> Option<(usize, regex::Match<'_>)> {
    KNOWN.iter().enumerate().find_map(|(i, re)| re.find(text).map(|m| (i, m)))
}

/// Bits of Shannon entropy per character.
fn entropy(token: &str) -> f64 {
    let mut counts = [0u32; 128];
    let mut total = 0u32;
    for b in token.bytes().filter(u8::is_ascii) {
        if let Some(c) = counts.get_mut(b as usize) {
            *c += 1;
        }
        total += 1;
    }
    if total == 0 {
        return 0.0;
    }
    counts.iter().filter(|&&c| c > 0).map(|&c| f64::from(c) / f64::from(total)).map(|p| -p * p.log2()).sum()
}

/// A random-looking token: long, key-like characters, letters and digits mixed, high entropy.
fn high_entropy(token: &str) -> bool {
    token.len() >= 20
        && token.len() <= 512
        && token.chars().all(|c| c.is_ascii_alphanumeric() || "+/=_-.".contains(c))
        && token.chars().any(|c| c.is_ascii_digit())
        && token.chars().any(|c| c.is_ascii_lowercase())
        && !token.contains("..")
        && !token.starts_with('/')
        && token.chars().filter(|c| *c == '.').count() < 2
        // Identifiers and paths (`Llama-3.1-8B-Instruct`, UUIDs) are short segments; keys are one long run.
        && token.split(['/', '-', '_', '.', '+']).map(str::len).max().unwrap_or(0) >= 16
        // Git commits and SHA-256 digests pin things; they are not credentials.
        && !(matches!(token.len(), 40 | 64) && token.chars().all(|c| c.is_ascii_hexdigit()))
        && entropy(token) >= 3.5
}

/// Whether `text` holds something that looks like a credential: a known key
/// format anywhere in it, or a high-entropy token. References (`${VAR}`,
/// `os.environ/KEY`, `env:KEY`, ...) and placeholders are not secrets.
pub fn looks_like_secret(text: &str) -> bool {
    if is_secret_ref(text) || is_placeholder(text) {
        return false;
    }
    let without_refs = without_references(text);
    if known_format(&without_refs).is_some() {
        return true;
    }
    without_refs.split(|c: char| c.is_whitespace() || "=:,;\"'".contains(c)).any(high_entropy)
}

/// A form of a secret safe to print: a known prefix and the last three
/// characters of a long key (`sk-…XYZ`), else only its length.
pub fn redact(text: &str) -> String {
    let chars = text.chars().count();
    if chars >= 16 {
        if let Some((i, m)) = known_format(text) {
            let prefix = FORMATS.get(i).map_or("", |(_, p)| *p);
            if m.start() == 0 && m.end() == text.len() && !prefix.is_empty() && text.starts_with(prefix) {
                let tail: String = text.chars().skip(chars - 3).collect();
                return format!("{prefix}…{tail}");
            }
        }
    }
    format!("[redacted {chars} chars]")
}

/// `key: value` pairs on a line, block or flow style, YAML or JSON: the key and
/// the value (without quotes; values with spaces are cut at the first one).
static PAIR: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r#"(?:^|[\s{,])["']?([A-Za-z0-9_.\-]+)["']?\s*:\s*["']?([^"',{}\[\]\s#]+)"#).ok());

/// A file's text as reports may show it: on every line, values of
/// credential-named keys, known key formats and high-entropy tokens replaced
/// by their redacted form. A Kubernetes-style `value:` is redacted when its
/// `name:` (on the same line or the line before) names a credential.
pub fn redact_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut after_secret_name = false;
    for line in text.lines() {
        let (shown, names_secret) = redact_in_context(line, after_secret_name);
        out.push_str(&shown);
        out.push('\n');
        after_secret_name = names_secret;
    }
    out
}

/// One source line as reports may show it (see `redact_text`).
pub fn redact_line(line: &str) -> Cow<'_, str> {
    redact_in_context(line, false).0
}

/// Redacts one line; also says whether it ends with a `name:` that names a
/// credential, whose `value:` may follow on the next line.
fn redact_in_context(line: &str, after_secret_name: bool) -> (Cow<'_, str>, bool) {
    let mut ranges = Vec::new();
    let mut named_secret = after_secret_name;
    if let Some(re) = PAIR.as_ref() {
        for caps in re.captures_iter(line) {
            let (Some(key), Some(value)) = (caps.get(1), caps.get(2)) else { continue };
            let literal = !is_secret_ref(value.as_str()) && !is_placeholder(value.as_str());
            if key.as_str() == "name" {
                named_secret = is_secret_name(value.as_str());
            } else if literal && (is_secret_name(key.as_str()) || (key.as_str() == "value" && named_secret)) {
                ranges.push(value.range());
                named_secret = false;
            }
        }
    }
    let mut out = Cow::Borrowed(line);
    if !ranges.is_empty() {
        let mut s = String::with_capacity(line.len());
        let mut at = 0;
        for range in ranges {
            s.push_str(line.get(at..range.start).unwrap_or_default());
            s.push_str(&redact(line.get(range.clone()).unwrap_or_default()));
            at = range.end;
        }
        s.push_str(line.get(at..).unwrap_or_default());
        out = Cow::Owned(s);
    }
    for re in KNOWN.iter() {
        if re.is_match(&out) {
            out = Cow::Owned(re.replace_all(&out, |c: &regex::Captures<'_>| redact(c.get(0).map_or("", |m| m.as_str()))).into_owned());
        }
    }
    if out.split(|c: char| c.is_whitespace() || "=:,;\"'".contains(c)).any(high_entropy) {
        let redacted: Vec<String> = out.split_inclusive(|c: char| c.is_whitespace() || "=:,;\"'".contains(c)).map(redact_token).collect();
        out = Cow::Owned(redacted.concat());
    }
    (out, named_secret)
}

fn redact_token(piece: &str) -> String {
    let token = piece.trim_end_matches(|c: char| c.is_whitespace() || "=:,;\"'".contains(c));
    if high_entropy(token) {
        format!("{}{}", redact(token), piece.get(token.len()..).unwrap_or_default())
    } else {
        piece.to_string()
    }
}

/// Registers the secret helpers of the rule API.
pub fn register(engine: &mut Engine) {
    engine.register_fn("looks_like_secret", |text: &str| looks_like_secret(text));
    engine.register_fn("looks_like_secret", |_: ()| false);
    engine.register_fn("is_secret_ref", |text: &str| is_secret_ref(text));
    engine.register_fn("is_secret_ref", |_: ()| false);
    engine.register_fn("is_placeholder", |text: &str| is_placeholder(text));
    engine.register_fn("is_placeholder", |_: ()| false);
    engine.register_fn("is_secret_name", |name: &str| is_secret_name(name));
    engine.register_fn("redact", |text: &str| -> ImmutableString { redact(text).into() });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_formats_are_secrets() {
        for s in [
            "sk-proj-abcdefghijklmnopqrstuvwxyz012345",
            "ghp_0123456789abcdefghijABCDEFGHIJ012345",
            "github_pat_11ABCDEFG0123456789_abcdefghijklmnop",
            "AKIAIOSFODNN7EXAMPLE",
            "hf_abcdefghijklmnopqrstuvwxyzABCDEFGH",
            "xoxb-123456789012-abcdefghij",
            "--api-key=sk-ant-api03-abcdefghijklmnopqrstuvwx",
            "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.abc",
            "postgres://admin:hunter2@db:5432/app",
        ] {
            assert!(looks_like_secret(s), "{s}");
        }
    }

    #[test]
    fn high_entropy_tokens_are_secrets_and_words_are_not() {
        assert!(looks_like_secret("a8Fk2LmQ9zR4tV7xB1nC5pW3"));
        for s in ["INFO", "300", "https://api.snyk.io", "localhost,127.0.0.1,::1", "meta-llama/Llama-3.1-8B-Instruct", "sk-1234", ""] {
            assert!(!looks_like_secret(s), "{s}");
        }
    }

    #[test]
    fn references_and_placeholders_are_not_secrets() {
        for s in [
            "${GITHUB_TOKEN}",
            "${input:apiKey}",
            "${env:KEY}",
            "$OPENAI_API_KEY",
            "os.environ/OPENAI_API_KEY",
            "env:KEY",
            "{{ .Values.key }}",
            "vault:secret/data/x#k",
        ] {
            assert!(is_secret_ref(s), "{s}");
            assert!(!looks_like_secret(s), "{s}");
        }
        assert!(!is_secret_ref("sk-1234"));
        assert!(!is_secret_ref("Bearer ${TOKEN} plus"), "a reference inside other text is not a whole reference");
        assert!(!looks_like_secret("Bearer ${TOKEN}"));
        for s in ["<APILLON_API_KEY>", "your-api-key", "xxxxxxxx", "OPENAI_API_KEY", "changeme"] {
            assert!(is_placeholder(s), "{s}");
        }
        assert!(!is_placeholder("my-fake-key"));
    }

    /// The regex the reference scan replaced (quadratic over open `${`): the tests' oracle.
    const REFERENCE_PATTERN: &str = r"\$\{[^}]*\}|\$\([A-Za-z_][A-Za-z0-9_]*\)|\$[A-Za-z_][A-Za-z0-9_]*|\{\{[^}]*\}\}|%[A-Za-z_][A-Za-z0-9_]*%|<[^<>]*>|\{[A-Za-z_][A-Za-z0-9_]*\}";

    fn parts(text: &str) -> Vec<std::ops::Range<usize>> {
        ReferenceParts::new(text).collect()
    }

    fn regex_parts(text: &str) -> Vec<std::ops::Range<usize>> {
        let re = Regex::new(REFERENCE_PATTERN).unwrap();
        re.find_iter(text).map(|m| m.range()).collect()
    }

    #[test]
    fn reference_parts_are_the_regex_matches() {
        let re = Regex::new(REFERENCE_PATTERN).unwrap();
        let same = |text: &str| {
            let expected: Vec<_> = re.find_iter(text).map(|m| m.range()).collect();
            assert_eq!(parts(text), expected, "{text:?}");
            let whole = re.find(text).is_some_and(|m| m.range() == (0..text.len()));
            assert_eq!(ReferenceParts::new(text).next() == Some(0..text.len()), whole, "{text:?}");
        };
        // Every text of up to five characters over the ones the branches turn on.
        let alphabet = ['$', '{', '}', '(', ')', 'a', '1', '%', '<', '>'];
        let mut texts = vec![String::new()];
        for _ in 0..5 {
            texts = texts.iter().flat_map(|t| alphabet.iter().map(move |c| format!("{t}{c}"))).collect();
            texts.iter().for_each(|t| same(t));
        }
        // Longer ones, pseudo-random, with spaces, a colon and a two-byte character.
        let alphabet = ['$', '{', '}', '(', ')', 'a', 'Z', '_', '1', '%', '<', '>', ' ', ':', 'é'];
        let mut seed = 0x2545_f491_u64;
        for _ in 0..20_000 {
            let mut text = String::new();
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            for _ in 0..(seed >> 59) * 2 {
                seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
                text.push(alphabet[(seed >> 33) as usize % alphabet.len()]);
            }
            same(&text);
        }
        // The cases the quadratic regex hung on, and ones that reuse a found `}`.
        for text in ["${$a".repeat(300), "{{$a".repeat(300), "{{{{{{{{x}y}}".to_string(), "${${${a}$b}".to_string(), "<$a".repeat(300)] {
            same(&text);
        }
    }

    #[test]
    fn open_references_leave_the_variables_inside_them() {
        let text = "${$a".repeat(3);
        assert_eq!(parts(&text), [2..4, 6..8, 10..12]);
        assert_eq!(parts(&format!("{text}}} $b")), [0..13, 14..16]);
        assert_eq!(parts("{{ x }} {{ y } {{z}}"), [0..7, 15..20]);
        assert_eq!(parts("{{{a} }} ${b}"), [2..5, 9..13]);
        assert_eq!(parts("${a} $(B) $C %D% <e> {f} $(g h)"), [0..4, 5..9, 10..12, 13..16, 17..20, 21..24]);
        assert_eq!(regex_parts("${a} $(B) $C %D% <e> {f} $(g h)"), parts("${a} $(B) $C %D% <e> {f} $(g h)"));
        assert_eq!(without_references("key=${A}:sk-1234"), "key= :sk-1234");
        assert!(matches!(without_references("no references"), Cow::Borrowed("no references")));
        let hostile = "${$a".repeat(10_000);
        assert!(!looks_like_secret(&hostile));
        assert!(!is_secret_ref(&hostile));
        assert!(looks_like_secret(&format!("{hostile} sk-proj-abcdefghijklmnopqrstuvwxyz012345")));
    }

    #[test]
    fn secret_names() {
        for n in ["GITHUB_TOKEN", "api_key", "OPENAI_API_KEY", "master_key", "x-api-key", "DB_PASSWORD", "Authorization"] {
            assert!(is_secret_name(n), "{n}");
        }
        for n in ["MCP_TIMEOUT", "max_tokens", "TOKEN_FILE", "token_url", "api_key_env", "author"] {
            assert!(!is_secret_name(n), "{n}");
        }
    }

    #[test]
    fn redaction_keeps_a_prefix_and_three_characters_or_only_the_length() {
        assert_eq!(redact("sk-proj-abcdefghijklmnopqrstuvwxyz012XYZ"), "sk-proj-…XYZ");
        assert_eq!(redact("ghp_0123456789abcdefghijABCDEFGHIJ012345"), "gh…345");
        assert_eq!(redact("sk-1234"), "[redacted 7 chars]");
        assert_eq!(redact("a8Fk2LmQ9zR4tV7xB1nC5pW3"), "[redacted 24 chars]");
    }

    #[test]
    fn lines_never_show_the_secret() {
        assert_eq!(redact_line("  master_key: sk-1234 # comment"), "  master_key: [redacted 7 chars] # comment");
        assert_eq!(
            redact_line(r#"        "GITHUB_TOKEN": "ghp_0123456789abcdefghijABCDEFGHIJ012345","#),
            r#"        "GITHUB_TOKEN": "gh…345","#
        );
        assert_eq!(redact_line("  - --token=a8Fk2LmQ9zR4tV7xB1nC5pW3"), "  - --token=[redacted 24 chars]");
        assert_eq!(redact_line("  api_key: os.environ/OPENAI_API_KEY"), "  api_key: os.environ/OPENAI_API_KEY");
        assert_eq!(redact_line("  image: vllm/vllm-openai:v0.6.0"), "  image: vllm/vllm-openai:v0.6.0");
        assert_eq!(redact_line("  - {name: DB_PASSWORD, value: hunter2}"), "  - {name: DB_PASSWORD, value: [redacted 7 chars]}");
        assert_eq!(redact_line("  - {name: PORT, value: \"8000\"}"), "  - {name: PORT, value: \"8000\"}");
    }

    #[test]
    fn a_value_under_a_credential_name_is_redacted_on_the_next_line() {
        let text = "env:\n  - name: DB_PASSWORD\n    value: hunter2\n  - name: PORT\n    value: 8000\n";
        assert_eq!(redact_text(text), "env:\n  - name: DB_PASSWORD\n    value: [redacted 7 chars]\n  - name: PORT\n    value: 8000\n");
    }
}
