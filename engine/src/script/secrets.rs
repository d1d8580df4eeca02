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

/// `${VAR}`, `${input:x}`, `$VAR`, `$(VAR)`, `{{ x }}`, `%VAR%`, `<placeholder>`, `{name}`:
/// parts of a value that name a secret instead of holding it.
static REFERENCE_PART: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"\$\{[^}]*\}|\$\([A-Za-z_][A-Za-z0-9_]*\)|\$[A-Za-z_][A-Za-z0-9_]*|\{\{[^}]*\}\}|%[A-Za-z_][A-Za-z0-9_]*%|<[^<>]*>|\{[A-Za-z_][A-Za-z0-9_]*\}").ok()
});

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
    REFERENCE_PART.as_ref().is_some_and(|re| re.find(t).is_some_and(|m| m.start() == 0 && m.end() == t.len()))
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
    let without_refs = REFERENCE_PART.as_ref().map_or(Cow::Borrowed(text), |re| re.replace_all(text, " "));
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
