//! Turning uploads into text: `.docx` reading, OCR of images and HTML-to-PDF printing through
//! bounded helper programs.

pub mod docx;
pub mod ocr;
pub mod pdf;
pub mod subprocess;
pub mod table;
