//! The running app and `openapi.yaml` must describe the same routes.

use std::collections::BTreeSet;

use reqwest::Method;
use serde_json::Value;
use yaml_rust2::YamlLoader;

use crate::helpers::TestApp;

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

fn spec_routes() -> BTreeSet<(String, String)> {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.yaml")).expect("openapi.yaml");
    let docs = YamlLoader::load_from_str(&text).expect("openapi.yaml parses");
    let paths = docs[0]["paths"].as_hash().expect("paths");
    let mut out = BTreeSet::new();
    for (path, item) in paths {
        let path = path.as_str().expect("path key").to_string();
        for m in METHODS {
            if !item[m].is_badvalue() {
                out.insert((m.to_uppercase(), path.clone()));
            }
        }
    }
    out
}

fn app_routes() -> BTreeSet<(String, String)> {
    asnad::app::routes().iter().map(|r| (r.method.to_string(), r.path.to_string())).collect()
}

#[test]
fn every_route_is_in_the_spec_and_every_spec_route_exists() {
    let spec = spec_routes();
    let app = app_routes();
    let missing_in_spec: Vec<_> = app.difference(&spec).collect();
    let missing_in_app: Vec<_> = spec.difference(&app).collect();
    assert!(missing_in_spec.is_empty(), "routes served but not in openapi.yaml: {missing_in_spec:?}");
    assert!(missing_in_app.is_empty(), "routes in openapi.yaml but not served: {missing_in_app:?}");
}

/// Through HTTP: every documented route is answered by a handler (never the "no route" 404 or
/// a 405), so the route table really is what the server serves.
#[test]
fn every_spec_route_is_served() {
    let app = TestApp::spawn();
    for (method, path) in spec_routes() {
        let concrete = path
            .replace("{id}", "00000000-0000-0000-0000-000000000000")
            .replace("{year}", "1403")
            .replace("{code}", "000000")
            .replace("{national_code}", "0012345679")
            .replace("{attachment_id}", "x");
        let res =
            app.request(Method::from_bytes(method.as_bytes()).unwrap(), &concrete, None).send().unwrap();
        let status = res.status().as_u16();
        assert_ne!(status, 405, "{method} {path}");
        if status == 404 {
            let body: Value = res.json().unwrap();
            assert!(
                !body["detail"].as_str().unwrap_or("").starts_with("no route"),
                "{method} {path} is not routed"
            );
        }
    }
}

/// The committed contract is the one the code generates (crates.io keeps its OpenAPI snapshot the
/// same way). On a difference, regenerate it with `cargo run -- openapi > openapi.yaml` and
/// review the diff.
#[test]
fn the_file_is_generated_from_the_code() {
    let file = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.yaml")).unwrap();
    let generated = asnad::api::openapi::yaml();
    if file != generated {
        let first = file.lines().zip(generated.lines()).position(|(a, b)| a != b);
        panic!(
            "openapi.yaml differs from the generated contract (first differing line: {:?}); \
             run `cargo run -- openapi > openapi.yaml` and review the diff",
            first.map(|n| n + 1)
        );
    }
}

#[test]
fn the_served_document_is_the_file() {
    let app = TestApp::spawn();
    let res = app.get("/openapi.yaml", None);
    assert_eq!(res.status(), 200);
    let served = res.text().unwrap();
    let file = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.yaml")).unwrap();
    assert_eq!(served, file);
}
