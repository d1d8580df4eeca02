//! Kind detection: `apiVersion` and `kind` as written, else a known shape,
//! else `unknown` (still parsed, and seen by rules that ask for `*`).

use super::path::Segment;
use super::value::Node;

/// The document's kind and `apiVersion`.
pub fn detect(root: &Node, _file: &str) -> (String, Option<String>) {
    let field = |name: &str| root.child(&Segment::Key(name.into())).and_then(Node::as_str);
    let api_version = field("apiVersion").map(str::to_string);
    match field("kind") {
        Some(kind) if !kind.is_empty() => (kind.to_string(), api_version),
        _ => ("unknown".to_string(), api_version),
    }
}

/// Kinds given by path globs (the config file's `kinds:`), consulted only
/// when a document's kind would otherwise be `unknown`. The first glob that
/// matches the file's displayed path wins.
#[derive(Clone, Debug)]
pub struct KindGlobs {
    set: globset::GlobSet,
    kinds: Vec<String>,
}

impl KindGlobs {
    /// Builds the matcher from `(glob, kind)` pairs in order.
    pub fn new(pairs: &[(String, String)]) -> Result<Self, crate::Error> {
        let mut builder = globset::GlobSetBuilder::new();
        for (glob, _) in pairs {
            let g = globset::Glob::new(glob).map_err(|source| crate::Error::Glob { glob: glob.clone(), source })?;
            builder.add(g);
        }
        let set = builder.build().map_err(|source| crate::Error::Glob { glob: String::new(), source })?;
        Ok(KindGlobs { set, kinds: pairs.iter().map(|(_, k)| k.clone()).collect() })
    }

    /// The kind for a file, if a glob matches it.
    pub fn kind_for(&self, file: &str) -> Option<&str> {
        let first = self.set.matches(file).into_iter().min()?;
        self.kinds.get(first).map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_matching_glob_gives_the_kind() {
        let globs = KindGlobs::new(&[("mcp/**/*.json".into(), "MCPConfig".into()), ("**/*.json".into(), "Other".into())]).unwrap();
        assert_eq!(globs.kind_for("mcp/servers/a.json"), Some("MCPConfig"));
        assert_eq!(globs.kind_for("x/b.json"), Some("Other"));
        assert_eq!(globs.kind_for("x/b.yaml"), None);
    }
}
