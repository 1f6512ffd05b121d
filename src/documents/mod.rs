//! The content-addressed document store: a file is stored once under
//! `<data_dir>/attachments/<aa>/<bb>/<sha256>`, written to a temporary name and renamed, so a
//! crash never leaves a half-written document under its hash. Stored files are never changed.

use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// The formats the electronic file accepts, recognised by their first bytes (not by the
/// client's Content-Type, which proves nothing).
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Some("image/png")
    } else if bytes.starts_with(b"II*\0") || bytes.starts_with(b"MM\0*") {
        Some("image/tiff")
    } else {
        None
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// The SHA-256 of a file's content, read in pieces.
fn file_sha256_hex(path: &Path) -> std::io::Result<String> {
    let mut hasher = Sha256::new();
    std::io::copy(&mut std::fs::File::open(path)?, &mut hasher)?;
    Ok(hasher.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

pub fn path_for(data_dir: &Path, sha256: &str) -> PathBuf {
    data_dir.join("attachments").join(&sha256[..2]).join(&sha256[2..4]).join(sha256)
}

/// Stores the bytes under their hash unless already there. Returns the hash. A file under the
/// hash whose bytes no longer match it (altered or damaged on disk: reading it is refused) is
/// replaced by these bytes, which do match: sending the genuine document again repairs it.
pub fn store(data_dir: &Path, bytes: &[u8]) -> std::io::Result<String> {
    let hash = sha256_hex(bytes);
    let path = path_for(data_dir, &hash);
    if path.exists() && file_sha256_hex(&path)? == hash {
        return Ok(hash);
    }
    let dir = path.parent().unwrap_or(data_dir);
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(".{hash}.{}", uuid::Uuid::new_v4().simple()));
    {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, &path)?;
    Ok(hash)
}

pub fn read(data_dir: &Path, sha256: &str) -> std::io::Result<Vec<u8>> {
    std::fs::read(path_for(data_dir, sha256))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_sniffed() {
        assert_eq!(sniff(b"%PDF-1.7 ..."), Some("application/pdf"));
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("image/jpeg"));
        assert_eq!(sniff(b"II*\0...."), Some("image/tiff"));
        assert_eq!(sniff(b"MZ\x90\0"), None);
        assert_eq!(sniff(b"<html>"), None);
    }

    #[test]
    fn stored_once_by_hash() {
        let dir = tempfile::tempdir().unwrap();
        let a = store(dir.path(), b"%PDF-1.4 report").unwrap();
        let b = store(dir.path(), b"%PDF-1.4 report").unwrap();
        assert_eq!(a, b);
        assert_eq!(a, sha256_hex(b"%PDF-1.4 report"));
        assert_eq!(read(dir.path(), &a).unwrap(), b"%PDF-1.4 report");
    }

    #[test]
    fn an_altered_file_is_replaced_by_the_genuine_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let a = store(dir.path(), b"%PDF-1.4 report").unwrap();
        std::fs::write(path_for(dir.path(), &a), b"%PDF-1.4 rep0rt").unwrap();
        assert_eq!(store(dir.path(), b"%PDF-1.4 report").unwrap(), a);
        assert_eq!(read(dir.path(), &a).unwrap(), b"%PDF-1.4 report");
    }
}
