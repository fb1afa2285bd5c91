"""The pure domain: commands, events, state and decide/evolve per aggregate. Standard library only."""

__all__: list[str] = []
