"""The verifier: tells a person whether an arbitration notice they received is genuine, and why."""

__version__ = "0.1.0"
