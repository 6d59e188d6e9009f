//! The text of connection URLs: `sslmode` taken apart, what is wrong with a URL said without
//! repeating it, the form of a target that may be shown, percent-encoding and redaction.

use tokio_postgres::Config;

use super::error_text;

/// The options a connection string may name (the driver's error may name these, and only
/// these are repeated).
const KNOWN_OPTIONS: [&str; 14] = [
    "host",
    "hostaddr",
    "port",
    "user",
    "password",
    "dbname",
    "options",
    "application_name",
    "connect_timeout",
    "keepalives",
    "keepalives_idle",
    "target_session_attrs",
    "channel_binding",
    "load_balance_hosts",
];

/// What the driver found wrong with a connection string, said without repeating any of it.
pub(super) fn parse_problem(e: &tokio_postgres::Error) -> String {
    let text = error_text(e);
    if let Some(rest) = text.split("invalid value for option `").nth(1)
        && let Some(option) = rest.split('`').next()
        && KNOWN_OPTIONS.contains(&option)
    {
        return format!("the value of its {option} is not valid");
    }
    if text.contains("unknown option") {
        return "it names an option that PostgreSQL connection strings do not have".into();
    }
    "it cannot be read as a PostgreSQL URL (check its host, port, percent-encoding and options)".into()
}

pub(super) fn describe(config: &Config) -> String {
    let host = config
        .get_hosts()
        .first()
        .map(|h| match h {
            tokio_postgres::config::Host::Tcp(h) => h.clone(),
            tokio_postgres::config::Host::Unix(p) => p.display().to_string(),
        })
        .unwrap_or_else(|| "localhost".into());
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let user = config.get_user().unwrap_or("postgres");
    let db = config.get_dbname().unwrap_or(user);
    format!("postgres://{user}@{host}:{port}/{db}")
}

/// A text as a URL's host (a socket's folder): every byte but letters, digits and `-._~`
/// percent-encoded.
pub fn percent_encoded(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A URL with its password replaced by `***`, safe to show.
pub fn redact(url: &str) -> String {
    if let Some((scheme, rest)) = url.split_once("://") {
        let (authority, tail) = match rest.find(['/', '?']) {
            Some(i) => rest.split_at(i),
            None => (rest, ""),
        };
        if let Some((userinfo, host)) = authority.rsplit_once('@') {
            let user = userinfo.split(':').next().unwrap_or("");
            let tail = redact_query_password(tail);
            return if userinfo.contains(':') {
                format!("{scheme}://{user}:***@{host}{tail}")
            } else {
                format!("{scheme}://{user}@{host}{tail}")
            };
        }
        return format!("{scheme}://{authority}{}", redact_query_password(tail));
    }
    // key=value form: hide password=…
    url.split_whitespace()
        .map(|kv| {
            if kv.starts_with("password=") {
                "password=***"
            } else {
                kv
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn redact_query_password(tail: &str) -> String {
    let Some((path, query)) = tail.split_once('?') else {
        return tail.to_string();
    };
    let query: Vec<String> = query
        .split('&')
        .map(|kv| {
            if kv.starts_with("password=") {
                "password=***".to_string()
            } else {
                kv.to_string()
            }
        })
        .collect();
    format!("{path}?{}", query.join("&"))
}

/// Removes `sslmode=…` from a URL or key=value string, returning it apart.
pub(super) fn take_sslmode(url: &str) -> (String, Option<String>) {
    if url.contains("://") {
        let Some((base, query)) = url.split_once('?') else {
            return (url.to_string(), None);
        };
        let (kept, mode) = without_sslmode(query.split('&'));
        let rebuilt = if kept.is_empty() {
            base.to_string()
        } else {
            format!("{base}?{}", kept.join("&"))
        };
        (rebuilt, mode)
    } else {
        let (kept, mode) = without_sslmode(url.split_whitespace());
        (kept.join(" "), mode)
    }
}

/// The settings other than `sslmode=…`, and its value (the last one given).
fn without_sslmode<'a>(settings: impl Iterator<Item = &'a str>) -> (Vec<&'a str>, Option<String>) {
    let mut mode = None;
    let kept = settings
        .filter(|kv| match kv.strip_prefix("sslmode=") {
            Some(v) => {
                mode = Some(v.to_string());
                false
            }
            None => true,
        })
        .collect();
    (kept, mode)
}
