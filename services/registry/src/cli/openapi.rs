//! `schemareg openapi`: print the service's OpenAPI document (`make openapi` commits it).

pub fn run() -> Result<i32, anyhow::Error> {
    super::out(&format!("{}\n", crate::app::openapi().to_pretty_json()?))?;
    Ok(0)
}
