//! Embeds the built web UI (`frontend/dist`) in the binary when it exists at compile time:
//! writes `$OUT_DIR/embedded_ui.rs`, a table of every file with its content type and, for text,
//! a gzip copy made here once (the server then never compresses a static file). Without
//! `frontend/dist/index.html` the table is empty and `/` answers a note saying how to get the UI.
//! Sets `VIGIE_EMBEDDED_UI` to `1` or `0` for the crate and its tests.

use std::io::Write;
use std::path::{Path, PathBuf};

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let dist = manifest.join("../frontend/dist");
    let embedded = dist.join("index.html").is_file();
    // A path that does not exist would rerun this script at every build: watch `frontend/` (its
    // own mtime changes when `dist` appears) until `dist` exists, then `dist` alone.
    let watched = if dist.is_dir() { dist.clone() } else { manifest.join("../frontend") };
    println!("cargo:rerun-if-changed={}", watched.display());
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rustc-env=VIGIE_EMBEDDED_UI={}", if embedded { "1" } else { "0" });

    let mut files = Vec::new();
    if embedded {
        collect(&dist, &dist, &mut files);
    }
    files.sort();
    let mut table = String::from("pub static FILES: &[EmbeddedFile] = &[\n");
    for (i, relative) in files.iter().enumerate() {
        let source = dist.join(relative);
        let raw = std::fs::read(&source).expect("a file of frontend/dist is readable");
        let content_type = content_type(relative);
        let gzip = compressible(content_type).then(|| gzip(&raw)).filter(|gz| gz.len() * 10 < raw.len() * 9);
        let gzip = match gzip {
            Some(gz) => {
                let path = out.join(format!("ui-{i}.gz"));
                std::fs::write(&path, gz).expect("OUT_DIR is writable");
                format!("Some(include_bytes!({:?}))", path.display().to_string())
            }
            None => "None".to_string(),
        };
        table.push_str(&format!(
            "    EmbeddedFile {{ path: {relative:?}, content_type: {content_type:?}, raw: include_bytes!({:?}), gzip: {gzip} }},\n",
            source.display().to_string()
        ));
    }
    table.push_str("];\n");
    std::fs::write(out.join("embedded_ui.rs"), table).expect("OUT_DIR is writable");
}

/// Every file under `dir`, as paths relative to `root` with `/` separators.
fn collect(root: &Path, dir: &Path, files: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).expect("frontend/dist is readable").flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(root, &path, files);
        } else if let Ok(relative) = path.strip_prefix(root) {
            let parts: Vec<_> = relative.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
            files.push(parts.join("/"));
        }
    }
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or_default() {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "webmanifest" => "application/manifest+json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

fn compressible(content_type: &str) -> bool {
    content_type.starts_with("text/") || content_type.contains("json") || content_type.contains("svg")
}

fn gzip(raw: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(raw).expect("gzip into memory");
    encoder.finish().expect("gzip into memory")
}
