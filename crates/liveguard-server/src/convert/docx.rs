//! Text of an uploaded `.docx` script: the paragraphs of `word/document.xml`, one per line.
//!
//! Bounded: the archive may hold at most [`DOCX_BYTES_MAX`] bytes and `document.xml` may
//! expand to at most [`DOCX_XML_BYTES_MAX`] bytes (a small, highly compressed file cannot
//! exhaust memory). Errors say what is wrong with the file.

use std::io::{Cursor, Read};

/// Largest upload accepted, in bytes.
pub const DOCX_BYTES_MAX: usize = 10 * 1024 * 1024;
/// Largest `word/document.xml` accepted after decompression, in bytes.
pub const DOCX_XML_BYTES_MAX: u64 = 20 * 1024 * 1024;

/// Why a `.docx` could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocxError {
    /// Larger than the limit.
    #[error("the file is {0} bytes; at most {DOCX_BYTES_MAX} are accepted")]
    TooLarge(usize),
    /// Not a ZIP archive at all.
    #[error("not a .docx file (not a ZIP archive): {0}")]
    NotZip(String),
    /// A ZIP without a Word document inside.
    #[error("not a Word document: word/document.xml is missing")]
    NoDocument,
    /// The document expands beyond the limit.
    #[error("the document expands to more than {DOCX_XML_BYTES_MAX} bytes")]
    Expands,
    /// The XML inside is broken.
    #[error("the document is damaged: {0}")]
    BadXml(String),
}

/// Extracts the text of a `.docx`: paragraphs become lines, tabs and breaks are kept.
pub fn docx_text(bytes: &[u8]) -> Result<String, DocxError> {
    if bytes.len() > DOCX_BYTES_MAX {
        return Err(DocxError::TooLarge(bytes.len()));
    }
    let mut archive =
        zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| DocxError::NotZip(e.to_string()))?;
    let entry = archive
        .by_name("word/document.xml")
        .map_err(|_| DocxError::NoDocument)?;
    let mut xml = Vec::new();
    entry
        .take(DOCX_XML_BYTES_MAX + 1)
        .read_to_end(&mut xml)
        .map_err(|e| DocxError::NotZip(e.to_string()))?;
    if xml.len() as u64 > DOCX_XML_BYTES_MAX {
        return Err(DocxError::Expands);
    }
    paragraphs(&xml)
}

fn paragraphs(xml: &[u8]) -> Result<String, DocxError> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_reader(xml);
    let mut out = String::new();
    let mut in_text = false;
    let mut buf = Vec::new();
    loop {
        match reader
            .read_event_into(&mut buf)
            .map_err(|e| DocxError::BadXml(e.to_string()))?
        {
            Event::Start(e) if e.local_name().as_ref() == "t" => in_text = true,
            Event::End(e) if e.local_name().as_ref() == "t" => in_text = false,
            Event::End(e) if e.local_name().as_ref() == "p" => out.push('\n'),
            Event::Empty(e) if e.local_name().as_ref() == "tab" => out.push('\t'),
            Event::Empty(e) if e.local_name().as_ref() == "br" => out.push('\n'),
            Event::Text(t) if in_text => out.push_str(&t.xml10_content()),
            Event::GeneralRef(r) if in_text => {
                // Character and entity references inside text (&amp; &#20013;).
                let name = r.xml10_content();
                let reference = format!("&{name};");
                let resolved = quick_xml::escape::unescape(&reference)
                    .map_err(|e| DocxError::BadXml(e.to_string()))?;
                out.push_str(&resolved);
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    Ok(out.trim_end_matches('\n').to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn docx(document_xml: &str) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        w.start_file("[Content_Types].xml", opts).unwrap();
        w.write_all(b"<Types/>").unwrap();
        w.start_file("word/document.xml", opts).unwrap();
        w.write_all(document_xml.as_bytes()).unwrap();
        w.finish().unwrap().into_inner()
    }

    const NS: &str = r#"xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main""#;

    #[test]
    fn paragraphs_become_lines() {
        let xml = format!(
            r#"<?xml version="1.0"?><w:document {NS}><w:body><w:p><w:r><w:t>欢迎来到</w:t></w:r><w:r><w:t xml:space="preserve">直播间 &amp; 福利</w:t></w:r></w:p><w:p><w:r><w:t>全网最低价</w:t><w:tab/><w:t>原价399</w:t></w:r></w:p></w:body></w:document>"#
        );
        assert_eq!(
            docx_text(&docx(&xml)).unwrap(),
            "欢迎来到直播间 & 福利\n全网最低价\t原价399"
        );
    }

    #[test]
    fn bad_files_get_clear_errors() {
        assert!(matches!(
            docx_text(b"PK\x03\x04 not really"),
            Err(DocxError::NotZip(_))
        ));
        assert!(matches!(
            docx_text("一份纯文本".as_bytes()),
            Err(DocxError::NotZip(_))
        ));
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        w.start_file("other.txt", zip::write::SimpleFileOptions::default())
            .unwrap();
        let not_word = w.finish().unwrap().into_inner();
        assert_eq!(docx_text(&not_word), Err(DocxError::NoDocument));
        let broken = docx(&format!(
            "<w:document {NS}><w:body><w:p><w:t>x</w:p></w:body>"
        ));
        assert!(
            matches!(docx_text(&broken), Err(DocxError::BadXml(_))),
            "{:?}",
            docx_text(&broken)
        );
        assert!(matches!(
            docx_text(&vec![0u8; DOCX_BYTES_MAX + 1]),
            Err(DocxError::TooLarge(_))
        ));
    }
}
