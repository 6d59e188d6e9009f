//! `openapi-spec-validator` (PyPI) accepts the committed document, every reference resolved.

use std::process::Command;

#[test]
fn openapi_spec_validator_accepts_the_document() {
    let bin = super::tools::python_bin();
    let document = crate::common::repo().join("openapi/openapi.json");
    let out = Command::new(bin.join("openapi-spec-validator"))
        .arg(&document)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "openapi-spec-validator refuses the document:\n{text}"
    );
    assert!(text.contains("OK"), "{text}");
}
