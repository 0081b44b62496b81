"""Importing this package registers every agent on the app."""

from streams.agents import learner_tallies, normalise

__all__ = ["learner_tallies", "normalise"]
