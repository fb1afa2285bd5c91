"""Company settings: the vocabularies a company configures (roles, dossier template, triggers, ceiling)."""

__all__: list[str] = []
