//! Reading a platform's exported list (after-sales requests, complaints) as a table of text
//! cells: CSV in UTF-8 (with or without a BOM) or GB18030/GBK, or the first sheet of an
//! `.xlsx` workbook. Bounded in rows, columns and cell size; the error says what is wrong.

use std::io::Cursor;

use calamine::{Data, Reader};

/// Most data rows one file may have.
pub const ROWS_MAX: usize = 200_000;
/// Most columns.
pub const COLUMNS_MAX: usize = 100;
/// Longest cell, in characters.
pub const CELL_CHARS_MAX: usize = 4000;

/// A table: the header row and the data rows (each as long as the header).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// Column names, trimmed.
    pub headers: Vec<String>,
    /// Data rows; row `i` is line `i + 2` of the file (the header is line 1).
    pub rows: Vec<Vec<String>>,
}

/// Why a file could not be read as a table.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TableError {
    /// Neither CSV nor XLSX.
    #[error("the file is neither a CSV file nor an .xlsx workbook: {0}")]
    Format(String),
    /// No header row.
    #[error("the file has no header row")]
    Empty,
    /// A header is empty or repeated.
    #[error("column {0}: the header is empty or repeated")]
    Header(usize),
    /// Too many rows or columns, or a cell too long.
    #[error("{0}")]
    TooLarge(String),
}

impl TableError {
    /// The same in Chinese, for pages.
    pub fn zh(&self) -> String {
        match self {
            TableError::Format(_) => "文件既不是 CSV 也不是 .xlsx 表格，或已损坏".into(),
            TableError::Empty => "文件没有表头行".into(),
            TableError::Header(c) => format!("第 {c} 列的表头为空或与其他列重复"),
            TableError::TooLarge(m) => format!("文件超出上限：{m}"),
        }
    }
}

/// Reads `bytes` as a table: `.xlsx` by its name or its zip signature, CSV otherwise.
pub fn read_table(name: &str, bytes: &[u8]) -> Result<Table, TableError> {
    let lower = name.to_lowercase();
    let cells = if lower.ends_with(".xlsx") || bytes.starts_with(b"PK\x03\x04") {
        read_xlsx(bytes)?
    } else {
        read_csv(bytes)?
    };
    into_table(cells)
}

fn into_table(mut cells: Vec<Vec<String>>) -> Result<Table, TableError> {
    // Leading empty lines are not the header.
    while cells
        .first()
        .is_some_and(|r| r.iter().all(|c| c.trim().is_empty()))
    {
        cells.remove(0);
    }
    if cells.is_empty() {
        return Err(TableError::Empty);
    }
    let headers: Vec<String> = cells
        .remove(0)
        .into_iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_string())
        .collect();
    let mut headers = headers;
    while headers.last().is_some_and(|h| h.is_empty()) {
        headers.pop();
    }
    if headers.is_empty() {
        return Err(TableError::Empty);
    }
    if headers.len() > COLUMNS_MAX {
        return Err(TableError::TooLarge(format!(
            "at most {COLUMNS_MAX} columns"
        )));
    }
    for (i, h) in headers.iter().enumerate() {
        if h.is_empty() || headers[..i].contains(h) {
            return Err(TableError::Header(i + 1));
        }
    }
    let width = headers.len();
    let rows: Vec<Vec<String>> = cells
        .into_iter()
        .filter(|r| !r.iter().all(|c| c.trim().is_empty()))
        .map(|mut r| {
            r.resize(width, String::new());
            r
        })
        .collect();
    if rows.len() > ROWS_MAX {
        return Err(TableError::TooLarge(format!("at most {ROWS_MAX} rows")));
    }
    Ok(Table { headers, rows })
}

fn check_cell(cell: &str) -> Result<(), TableError> {
    if cell.chars().count() > CELL_CHARS_MAX {
        return Err(TableError::TooLarge(format!(
            "a cell has more than {CELL_CHARS_MAX} characters"
        )));
    }
    Ok(())
}

fn read_csv(bytes: &[u8]) -> Result<Vec<Vec<String>>, TableError> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => std::borrow::Cow::Borrowed(t),
        Err(_) => {
            let (t, _, bad) = encoding_rs::GB18030.decode(bytes);
            if bad {
                return Err(TableError::Format("not UTF-8 or GB18030 text".into()));
            }
            t
        }
    };
    if text.contains('\0') {
        return Err(TableError::Format("binary data".into()));
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut out = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| TableError::Format(e.to_string()))?;
        if record.len() > COLUMNS_MAX {
            return Err(TableError::TooLarge(format!(
                "at most {COLUMNS_MAX} columns"
            )));
        }
        let row: Vec<String> = record.iter().map(str::to_string).collect();
        for c in &row {
            check_cell(c)?;
        }
        out.push(row);
        if out.len() > ROWS_MAX + 1 {
            return Err(TableError::TooLarge(format!("at most {ROWS_MAX} rows")));
        }
    }
    Ok(out)
}

fn read_xlsx(bytes: &[u8]) -> Result<Vec<Vec<String>>, TableError> {
    let mut book = calamine::open_workbook_auto_from_rs(Cursor::new(bytes.to_vec()))
        .map_err(|e| TableError::Format(e.to_string()))?;
    let range = book
        .worksheet_range_at(0)
        .ok_or_else(|| TableError::Format("the workbook has no sheet".into()))?
        .map_err(|e| TableError::Format(e.to_string()))?;
    let (height, width) = range.get_size();
    if width > COLUMNS_MAX {
        return Err(TableError::TooLarge(format!(
            "at most {COLUMNS_MAX} columns"
        )));
    }
    if height > ROWS_MAX + 1 {
        return Err(TableError::TooLarge(format!("at most {ROWS_MAX} rows")));
    }
    let mut out = Vec::with_capacity(height);
    for row in range.rows() {
        let cells: Vec<String> = row.iter().map(cell_text).collect();
        for c in &cells {
            check_cell(c)?;
        }
        out.push(cells);
    }
    Ok(out)
}

/// A cell as text; a date-time cell as `YYYY-MM-DD HH:MM:SS` (workbook times are local:
/// read as Beijing time by the importer).
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(d) => excel_serial(d.as_f64()).unwrap_or_else(|| d.as_f64().to_string()),
        Data::Error(e) => format!("#{e:?}"),
        #[allow(unreachable_patterns)]
        _ => String::new(),
    }
}

/// An Excel serial date (days since 1899-12-30, fraction = time of day) as text.
fn excel_serial(serial: f64) -> Option<String> {
    if !(1.0..2_958_466.0).contains(&serial) {
        return None;
    }
    let base = time::macros::datetime!(1899-12-30 00:00:00);
    let secs = (serial * 86_400.0).round() as i64;
    let t = base.checked_add(time::Duration::seconds(secs))?;
    Some(format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_in_utf8_with_a_bom_and_in_gbk_reads_the_same() {
        let text = "工单号,申请时间,问题描述\nA1,2026-12-01 10:00,\"瓶盖开裂, 漏液\"\n\nA2,2026-12-02 11:00\n";
        let mut with_bom = b"\xef\xbb\xbf".to_vec();
        with_bom.extend_from_slice(text.as_bytes());
        let a = read_table("x.csv", &with_bom).unwrap();
        let (gbk, _, _) = encoding_rs::GBK.encode(text);
        let b = read_table("x.csv", &gbk).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.headers, ["工单号", "申请时间", "问题描述"]);
        assert_eq!(a.rows.len(), 2, "the empty line is skipped");
        assert_eq!(a.rows[0][2], "瓶盖开裂, 漏液");
        assert_eq!(a.rows[1][2], "", "short rows are padded");
    }

    #[test]
    fn bad_headers_and_binary_files_are_refused_by_name() {
        assert_eq!(
            read_table("x.csv", b"a,,c\n1,2,3\n").unwrap_err(),
            TableError::Header(2)
        );
        assert_eq!(
            read_table("x.csv", b"a,a\n1,2\n").unwrap_err(),
            TableError::Header(2)
        );
        assert_eq!(read_table("x.csv", b"\n\n").unwrap_err(), TableError::Empty);
        assert!(matches!(
            read_table("x.xlsx", b"PK\x03\x04garbage"),
            Err(TableError::Format(_))
        ));
        let long = format!("a\n{}\n", "长".repeat(CELL_CHARS_MAX + 1));
        assert!(matches!(
            read_table("x.csv", long.as_bytes()),
            Err(TableError::TooLarge(_))
        ));
    }

    #[test]
    fn excel_serial_dates_become_text() {
        assert_eq!(
            excel_serial(46_357.5).as_deref(),
            Some("2026-12-01 12:00:00")
        );
        assert_eq!(excel_serial(0.5), None);
    }
}
