//! `openapi.yaml` is a product: it must be exactly what `vigie openapi` generates.

use std::process::Command;

#[test]
fn the_committed_openapi_yaml_is_current() {
    let output = Command::new(env!("CARGO_BIN_EXE_vigie")).arg("openapi").output().expect("run vigie openapi");
    assert!(output.status.success());
    let generated = String::from_utf8(output.stdout).expect("utf-8");
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi.yaml");
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        generated == committed,
        "openapi.yaml is stale: run `cargo run -p vigie -- openapi > openapi.yaml` and commit it"
    );
    for needle in ["/api/v1/devices/{id}/interfaces/{ifIndex}/traffic", "ApiErrorBody", "communitySet"] {
        assert!(generated.contains(needle), "{needle} is documented");
    }
}
