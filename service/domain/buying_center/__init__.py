"""The buying center of an account: its people, their roles and attitudes, their links, and the risks they show."""

__all__: list[str] = []
