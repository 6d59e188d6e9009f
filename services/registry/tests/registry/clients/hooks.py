"""schemathesis hooks of the registry's conformance test: DDL bodies (application/sql) are
sent as the text they are."""

import schemathesis

schemathesis.serializer.alias("application/sql", "text/plain")
