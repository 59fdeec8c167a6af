//! Reading inputs: files or stdin, line by line in bounded memory, UTF-8 or GB18030/GBK.
//!
//! Many scripts come from Chinese Windows tools and are GBK-encoded. Each line is decoded on
//! its own: valid UTF-8 is taken as is, anything else is decoded as GB18030 (a superset of
//! GBK). A UTF-8 byte-order mark at the start is dropped; a UTF-16 file (BOM FF FE / FE FF)
//! is decoded whole, since such files are small documents. A line longer than
//! `line_bytes_max` is refused with a message naming the line and the limit, and skipped
//! without being held in memory.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use anyhow::Context;

/// Longest line (one text) the CLI reads, in bytes. Matches the engine's `text_bytes_max`.
pub(crate) const LINE_BYTES_MAX: usize = 8 * 1024 * 1024;

/// One input source.
#[derive(Debug, Clone)]
pub(crate) enum Source {
    Stdin,
    File(PathBuf),
}

impl Source {
    pub(crate) fn from_args(paths: &[PathBuf]) -> Vec<Source> {
        if paths.is_empty() {
            return vec![Source::Stdin];
        }
        paths
            .iter()
            .map(|p| {
                if p.as_os_str() == "-" {
                    Source::Stdin
                } else {
                    Source::File(p.clone())
                }
            })
            .collect()
    }

    pub(crate) fn display_name(&self) -> String {
        match self {
            Source::Stdin => "<stdin>".to_string(),
            Source::File(p) => p.display().to_string(),
        }
    }

    pub(crate) fn len_bytes(&self) -> Option<u64> {
        match self {
            Source::Stdin => None,
            Source::File(p) => std::fs::metadata(p).ok().map(|m| m.len()),
        }
    }

    pub(crate) fn open(&self) -> anyhow::Result<Lines> {
        let reader: Box<dyn Read> = match self {
            Source::Stdin => Box::new(io::stdin()),
            Source::File(p) => {
                Box::new(File::open(p).with_context(|| format!("cannot open {}", p.display()))?)
            }
        };
        Ok(Lines::new(BufReader::with_capacity(256 * 1024, reader)))
    }
}

/// What reading one line produced.
#[derive(Debug)]
pub(crate) enum Line {
    /// A decoded line (without its line break).
    Text { text: String },
    /// The line was longer than the limit; its length so far is given.
    TooLong { bytes: usize },
}

/// A bounded line reader.
pub(crate) struct Lines {
    reader: BufReader<Box<dyn Read>>,
    buf: Vec<u8>,
    first: bool,
    utf16: Option<std::vec::IntoIter<String>>,
    pub(crate) bytes_read: u64,
}

impl Lines {
    fn new(reader: BufReader<Box<dyn Read>>) -> Self {
        Lines {
            reader,
            buf: Vec::new(),
            first: true,
            utf16: None,
            bytes_read: 0,
        }
    }

    /// The next line, `None` at the end.
    pub(crate) fn next_line(&mut self) -> io::Result<Option<Line>> {
        if let Some(lines) = &mut self.utf16 {
            return Ok(lines.next().map(|text| Line::Text { text }));
        }
        if self.first {
            self.first = false;
            let head = self.reader.fill_buf()?;
            if head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]) {
                return self.read_utf16();
            }
            if head.starts_with(&[0xEF, 0xBB, 0xBF]) {
                self.reader.consume(3);
            }
        }
        self.buf.clear();
        let mut too_long = false;
        let mut total = 0usize;
        loop {
            let available = self.reader.fill_buf()?;
            if available.is_empty() {
                if total == 0 {
                    return Ok(None);
                }
                break;
            }
            let (chunk, done) = match memchr_newline(available) {
                Some(i) => (&available[..=i], true),
                None => (available, false),
            };
            let n = chunk.len();
            total += n;
            if !too_long {
                if self.buf.len() + n > LINE_BYTES_MAX + 2 {
                    too_long = true;
                    self.buf.clear();
                } else {
                    self.buf.extend_from_slice(chunk);
                }
            }
            self.reader.consume(n);
            self.bytes_read += n as u64;
            if done {
                break;
            }
        }
        if too_long {
            return Ok(Some(Line::TooLong { bytes: total }));
        }
        while matches!(self.buf.last(), Some(b'\n' | b'\r')) {
            self.buf.pop();
        }
        Ok(Some(decode(&self.buf)))
    }

    fn read_utf16(&mut self) -> io::Result<Option<Line>> {
        let mut all = Vec::new();
        (&mut self.reader)
            .take(64 * 1024 * 1024)
            .read_to_end(&mut all)?;
        self.bytes_read += all.len() as u64;
        let (text, _, _) = encoding_rs::UTF_16LE.decode(&all); // decode() sniffs the BOM
        let lines: Vec<String> = text
            .lines()
            .map(|l| l.trim_end_matches('\r').to_string())
            .collect();
        self.utf16 = Some(lines.into_iter());
        self.next_line()
    }
}

fn memchr_newline(bytes: &[u8]) -> Option<usize> {
    bytes.iter().position(|&b| b == b'\n')
}

/// Decodes one line: UTF-8 if valid or valid but for a few stray bytes (replaced), GB18030
/// otherwise.
pub(crate) fn decode(bytes: &[u8]) -> Line {
    match std::str::from_utf8(bytes) {
        Ok(s) => Line::Text {
            text: s.to_string(),
        },
        Err(_) if liveguard_normalize::is_mostly_utf8(bytes) => Line::Text {
            text: String::from_utf8_lossy(bytes).into_owned(),
        },
        Err(_) => {
            let (text, _, _) = encoding_rs::GB18030.decode(bytes);
            Line::Text {
                text: text.into_owned(),
            }
        }
    }
}

/// Reads a whole small file (rule packs, lexicons), bounded.
pub(crate) fn read_small_file(path: &Path, max: u64) -> anyhow::Result<String> {
    let len = std::fs::metadata(path)
        .with_context(|| format!("cannot read {}", path.display()))?
        .len();
    if len > max {
        anyhow::bail!(
            "{} is {len} bytes, more than the {max}-byte limit",
            path.display()
        );
    }
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    match decode(&bytes) {
        Line::Text { text } => Ok(text.trim_start_matches('\u{feff}').to_string()),
        Line::TooLong { .. } => unreachable!("decode never reports too long"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines_of(bytes: Vec<u8>) -> Vec<String> {
        let mut lines = Lines::new(BufReader::new(Box::new(io::Cursor::new(bytes))));
        let mut out = Vec::new();
        while let Some(line) = lines.next_line().unwrap() {
            match line {
                Line::Text { text } => out.push(text),
                Line::TooLong { bytes } => out.push(format!("<too long {bytes}>")),
            }
        }
        out
    }

    #[test]
    fn utf8_with_bom_and_crlf() {
        let mut bytes = vec![0xEF, 0xBB, 0xBF];
        bytes.extend_from_slice("第一行\r\n第二行".as_bytes());
        assert_eq!(lines_of(bytes), vec!["第一行", "第二行"]);
    }

    #[test]
    fn gbk_lines_are_decoded() {
        let (gbk, _, _) = encoding_rs::GBK.encode("全网最低价\n加微信");
        assert_eq!(lines_of(gbk.into_owned()), vec!["全网最低价", "加微信"]);
    }

    #[test]
    fn utf16_file_is_decoded() {
        let mut bytes = vec![0xFF, 0xFE];
        for u in "最好\n第二".encode_utf16() {
            bytes.extend_from_slice(&u.to_le_bytes());
        }
        assert_eq!(lines_of(bytes), vec!["最好", "第二"]);
    }

    #[test]
    fn overlong_line_is_reported_and_skipped() {
        let mut bytes = vec![b'a'; LINE_BYTES_MAX + 10];
        bytes.extend_from_slice("\nok".as_bytes());
        let got = lines_of(bytes);
        assert_eq!(got.len(), 2);
        assert!(got[0].starts_with("<too long"));
        assert_eq!(got[1], "ok");
    }
}
