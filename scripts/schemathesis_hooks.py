"""Schemathesis hooks for scripts/schemathesis.sh (loaded through SCHEMATHESIS_HOOKS).

The run authenticates with one admin token, and the stateful phase may follow a link from
`GET /tokens` to `DELETE /tokens/{id}` with that very token's id. Vigie then does what it should
(the token fails at once), and every later request is a 401 that Schemathesis reports as "valid
data rejected". So a request that would revoke the run's own token is sent for an id that does
not exist instead: the server answers the documented 404, and every other token, the revocation
path itself included, is still fuzzed.
"""

import os

import schemathesis

OWN_TOKEN_ID = os.environ["VIGIE_TOKEN_ID"]
# Token ids are random hex: all zeros is, in practice, never issued.
ABSENT_TOKEN_ID = "0" * len(OWN_TOKEN_ID)
assert ABSENT_TOKEN_ID != OWN_TOKEN_ID


@schemathesis.hook
def before_call(context, case, **kwargs):
    revokes_own_token = (
        case.method.upper() == "DELETE"
        and case.path.endswith("/tokens/{id}")
        and (case.path_parameters or {}).get("id") == OWN_TOKEN_ID
    )
    if revokes_own_token:
        case.path_parameters["id"] = ABSENT_TOKEN_ID
