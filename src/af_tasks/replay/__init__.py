"""Replay recorded replies through the suite (``--model replay/<file>``)."""

from af_tasks.replay.records import Recording, ReplayError, load_recordings

__all__ = ["Recording", "ReplayError", "load_recordings"]
