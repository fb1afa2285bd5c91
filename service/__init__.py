"""kamplan: event-sourced account planning for key account managers and their supervisors."""

__all__: list[str] = []
