"""Airlock: self-hosted multi-account ML model deployment speaking the AWS wire protocols."""

__version__ = "0.1.0"
__all__ = ["__version__"]
