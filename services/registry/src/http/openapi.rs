//! The OpenAPI document's frame: its info and tags, the schemas every operation shares, and
//! the conventions of the whole API written into each operation in one place (what names,
//! versions and plan ids look like; the errors every operation can answer; `Idempotency-Key`
//! on every POST), so that the document says what the server does.

use utoipa::openapi::path::{Operation, Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Required, ResponseBuilder, Schema};
use utoipa::{Modify, OpenApi};

use crate::error::FieldError;
use crate::http::problem::Problem;

/// A service or environment name.
pub const NAME_PATTERN: &str = "^[a-z0-9][a-z0-9._-]{0,62}$";
/// A version: a number from 1, `latest`, or a digest.
pub const VERSION_PATTERN: &str = "^([1-9][0-9]{0,17}|latest|sha256:[0-9a-fA-F]{64})$";
/// A plan's id.
pub const PLAN_ID_PATTERN: &str = "^plan_[0-9a-f]{16}$";
/// An `Idempotency-Key`: 1 to 255 visible ASCII characters.
pub const IDEMPOTENCY_KEY_PATTERN: &str = "^[!-~]{1,255}$";

#[derive(OpenApi)]
#[openapi(
    info(title = "schemareg", description = "A schema registry for PostgreSQL: versions, drift and verified migration plans. \
        Every operation under /v1 needs a JWT bearer token; errors are application/problem+json (RFC 9457), \
        whose `type` names the kind of problem: `https://schemareg.dev/problems/` followed by `bad-request`, \
        `unauthorized`, `forbidden`, `not-found`, `conflict`, `unusable-binding`, `precondition-failed`, \
        `precondition-required`, `payload-too-large`, `unsupported-media-type`, `invalid-body`, `invalid-name`, \
        `invalid-scope`, `invalid-snapshot`, `invalid-sql`, `invalid-policy`, `invalid-database-reference`, \
        `invalid-idempotency-key`, `idempotency-key-reused`, `invalid-report`, `invalid-labels`, \
        `invalid-override`, `invalid-webhook`, `unavailable`, or the HTTP reason of a status the server's transport answers \
        (`method-not-allowed`, `request-header-fields-too-large`, …)."),
    modifiers(&BearerAuth),
    components(schemas(Problem, FieldError)),
    tags(
        (name = "health", description = "Liveness, readiness and metrics (no token needed)"),
        (name = "services", description = "The applications whose schemas the registry keeps"),
        (name = "versions", description = "Immutable, numbered, content-addressed snapshots"),
        (name = "environments", description = "The promotion chain"),
        (name = "bindings", description = "Each service's database in each environment (URLs are write-only)"),
        (name = "drift", description = "The live database compared with a version"),
        (name = "plans", description = "Verified migration plans from a live database to a version"),
        (name = "overview", description = "What runs where"),
        (name = "audit", description = "Who did what, when and from where (append-only)"),
        (name = "webhooks", description = "Signed CloudEvents sent to subscribers when versions, plans and drift change"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme(
                "bearer",
                SecurityScheme::Http(
                    HttpBuilder::new()
                        .scheme(HttpAuthScheme::Bearer)
                        .bearer_format("JWT")
                        .build(),
                ),
            );
    }
}

/// Writes the conventions of every operation into the document (see the module's
/// documentation); run on the whole document, once the routes' operations are in it.
pub fn conventions(openapi: &mut utoipa::openapi::OpenApi) {
    flatten_tagged_variants(openapi);
    {
        for (path, item) in openapi.paths.paths.iter_mut() {
            let v1 = path.starts_with("/v1/");
            for (post, op) in [
                (false, item.get.as_mut()),
                (false, item.put.as_mut()),
                (true, item.post.as_mut()),
                (false, item.delete.as_mut()),
                (false, item.patch.as_mut()),
            ]
            .into_iter()
            .filter_map(|(post, op)| op.map(|op| (post, op)))
            {
                for p in op.parameters.iter_mut().flatten() {
                    constrain(p);
                }
                if post {
                    idempotent(op);
                }
                if v1 {
                    for status in ["401", "403", "503"] {
                        error_response(op, status);
                    }
                }
                if op.request_body.is_some() {
                    for status in ["400", "413", "415", "422"] {
                        error_response(op, status);
                    }
                }
            }
        }
    }
}

fn string(pattern: &str) -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(pattern))
        .build()
        .into()
}

/// Writes the shape of a parameter the whole API shares into its schema.
fn constrain(p: &mut Parameter) {
    let schema = match (&p.parameter_in, p.name.as_str()) {
        (ParameterIn::Path, "service" | "environment") => string(NAME_PATTERN),
        (ParameterIn::Path, "version" | "from" | "to") | (ParameterIn::Query, "version") => string(VERSION_PATTERN),
        (ParameterIn::Path, "id") => string(PLAN_ID_PATTERN),
        (ParameterIn::Query, "limit") => ObjectBuilder::new()
            .schema_type(Type::Integer)
            .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                utoipa::openapi::KnownFormat::Int64,
            )))
            .minimum(Some(1))
            .maximum(Some(100))
            .build()
            .into(),
        (ParameterIn::Query, "state") => ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(
                schemareg_adapters::store::PlanState::ALL.iter().map(|s| s.as_str()),
            ))
            .build()
            .into(),
        (ParameterIn::Header, "Idempotency-Key") => string(IDEMPOTENCY_KEY_PATTERN),
        _ => return,
    };
    p.schema = Some(RefOr::T(schema));
}

/// Every POST takes `Idempotency-Key`: a retry still running is a 409, the key reused for
/// another request (or malformed) a 422.
fn idempotent(op: &mut Operation) {
    let params = op.parameters.get_or_insert_with(Vec::new);
    if !params.iter().any(|p| p.name == "Idempotency-Key") {
        params.insert(
            0,
            ParameterBuilder::new()
                .name("Idempotency-Key")
                .parameter_in(ParameterIn::Header)
                .required(Required::False)
                .description(Some(
                    "Retries with the same key get the first answer, never a second action",
                ))
                .schema(Some(string(IDEMPOTENCY_KEY_PATTERN)))
                .build(),
        );
    }
    error_response(op, "409");
    error_response(op, "422");
}

/// Adds a problem response of `status` when the operation does not list one.
fn error_response(op: &mut Operation, status: &str) {
    if op.responses.responses.contains_key(status) {
        return;
    }
    let description = match status {
        "400" => "Malformed request: JSON that does not parse, a bad parameter or cursor.",
        "401" => "No valid bearer token.",
        "403" => "The token lacks the role this needs, or its scope does not cover what the path names.",
        "409" => {
            "It conflicts with what exists or with the resource's state, a binding is not usable as \
                  configured, or a request with this Idempotency-Key is still running."
        }
        "413" => "The body is larger than the registry accepts.",
        "415" => "The body's media type is not one this operation accepts.",
        "422" => {
            "Well-formed but invalid (the problem's type says what), or an Idempotency-Key used before for \
                  another request."
        }
        _ => "A dependency does not answer: the store, the scratch server or a target database.",
    };
    let response = ResponseBuilder::new()
        .description(description)
        .content(
            crate::http::problem::PROBLEM_JSON,
            ContentBuilder::new()
                .schema(Some(RefOr::Ref(Ref::from_schema_name("Problem"))))
                .build(),
        )
        .build();
    op.responses.responses.insert(status.to_string(), RefOr::T(response));
}

fn one_of(values: &[&str]) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(values.iter().copied()))
}

/// A plan's state.
pub fn plan_state() -> ObjectBuilder {
    let states: Vec<&str> = schemareg_adapters::store::PlanState::ALL
        .iter()
        .map(|s| s.as_str())
        .collect();
    one_of(&states)
}

/// The outcome of a drift check.
pub fn drift_state() -> ObjectBuilder {
    let states: Vec<&str> = schemareg_adapters::store::DriftState::ALL
        .iter()
        .map(|s| s.as_str())
        .collect();
    one_of(&states)
}

/// How a binding keeps its database URL.
pub fn secret_kind() -> ObjectBuilder {
    one_of(&["encrypted", "env", "file"])
}

/// A variant of an internally tagged enum that wraps a struct (`{"change": "drop_table", …the
/// table's fields}`) comes out of utoipa as `allOf: [$ref Struct, {change}]`. When the struct
/// refuses unknown fields (`additionalProperties: false`), no value can pass both parts, as
/// validators read `allOf`; so each such variant is written out as one object: the struct's
/// properties and the tag.
fn flatten_tagged_variants(openapi: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::schema::{Object, Schema as S};
    let Some(components) = openapi.components.as_mut() else {
        return;
    };
    let structs = components.schemas.clone();
    let flat = |variant: &RefOr<Schema>| -> Option<Object> {
        let RefOr::T(S::AllOf(all)) = variant else { return None };
        let [RefOr::Ref(target), RefOr::T(S::Object(tag))] = all.items.as_slice() else {
            return None;
        };
        let name = target.ref_location.strip_prefix("#/components/schemas/")?;
        let Some(RefOr::T(S::Object(object))) = structs.get(name) else {
            return None;
        };
        let mut object = object.clone();
        object.properties.extend(tag.properties.clone());
        object.required.extend(tag.required.iter().cloned());
        object.example = None;
        object.examples.clear();
        Some(object)
    };
    for schema in components.schemas.values_mut() {
        if let RefOr::T(S::OneOf(one_of)) = schema {
            for variant in one_of.items.iter_mut() {
                if let Some(object) = flat(variant) {
                    *variant = RefOr::T(S::Object(object));
                }
            }
        }
    }
}
