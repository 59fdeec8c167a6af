"""Checks for `cargo xtask api-fuzz` (loaded by schemathesis through SCHEMATHESIS_HOOKS).

A 5xx answer fails the run unless it is one of the documented 503s: a helper program or a
relay that is not there (`unavailable`), a full queue (`queue_full`), an unreachable
database (`database_unavailable`) or the request timeout (`timeout`) — each a
problem+json document with that stable code.
"""

import schemathesis

DOCUMENTED_503 = {"unavailable", "queue_full", "database_unavailable", "timeout"}


@schemathesis.check
def no_undocumented_server_error(ctx, response, case):
    if response.status_code < 500:
        return None
    code = None
    if response.headers.get("content-type", [""])[0].startswith("application/problem+json"):
        try:
            code = response.json().get("code")
        except ValueError:
            code = None
    if response.status_code == 503 and code in DOCUMENTED_503:
        return None
    raise AssertionError(
        f"undocumented server error {response.status_code} (code {code!r})"
    )
