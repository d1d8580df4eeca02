//! The engine's one error type: problems that stop a whole operation (a bad
//! argument, an unreadable rules folder). Problems with one input file or one
//! rule are not errors: they are reported as `InputError`s and `Outcome`s so
//! the rest of the scan goes on.

use std::path::PathBuf;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum Error {
    #[error("cannot read {path}")]
    #[diagnostic(code(annexa::io))]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid glob `{glob}`")]
    #[diagnostic(code(annexa::glob), help("globs use gitignore syntax, for example `**/*.yaml` or `!fixtures/**`"))]
    Glob {
        glob: String,
        #[source]
        source: globset::Error,
    },
    #[error("invalid path `{path}`: {reason}")]
    #[diagnostic(code(annexa::path), help("paths look like `spec.models[2].provider` or `metadata.labels[\"app.kubernetes.io/name\"]`"))]
    Path { path: String, reason: String },
    #[error("cannot parse the saved result {path}")]
    #[diagnostic(code(annexa::result))]
    Result {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("cannot write the report")]
    #[diagnostic(code(annexa::write))]
    Write(#[source] std::io::Error),
}

impl From<std::io::Error> for Error {
    fn from(source: std::io::Error) -> Self {
        Error::Write(source)
    }
}
