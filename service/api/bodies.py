"""`RequestBody`: the base of every JSON object a client of the API fills, which refuses fields it does not have.

Pydantic ignores unknown fields by default, so a misspelt optional field (`descripton`, `notes` for `note`) was
taken as left out: a 2xx, and the client's intent silently lost. Refused, it is a 422 `validation` naming the
field (`body.descripton`) and nothing is written. Subclasses add to `model_config` (examples), pydantic merges
it with this one. The ERP's signed documents (routes/erp.py) are not ours to shape and stay lenient.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["UNKNOWN_FIELD", "RequestBody"]

UNKNOWN_FIELD = "is not a field of this request"


class RequestBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
