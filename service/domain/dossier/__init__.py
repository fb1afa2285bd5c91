"""The client dossier: answers to the company's template, their history, documents, gaps and staleness."""

__all__: list[str] = []
