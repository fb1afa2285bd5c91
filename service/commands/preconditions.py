"""If-Match (RFC 9110, 13.1.1): which versions a request accepts the resource at, and the 412 when it is at none."""

from __future__ import annotations

from dataclasses import dataclass

from service.domain.errors import DomainError


class PreconditionFailed(DomainError):
    """If-Match named a version the stream is no longer (or not yet) at."""

    status = 412


@dataclass(frozen=True, slots=True)
class IfMatch:
    """The resource is at one of `versions`, or, for `*` (`versions` None), exists at all."""

    versions: frozenset[int] | None

    def allows(self, version: int) -> bool:
        return version > 0 if self.versions is None else version in self.versions

    def refusal(self, stream_id: str, actual: int) -> PreconditionFailed | None:
        """The 412 for a resource at version `actual` (0: not there), or None when the precondition holds."""
        if self.allows(actual):
            return None
        if self.versions is None:
            return PreconditionFailed(
                "precondition-failed",
                "If-Match: * asks for a resource that exists, and this one does not",
                stream_id=stream_id,
                if_match=str(self),
                actual_version=actual,
            )
        single = {"expected_version": next(iter(self.versions))} if len(self.versions) == 1 else {}
        return PreconditionFailed(
            "precondition-failed",
            f"If-Match names {'version' if single else 'versions'} {str(self).replace(chr(34), '')}, "
            f"but the resource is at version {actual}; reload and retry",
            stream_id=stream_id,
            if_match=str(self),
            **single,
            actual_version=actual,
        )

    def __str__(self) -> str:
        return "*" if self.versions is None else ", ".join(f'"{v}"' for v in sorted(self.versions))
