-- The keywords a name must be quoted to be (all but the unreserved ones), for the builder's
-- quoting of the definitions it writes itself (as quote_ident does).
SELECT word::text AS word FROM pg_get_keywords() WHERE catcode <> 'U'
