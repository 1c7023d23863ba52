//! Which methods each API path answers, read from the OpenAPI document, so that a known path
//! asked with another method answers 405 with `Allow` rather than 404.

use std::sync::OnceLock;

/// `(path template split in segments, methods)` for every documented path.
type Table = Vec<(Vec<String>, Vec<&'static str>)>;

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        super::openapi()
            .paths
            .paths
            .iter()
            .map(|(template, item)| {
                let methods = [
                    ("GET", item.get.is_some()),
                    ("POST", item.post.is_some()),
                    ("PUT", item.put.is_some()),
                    ("PATCH", item.patch.is_some()),
                    ("DELETE", item.delete.is_some()),
                ];
                let methods = methods.into_iter().filter(|m| m.1).map(|m| m.0).collect();
                (template.split('/').map(str::to_string).collect(), methods)
            })
            .collect()
    })
}

/// The methods `path` answers (`"GET, POST"`), or None when no API route has this path.
pub fn allowed_methods(path: &str) -> Option<String> {
    let segments: Vec<&str> = path.split('/').collect();
    let matches = |template: &[String]| {
        template.len() == segments.len()
            && template.iter().zip(&segments).all(|(t, s)| t == s || (t.starts_with('{') && !s.is_empty()))
    };
    Some(table().iter().find(|(template, _)| matches(template))?.1.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_paths_name_their_methods() {
        assert_eq!(allowed_methods("/api/v1/devices").as_deref(), Some("GET, POST"));
        assert_eq!(allowed_methods("/api/v1/devices/3f9a2c1b").as_deref(), Some("GET, PATCH, DELETE"));
        assert_eq!(allowed_methods("/api/v1/devices/x/interfaces/3/traffic").as_deref(), Some("GET"));
        assert_eq!(allowed_methods("/api/v1/devices//interfaces"), None);
        assert_eq!(allowed_methods("/api/v1/nothing"), None);
    }
}
