//! Reading the console's multipart forms (a document with its type, a CSV list): one reader for
//! every page that takes a file, so the size rule and the "which part is the file" rule are the
//! same everywhere.

use actix_multipart::Multipart;
use futures_util::TryStreamExt;

use crate::console::ConsoleError;
use crate::error::AppError;
use crate::services::attachments::Upload;

/// The parts that carry a file. `photo` is the insured person's "take a photo" input
/// (`capture`), `file` every other page's "choose a file"; a form may offer both, and the one
/// the person used is the file.
const FILE_PARTS: [&str; 2] = ["file", "photo"];

/// A multipart form as read: its text fields (a name may repeat) and at most one file.
#[derive(Default)]
pub struct MultipartForm {
    fields: Vec<(String, String)>,
    files: Vec<(Option<String>, Vec<u8>)>,
    /// A file was larger than the limit: its bytes past the limit were read and dropped.
    pub too_large: bool,
}

impl MultipartForm {
    pub fn get(&self, name: &str) -> String {
        self.fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default()
    }

    pub fn all(&self, name: &str) -> Vec<String> {
        self.fields.iter().filter(|(k, _)| k == name).map(|(_, v)| v.clone()).collect()
    }

    /// The file chosen, if one was (a file input left empty sends an empty part).
    pub fn file(&self) -> Option<(Option<String>, Vec<u8>)> {
        self.files.iter().find(|(_, b)| !b.is_empty()).cloned()
    }

    /// The document to attach, with the form's `document_type`: none chosen is `Ok(None)`; a
    /// file over the limit is refused before anything is filed.
    pub fn upload(&self, limit: usize) -> Result<Option<Upload>, AppError> {
        if self.too_large {
            return Err(AppError::PayloadTooLarge(format!("a document may be at most {limit} bytes")));
        }
        Ok(self.file().map(|(original_name, bytes)| Upload {
            document_type: self.get("document_type").trim().to_string(),
            original_name,
            bytes,
        }))
    }
}

/// Reads a multipart form: text parts (at most 200), and the file parts up to `limit` bytes
/// each (past it the rest is read and dropped, so the page can say why rather than the
/// connection breaking).
pub async fn read_multipart(mut form: Multipart, limit: usize) -> Result<MultipartForm, ConsoleError> {
    let unreadable = |e: actix_multipart::MultipartError| {
        ConsoleError::App(AppError::bad_request("invalid_multipart", format!("unreadable form: {e}")))
    };
    let mut out = MultipartForm::default();
    while let Some(mut part) = form.try_next().await.map_err(unreadable)? {
        let name = part.name().unwrap_or("").to_string();
        let filename = part.content_disposition().and_then(|cd| {
            cd.get_filename().map(|n| n.chars().filter(|c| !c.is_control()).take(255).collect::<String>())
        });
        let mut buf = Vec::new();
        while let Some(chunk) = part.try_next().await.map_err(unreadable)? {
            if buf.len() + chunk.len() > limit.max(4096) {
                out.too_large = true;
                continue;
            }
            buf.extend_from_slice(&chunk);
        }
        if FILE_PARTS.contains(&name.as_str()) {
            out.files.push((filename.filter(|n| !n.trim().is_empty()), buf));
        } else if out.fields.len() < 200 {
            out.fields.push((name, String::from_utf8_lossy(&buf).to_string()));
        }
    }
    Ok(out)
}
