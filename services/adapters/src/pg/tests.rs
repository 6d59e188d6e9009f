use super::*;

#[test]
fn libpq_env_carries_the_target_with_the_password_out_of_arguments() {
    let env = |url: &str| -> std::collections::BTreeMap<&str, String> {
        Target::parse(url).unwrap().libpq_env().into_iter().collect()
    };
    let e = env("postgres://app:s%3Dcret@db.internal:6432/store?sslmode=require");
    assert_eq!(e["PGHOST"], "db.internal");
    assert_eq!(e["PGPORT"], "6432");
    assert_eq!(e["PGUSER"], "app");
    assert_eq!(e["PGPASSWORD"], "s=cret");
    assert_eq!(e["PGDATABASE"], "store");
    assert_eq!(e["PGSSLMODE"], "require");
    let e = env("postgres://postgres@127.0.0.1/x?sslmode=disable");
    assert_eq!(e["PGSSLMODE"], "disable");
    assert!(!e.contains_key("PGPASSWORD"));
    assert_eq!(env("postgres://h/x?sslmode=verify-full")["PGSSLMODE"], "verify-full");
    assert_eq!(env("postgres://h/x")["PGSSLMODE"], "prefer");
}

#[test]
fn redact_hides_passwords_in_every_form() {
    assert_eq!(
        redact("postgres://app:s3cret@db.example:5432/app"),
        "postgres://app:***@db.example:5432/app"
    );
    assert_eq!(
        redact("postgres://app@db/app?password=s3cret&sslmode=require"),
        "postgres://app@db/app?password=***&sslmode=require"
    );
    assert_eq!(
        redact("host=db user=app password=s3cret"),
        "host=db user=app password=***"
    );
    assert!(!format!("{:?}", Target::parse("postgres://app:s3cret@db/app").unwrap()).contains("s3cret"));
}

#[test]
fn an_invalid_url_is_described_without_repeating_it() {
    for text in [
        "c2VjcmV0LWtleS1tYXRlcmlhbC1kby1ub3Qtc2hvdw==",
        "root:x:0:0:root:/root:/bin/bash",
        "postgres://u:pw@h:notaport/db",
        "postgres://u@h/db?frobnicate=s3cret",
        "mysql://u:s3cret@h/db",
        "host=h s3cret=1",
    ] {
        let e = Target::parse(text).unwrap_err().to_string();
        for part in ["c2VjcmV0", "root", "notaport", "frobnicate", "s3cret", "mysql"] {
            assert!(!e.contains(part), "{text:?} gave {e:?}");
        }
    }
    let port = Target::parse("postgres://u@h:99999999/db").unwrap_err().to_string();
    assert!(port.contains("port"), "{port}");
}

#[test]
fn sslmode_is_taken_apart_and_checked() {
    let t = Target::parse("postgres://u@h/db?sslmode=verify-full").unwrap();
    assert_eq!(t.tls, Tls::Verified);
    assert_eq!(
        Target::parse("postgres://u@h/db?sslmode=disable").unwrap().tls,
        Tls::Disable
    );
    assert_eq!(Target::parse("postgres://u@h/db").unwrap().tls, Tls::Unverified);
    let e = Target::parse("postgres://u:pw@h/db?sslmode=bogus")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("sslmode") && !e.contains("bogus") && !e.contains("pw@"),
        "{e}"
    );
}
