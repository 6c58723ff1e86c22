"""farm: keep the correction from an expensive agent session, and prove whether it held."""

__version__ = "0.1.0"
