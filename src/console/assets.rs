//! The console's static files (stylesheet, htmx, the Vazirmatn font and their licences),
//! embedded in the binary so that a fresh machine needs no Node, no CDN and no files beside the
//! binary. Each is served as `/console/static/<stem>.<hash>.<ext>`, the hash being the first 10
//! hex digits of its SHA-256: a changed file gets a new URL, so browsers may keep every URL for a
//! year (`immutable`) and never see a stale stylesheet after a deploy.
//!
//! The stylesheet names the font by its plain file name (`url(vazirmatn-variable.woff2)`); the
//! plain names are replaced by the hashed URLs when the table is built, before the stylesheet's
//! own hash is taken.

use std::sync::OnceLock;

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use sha2::{Digest, Sha256};

/// One embedded file: its plain name, media type and bytes.
struct Source {
    name: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
}

/// The files, dependencies first: a file may name only files listed before it.
const SOURCES: &[Source] = &[
    Source {
        name: "vazirmatn-variable.woff2",
        content_type: "font/woff2",
        bytes: include_bytes!("../../static/fonts/vazirmatn-variable.woff2"),
    },
    Source {
        name: "vazirmatn-OFL.txt",
        content_type: "text/plain; charset=utf-8",
        bytes: include_bytes!("../../static/fonts/OFL.txt"),
    },
    Source {
        name: "htmx.min.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../static/htmx.min.js"),
    },
    Source {
        name: "htmx-LICENSE.txt",
        content_type: "text/plain; charset=utf-8",
        bytes: include_bytes!("../../static/htmx.LICENSE"),
    },
    Source {
        name: "console.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../static/console.js"),
    },
    Source {
        name: "console.css",
        content_type: "text/css; charset=utf-8",
        bytes: include_bytes!("../../static/console.css"),
    },
];

/// A file ready to serve under its hashed name.
pub struct Asset {
    pub name: &'static str,
    /// `console.3f9a0c1b2d.css`.
    pub hashed_name: String,
    /// `/console/static/console.3f9a0c1b2d.css`.
    pub url: String,
    pub content_type: &'static str,
    pub bytes: Vec<u8>,
}

const PREFIX: &str = "/console/static/";

fn table() -> &'static [Asset] {
    static TABLE: OnceLock<Vec<Asset>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut built: Vec<Asset> = Vec::with_capacity(SOURCES.len());
        for s in SOURCES {
            let bytes = if s.content_type.starts_with("text/css") {
                let mut text = String::from_utf8_lossy(s.bytes).into_owned();
                for earlier in &built {
                    text = text.replace(&format!("url({})", earlier.name), &format!("url({})", earlier.url));
                }
                text.into_bytes()
            } else {
                s.bytes.to_vec()
            };
            let digest = Sha256::digest(&bytes);
            let hash: String = digest.iter().take(5).map(|b| format!("{b:02x}")).collect();
            let (stem, ext) = s.name.rsplit_once('.').unwrap_or((s.name, ""));
            let hashed_name = format!("{stem}.{hash}.{ext}");
            built.push(Asset {
                name: s.name,
                url: format!("{PREFIX}{hashed_name}"),
                hashed_name,
                content_type: s.content_type,
                bytes,
            });
        }
        built
    })
}

/// The hashed URL of an embedded file, for templates: `url("console.css")`. A name that is not
/// embedded is a bug in a template; it yields a URL that answers 404 rather than a panic.
pub fn url(name: &str) -> &'static str {
    table().iter().find(|a| a.name == name).map(|a| a.url.as_str()).unwrap_or("/console/static/missing")
}

/// `GET /console/static/{file}`: the file, cacheable for a year; 404 for any other name
/// (including an outdated hash, which a fresh page never asks for).
pub async fn serve(file: web::Path<String>) -> HttpResponse {
    match table().iter().find(|a| a.hashed_name == *file) {
        Some(a) => HttpResponse::Ok()
            .content_type(a.content_type)
            .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
            .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
            .body(a.bytes.clone()),
        None => HttpResponse::NotFound()
            .content_type("text/plain; charset=utf-8")
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .body("no such file"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_has_a_hashed_url_and_the_stylesheet_names_the_hashed_font() {
        for s in SOURCES {
            let u = url(s.name);
            assert!(u.starts_with(PREFIX) && u != "/console/static/missing", "{u}");
        }
        let css = table().iter().find(|a| a.name == "console.css").unwrap();
        let text = String::from_utf8(css.bytes.clone()).unwrap();
        assert!(text.contains(url("vazirmatn-variable.woff2")), "the font's hashed URL is in the stylesheet");
        assert!(!text.contains("url(vazirmatn-variable.woff2)"));
    }

    /// Every block of the stylesheet is closed where its section ends: a lost `}` (a merge of two
    /// sections is where it happens) silently moves every later rule into the block above it —
    /// once, the administration's, the insured portal's and the provider portal's rules all
    /// applied only in print.
    #[test]
    fn the_stylesheet_s_blocks_are_closed_before_each_section() {
        let text = include_str!("../../static/console.css");
        let mut depth = 0i32;
        for (no, line) in text.lines().enumerate() {
            if line.starts_with("/* ----") {
                assert_eq!(depth, 0, "console.css:{}: a section starts inside an open block", no + 1);
            }
            for c in line.chars() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    _ => {}
                }
            }
            assert!(depth >= 0, "console.css:{}: a `}}` closes nothing", no + 1);
        }
        assert_eq!(depth, 0, "console.css ends inside an open block");
    }
}
