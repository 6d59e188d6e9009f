#!/bin/sh
# A deploy pipeline's part in a schema registry, for any CI: copy it into your repository and
# call it from your pipeline.
#
#   deploy/ci/schemareg.sh commit    # on every commit to main: push the wanted schema, plan it
#                                    # for dev, apply it there, wait until verified
#   deploy/ci/schemareg.sh release   # on a release: plan for staging, wait for an approver,
#                                    # apply, wait until verified
#
# Settings (from the CI's variables and secrets; never write the token into this file or onto a
# command line):
#   SCHEMAREG_URL       the registry (https://schemareg.internal)
#   SCHEMAREG_TOKEN     a token with the publisher and deployer roles, scoped to the service
#   SCHEMAREG_SERVICE   the service's name in the registry
#   SCHEMAREG_SCHEMA    the wanted schema: a .sql file, a .json snapshot or a postgres:// URL
#                       (default: schema.sql)
#   SCHEMAREG_RELEASE_ENV  where a release goes (default: staging)
#   SCHEMAREG_APPROVAL_TIMEOUT  how long a release waits for approval (default: 24h)
#   COMMIT_SHA, PIPELINE_URL    recorded with the version (GitHub and GitLab's own are read too)
#
# Exit codes are schemareg's: 2 a mistake in the input, 3 refused (token, policy, a rejected or
# stale plan), 4 timed out, 5 the registry or a database unavailable.
set -eu

: "${SCHEMAREG_URL:?set SCHEMAREG_URL to the registry's URL}"
: "${SCHEMAREG_TOKEN:?set SCHEMAREG_TOKEN from the CI's secrets}"
: "${SCHEMAREG_SERVICE:?set SCHEMAREG_SERVICE to the service's name}"
export SCHEMAREG_URL SCHEMAREG_TOKEN
service=$SCHEMAREG_SERVICE
schema=${SCHEMAREG_SCHEMA:-schema.sql}
commit=${COMMIT_SHA:-${GITHUB_SHA:-${CI_COMMIT_SHA:-}}}
pipeline=${PIPELINE_URL:-${CI_PIPELINE_URL:-}}
if [ -z "$pipeline" ] && [ -n "${GITHUB_RUN_ID:-}" ]; then
    pipeline="${GITHUB_SERVER_URL:-https://github.com}/${GITHUB_REPOSITORY:-}/actions/runs/$GITHUB_RUN_ID"
fi

# Prints the id of a new plan for environment $1, computed and verified. A plan waiting for
# approval exits 1: that is expected here, the caller waits for it.
plan_for() {
    status=0
    id=$(schemareg plan "$service" "$1" --wait --format id) || status=$?
    if [ "$status" -ne 0 ] && [ "$status" -ne 1 ]; then
        exit "$status"
    fi
    echo "$id"
}

case "${1:-}" in
commit)
    set -- push "$service" "$schema"
    [ -n "$commit" ] && set -- "$@" --commit "$commit"
    [ -n "$pipeline" ] && set -- "$@" --pipeline-url "$pipeline"
    schemareg "$@"
    id=$(plan_for dev)
    schemareg apply "$id"
    ;;
release)
    environment=${SCHEMAREG_RELEASE_ENV:-staging}
    id=$(plan_for "$environment")
    schemareg wait "$service" "$environment" --plan "$id" --for approved \
        --timeout "${SCHEMAREG_APPROVAL_TIMEOUT:-24h}"
    schemareg apply "$id"
    ;;
*)
    echo "usage: $0 commit|release" >&2
    exit 2
    ;;
esac
