//! Errors of the engine. Building can fail (a bad pack, a limit exceeded); scanning cannot,
//! except through the `try_` entry point that refuses oversized text.

use std::fmt;

/// One problem found in a pack: file, line, rule id and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The file (or other origin) of the pack.
    pub origin: String,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// The full rule id (`pack/rule`), when the problem belongs to one rule.
    pub rule: Option<String>,
    /// What is wrong, lowercase, naming the value and the limit.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.origin)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(rule) = &self.rule {
            write!(f, ": rule {rule}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// A pack could not be parsed or failed validation. Holds every problem found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackError {
    problems: Vec<Problem>,
}

impl PackError {
    pub(crate) fn single(problem: Problem) -> Self {
        PackError {
            problems: vec![problem],
        }
    }
    pub(crate) fn many(problems: Vec<Problem>) -> Self {
        PackError { problems }
    }
    /// Every problem, in file order.
    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }
}

impl fmt::Display for PackError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for PackError {}

/// Why building a [`crate::Screen`] failed.
#[derive(Debug)]
pub struct BuildError {
    kind: BuildErrorKind,
}

/// The kinds of [`BuildError`].
#[derive(Debug)]
#[non_exhaustive]
pub enum BuildErrorKind {
    /// A pack is invalid.
    Pack(PackError),
    /// Two packs define the same full rule id.
    DuplicateRule {
        /// The duplicated id.
        rule: String,
    },
    /// More distinct patterns than `screen_patterns_max`.
    TooManyPatterns {
        /// How many there were.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// The automaton could not be built.
    Automaton(String),
}

impl BuildError {
    pub(crate) fn new(kind: BuildErrorKind) -> Self {
        BuildError { kind }
    }
    /// What went wrong.
    pub fn kind(&self) -> &BuildErrorKind {
        &self.kind
    }
}

impl From<PackError> for BuildError {
    fn from(e: PackError) -> Self {
        BuildError::new(BuildErrorKind::Pack(e))
    }
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            BuildErrorKind::Pack(e) => write!(f, "invalid rule pack:\n{e}"),
            BuildErrorKind::DuplicateRule { rule } => {
                write!(f, "rule id `{rule}` is defined by more than one pack")
            }
            BuildErrorKind::TooManyPatterns { count, max } => write!(
                f,
                "{count} distinct patterns exceed screen_patterns_max ({max})"
            ),
            BuildErrorKind::Automaton(msg) => write!(f, "building the automaton failed: {msg}"),
        }
    }
}

impl std::error::Error for BuildError {}

/// A text was refused by [`crate::Screen::try_scan`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanError {
    /// Length of the refused text in bytes.
    pub text_bytes: usize,
    /// The limit.
    pub text_bytes_max: usize,
}

impl fmt::Display for ScanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "text of {} bytes exceeds text_bytes_max ({})",
            self.text_bytes, self.text_bytes_max
        )
    }
}

impl std::error::Error for ScanError {}
